"""Domain events -> public contracts (billing.md §8). Events not listed here stay private."""

from datetime import date
from functools import singledispatch
from typing import Any

from omnibus.billing.domain import ALL_EVENTS, Invoice, PaymentMethod, Transaction
from omnibus.billing.domain.dunning import ESCALATE
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import billing as b
from omnibus.platform.eventstore import event_meta, topics_of
from omnibus.platform.relay import Outbound


def _acting(e: object) -> int | str | None:
    actor = event_meta(e).get("actor") or {}
    user_id = actor.get("user_id")
    return user_id if user_id is not None else actor.get("api_key_id")


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: Transaction.Recorded) -> IntegrationEvent:
    f = e.fields
    return b.TransactionRecorded(
        transaction_id=e.transaction_id,
        customer_id=e.customer_id,
        service_id=f.get("service_id"),
        invoice_id=f.get("invoice_id"),
        title=f["title"],
        description=f.get("description"),
        retail_cost=f["retail_cost"],
        wholesale_cost=f["wholesale_cost"],
        tax_percentage=str(f["tax_percentage"]),
        tax_amount=f["tax_amount"],
        transaction_type=f["transaction_type"],
        payment_method=f.get("payment_method"),
        source=f["source"],
        currency=f["currency"],
        provision_id=f.get("provision_id"),
        created=e.timestamp,
        created_by=_acting(e),
    )


@to_integration.register
def _(e: Transaction.Edited) -> IntegrationEvent:
    changes: dict[str, Any] = {k: (str(v) if k == "tax_percentage" else v) for k, v in e.changes.items()}
    return b.TransactionUpdated(
        transaction_id=e.transaction_id, customer_id=e.customer_id, changed_fields=sorted(changes), **changes
    )


@to_integration.register
def _(e: Transaction.Voided) -> IntegrationEvent:
    return b.TransactionVoided(transaction_id=e.transaction_id, customer_id=e.customer_id, voided_by=_acting(e))


@to_integration.register
def _(e: Invoice.Generated) -> IntegrationEvent:
    f = e.fields
    return b.InvoiceGenerated(
        invoice_id=e.invoice_id,
        customer_id=e.customer_id,
        invoice_number=f["invoice_number"],
        title=f["title"],
        start_date=date.fromisoformat(f["start_date"]),
        end_date=date.fromisoformat(f["end_date"]),
        due_date=date.fromisoformat(f["due_date"]),
        transaction_ids=f["transaction_ids"],
        retail_cost=f["retail_cost"],
        total_tax=f["total_tax"],
        total=f["total"],
        currency=f["currency"],
        created=e.timestamp,
        created_by=_acting(e),
    )


@to_integration.register
def _(e: Invoice.Updated) -> IntegrationEvent:
    return b.InvoiceUpdated(
        invoice_id=e.invoice_id, customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes
    )


@to_integration.register
def _(e: Invoice.Voided) -> IntegrationEvent:
    return b.InvoiceVoided(
        invoice_id=e.invoice_id, customer_id=e.customer_id, released_transaction_ids=e.released_transaction_ids
    )


@to_integration.register
def _(e: Invoice.EmailRequested) -> IntegrationEvent:
    return b.InvoiceEmailRequested(invoice_id=e.invoice_id, customer_id=e.customer_id, to=e.to)


@to_integration.register
def _(e: Invoice.Paid) -> IntegrationEvent:
    p = e.payment
    return b.InvoicePaid(
        invoice_id=e.invoice_id,
        customer_id=e.customer_id,
        payment_id=p["payment_id"],
        method=p["method"],
        amount=p["amount"],
        currency=p["currency"],
        payment_reference=p["reference"],
        paid_date=date.fromisoformat(p["paid_date"]),
        paid_by=p.get("recorded_by") if p.get("recorded_by") is not None else _acting(e),
        channel=p.get("channel") or "staff",
    )


@to_integration.register
def _(e: Invoice.PaymentFailed) -> IntegrationEvent:
    return b.InvoicePaymentFailed(
        invoice_id=e.invoice_id, customer_id=e.customer_id, customer_stripe_id=e.customer_stripe_id, reason=e.reason
    )


@to_integration.register
def _(e: Invoice.Refunded) -> IntegrationEvent:
    return b.InvoiceRefunded(
        invoice_id=e.invoice_id,
        customer_id=e.customer_id,
        amount=e.amount,
        refund_reference=e.refund_reference,
        method=e.method,
        full=e.full,
    )


@to_integration.register
def _(e: Invoice.DunningStepReached) -> IntegrationEvent:
    if e.action == ESCALATE:
        return b.DunningEscalated(invoice_id=e.invoice_id, customer_id=e.customer_id, day=e.day)
    return b.DunningStepReached(invoice_id=e.invoice_id, customer_id=e.customer_id, day=e.day, action=e.action)


@to_integration.register
def _(e: Invoice.ServiceSuspensionRequested) -> IntegrationEvent:
    return b.ServiceSuspensionRequested(invoice_id=e.invoice_id, customer_id=e.customer_id, service_ids=e.service_ids)


@to_integration.register
def _(e: Invoice.ServiceRestorationRequested) -> IntegrationEvent:
    return b.ServiceRestorationRequested(invoice_id=e.invoice_id, customer_id=e.customer_id, service_ids=e.service_ids)


@to_integration.register
def _(e: PaymentMethod.Added) -> IntegrationEvent:
    return b.PaymentMethodAdded(
        customer_id=e.customer_id,
        customer_stripe_id=e.customer_stripe_id,
        brand=e.card["brand"],
        last4=e.card["last4"],
        exp_month=e.card["exp_month"],
        exp_year=e.card["exp_year"],
        cardholder_name=e.card.get("name"),
        nickname=e.nickname,
        is_default=e.is_default,
        added_by=_acting(e),
    )


@to_integration.register
def _(e: PaymentMethod.DefaultChanged) -> IntegrationEvent | None:
    if not e.is_default:
        return None  # the other half of a change of default: the new default's event says it all
    return b.DefaultPaymentMethodChanged(customer_id=e.customer_id, customer_stripe_id=e.customer_stripe_id)


@to_integration.register
def _(e: PaymentMethod.NicknameChanged) -> IntegrationEvent:
    return b.PaymentMethodNicknameChanged(
        customer_id=e.customer_id, customer_stripe_id=e.customer_stripe_id, nickname=e.nickname
    )


@to_integration.register
def _(e: PaymentMethod.Deleted) -> IntegrationEvent:
    return b.PaymentMethodDeleted(
        customer_id=e.customer_id, customer_stripe_id=e.customer_stripe_id, detached_in_stripe=e.detached_in_stripe
    )


@to_integration.register
def _(e: PaymentMethod.ExpiryReminderSent) -> IntegrationEvent:
    return b.CardExpiryReminderRequested(
        customer_id=e.customer_id,
        customer_stripe_id=e.customer_stripe_id,
        brand=e.brand,
        last4=e.last4,
        exp_month=e.exp_month,
        exp_year=e.exp_year,
        days_left=e.days_left,
        trigger=e.trigger,  # type: ignore[arg-type]
    )


@to_integration.register
def _(e: PaymentMethod.Charged) -> IntegrationEvent:
    return b.CardCharged(
        customer_id=e.customer_id,
        customer_stripe_id=e.customer_stripe_id,
        amount=e.amount,
        description=e.description,
        stripe_payment_id=e.stripe_payment_id,
        service_id=e.service_id,
        provision_id=e.provision_id,
    )


@to_integration.register
def _(e: PaymentMethod.ChargeFailed) -> IntegrationEvent:
    return b.CardChargeFailed(
        customer_id=e.customer_id, customer_stripe_id=e.customer_stripe_id, amount=e.amount, decline_reason=e.reason
    )


OUTBOUND = Outbound(
    source="billing", to_integration=to_integration, topics=topics_of(*ALL_EVENTS), replies=b.BillingCommandReplied
)
