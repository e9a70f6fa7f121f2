"""Read-model queries: product and item lists with filters, search and paging; pickers; stock levels."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, String, Table, any_, cast, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from omnibus.catalog.readmodel.tables import customer_services, customer_types, items, products, templates
from omnibus.platform.http.errors import ApiError

PRODUCT_FILTERS = (
    "product_id",
    "product_slug",
    "category",
    "service_type",
    "enabled",
    "residential",
    "business",
    "customer_can_purchase",
)
PRODUCT_SORTS = ("product_id", "product_name", "product_slug", "category", "retail_cost", "created", "last_modified")
ITEM_FILTERS = (
    "inventory_id",
    "item",
    "item_state",
    "item_location",
    "customer_id",
    "service_id",
    "inventory_template_id",
)
ITEM_SORTS = ("inventory_id", "item", "item_state", "item_location", "created", "last_modified")
_INTEGERS = {"product_id", "inventory_id", "customer_id", "service_id", "inventory_template_id"}
_BOOLEANS = {"enabled", "residential", "business", "customer_can_purchase"}
AVAILABLE = ("New", "In Stock")


def list_products(
    conn: Connection,
    *,
    filters: dict[str, list[Any]],
    search: str | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int | None,
    include_disabled: bool,
) -> tuple[list[dict[str, Any]], int]:
    where = _conditions(products, filters, PRODUCT_FILTERS)
    if not include_disabled and "enabled" not in filters:
        where.append(products.c.enabled.is_(True))
    if search:
        where.append(_matches(search, products.c.product_name, products.c.product_slug, products.c.comment))
    return _page(conn, products, where, _sort(sort, PRODUCT_SORTS, "product_id"), descending, offset, limit)


def all_products(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(products).order_by(products.c.product_id)).mappings()]


def list_templates(conn: Connection) -> list[dict[str, Any]]:
    query = select(templates).order_by(templates.c.inventory_template_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def template_has_items(conn: Connection, template_id: int) -> bool:
    query = select(items.c.inventory_id).where(items.c.inventory_template_id == template_id).limit(1)
    return conn.execute(query).first() is not None


def list_items(
    conn: Connection,
    *,
    filters: dict[str, list[Any]],
    search: str | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
    available_for: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Items; ``available_for`` is the provisioning picker (§4.4): that type, New/In Stock, unowned, unreserved."""
    where = _conditions(items, filters, ITEM_FILTERS)
    if available_for is not None:
        where += _available(available_for)
    if search:  # only itemtext1/2 are searched (§5.2)
        where.append(_matches(search, items.c.itemtext1, items.c.itemtext2, id_column=items.c.inventory_id))
    return _page(conn, items, where, _sort(sort, ITEM_SORTS, "inventory_id"), descending, offset, limit)


def items_of_customer(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    query = select(items).where(items.c.customer_id == customer_id).order_by(items.c.inventory_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def stock_levels(conn: Connection) -> list[dict[str, Any]]:
    """Counts per template and state, and how many are available (New/In Stock, unreserved)."""
    query = (
        select(items.c.inventory_template_id, items.c.item, items.c.item_state, func.count().label("count"))
        .group_by(items.c.inventory_template_id, items.c.item, items.c.item_state)
        .order_by(items.c.inventory_template_id, items.c.item_state)
    )
    reserved = (
        select(items.c.inventory_template_id, func.count().label("count"))
        .where(items.c.reserved_for.is_not(None))
        .group_by(items.c.inventory_template_id)
    )
    reserved_by_template = {r.inventory_template_id: r.count for r in conn.execute(reserved)}
    levels: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        level = levels.setdefault(
            row.inventory_template_id,
            {"inventory_template_id": row.inventory_template_id, "item": row.item, "states": {}, "total": 0},
        )
        level["states"][row.item_state] = row.count
        level["total"] += row.count
    for template_id, level in levels.items():
        level["reserved"] = reserved_by_template.get(template_id, 0)
        in_stock = sum(level["states"].get(s, 0) for s in AVAILABLE)
        level["available"] = max(0, in_stock - level["reserved"])
    return list(levels.values())


def service_of(conn: Connection, service_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(customer_services).where(customer_services.c.service_id == service_id)).mappings().first()
    return None if row is None else dict(row)


def active_product_ids(conn: Connection, customer_id: int) -> frozenset[int]:
    """Products of the customer's Active services (a new service relying on products needs one of them, D57)."""
    query = select(customer_services.c.product_id).where(
        customer_services.c.customer_id == customer_id,
        customer_services.c.service_status == "Active",
        customer_services.c.product_id.is_not(None),
    )
    return frozenset(r[0] for r in conn.execute(query))


def services_using(conn: Connection, product_id: int) -> int:
    """How many services (not deactivated) came from the product."""
    query = select(func.count()).where(
        customer_services.c.product_id == product_id, customer_services.c.service_status != "Deactivated"
    )
    return int(conn.execute(query).scalar_one())


def customer_account_type(conn: Connection, customer_id: int) -> str | None:
    query = select(customer_types.c.customer_account_type).where(customer_types.c.customer_id == customer_id)
    return conn.execute(query).scalar_one_or_none()


class ReadModelStock:
    """The application's StockIndex port, answered from the projected item rows."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def available_ids(self, item: str, location: str | None, limit: int, exclude: set[int]) -> list[int]:
        where = _available(item)
        if location is not None:
            where.append(items.c.item_location == location)
        if exclude:
            where.append(items.c.inventory_id.not_in(sorted(exclude)))
        query = select(items.c.inventory_id).where(*where).order_by(items.c.inventory_id).limit(limit)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def existing_keys(self, inventory_template_id: int, values: Sequence[str]) -> set[str]:
        """Which of ``values`` are already the ``itemtext1`` of an item of the template (one query per call)."""
        of_template = items.c.inventory_template_id == inventory_template_id
        with self.engine.connect() as conn:
            if conn.execute(select(items.c.inventory_id).where(of_template).limit(1)).first() is None:
                return set()  # a first import: nothing to look up
            if conn.dialect.name == "postgresql":  # one array parameter instead of thousands of IN parameters
                match = items.c.itemtext1 == any_(cast(list(values), ARRAY(String)))
                return {r[0] for r in conn.execute(select(items.c.itemtext1).where(of_template, match))}
            found: set[str] = set()
            for start in range(0, len(values), 500):
                chunk = list(values[start : start + 500])
                query = select(items.c.itemtext1).where(of_template, items.c.itemtext1.in_(chunk))
                found.update(r[0] for r in conn.execute(query))
            return found


def _available(item: str) -> list[ColumnElement[bool]]:
    return [
        items.c.item == item,
        items.c.item_state.in_(AVAILABLE),
        items.c.customer_id.is_(None),
        items.c.service_id.is_(None),
        items.c.reserved_for.is_(None),
    ]


def _page(
    conn: Connection,
    table: Table,
    where: list[ColumnElement[bool]],
    sort: str,
    descending: bool,
    offset: int,
    limit: int | None,
) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    key = table.primary_key.columns.values()[0]
    column = table.c[sort]
    query = (
        select(table)
        .where(*where)
        .order_by(column.desc() if descending else column.asc(), key.desc() if descending else key.asc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()], int(total)


def _conditions(table: Table, filters: dict[str, list[Any]], allowed: tuple[str, ...]) -> list[ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(allowed)}")
    where: list[ColumnElement[bool]] = [true()]
    for name, values in filters.items():
        where.append(table.c[name].in_(_coerce(name, values)) if values else false())
    return where


def _coerce(name: str, values: Sequence[Any]) -> list[Any]:
    try:
        if name in _INTEGERS:
            return [int(v) for v in values]
        if name in _BOOLEANS:
            return [v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes") for v in values]
    except (TypeError, ValueError):
        raise ApiError(400, "bad_filters", f"Bad value for filter {name}") from None
    return [str(v) for v in values]


def _matches(term: str, *columns: Any, id_column: Any = None) -> ColumnElement[bool]:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    conditions = [func.lower(func.coalesce(c, "")).like(pattern, escape="\\") for c in columns]
    if id_column is not None and term.isdigit():
        conditions.append(cast(id_column, String) == term)
    return or_(*conditions)


def _sort(sort: str | None, allowed: tuple[str, ...], default: str) -> str:
    if sort is None:
        return default
    if sort not in allowed:
        raise ApiError(400, "bad_sort", f"Cannot sort by {sort}; use {', '.join(allowed)}")
    return sort
