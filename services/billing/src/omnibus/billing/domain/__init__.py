"""The billing domain: transactions, invoices, payment methods, the dunning timeline (billing.md)."""

from omnibus.billing.domain.card import PaymentMethod
from omnibus.billing.domain.dunning import DEFAULT_SCHEDULE, DunningStep
from omnibus.billing.domain.errors import (
    BillingError,
    ConflictError,
    InvalidInvoiceError,
    InvalidTransactionError,
    NotFoundError,
    PaymentDeclinedError,
    PaymentGatewayError,
)
from omnibus.billing.domain.indexes import IdempotencyKey, InvoicedPeriod
from omnibus.billing.domain.invoice import Invoice
from omnibus.billing.domain.transaction import Transaction

ALL_EVENTS = (
    Transaction.Recorded,
    Transaction.Edited,
    Transaction.Voided,
    Transaction.Invoiced,
    Transaction.Uninvoiced,
    Invoice.Generated,
    Invoice.Updated,
    Invoice.Voided,
    Invoice.Paid,
    Invoice.PaymentFailed,
    Invoice.Refunded,
    Invoice.DunningStepReached,
    Invoice.ServiceSuspensionRequested,
    Invoice.ServiceRestorationRequested,
    Invoice.EmailRequested,
    PaymentMethod.Added,
    PaymentMethod.NicknameChanged,
    PaymentMethod.DefaultChanged,
    PaymentMethod.Deleted,
    PaymentMethod.ExpiryReminderSent,
    PaymentMethod.Charged,
    PaymentMethod.ChargeFailed,
)

__all__ = [
    "ALL_EVENTS",
    "DEFAULT_SCHEDULE",
    "BillingError",
    "ConflictError",
    "DunningStep",
    "IdempotencyKey",
    "InvalidInvoiceError",
    "InvalidTransactionError",
    "Invoice",
    "InvoicedPeriod",
    "NotFoundError",
    "PaymentDeclinedError",
    "PaymentGatewayError",
    "PaymentMethod",
    "Transaction",
]
