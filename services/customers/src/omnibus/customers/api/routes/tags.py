"""Customer tag endpoints (customers.md §2.5, §3, §4.3; D41): coloured pills shown inside their window."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import patch_fields
from omnibus.customers.api.tag_schemas import TAG_READ_ONLY, TagCreate, TagPatch
from omnibus.customers.api.views import tag_row_view, tag_view
from omnibus.customers.readmodel.queries import tags_of
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["tags"])


@router.put("/crm/tag/")
@router.post("/crm/tag/", include_in_schema=False)
def create_tag(
    body: TagCreate, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_customer_tag"))]
) -> dict[str, Any]:
    """Add a tag to a customer; omitted dates default to now and 2099-01-01 00:00:00 (D41)."""
    now = datetime.now(UTC)
    return tag_view(app.add_tag(body.customer_id, body.tag_fields(now)), now)


@router.get("/crm/tag/tag_id/{tag_id}")
def get_tag(
    tag_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("view_customer_tag"))]
) -> dict[str, Any]:
    """One tag."""
    return tag_view(app.get_tag(tag_id), datetime.now(UTC))


@router.get("/crm/tag/customer_id/{customer_id}")
def list_tags(
    customer_id: int,
    read: ReadDep,
    _: Annotated[Access, Depends(require("view_customer_tag"))],
    active_only: Annotated[bool, Query(description="Only tags shown now (inside their window)")] = False,
) -> list[dict[str, Any]]:
    """A customer's tags (bare array); ``active_only=true`` gives the pills shown now."""
    now = datetime.now(UTC)
    return [tag_row_view(r, now) for r in tags_of(read, customer_id, now if active_only else None)]


@router.patch("/crm/tag/tag_id/{tag_id}")
def update_tag(
    tag_id: int,
    app: CustomersAppDep,
    _: Annotated[Access, Depends(require("update_customer_tag"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change some of a tag's fields."""
    app.update_tag(tag_id, patch_fields(body, TagPatch, TAG_READ_ONLY))
    return tag_view(app.get_tag(tag_id), datetime.now(UTC))


@router.delete("/crm/tag/tag_id/{tag_id}")
def delete_tag(
    tag_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer_tag"))]
) -> dict[str, str]:
    """Remove a tag."""
    app.remove_tag(tag_id)
    return {"result": "success"}
