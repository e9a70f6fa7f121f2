"""The global search read model (customers.md §2.10, §4.7): one row per customer, contact, site and service.

Inventory items will come from catalog's events: a BusProjection writing rows of the same shape (item_type
``inventory``) into a table of its own, added to ``readmodel.search.SEARCHED``. Each projection then keeps its own
tables and can be rebuilt alone.
"""

from collections.abc import Callable
from typing import Any

from omnibus.customers.domain import Contact, Customer, Service, Site
from omnibus.customers.readmodel.tables import search_items
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows

CONTACT_TEXT = ("contact_firstname", "contact_lastname", "contact_email", "contact_phone")
SITE_TEXT = ("site_name", "address_line_1", "address_line_2", "city", "zip_code")
SERVICE_TEXT = ("service_name", "service_uuid")


def _text(fields: dict[str, Any], names: tuple[str, ...]) -> str:
    return " ".join(str(fields[n]) for n in names if fields.get(n)).lower()


def _contact_name(fields: dict[str, Any]) -> str:
    return " ".join(str(fields[n]) for n in ("contact_firstname", "contact_lastname") if fields.get(n))


def _put(
    rows: Rows, item_type: str, item_id: int, customer_id: int, fields: dict[str, Any], status: Any = None
) -> None:
    row = {
        "item_type": item_type,
        "item_id": item_id,
        "customer_id": customer_id,
        "name": NAMES[item_type](fields),
        "search_text": _text(fields, TEXTS[item_type]),
        "customer_status": status,
        "fields": {n: fields.get(n) for n in TEXTS[item_type]},
    }
    rows(search_items).put(row)


def _change(rows: Rows, item_type: str, item_id: int, changes: dict[str, Any]) -> None:
    relevant = {k: v for k, v in changes.items() if k in TEXTS[item_type]}
    row = rows(search_items).get(item_type, item_id) if relevant else None
    if row is not None:
        fields = {**row["fields"], **relevant}
        rows(search_items).update(
            item_type,
            item_id,
            name=NAMES[item_type](fields),
            search_text=_text(fields, TEXTS[item_type]),
            fields=fields,
        )


TEXTS = {"customer": ("customer_name",), "contact": CONTACT_TEXT, "site": SITE_TEXT, "service": SERVICE_TEXT}
NAMES: dict[str, Callable[[dict[str, Any]], str]] = {
    "customer": lambda f: str(f["customer_name"]),
    "contact": _contact_name,
    "site": lambda f: str(f.get("site_name") or ""),
    "service": lambda f: str(f["service_name"]),
}


def on_customer_created(e: Customer.Created, rows: Rows) -> None:
    _put(rows, "customer", e.customer_id, e.customer_id, {"customer_name": e.customer_name}, e.customer_status)


def on_customer_updated(e: Customer.Updated, rows: Rows) -> None:
    _change(rows, "customer", e.customer_id, e.changes)


def on_customer_status_changed(e: Customer.StatusChanged, rows: Rows) -> None:
    rows(search_items).update("customer", e.customer_id, customer_status=e.to_status)


def on_contact_added(e: Contact.Added, rows: Rows) -> None:
    _put(rows, "contact", e.contact_id, e.customer_id, e.fields)


def on_contact_updated(e: Contact.Updated, rows: Rows) -> None:
    _change(rows, "contact", e.contact_id, e.changes)


def on_contact_removed(e: Contact.Removed, rows: Rows) -> None:
    rows(search_items).delete("contact", e.contact_id)


def on_site_added(e: Site.Added, rows: Rows) -> None:
    _put(rows, "site", e.site_id, e.customer_id, e.fields)


def on_site_updated(e: Site.Updated, rows: Rows) -> None:
    _change(rows, "site", e.site_id, e.changes)


def on_site_removed(e: Site.Removed, rows: Rows) -> None:
    rows(search_items).delete("site", e.site_id)


def on_service_created(e: Service.Created, rows: Rows) -> None:
    _put(rows, "service", e.service_id, e.customer_id, e.fields)


def on_service_updated(e: Service.Updated, rows: Rows) -> None:
    _change(rows, "service", e.service_id, e.changes)


def on_service_deleted(e: Service.Deleted, rows: Rows) -> None:
    rows(search_items).delete("service", e.service_id)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Customer.Created: on_customer_created,
    Customer.Updated: on_customer_updated,
    Customer.StatusChanged: on_customer_status_changed,
    Contact.Added: on_contact_added,
    Contact.Updated: on_contact_updated,
    Contact.Removed: on_contact_removed,
    Site.Added: on_site_added,
    Site.Updated: on_site_updated,
    Site.Removed: on_site_removed,
    Service.Created: on_service_created,
    Service.Updated: on_service_updated,
    Service.Deleted: on_service_deleted,
}


class SearchIndexProjection(Projection):
    name = "search_index"
    tables = (search_items,)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
