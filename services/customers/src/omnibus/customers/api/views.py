"""Response shapes: the reference product's field names, ISO-8601 UTC dates, coordinates as strings (D42)."""

from typing import Any

from omnibus.customers.domain import Contact, Customer, Site
from omnibus.platform.http.types import iso_z


def customer_view(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "customer_name": customer.customer_name,
        "customer_account_type": customer.customer_account_type,
        "customer_status": customer.customer_status,
        "customer_payment_type": customer.customer_payment_type,
        "customer_enabled": customer.customer_enabled,
        "tax_identifier": customer.tax_identifier,
        "contract_start_date": iso_z(customer.contract_start_date),
        "contract_end_date": iso_z(customer.contract_end_date),
        "created": iso_z(customer.created_on),
        "last_modified": iso_z(customer.modified_on),
    }


def customer_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        **{k: iso_z(row[k]) for k in ("contract_start_date", "contract_end_date", "created", "last_modified")},
    }


def contact_view(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.contact_id,
        "customer_id": contact.customer_id,
        **contact.public_fields(),
        "created": iso_z(contact.created_on),
        "last_modified": iso_z(contact.modified_on),
    }


def site_view(site: Site) -> dict[str, Any]:
    state = site.public_fields()
    for key in ("latitude", "longitude"):
        state[key] = None if state[key] is None else str(state[key])
    return {
        "site_id": site.site_id,
        "customer_id": site.customer_id,
        **state,
        "created": iso_z(site.created_on),
        "last_modified": iso_z(site.modified_on),
    }


def row_view(row: dict[str, Any]) -> dict[str, Any]:
    """A contact or site row as the API shows it."""
    return {**row, "created": iso_z(row["created"]), "last_modified": iso_z(row["last_modified"])}
