"""Read-model queries on service records: the organisation-wide list, expiring services, counts per status."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, cast, false, func, or_, select

from omnibus.customers.readmodel.queries import escape_like
from omnibus.customers.readmodel.tables import customers, services
from omnibus.platform.http.errors import ApiError

SERVICE_FILTERS = ("service_status", "service_type", "customer_id", "product_id", "site_id")
SERVICE_SORTS = (
    "service_id",
    "service_name",
    "service_type",
    "service_status",
    "customer_id",
    "customer_name",
    "service_active_date",
    "service_deactivate_date",
    "retail_cost",
    "created",
    "last_modified",
)
_LISTED = select(services, customers.c.customer_name).join(
    customers, customers.c.customer_id == services.c.customer_id, isouter=True
)


def list_services(
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
    """A page of services with their customer's name, and the total count (customers.md §4.6)."""
    where = _conditions(filters, search, only_customer_id)
    total = conn.execute(select(func.count()).select_from(_LISTED.where(*where).subquery())).scalar_one()
    column = customers.c.customer_name if sort == "customer_name" else services.c[_sort_key(sort)]
    tie = services.c.service_id
    query = _LISTED.where(*where).order_by(
        column.desc() if descending else column.asc(), tie.desc() if descending else tie.asc()
    )
    rows = conn.execute(query.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def expiring_services(
    conn: Connection, *, now: datetime, until: datetime, offset: int, limit: int, only_customer_id: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Services still running whose ``service_deactivate_date`` falls between now and ``until`` (D50)."""
    where = [
        services.c.service_deactivate_date >= now,
        services.c.service_deactivate_date <= until,
        services.c.service_status != "Deactivated",
    ]
    if only_customer_id is not None:
        where += [services.c.customer_id == only_customer_id, services.c.service_visible_to_customer.is_(True)]
    total = conn.execute(select(func.count()).select_from(services).where(*where)).scalar_one()
    query = _LISTED.where(*where).order_by(services.c.service_deactivate_date, services.c.service_id)
    rows = conn.execute(query.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def service_counts(conn: Connection, only_customer_id: int | None) -> dict[str, int]:
    """Services per status (the list's tabs)."""
    query = select(services.c.service_status, func.count()).group_by(services.c.service_status)
    if only_customer_id is not None:
        query = query.where(
            services.c.customer_id == only_customer_id, services.c.service_visible_to_customer.is_(True)
        )
    return {status: int(count) for status, count in conn.execute(query).all()}


def _conditions(
    filters: dict[str, list[Any]], search: str | None, only_customer_id: int | None
) -> list[ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(SERVICE_FILTERS))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(SERVICE_FILTERS)}")
    where: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        wanted = _coerce(name, values)
        if name == "service_status" and "Inactive" in wanted:
            wanted.append("Deactivated")  # D37: the "Inactive" tab shows Inactive and Deactivated
        where.append(services.c[name].in_(wanted) if wanted else false())
    if search:
        where.append(_matches(search))
    if only_customer_id is not None:  # self-care: own services the customer may see (§4.9)
        where += [services.c.customer_id == only_customer_id, services.c.service_visible_to_customer.is_(True)]
    return where


def _matches(term: str) -> ColumnElement[bool]:
    """Service name (phone numbers are in it), UUID, customer name: partial, case-insensitive; or the id."""
    pattern = f"%{escape_like(term.lower())}%"
    conditions = [
        func.lower(services.c.service_name).like(pattern, escape="\\"),
        func.lower(services.c.service_uuid).like(pattern, escape="\\"),
        func.lower(func.coalesce(customers.c.customer_name, "")).like(pattern, escape="\\"),
    ]
    if term.isdigit():
        conditions.append(cast(services.c.service_id, String) == term)
    return or_(*conditions)


def _coerce(name: str, values: Sequence[Any]) -> list[Any]:
    try:
        if name in ("customer_id", "product_id", "site_id"):
            return [int(v) for v in values]
    except (TypeError, ValueError):
        raise ApiError(400, "bad_filters", f"Bad value for filter {name}") from None
    return [str(v) for v in values]


def _sort_key(sort: str | None) -> str:
    if sort is None:
        return "service_id"
    if sort not in SERVICE_SORTS:
        raise ApiError(400, "bad_sort", f"Cannot sort by {sort}; use {', '.join(SERVICE_SORTS)}")
    return sort
