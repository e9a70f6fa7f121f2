"""The billing application: transactions, invoices, payments, cards and dunning (billing.md §3-§5).

One event-sourced application composed of its use-case groups (CONVENTIONS §6.3): ``transactions``, ``invoices``,
``cards`` and ``collections`` (webhook reconciliation, dunning), on the shared plumbing of ``base``.
"""

from omnibus.billing.application.base import CardNotOwnedError
from omnibus.billing.application.cards import CardUseCases
from omnibus.billing.application.collections import CollectionUseCases
from omnibus.billing.application.invoices import InvoiceUseCases
from omnibus.billing.application.provisioning import ProvisioningUseCases
from omnibus.billing.application.transactions import TransactionUseCases


class BillingApp(ProvisioningUseCases, TransactionUseCases, InvoiceUseCases, CardUseCases, CollectionUseCases):
    """Transactions, invoices, payments, saved cards and the dunning timeline of one operator."""

    name = "billing"


__all__ = ["BillingApp", "CardNotOwnedError"]
