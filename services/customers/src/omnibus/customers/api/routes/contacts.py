"""Contact endpoints (customers.md §3): create, list by customer, read, update, remove."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import CONTACT_READ_ONLY, ContactCreate, ContactPatch, patch_fields
from omnibus.customers.api.views import contact_view, row_view
from omnibus.customers.readmodel.queries import contacts_of
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["contacts"])


@router.put("/crm/contact/")
@router.post("/crm/contact/", include_in_schema=False)
def create_contact(
    body: ContactCreate, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_customer_contact"))]
) -> dict[str, Any]:
    """Add a contact to a customer."""
    contact = app.add_contact(body.customer_id, body.model_dump(exclude={"customer_id"}))
    return contact_view(contact)


@router.get("/crm/contact/customer_id/{customer_id}")
def list_contacts(
    customer_id: int,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer_contact", own="view_own_customer_contact"))],
) -> list[dict[str, Any]]:
    """A customer's contacts (bare array)."""
    access.check_customer(customer_id, "Customer")
    return [row_view(r) for r in contacts_of(read, customer_id)]


@router.get("/crm/contact/contact_id/{contact_id}")
def get_contact(
    contact_id: int,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("view_customer_contact", own="view_own_customer_contact"))],
) -> dict[str, Any]:
    """One contact."""
    contact = app.get_contact(contact_id)
    access.check_customer(contact.customer_id, "Contact")
    return contact_view(contact)


@router.patch("/crm/contact/contact_id/{contact_id}")
def update_contact(
    contact_id: int,
    app: CustomersAppDep,
    _: Annotated[Access, Depends(require("update_customer_contact"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change some of a contact's fields."""
    app.update_contact(contact_id, patch_fields(body, ContactPatch, CONTACT_READ_ONLY))
    return contact_view(app.get_contact(contact_id))


@router.delete("/crm/contact/contact_id/{contact_id}")
def delete_contact(
    contact_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer_contact"))]
) -> dict[str, str]:
    """Remove a contact."""
    app.remove_contact(contact_id)
    return {"result": "success"}
