"""Read-model queries of the ledger: lists with filters and paging, stats, lookups the application needs."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, String, Table, cast, false, func, or_, select

from omnibus.billing.readmodel.queries import billing_profile
from omnibus.billing.readmodel.tables import cards, directory_customers, invoices, transactions
from omnibus.platform.http.errors import ApiError

TRANSACTION_FILTERS = (
    "transaction_id",
    "customer_id",
    "service_id",
    "invoice_id",
    "void",
    "transaction_type",
    "source",
)
TRANSACTION_SORTS = {
    "transaction_id": "transaction_id",
    "created": "created",
    "retail_cost": "retail_cents",
    "title": "title",
    "customer_id": "customer_id",
}
INVOICE_FILTERS = ("invoice_id", "customer_id", "paid", "void", "status")
INVOICE_SORTS = {
    "invoice_id": "invoice_id",
    "created": "created",
    "due_date": "due_date",
    "total": "total_cents",
    "title": "title",
    "customer_id": "customer_id",
}
INTEGER_COLUMNS = {"transaction_id", "customer_id", "service_id", "invoice_id"}
BOOLEAN_COLUMNS = {"void", "paid"}


def list_rows(
    conn: Connection,
    table: Table,
    *,
    filters: dict[str, list[Any]],
    allowed: Sequence[str],
    sorts: dict[str, str],
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
    search: ColumnElement[bool] | None = None,
    only_customer_id: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of rows and the total count; ``{"invoice_id": [null]}`` matches "Not Invoiced"."""
    where = _conditions(table, filters, allowed)
    if search is not None:
        where.append(search)
    if only_customer_id is not None:
        where.append(table.c.customer_id == only_customer_id)
    key = next(iter(sorts.values()))
    if sort is not None:
        if sort not in sorts:
            raise ApiError(400, "bad_sort", f"Cannot sort by {sort}; use {', '.join(sorts)}")
        key = sorts[sort]
    primary = table.primary_key.columns.values()[0]
    order = [table.c[key].desc() if descending else table.c[key].asc(), primary.desc() if descending else primary]
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    query: Select[Any] = select(table).where(*where).order_by(*order).offset(offset).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()], int(total)


def transaction_search(term: str | None) -> ColumnElement[bool] | None:
    if not term:
        return None
    pattern = f"%{term.lower()}%"
    conditions = [
        func.lower(transactions.c.title).like(pattern),
        func.lower(func.coalesce(transactions.c.description, "")).like(pattern),
    ]
    if term.isdigit():
        conditions.append(cast(transactions.c.transaction_id, String) == term)
    return or_(*conditions)


def invoice_search(term: str | None) -> ColumnElement[bool] | None:
    """Search by invoice ID (the reference product's search box) or number/title."""
    if not term:
        return None
    number = term.lstrip("#")
    if number.isdigit():
        return or_(invoices.c.invoice_id == int(number), invoices.c.invoice_number == number)
    return or_(func.lower(invoices.c.title).like(f"%{term.lower()}%"), invoices.c.invoice_number == term)


def transaction_stats(conn: Connection, customer_id: int | None, today: date) -> dict[str, int]:
    """Widget totals in cents: all time, uninvoiced, this month, last month (non-void charges and credits)."""
    t = transactions.c
    base = [t.void == false(), t.transaction_type.in_(("charge", "credit"))]
    if customer_id is not None:
        base.append(t.customer_id == customer_id)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)

    def cents(*extra: ColumnElement[bool]) -> int:
        return int(conn.execute(select(func.coalesce(func.sum(t.retail_cents), 0)).where(*base, *extra)).scalar_one())

    return {
        "total": cents(),
        "uninvoiced": cents(t.invoice_id.is_(None)),
        "this_month": cents(t.created >= _start_of(this_month)),
        "last_month": cents(t.created >= _start_of(last_month), t.created < _start_of(this_month)),
    }


def invoice_stats(conn: Connection, customer_id: int | None, today: date) -> dict[str, int]:
    """Four widget totals in cents: all invoiced, unpaid (of which overdue), this month."""
    i = invoices.c
    base = [i.void == false()]
    if customer_id is not None:
        base.append(i.customer_id == customer_id)

    def cents(*extra: ColumnElement[bool]) -> int:
        return int(conn.execute(select(func.coalesce(func.sum(i.total_cents), 0)).where(*base, *extra)).scalar_one())

    return {
        "total": cents(),
        "unpaid": cents(i.paid == false()),
        "overdue": cents(i.paid == false(), i.due_date < today),
        "this_month": cents(i.created >= _start_of(today.replace(day=1))),
    }


def overdue_invoice_ids(conn: Connection, today: date) -> list[int]:
    i = invoices.c
    query = select(i.invoice_id).where(i.paid == false(), i.void == false(), i.due_date < today).order_by(i.invoice_id)
    return [r[0] for r in conn.execute(query)]


def cards_of(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    query = select(cards).where(cards.c.customer_id == customer_id).order_by(cards.c.card_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def card_rows(conn: Connection, only_customer_id: int | None = None) -> list[dict[str, Any]]:
    query = select(cards, directory_customers.c.customer_name).outerjoin(
        directory_customers, directory_customers.c.customer_id == cards.c.customer_id
    )
    if only_customer_id is not None:
        query = query.where(cards.c.customer_id == only_customer_id)
    return [dict(r) for r in conn.execute(query.order_by(cards.c.card_id)).mappings()]


def uninvoiced_by_customer(conn: Connection, start: date, end: date) -> dict[int, list[int]]:
    """Every customer's uninvoiced, non-void charge/credit lines of the period (one query, for the billing run)."""
    t = transactions.c
    query = (
        select(t.customer_id, t.transaction_id)
        .where(*_uninvoiced(start, end))
        .order_by(t.customer_id, t.transaction_id)
    )
    grouped: dict[int, list[int]] = {}
    for customer_id, transaction_id in conn.execute(query):
        grouped.setdefault(customer_id, []).append(transaction_id)
    return grouped


class SqlLedgerLookups:
    """The application's read-model lookups (``ports.LedgerLookups``) on the service's read engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def customer_exists(self, customer_id: int) -> bool:
        query = select(directory_customers.c.customer_id).where(directory_customers.c.customer_id == customer_id)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def uninvoiced_lines(self, customer_id: int, start: date, end: date) -> list[int]:
        t = transactions.c
        query = select(t.transaction_id).where(t.customer_id == customer_id, *_uninvoiced(start, end))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query.order_by(t.transaction_id))]

    def cards_of(self, customer_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return cards_of(conn, customer_id)

    def billing_profile(self, customer_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return billing_profile(conn, customer_id)

    def provision_lines(self, provision_id: int) -> list[int]:
        t = transactions.c
        query = select(t.transaction_id).where(t.provision_id == provision_id).order_by(t.transaction_id)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]


def _uninvoiced(start: date, end: date) -> list[ColumnElement[bool]]:
    t = transactions.c
    return [
        t.invoice_id.is_(None),
        t.void == false(),
        t.transaction_type.in_(("charge", "credit")),
        t.created >= _start_of(start),
        t.created < _start_of(end + timedelta(days=1)),
    ]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(table: Table, filters: dict[str, list[Any]], allowed: Sequence[str]) -> list[ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(allowed)}")
    where: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        column = table.c[name]
        present = [_coerce(name, v) for v in values if v is not None]
        either = []
        if any(v is None for v in values):
            either.append(column.is_(None))
        if present:
            either.append(column.in_(present))
        where.append(or_(*either) if either else false())
    return where


def _coerce(name: str, value: Any) -> Any:
    try:
        if name in INTEGER_COLUMNS:
            return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "bad_filters", f"Bad value for filter {name}: {value!r}") from None
    if name in BOOLEAN_COLUMNS:
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
    return str(value)


def card_expiry(exp_month: int, exp_year: int) -> date:
    """A card is valid through the last day of its expiry month."""
    following = date(exp_year + exp_month // 12, exp_month % 12 + 1, 1)
    return following - timedelta(days=1)


def expiring_cards(
    conn: Connection, today: date, within_days: int, only_customer_id: int | None = None
) -> list[dict[str, Any]]:
    """Cards expiring within ``within_days`` (and already expired), soonest first, with ``days_left``."""
    found = []
    for row in card_rows(conn, only_customer_id):
        expires = card_expiry(row["exp_month"], row["exp_year"])
        days_left = (expires - today).days
        if days_left <= within_days:
            found.append({**row, "expires": expires, "days_left": days_left, "expired": days_left < 0})
    return sorted(found, key=lambda r: (r["days_left"], r["card_id"]))


def card_id_for(conn: Connection, customer_stripe_id: str) -> tuple[int, int] | None:
    """(card_id, customer_id) of the saved card with this Stripe PaymentMethod id."""
    row = conn.execute(
        select(cards.c.card_id, cards.c.customer_id).where(cards.c.customer_stripe_id == customer_stripe_id)
    ).first()
    return (row[0], row[1]) if row else None
