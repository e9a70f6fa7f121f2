"""The ledger read model: transactions, invoices and saved cards as rows for lists, filters and stats."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from omnibus.billing.domain import Invoice, PaymentMethod, Transaction
from omnibus.billing.readmodel.tables import cards, invoices, transactions
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows

MONEY = {"retail_cost": "retail_cents", "wholesale_cost": "wholesale_cents", "tax_amount": "tax_cents"}


def to_cents(amount: Decimal) -> int:
    return int(amount * 100)


def _line_columns(fields: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in fields.items():
        if name in MONEY:
            row[MONEY[name]] = to_cents(value)
        elif name == "tax_percentage":
            row[name] = str(value)
        elif name in transactions.c:
            row[name] = value
    return row


def on_recorded(e: Transaction.Recorded, rows: Rows) -> None:
    row = {"transaction_id": e.transaction_id, "customer_id": e.customer_id, "void": False, **_line_columns(e.fields)}
    rows(transactions).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_edited(e: Transaction.Edited, rows: Rows) -> None:
    rows(transactions).update(e.transaction_id, **_line_columns(e.changes), last_modified=e.timestamp)


def on_voided(e: Transaction.Voided, rows: Rows) -> None:
    rows(transactions).update(e.transaction_id, void=True, last_modified=e.timestamp)


def on_invoiced(e: Transaction.Invoiced, rows: Rows) -> None:
    rows(transactions).update(e.transaction_id, invoice_id=e.invoice_id, last_modified=e.timestamp)


def on_uninvoiced(e: Transaction.Uninvoiced, rows: Rows) -> None:
    rows(transactions).update(e.transaction_id, invoice_id=None, last_modified=e.timestamp)


def on_generated(e: Invoice.Generated, rows: Rows) -> None:
    f = e.fields
    rows(invoices).put(
        {
            "invoice_id": e.invoice_id,
            "customer_id": e.customer_id,
            "title": f["title"],
            "invoice_number": f["invoice_number"],
            "start_date": date.fromisoformat(f["start_date"]),
            "end_date": date.fromisoformat(f["end_date"]),
            "due_date": date.fromisoformat(f["due_date"]),
            "retail_cents": to_cents(f["retail_cost"]),
            "tax_cents": to_cents(f["total_tax"]),
            "total_cents": to_cents(f["total"]),
            "refunded_cents": 0,
            "currency": f["currency"],
            "paid": False,
            "void": False,
            "status": "Unpaid",
            "transaction_ids": f["transaction_ids"],
            "suspended": False,
            "created": e.timestamp,
            "last_modified": e.timestamp,
        }
    )


def on_invoice_updated(e: Invoice.Updated, rows: Rows) -> None:
    changes = {k: (date.fromisoformat(v) if k.endswith("_date") else v) for k, v in e.changes.items()}
    rows(invoices).update(e.invoice_id, **changes, last_modified=e.timestamp)


def on_invoice_voided(e: Invoice.Voided, rows: Rows) -> None:
    rows(invoices).update(e.invoice_id, void=True, status="Void", last_modified=e.timestamp)


def on_paid(e: Invoice.Paid, rows: Rows) -> None:
    p = e.payment
    rows(invoices).update(
        e.invoice_id,
        paid=True,
        status="Paid",
        paid_date=date.fromisoformat(p["paid_date"]),
        payment_reference=p["reference"],
        payment={**p, "amount": str(p["amount"])},
        last_modified=e.timestamp,
    )


def on_refunded(e: Invoice.Refunded, rows: Rows) -> None:
    row = rows(invoices).get(e.invoice_id)
    if row is None:
        return
    refunded = row["refunded_cents"] + to_cents(e.amount)
    status = "Refunded" if refunded >= row["total_cents"] else "Partially Refunded"
    changes = {"refunded_cents": refunded, "status": status, "last_modified": e.timestamp}
    if e.refund_reference:
        changes["refund_reference"] = e.refund_reference
    rows(invoices).update(e.invoice_id, **changes)


def on_dunning_step(e: Invoice.DunningStepReached, rows: Rows) -> None:
    rows(invoices).update(e.invoice_id, dunning_day=e.day, last_modified=e.timestamp)


def on_suspension(e: Invoice.ServiceSuspensionRequested, rows: Rows) -> None:
    rows(invoices).update(e.invoice_id, suspended=True, last_modified=e.timestamp)


def on_restoration(e: Invoice.ServiceRestorationRequested, rows: Rows) -> None:
    rows(invoices).update(e.invoice_id, suspended=False, last_modified=e.timestamp)


def on_card_added(e: PaymentMethod.Added, rows: Rows) -> None:
    rows(cards).put(
        {
            "card_id": e.card_id,
            "customer_id": e.customer_id,
            "customer_stripe_id": e.customer_stripe_id,
            "stripe_customer_id": e.stripe_customer_id,
            **e.card,
            "nickname": e.nickname,
            "is_default": e.is_default,
            "created": e.timestamp,
        }
    )


def on_card_renamed(e: PaymentMethod.NicknameChanged, rows: Rows) -> None:
    rows(cards).update(e.card_id, nickname=e.nickname)


def on_default_changed(e: PaymentMethod.DefaultChanged, rows: Rows) -> None:
    rows(cards).update(e.card_id, is_default=e.is_default)


def on_card_deleted(e: PaymentMethod.Deleted, rows: Rows) -> None:
    rows(cards).delete(e.card_id)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Transaction.Recorded: on_recorded,
    Transaction.Edited: on_edited,
    Transaction.Voided: on_voided,
    Transaction.Invoiced: on_invoiced,
    Transaction.Uninvoiced: on_uninvoiced,
    Invoice.Generated: on_generated,
    Invoice.Updated: on_invoice_updated,
    Invoice.Voided: on_invoice_voided,
    Invoice.Paid: on_paid,
    Invoice.Refunded: on_refunded,
    Invoice.DunningStepReached: on_dunning_step,
    Invoice.ServiceSuspensionRequested: on_suspension,
    Invoice.ServiceRestorationRequested: on_restoration,
    PaymentMethod.Added: on_card_added,
    PaymentMethod.NicknameChanged: on_card_renamed,
    PaymentMethod.DefaultChanged: on_default_changed,
    PaymentMethod.Deleted: on_card_deleted,
}


class LedgerProjection(Projection):
    name = "billing_ledger"
    tables = (transactions, invoices, cards)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
