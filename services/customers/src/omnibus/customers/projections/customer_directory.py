"""The customer directory read model: customers, contacts, sites, services, attributes and tags as rows."""

from collections.abc import Callable
from typing import Any

from omnibus.customers.domain import Attribute, Contact, Customer, Service, Site, Tag
from omnibus.customers.readmodel.tables import attributes, contacts, customers, services, sites, tags
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def on_customer_created(e: Customer.Created, rows: Rows) -> None:
    rows(customers).put(
        {
            "customer_id": e.customer_id,
            "customer_name": e.customer_name,
            "customer_account_type": e.customer_account_type,
            "customer_status": e.customer_status,
            "customer_payment_type": e.customer_payment_type,
            "customer_enabled": e.customer_enabled,
            "tax_identifier": e.tax_identifier,
            "contract_start_date": e.contract_start_date,
            "contract_end_date": e.contract_end_date,
            "created": e.timestamp,
            "last_modified": e.timestamp,
        }
    )


def on_customer_updated(e: Customer.Updated, rows: Rows) -> None:
    rows(customers).update(e.customer_id, **e.changes, last_modified=e.timestamp)


def on_customer_status_changed(e: Customer.StatusChanged, rows: Rows) -> None:
    rows(customers).update(e.customer_id, customer_status=e.to_status, last_modified=e.timestamp)


def on_contact_added(e: Contact.Added, rows: Rows) -> None:
    row = {"contact_id": e.contact_id, "customer_id": e.customer_id, "contact_types": [], **e.fields}
    rows(contacts).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_contact_updated(e: Contact.Updated, rows: Rows) -> None:
    rows(contacts).update(e.contact_id, **e.changes, last_modified=e.timestamp)


def on_contact_removed(e: Contact.Removed, rows: Rows) -> None:
    rows(contacts).delete(e.contact_id)


def on_site_added(e: Site.Added, rows: Rows) -> None:
    row = {"site_id": e.site_id, "customer_id": e.customer_id, **_site_columns(e.fields)}
    rows(sites).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_site_updated(e: Site.Updated, rows: Rows) -> None:
    rows(sites).update(e.site_id, **_site_columns(e.changes), last_modified=e.timestamp)


def on_site_removed(e: Site.Removed, rows: Rows) -> None:
    rows(sites).delete(e.site_id)


def on_service_created(e: Service.Created, rows: Rows) -> None:
    row = {"service_id": e.service_id, "customer_id": e.customer_id, "service_status": e.service_status, **e.fields}
    rows(services).put({**row, "invoiced": False, "created": e.timestamp, "last_modified": e.timestamp})


def on_service_updated(e: Service.Updated, rows: Rows) -> None:
    rows(services).update(e.service_id, **e.changes, last_modified=e.timestamp)


def on_service_status_changed(e: Service.StatusChanged, rows: Rows) -> None:
    rows(services).update(e.service_id, service_status=e.to_status, last_modified=e.timestamp)


def on_service_deleted(e: Service.Deleted, rows: Rows) -> None:
    rows(services).delete(e.service_id)


def on_attribute_set(e: Attribute.Set, rows: Rows) -> None:
    row = {
        "attribute_id": e.attribute_id,
        "customer_id": e.customer_id,
        "attribute_name": e.attribute_name,
        "attribute_value": e.attribute_value,
    }
    rows(attributes).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_attribute_value_changed(e: Attribute.ValueChanged, rows: Rows) -> None:
    rows(attributes).update(e.attribute_id, attribute_value=e.new_value, last_modified=e.timestamp)


def on_attribute_removed(e: Attribute.Removed, rows: Rows) -> None:
    rows(attributes).delete(e.attribute_id)


def on_tag_added(e: Tag.Added, rows: Rows) -> None:
    row = {"tag_id": e.tag_id, "customer_id": e.customer_id, **e.fields}
    rows(tags).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_tag_updated(e: Tag.Updated, rows: Rows) -> None:
    rows(tags).update(e.tag_id, **e.changes, last_modified=e.timestamp)


def on_tag_removed(e: Tag.Removed, rows: Rows) -> None:
    rows(tags).delete(e.tag_id)


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
    Service.StatusChanged: on_service_status_changed,
    Service.Deleted: on_service_deleted,
    Attribute.Set: on_attribute_set,
    Attribute.ValueChanged: on_attribute_value_changed,
    Attribute.Removed: on_attribute_removed,
    Tag.Added: on_tag_added,
    Tag.Updated: on_tag_updated,
    Tag.Removed: on_tag_removed,
}


class CustomerDirectoryProjection(Projection):
    name = "customer_directory"
    tables = (customers, contacts, sites, services, attributes, tags)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:  # events of other kinds do not change the directory
            handler(event, rows)


def _site_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Coordinates are exact decimals in events and strings in rows (D42)."""
    return {k: (str(v) if k in ("latitude", "longitude") and v is not None else v) for k, v in fields.items()}
