"""Global search ``/utilities/search_everything`` (customers.md §4.7; D48): the reference product's parameters and
response shape, over customers, contacts, sites, services and inventory items."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from omnibus.customers.api.deps import ReadDep
from omnibus.customers.readmodel.search import search_everything
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["search"])

# D48: search needs view_customer; rows of other types show only to callers who may view that type.
TYPE_PERMISSIONS = {
    "customer": "view_customer",
    "contact": "view_customer_contact",
    "site": "view_customer_site",
    "service": "view_customer_service",
    "inventory": "view_inventory",
}


@router.get("/utilities/search_everything")
def search(
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer"))],
    search: Annotated[str, Query(max_length=200, description="Text to find (substring, case-insensitive)")],
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    search_closed_records: Annotated[bool, Query(description="Include customers that are not Open")] = False,
) -> dict[str, Any]:
    """Customers, contacts, sites, inventory items and services matching ``search``, as ``{data, pagination}``."""
    term = search.strip()
    if not term:
        raise ApiError(400, "validation_error", "search must name something to find", ["search"])
    paging = Paging(page=page, per_page=per_page)
    types = {t for t, permission in TYPE_PERMISSIONS.items() if access.principal.has(permission)}
    rows, total = search_everything(
        read, term, types=types, include_closed=search_closed_records, offset=paging.offset, limit=paging.per_page
    )
    data = [
        {"id": r["item_id"], "name": r["name"], "customer_id": r["customer_id"], "type": r["item_type"]} for r in rows
    ]
    return paging.envelope(data, total)
