"""Read-model queries: lists with filters, search, sorting and paging; rows by customer."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, cast, false, func, or_, select, true

from omnibus.customers.readmodel.tables import attributes, contacts, customers, sites, tags
from omnibus.platform.http.errors import ApiError

CUSTOMER_FILTERS = (
    "customer_id",
    "customer_status",
    "customer_account_type",
    "customer_payment_type",
    "customer_enabled",
)
CUSTOMER_SORTS = ("customer_id", "customer_name", "customer_status", "created", "last_modified")


def list_customers(
    conn: Connection,
    *,
    filters: dict[str, list[Any]],
    search: str | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
    only_customer_id: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of customers and the total count. Archived customers only show when filtered for explicitly."""
    where = _customer_conditions(filters, search, only_customer_id)
    total = conn.execute(select(func.count()).select_from(customers).where(*where)).scalar_one()
    sort_column = customers.c[_sort_key(sort)]
    ordered: Select[Any] = (
        select(customers)
        .where(*where)
        .order_by(
            sort_column.desc() if descending else sort_column.asc(),
            customers.c.customer_id.desc() if descending else customers.c.customer_id.asc(),
        )
    )
    rows = conn.execute(ordered.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def contacts_of(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    query = select(contacts).where(contacts.c.customer_id == customer_id).order_by(contacts.c.contact_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def sites_of(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    query = select(sites).where(sites.c.customer_id == customer_id).order_by(sites.c.site_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def attributes_of(
    conn: Connection, customer_id: int, name: str | None = None, value: str | None = None
) -> list[dict[str, Any]]:
    """A customer's attributes, optionally only those of one name and/or value (exact match)."""
    query = select(attributes).where(attributes.c.customer_id == customer_id)
    if name is not None:
        query = query.where(attributes.c.attribute_name == name)
    if value is not None:
        query = query.where(attributes.c.attribute_value == value)
    return [dict(r) for r in conn.execute(query.order_by(attributes.c.attribute_id)).mappings()]


def tags_of(conn: Connection, customer_id: int, shown_at: datetime | None = None) -> list[dict[str, Any]]:
    """A customer's tags; with ``shown_at``, only those inside their window then (§4.3)."""
    query = select(tags).where(tags.c.customer_id == customer_id)
    if shown_at is not None:
        query = query.where(tags.c.tag_active_date <= shown_at, tags.c.tag_deactivate_date > shown_at)
    return [dict(r) for r in conn.execute(query.order_by(tags.c.tag_id)).mappings()]


def _customer_conditions(
    filters: dict[str, list[Any]], search: str | None, only_customer_id: int | None
) -> list[ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(CUSTOMER_FILTERS))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(CUSTOMER_FILTERS)}")
    where: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        where.append(customers.c[name].in_(_coerce(name, values)) if values else false())
    if "customer_status" not in filters:
        where.append(customers.c.customer_status != "Archived")
    if search:
        where.append(_matches(search))
    if only_customer_id is not None:
        where.append(customers.c.customer_id == only_customer_id)
    return where or [true()]


def _matches(term: str) -> ColumnElement[bool]:
    pattern = f"%{escape_like(term.lower())}%"
    conditions = [
        func.lower(customers.c.customer_name).like(pattern, escape="\\"),
        func.lower(func.coalesce(customers.c.tax_identifier, "")).like(pattern, escape="\\"),
    ]
    if term.isdigit():
        conditions.append(cast(customers.c.customer_id, String) == term)
    return or_(*conditions)


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _coerce(name: str, values: Sequence[Any]) -> list[Any]:
    try:
        if name == "customer_id":
            return [int(v) for v in values]
        if name == "customer_enabled":
            return [v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes") for v in values]
    except (TypeError, ValueError):
        raise ApiError(400, "bad_filters", f"Bad value for filter {name}") from None
    return [str(v) for v in values]


def _sort_key(sort: str | None) -> str:
    if sort is None:
        return "customer_id"
    if sort not in CUSTOMER_SORTS:
        raise ApiError(400, "bad_sort", f"Cannot sort by {sort}; use {', '.join(CUSTOMER_SORTS)}")
    return sort
