"""Customer attribute endpoints (customers.md §2.4, §3, §4.2; D40): key/value data of integrations."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import patch_fields
from omnibus.customers.api.tag_schemas import ATTRIBUTE_READ_ONLY, AttributeCreate, AttributePatch
from omnibus.customers.api.views import attribute_row_view, attribute_view
from omnibus.customers.readmodel.queries import attributes_of
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["attributes"])


@router.put("/crm/attribute/")
@router.post("/crm/attribute/", include_in_schema=False)
def create_attribute(
    body: AttributeCreate, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_customer_attribute"))]
) -> dict[str, Any]:
    """Add an attribute to a customer (409 when the customer already has one of that name)."""
    return attribute_view(app.set_attribute(body.customer_id, body.attribute_name, body.attribute_value))


@router.get("/crm/attribute/attribute_id/{attribute_id}")
def get_attribute(
    attribute_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("view_customer_attribute"))]
) -> dict[str, Any]:
    """One attribute."""
    return attribute_view(app.get_attribute(attribute_id))


@router.get("/crm/attribute/customer_id/{customer_id}")
def list_attributes(
    customer_id: int,
    read: ReadDep,
    _: Annotated[Access, Depends(require("view_customer_attribute"))],
    attribute_name: Annotated[str | None, Query(max_length=150)] = None,
    attribute_value: Annotated[str | None, Query(max_length=150)] = None,
) -> list[dict[str, Any]]:
    """A customer's attributes (bare array), optionally only those of a name and/or value."""
    return [attribute_row_view(r) for r in attributes_of(read, customer_id, attribute_name, attribute_value)]


@router.patch("/crm/attribute/attribute_id/{attribute_id}")
def update_attribute(
    attribute_id: int,
    app: CustomersAppDep,
    _: Annotated[Access, Depends(require("update_customer_attribute"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change an attribute's value (``last_modified`` moves)."""
    changes = patch_fields(body, AttributePatch, ATTRIBUTE_READ_ONLY)
    app.change_attribute_value(attribute_id, changes["attribute_value"])
    return attribute_view(app.get_attribute(attribute_id))


@router.delete("/crm/attribute/attribute_id/{attribute_id}")
def delete_attribute(
    attribute_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer_attribute"))]
) -> dict[str, str]:
    """Remove an attribute."""
    app.remove_attribute(attribute_id)
    return {"result": "success"}
