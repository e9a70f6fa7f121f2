"""Customer endpoints (customers.md §3): create, read, list (two shapes, D4), update, archive."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import CUSTOMER_READ_ONLY, CustomerCreate, CustomerPatch, patch_fields
from omnibus.customers.api.views import contact_view, customer_row_view, customer_view, row_view, site_view
from omnibus.customers.readmodel.queries import contacts_of, list_customers
from omnibus.platform.auth import Access, PermissionDenied, require
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["customers"])

# Self-care users may rename their own account but not change its status or flags (D34).
OWN_UPDATABLE = {"customer_name", "tax_identifier"}


@router.put("/crm/customer/")
@router.post("/crm/customer/", include_in_schema=False)
def create_customer(
    body: CustomerCreate, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_customer"))]
) -> dict[str, Any]:
    """Create a customer, optionally with its first contact and site."""
    customer, contacts, sites = app.create_customer(body.customer_fields(), body.all_contacts(), body.all_sites())
    return {
        **customer_view(customer),
        "contacts": [contact_view(c) for c in contacts],
        "sites": [site_view(s) for s in sites],
    }


@router.get("/crm/customer/customer_id/{customer_id}")
def get_customer(
    customer_id: int,
    app: CustomersAppDep,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer", own="view_own_customer"))],
) -> dict[str, Any]:
    """A customer with its contacts."""
    access.check_customer(customer_id, "Customer")
    return {
        **customer_view(app.get_customer(customer_id)),
        "contacts": [row_view(r) for r in contacts_of(read, customer_id)],
    }


@router.get("/crm/customers")
def list_customers_paginated(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: Annotated[Access, Depends(require("view_customer", own="view_own_customer"))],
) -> dict[str, Any]:
    """Customers as ``{data, pagination}``; ``filters``, ``search``, ``sort``, ``order``, paging."""
    rows, total = _page(read, paging, access)
    return paging.envelope([customer_row_view(r) for r in rows], total)


@router.get("/crm/customer/")
def list_customers_bare(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: Annotated[Access, Depends(require("view_customer", own="view_own_customer"))],
) -> list[dict[str, Any]]:
    """Customers as a bare array (D4), same filters and paging."""
    rows, _ = _page(read, paging, access)
    return [customer_row_view(r) for r in rows]


@router.patch("/crm/customer/customer_id/{customer_id}")
def update_customer(
    customer_id: int,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("update_customer", own="update_own_customer"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change some of a customer's fields; read-only fields are refused."""
    access.check_customer(customer_id, "Customer")
    changes = patch_fields(body, CustomerPatch, CUSTOMER_READ_ONLY)
    if access.scoped and set(changes) - OWN_UPDATABLE:
        raise PermissionDenied(f"Permission denied: only {', '.join(sorted(OWN_UPDATABLE))} can be changed")
    status = changes.pop("customer_status", None)
    app.update_customer(customer_id, changes, status=status)
    return customer_view(app.get_customer(customer_id))


@router.delete("/crm/customer/customer_id/{customer_id}")
def delete_customer(
    customer_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer"))]
) -> dict[str, str]:
    """Archive a customer (no hard delete)."""
    app.archive_customer(customer_id)
    return {"result": "success"}


def _page(read: ReadDep, paging: Paging, access: Access) -> tuple[list[dict[str, Any]], int]:
    return list_customers(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        only_customer_id=access.own_customer_id,
    )
