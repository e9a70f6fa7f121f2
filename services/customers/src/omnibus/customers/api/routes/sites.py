"""Site endpoints (customers.md §3): create, list by customer, read, update, remove."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import SITE_READ_ONLY, SiteCreate, SitePatch, patch_fields
from omnibus.customers.api.views import row_view, site_view
from omnibus.customers.readmodel.queries import sites_of
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["sites"])


@router.put("/crm/site/")
@router.post("/crm/site/", include_in_schema=False)
def create_site(
    body: SiteCreate, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_customer_site"))]
) -> dict[str, Any]:
    """Add a site (address) to a customer."""
    site = app.add_site(body.customer_id, body.model_dump(exclude={"customer_id"}))
    return site_view(site)


@router.get("/crm/site/customer_id/{customer_id}")
def list_sites(
    customer_id: int,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer_site", own="view_own_customer_site"))],
) -> list[dict[str, Any]]:
    """A customer's sites (bare array; playbooks read json.0.address_line_1)."""
    access.check_customer(customer_id, "Customer")
    return [row_view(r) for r in sites_of(read, customer_id)]


@router.get("/crm/site/site_id/{site_id}")
def get_site(
    site_id: int,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("view_customer_site", own="view_own_customer_site"))],
) -> dict[str, Any]:
    """One site."""
    site = app.get_site(site_id)
    access.check_customer(site.customer_id, "Site")
    return site_view(site)


@router.patch("/crm/site/site_id/{site_id}")
def update_site(
    site_id: int,
    app: CustomersAppDep,
    _: Annotated[Access, Depends(require("update_customer_site"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change some of a site's fields."""
    app.update_site(site_id, patch_fields(body, SitePatch, SITE_READ_ONLY))
    return site_view(app.get_site(site_id))


@router.delete("/crm/site/site_id/{site_id}")
def delete_site(
    site_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer_site"))]
) -> dict[str, str]:
    """Remove a site."""
    app.remove_site(site_id)
    return {"result": "success"}
