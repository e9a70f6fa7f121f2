"""Inventory template endpoints (catalog.md §3, §4.2)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from omnibus.catalog.api.deps import CatalogAppDep, ReadDep
from omnibus.catalog.api.schemas import TEMPLATE_READ_ONLY, TemplateCreate, parse_body
from omnibus.catalog.api.views import template_state, template_view
from omnibus.catalog.readmodel.queries import list_templates, template_has_items
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["inventory templates"])


@router.put("/crm/inventory_template/")
@router.post("/crm/inventory_template/", include_in_schema=False)
def create_template(
    app: CatalogAppDep,
    _: Annotated[Access, Depends(require("create_inventory_template"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Define an item type: name (as products list it), icon, slot labels and keys, default costs. 409 if the name
    is taken."""
    fields = parse_body(body, TemplateCreate, TEMPLATE_READ_ONLY, partial=False)
    return template_view(template_state(app.define_template(fields)))


@router.get("/crm/inventory_template/")
def get_templates(
    read: ReadDep, _: Annotated[Access, Depends(require("view_inventory_template"))]
) -> list[dict[str, Any]]:
    return [template_view(r) for r in list_templates(read)]


@router.get("/crm/inventory_template/inventory_template_id/{inventory_template_id}")
def get_template(
    inventory_template_id: int,
    app: CatalogAppDep,
    _: Annotated[Access, Depends(require("view_inventory_template"))],
) -> dict[str, Any]:
    return template_view(template_state(app.get_template(inventory_template_id)))


@router.patch("/crm/inventory_template/inventory_template_id/{inventory_template_id}")
def update_template(
    inventory_template_id: int,
    app: CatalogAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("update_inventory_template"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change labels, keys, icon or default costs; the name only while no item uses the template (409)."""
    changes = parse_body(body, TemplateCreate, TEMPLATE_READ_ONLY, partial=True)
    has_items = template_has_items(read, inventory_template_id)
    return template_view(template_state(app.update_template(inventory_template_id, changes, has_items=has_items)))


@router.delete("/crm/inventory_template/inventory_template_id/{inventory_template_id}")
def delete_template(
    inventory_template_id: int,
    app: CatalogAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("delete_inventory_template"))],
) -> dict[str, str]:
    """Delete a template; 409 while items use it."""
    app.get_template(inventory_template_id)
    app.delete_template(inventory_template_id, has_items=template_has_items(read, inventory_template_id))
    return {"result": "success"}
