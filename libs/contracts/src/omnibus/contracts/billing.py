"""Events published by the billing context (billing.md §8).

Money travels as decimal strings (``Money``) with the ISO 4217 ``currency``. ``TransactionsInvoiced`` and
``TransactionsUninvoiced`` of the spec are carried by ``InvoiceGenerated.transaction_ids`` and
``InvoiceVoided.released_transaction_ids`` (one message per invoice rather than one per line).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from omnibus.contracts.base import IntegrationEvent, Money
from omnibus.contracts.commands import Command, CommandReplied

TransactionType = Literal["charge", "credit", "payment", "refund"]


class _BillingEvent(IntegrationEvent):
    context: ClassVar[str] = "billing"


class _TransactionEvent(_BillingEvent):
    aggregate_type: ClassVar[str] = "Transaction"
    transaction_id: int = Field(description="Transaction id")
    customer_id: int = Field(description="Customer the line belongs to")


class TransactionRecorded(_TransactionEvent):
    """A ledger line was recorded: a charge, a credit (negative), a payment (negative) or a refund."""

    name: ClassVar[str] = "TransactionRecorded"
    service_id: int | None = Field(default=None, description="Service the line is for")
    invoice_id: int | None = Field(default=None, description="Invoice (payment and refund rows only)")
    title: str = Field(description="Short description")
    description: str | None = Field(default=None, description="Longer description")
    retail_cost: Money = Field(description="Pre-tax price; negative for credits and payments")
    wholesale_cost: Money = Field(description="Operator cost")
    tax_percentage: str = Field(description="Tax rate in percent (decimal string)")
    tax_amount: Money = Field(description="retail_cost x tax_percentage / 100, to the cent")
    transaction_type: TransactionType = Field(description="charge, credit, payment or refund")
    payment_method: str | None = Field(default=None, description="stripe, cash, bank_transfer, pos or other")
    source: str = Field(description="provisioning, billing, addon, topup or manual")
    currency: str = Field(description="ISO 4217 code, lower case")
    provision_id: int | None = Field(default=None, description="Provisioning job that caused the line")
    created: datetime = Field(description="Recording time (UTC)")
    created_by: int | str | None = Field(default=None, description="Acting user id or API key")


class TransactionUpdated(_TransactionEvent):
    """Editable fields of an uninvoiced line changed; only ``changed_fields`` carry new values."""

    name: ClassVar[str] = "TransactionUpdated"
    changed_fields: list[str] = Field(description="Names of the changed fields")
    service_id: int | None = Field(default=None, description="New service, if changed")
    title: str | None = Field(default=None, description="New title, if changed")
    description: str | None = Field(default=None, description="New description, if changed")
    retail_cost: Money | None = Field(default=None, description="New retail cost, if changed")
    wholesale_cost: Money | None = Field(default=None, description="New wholesale cost, if changed")
    tax_percentage: str | None = Field(default=None, description="New tax rate, if changed")
    tax_amount: Money | None = Field(default=None, description="New tax amount, if changed")


class TransactionVoided(_TransactionEvent):
    """A line was voided: kept for audit, excluded from totals and invoicing."""

    name: ClassVar[str] = "TransactionVoided"
    voided_by: int | str | None = Field(default=None, description="Acting user id or API key")


class _InvoiceEvent(_BillingEvent):
    aggregate_type: ClassVar[str] = "Invoice"
    invoice_id: int = Field(description="Invoice id")
    customer_id: int = Field(description="Invoiced customer")


class InvoiceGenerated(_InvoiceEvent):
    """An invoice was issued for a period; its lines are now invoiced. Communications may e-mail it."""

    name: ClassVar[str] = "InvoiceGenerated"
    invoice_number: str = Field(description="Display number (invoice.number_format)")
    title: str = Field(description="Title, e.g. 'January 2025'")
    start_date: date = Field(description="Billing period start")
    end_date: date = Field(description="Billing period end")
    due_date: date = Field(description="Payment due date")
    transaction_ids: list[int] = Field(description="The invoiced lines")
    retail_cost: Money = Field(description="Pre-tax subtotal")
    total_tax: Money = Field(description="Sum of the lines' tax")
    total: Money = Field(description="retail_cost + total_tax")
    currency: str = Field(description="ISO 4217 code, lower case")
    created: datetime = Field(description="Issue time (UTC)")
    created_by: int | str | None = Field(default=None, description="Acting user id or API key")


class InvoiceUpdated(_InvoiceEvent):
    """Title or dates of an unpaid invoice changed."""

    name: ClassVar[str] = "InvoiceUpdated"
    changed_fields: list[str] = Field(description="Names of the changed fields")
    title: str | None = Field(default=None, description="New title, if changed")
    start_date: date | None = Field(default=None, description="New period start, if changed")
    end_date: date | None = Field(default=None, description="New period end, if changed")
    due_date: date | None = Field(default=None, description="New due date, if changed")


class InvoiceVoided(_InvoiceEvent):
    """An unpaid invoice was voided and its lines released (uninvoiced again)."""

    name: ClassVar[str] = "InvoiceVoided"
    released_transaction_ids: list[int] = Field(description="Lines that are uninvoiced again")


class InvoiceEmailRequested(_InvoiceEvent):
    """Staff asked for the invoice to be e-mailed (the customers context's communications sends it)."""

    name: ClassVar[str] = "InvoiceEmailRequested"
    to: str | None = Field(default=None, description="Recipient; default the customer's billing contact")


class InvoicePaid(_InvoiceEvent):
    """The invoice was paid in full (card or manual payment)."""

    name: ClassVar[str] = "InvoicePaid"
    payment_id: int = Field(description="Payment id")
    method: str = Field(description="stripe, cash, bank_transfer, pos or other")
    amount: Money = Field(description="Amount paid (the invoice total)")
    currency: str = Field(description="ISO 4217 code, lower case")
    payment_reference: str | None = Field(default=None, description="Stripe PaymentIntent id or manual reference")
    paid_date: date = Field(description="Date paid")
    paid_by: int | str | None = Field(default=None, description="Acting user id or API key")
    channel: Literal["staff", "self_care", "auto"] = Field(description="Who paid: staff, self-care or automatic")


class InvoicePaymentFailed(_InvoiceEvent):
    """A card payment of the invoice was declined."""

    name: ClassVar[str] = "InvoicePaymentFailed"
    customer_stripe_id: str | None = Field(default=None, description="Card (Stripe PaymentMethod id)")
    reason: str = Field(description="Decline reason")


class InvoiceRefunded(_InvoiceEvent):
    """All or part of a paid invoice was refunded."""

    name: ClassVar[str] = "InvoiceRefunded"
    amount: Money = Field(description="Amount refunded now")
    refund_reference: str | None = Field(default=None, description="Stripe refund id or manual reference")
    method: str = Field(description="How the money went back")
    full: bool = Field(description="True when nothing refundable remains")


class DunningStepReached(_InvoiceEvent):
    """An unpaid invoice reached a step of the dunning timeline (D99): retry, reminder or final_warning."""

    name: ClassVar[str] = "DunningStepReached"
    day: int = Field(description="Days after the due date")
    action: str = Field(description="retry, reminder, final_warning or suspend")


class DunningEscalated(_InvoiceEvent):
    """Day 30 of dunning: staff must decide (no automatic termination, D99)."""

    name: ClassVar[str] = "DunningEscalated"
    day: int = Field(description="Days after the due date")


class ServiceSuspensionRequested(_InvoiceEvent):
    """Non-payment (dunning day 15): the customers context and charging-gateway suspend these services."""

    name: ClassVar[str] = "ServiceSuspensionRequested"
    service_ids: list[int] = Field(description="Services of the unpaid invoice's lines")
    reason: str = Field(default="non_payment", description="Why")


class ServiceRestorationRequested(_InvoiceEvent):
    """The invoice that caused a suspension was paid: restore the services."""

    name: ClassVar[str] = "ServiceRestorationRequested"
    service_ids: list[int] = Field(description="Services to restore")
    reason: str = Field(default="paid", description="Why")


class _CardEvent(_BillingEvent):
    aggregate_type: ClassVar[str] = "PaymentMethod"
    customer_id: int = Field(description="Card owner")
    customer_stripe_id: str = Field(description="Stripe PaymentMethod id (pm_...)")


class PaymentMethodAdded(_CardEvent):
    """A card was saved (only Stripe ids and card metadata; never the card number)."""

    name: ClassVar[str] = "PaymentMethodAdded"
    brand: str = Field(description="visa, mastercard, amex, discover ...")
    last4: str = Field(description="Last four digits")
    exp_month: int = Field(description="Expiry month 1-12")
    exp_year: int = Field(description="Expiry year (4 digits)")
    # The spec's ``name`` (cardholder) is taken by the event-name class attribute of every contract.
    cardholder_name: str | None = Field(default=None, description="Cardholder name")
    nickname: str | None = Field(default=None, description="Nickname")
    is_default: bool = Field(description="Default card")
    added_by: int | str | None = Field(default=None, description="Acting user id or API key")


class DefaultPaymentMethodChanged(_CardEvent):
    """This card is now the customer's default (used for automatic charges)."""

    name: ClassVar[str] = "DefaultPaymentMethodChanged"


class PaymentMethodNicknameChanged(_CardEvent):
    name: ClassVar[str] = "PaymentMethodNicknameChanged"
    nickname: str | None = Field(default=None, description="New nickname")


class PaymentMethodDeleted(_CardEvent):
    name: ClassVar[str] = "PaymentMethodDeleted"
    detached_in_stripe: bool = Field(description="Detached from the Stripe customer")


class CardExpiryReminderRequested(_CardEvent):
    """Remind the customer that a card expires (60, 30, 7 days, D98; or a manual reminder)."""

    name: ClassVar[str] = "CardExpiryReminderRequested"
    brand: str = Field(description="Card brand")
    last4: str = Field(description="Last four digits")
    exp_month: int = Field(description="Expiry month")
    exp_year: int = Field(description="Expiry year")
    days_left: int = Field(description="Days until the card expires (negative: expired)")
    trigger: Literal["manual", "automatic"] = Field(description="Who asked")


class CardCharged(_CardEvent):
    name: ClassVar[str] = "CardCharged"
    amount: Money = Field(description="Amount charged")
    description: str = Field(description="Charge description")
    stripe_payment_id: str = Field(description="Stripe PaymentIntent id")
    service_id: int | None = Field(default=None, description="Service charged for")
    provision_id: int | None = Field(default=None, description="Provisioning job charged for")


class CardChargeFailed(_CardEvent):
    name: ClassVar[str] = "CardChargeFailed"
    amount: Money = Field(description="Amount attempted")
    decline_reason: str = Field(description="Stripe decline code and message")


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    TransactionRecorded,
    TransactionUpdated,
    TransactionVoided,
    InvoiceGenerated,
    InvoiceUpdated,
    InvoiceVoided,
    InvoiceEmailRequested,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoiceRefunded,
    DunningStepReached,
    DunningEscalated,
    ServiceSuspensionRequested,
    ServiceRestorationRequested,
    PaymentMethodAdded,
    DefaultPaymentMethodChanged,
    PaymentMethodNicknameChanged,
    PaymentMethodDeleted,
    CardExpiryReminderRequested,
    CardCharged,
    CardChargeFailed,
)


# --- commands (``omnibus.commands``, routing key ``billing.<Name>``, queue ``billing.commands``) ---

COMMAND_QUEUE = "billing.commands"


class BillingCommandReplied(CommandReplied):
    """Billing's answer to one command (``result``: ``transaction_id``; ``voided``, ``refunded``)."""

    context: ClassVar[str] = "billing"


PUBLISHED = (*PUBLISHED, BillingCommandReplied)


class BillingCommand(Command):
    """A command to billing from a provisioning job; idempotent by ``provision_id``."""

    context: ClassVar[str] = "billing"
    queue: ClassVar[str] = COMMAND_QUEUE
    provision_id: int = Field(ge=1, description="The provisioning job")
    customer_id: int = Field(ge=1, description="Customer the job is for")


class RecordSetupCharge(BillingCommand):
    """The product's one-off setup cost as a ledger line (once per job: idempotency key ``provision-<id>-setup``)."""

    name: ClassVar[str] = "RecordSetupCharge"
    service_id: int | None = Field(default=None, ge=1, description="The service provisioned, if any")
    product_id: int | None = Field(default=None, ge=1, description="The product")
    title: str = Field(min_length=1, max_length=255, description='e.g. "Mobile 20GB - Setup Costs"')
    retail_cost: Money = Field(ge=0, description="retail_setup_cost of the product")
    wholesale_cost: Money = Field(default=Decimal("0"), ge=0, description="wholesale_setup_cost of the product")


class VoidProvisionCharges(BillingCommand):
    """Compensation: every charge of the job is undone: uninvoiced lines voided, card-paid invoices refunded
    (D71). A no-op when there is none."""

    name: ClassVar[str] = "VoidProvisionCharges"


COMMANDS: tuple[type[BillingCommand], ...] = (RecordSetupCharge, VoidProvisionCharges)
