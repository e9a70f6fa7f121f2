"""Global search (customers.md §4.7; D48): substring match over every searchable item, ranked, paged.

Same results on both stores: ``search_text`` is lower-cased by the projection and matched with ``LIKE '%term%'``.
On PostgreSQL a trigram GIN index answers that LIKE without a scan, and one index scan gives both the page and the
count (bench/search.py). SQLite scans, which suits the embedded mode's data.
"""

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Select, Table, case, func, or_, select, union_all

from omnibus.customers.readmodel.queries import escape_like
from omnibus.customers.readmodel.tables import inventory_search_items, search_items

# Tables of searchable rows, all of the same shape, each its projection's: the customers' own records, and
# catalog's inventory items (a bus projection, ``integration.inventory_search``).
SEARCHED: tuple[Table, ...] = (search_items, inventory_search_items)
TYPE_ORDER = ("customer", "contact", "site", "inventory", "service")  # the reference product's UNION order


def search_everything(
    conn: Connection,
    term: str,
    *,
    types: Collection[str],
    include_closed: bool,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """A page of matches, best first (exact name, then name prefix, then anywhere), and the total count."""
    lowered = term.lower()
    branches = [_matching(table, lowered, types, include_closed) for table in SEARCHED]
    found = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("found")
    name = func.lower(found.c.name)
    relevance = case((name == lowered, 0), (name.like(f"{escape_like(lowered)}%", escape="\\"), 1), else_=2)
    type_rank = case({t: i for i, t in enumerate(TYPE_ORDER)}, value=found.c.item_type, else_=len(TYPE_ORDER))
    page = (
        select(
            found.c.item_type, found.c.item_id, found.c.customer_id, found.c.name, func.count().over().label("total")
        )
        .order_by(relevance, type_rank, found.c.item_id)
        .offset(offset)
        .limit(limit)
    )
    rows = [dict(r) for r in conn.execute(page).mappings()]  # one index scan gives the page and the count
    if rows:
        total = rows[0]["total"]
    elif offset == 0:
        total = 0
    else:  # a page past the end still reports how many there are
        total = conn.execute(select(func.count()).select_from(found)).scalar_one()
    return [{k: v for k, v in r.items() if k != "total"} for r in rows], int(total)


def _matching(table: Table, lowered: str, types: Collection[str], include_closed: bool) -> Select[Any]:
    query = select(table.c.item_type, table.c.item_id, table.c.customer_id, table.c.name).where(
        table.c.search_text.like(f"%{escape_like(lowered)}%", escape="\\"),
        table.c.item_type.in_(sorted(types)),
    )
    if not include_closed:  # D48: the Closed filter applies to the customer branch only
        query = query.where(or_(table.c.item_type != "customer", table.c.customer_status == "Open"))
    return query
