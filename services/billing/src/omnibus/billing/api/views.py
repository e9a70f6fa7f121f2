"""Response shapes: the reference product's field names; money as numbers with two decimals (api-conventions §3)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from omnibus.billing.domain import Invoice, PaymentMethod, Transaction
from omnibus.platform.http.types import iso_z


def money(value: Decimal | int | None, *, cents: bool = False) -> float | None:
    if value is None:
        return None
    exact = Decimal(value) / 100 if cents else Decimal(value)
    return float(exact.quantize(Decimal("0.01")))


def transaction_view(t: Transaction) -> dict[str, Any]:
    return {
        "transaction_id": t.transaction_id,
        "customer_id": t.customer_id,
        "service_id": t.service_id,
        "invoice_id": t.invoice_id,
        "title": t.title,
        "description": t.description,
        "retail_cost": money(t.retail_cost),
        "wholesale_cost": money(t.wholesale_cost),
        "tax_percentage": float(t.tax_percentage),
        "tax_amount": money(t.tax_amount),
        "void": t.void,
        "transaction_type": t.transaction_type,
        "payment_method": t.payment_method,
        "currency": t.currency,
        "provision_id": t.provision_id,
        "idempotency_key": t.idempotency_key,
        "source": t.source,
        "created": iso_z(t.created_on),
        "last_modified": iso_z(t.modified_on),
    }


def transaction_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "transaction_id": row["transaction_id"],
        "customer_id": row["customer_id"],
        "service_id": row["service_id"],
        "invoice_id": row["invoice_id"],
        "title": row["title"],
        "description": row["description"],
        "retail_cost": money(row["retail_cents"], cents=True),
        "wholesale_cost": money(row["wholesale_cents"], cents=True),
        "tax_percentage": float(row["tax_percentage"]),
        "tax_amount": money(row["tax_cents"], cents=True),
        "void": row["void"],
        "transaction_type": row["transaction_type"],
        "payment_method": row["payment_method"],
        "currency": row["currency"],
        "provision_id": row["provision_id"],
        "idempotency_key": row["idempotency_key"],
        "source": row["source"],
        "created": iso_z(row["created"]),
        "last_modified": iso_z(row["last_modified"]),
    }


def invoice_view(i: Invoice, today: date | None = None) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    return {
        "invoice_id": i.invoice_id,
        "customer_id": i.customer_id,
        "invoice_number": i.invoice_number,
        "title": i.title,
        "start_date": i.start_date,
        "end_date": i.end_date,
        "due_date": i.due_date,
        "retail_cost": money(i.retail_cost),
        "total_tax": money(i.total_tax),
        "total": money(i.total),
        "currency": i.currency,
        "paid": i.paid,
        "paid_date": i.paid_date,
        "void": i.void,
        "status": i.status,
        "overdue": i.days_overdue(today) > 0,
        "payment_reference": i.payment_reference,
        "refund_reference": i.refund_reference,
        "refunded_amount": money(i.refunded_amount),
        "payment": payment_view(i.payment),
        "transaction_ids": i.transaction_ids,
        "created": iso_z(i.created_on),
        "last_modified": iso_z(i.modified_on),
    }


def invoice_row_view(row: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    return {
        "invoice_id": row["invoice_id"],
        "customer_id": row["customer_id"],
        "invoice_number": row["invoice_number"],
        "title": row["title"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "due_date": row["due_date"].isoformat(),
        "retail_cost": money(row["retail_cents"], cents=True),
        "total_tax": money(row["tax_cents"], cents=True),
        "total": money(row["total_cents"], cents=True),
        "currency": row["currency"],
        "paid": row["paid"],
        "paid_date": row["paid_date"].isoformat() if row["paid_date"] else None,
        "void": row["void"],
        "status": row["status"],
        "overdue": not row["paid"] and not row["void"] and row["due_date"] < today,
        "payment_reference": row["payment_reference"],
        "refund_reference": row["refund_reference"],
        "refunded_amount": money(row["refunded_cents"], cents=True),
        "transaction_ids": row["transaction_ids"],
        "created": iso_z(row["created"]),
        "last_modified": iso_z(row["last_modified"]),
    }


def payment_view(payment: dict[str, Any] | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {**payment, "amount": money(Decimal(str(payment["amount"])))}


def card_view(card: PaymentMethod) -> dict[str, Any]:
    return card_row_view(
        {
            "card_id": card.card_id,
            "customer_id": card.customer_id,
            "customer_stripe_id": card.customer_stripe_id,
            "stripe_customer_id": card.stripe_customer_id,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "name": card.name,
            "nickname": card.nickname,
            "is_default": card.is_default,
            "created": card.created_on,
        }
    )


def card_row_view(row: dict[str, Any]) -> dict[str, Any]:
    """Both default-flag names (D96)."""
    return {
        "id": row["card_id"],
        "customer_id": row["customer_id"],
        "customer_stripe_id": row["customer_stripe_id"],
        "stripe_customer_id": row["stripe_customer_id"],
        "brand": row["brand"],
        "last4": row["last4"],
        "exp_month": row["exp_month"],
        "exp_year": row["exp_year"],
        "name": row["name"],
        "nickname": row["nickname"],
        "is_default": row["is_default"],
        "default_payment_method": row["is_default"],
        "created": iso_z(row["created"]),
    }


def stats_view(cents: dict[str, int]) -> dict[str, float | None]:
    return {name: money(value, cents=True) for name, value in cents.items()}
