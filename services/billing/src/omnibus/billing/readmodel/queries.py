"""Billing profile of a customer: the name, e-mail and address an invoice is made out to."""

from typing import Any

from sqlalchemy import Connection, select

from omnibus.billing.readmodel.tables import directory_contacts, directory_customers, directory_sites

ADDRESS_FIELDS = ("address_line_1", "address_line_2", "city", "state", "zip_code", "country")


def billing_profile(conn: Connection, customer_id: int) -> dict[str, Any] | None:
    """Name, billing e-mail (billing contact, else primary, else first) and billing address (first site)."""
    customer = (
        conn.execute(select(directory_customers).where(directory_customers.c.customer_id == customer_id))
        .mappings()
        .first()
    )
    if customer is None:
        return None
    contacts = (
        conn.execute(
            select(directory_contacts)
            .where(directory_contacts.c.customer_id == customer_id)
            .order_by(directory_contacts.c.contact_id)
        )
        .mappings()
        .all()
    )
    site = (
        conn.execute(
            select(directory_sites)
            .where(directory_sites.c.customer_id == customer_id)
            .order_by(directory_sites.c.site_id)
            .limit(1)
        )
        .mappings()
        .first()
    )
    contact = _billing_contact([dict(c) for c in contacts])
    return {
        **dict(customer),
        "billing_email": contact["contact_email"] if contact else None,
        "billing_contact_name": _full_name(contact) if contact else None,
        "billing_address": {k: site[k] for k in ADDRESS_FIELDS} if site else None,
    }


def _billing_contact(contacts: list[dict[str, Any]]) -> dict[str, Any] | None:
    with_email = [c for c in contacts if c["contact_email"]]
    for wanted in ("billing", "primary"):
        for contact in with_email:
            if wanted in (contact["contact_types"] or []):
                return contact
    return with_email[0] if with_email else None


def _full_name(contact: dict[str, Any]) -> str:
    return " ".join(p for p in (contact["contact_firstname"], contact["contact_lastname"]) if p)
