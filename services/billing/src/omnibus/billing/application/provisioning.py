"""What provisioning jobs ask of billing (their saga's commands): the setup charge, and undoing a failed job's
charges (billing.md setup charges, D71)."""

from __future__ import annotations

from typing import Any

from omnibus.billing.application.invoices import InvoiceUseCases
from omnibus.billing.application.transactions import TransactionUseCases


def setup_charge_key(provision_id: int) -> str:
    return f"provision-{provision_id}-setup"


class ProvisioningUseCases(TransactionUseCases, InvoiceUseCases):
    def record_setup_charge(self, provision_id: int, customer_id: int, fields: dict[str, Any]) -> int:
        """A provisioning job's setup cost, once per job (idempotency key ``provision-<id>-setup``)."""
        key = setup_charge_key(provision_id)
        recorded = self.transaction_for_key(key)
        if recorded is not None:
            return recorded
        line = self.record_transaction(
            customer_id,
            {**fields, "provision_id": provision_id, "idempotency_key": key, "transaction_type": "charge"},
        )
        return line.transaction_id

    def undo_provision_charges(self, provision_id: int, customer_id: int) -> dict[str, list[int]]:
        """A failed job's charges undone (D71): its uninvoiced charges voided, card-paid invoices holding one
        refunded. The setup charge is found by its key (read-your-writes), the play's charges (``charge_card``
        with ``provision_id``) in the ledger read model. Lines of another customer are never touched."""
        ids = set(self.lookups.provision_lines(provision_id))
        setup = self.transaction_for_key(setup_charge_key(provision_id))
        if setup is not None:
            ids.add(setup)
        voided: list[int] = []
        refunded: list[int] = []
        for transaction_id in sorted(ids):
            line = self.get_transaction(transaction_id)
            if line.customer_id != customer_id or line.void or line.transaction_type != "charge":
                continue
            if line.invoice_id is None:
                self.void_transaction(transaction_id)
                voided.append(transaction_id)
            elif self._refundable(line.invoice_id) and line.invoice_id not in refunded:
                self.refund_invoice(line.invoice_id)
                refunded.append(line.invoice_id)
        return {"voided": voided, "refunded_invoices": refunded}

    def _refundable(self, invoice_id: int) -> bool:
        invoice = self.get_invoice(invoice_id)
        return bool(invoice.paid and not invoice.void and invoice.refunded_amount < invoice.total)
