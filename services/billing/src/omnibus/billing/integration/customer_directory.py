"""Keeps billing's customer directory from the customers context's events (received over the bus)."""

from collections.abc import Callable
from typing import Any

from omnibus.billing.readmodel.tables import directory_contacts, directory_customers, directory_sites
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows

CUSTOMER_FIELDS = ("customer_name", "customer_status", "customer_payment_type", "tax_identifier")
CONTACT_FIELDS = ("contact_firstname", "contact_lastname", "contact_email", "contact_types")
SITE_FIELDS = ("site_name", "address_line_1", "address_line_2", "city", "state", "zip_code", "country")


def on_customer_created(e: c.CustomerCreated, rows: Rows) -> None:
    rows(directory_customers).put({"customer_id": e.customer_id, **_pick(e, CUSTOMER_FIELDS)})


def on_customer_updated(e: c.CustomerUpdated, rows: Rows) -> None:
    changed = _pick(e, CUSTOMER_FIELDS, only=e.changed_fields)
    if changed:
        rows(directory_customers).update(e.customer_id, **changed)


def on_customer_status_changed(e: c.CustomerStatusChanged, rows: Rows) -> None:
    rows(directory_customers).update(e.customer_id, customer_status=e.to_status)


def on_contact_added(e: c.ContactAdded, rows: Rows) -> None:
    rows(directory_contacts).put({"contact_id": e.contact_id, "customer_id": e.customer_id, **_pick(e, CONTACT_FIELDS)})


def on_contact_updated(e: c.ContactUpdated, rows: Rows) -> None:
    changed = _pick(e, CONTACT_FIELDS, only=e.changed_fields)
    if changed:
        rows(directory_contacts).update(e.contact_id, **changed)


def on_contact_removed(e: c.ContactRemoved, rows: Rows) -> None:
    rows(directory_contacts).delete(e.contact_id)


def on_site_added(e: c.SiteAdded, rows: Rows) -> None:
    rows(directory_sites).put({"site_id": e.site_id, "customer_id": e.customer_id, **_pick(e, SITE_FIELDS)})


def on_site_updated(e: c.SiteUpdated, rows: Rows) -> None:
    changed = _pick(e, SITE_FIELDS, only=e.changed_fields)
    if changed:
        rows(directory_sites).update(e.site_id, **changed)


def on_site_removed(e: c.SiteRemoved, rows: Rows) -> None:
    rows(directory_sites).delete(e.site_id)


HANDLERS: dict[type[IntegrationEvent], Callable[[Any, Rows], None]] = {
    c.CustomerCreated: on_customer_created,
    c.CustomerUpdated: on_customer_updated,
    c.CustomerStatusChanged: on_customer_status_changed,
    c.ContactAdded: on_contact_added,
    c.ContactUpdated: on_contact_updated,
    c.ContactRemoved: on_contact_removed,
    c.SiteAdded: on_site_added,
    c.SiteUpdated: on_site_updated,
    c.SiteRemoved: on_site_removed,
}


class CustomerDirectory(BusProjection):
    name = "customer_directory"
    tables = (directory_customers, directory_contacts, directory_sites)
    handles = tuple(HANDLERS)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        HANDLERS[type(event.payload)](event.payload, rows)


def _pick(event: IntegrationEvent, fields: tuple[str, ...], only: list[str] | None = None) -> dict[str, Any]:
    return {f: getattr(event, f) for f in fields if only is None or f in only}
