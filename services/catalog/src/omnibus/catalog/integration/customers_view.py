"""What the catalog keeps of the customers context, from its events over the bus: each customer's account type
and each service's customer, product, type and status, for the offer rules (§5.1, D57) and product deletion."""

from collections.abc import Callable
from typing import Any

from omnibus.catalog.readmodel.tables import customer_services, customer_types
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


def on_customer_created(e: c.CustomerCreated, rows: Rows) -> None:
    rows(customer_types).put({"customer_id": e.customer_id, "customer_account_type": e.customer_account_type})


def on_customer_updated(e: c.CustomerUpdated, rows: Rows) -> None:
    if "customer_account_type" in e.changed_fields and e.customer_account_type is not None:
        rows(customer_types).update(e.customer_id, customer_account_type=e.customer_account_type)


def on_service_created(e: c.ServiceCreated, rows: Rows) -> None:
    rows(customer_services).put(
        {
            "service_id": e.service_id,
            "customer_id": e.customer_id,
            "product_id": e.product_id,
            "service_type": e.service_type,
            "service_status": e.service_status,
        }
    )


def on_service_updated(e: c.ServiceUpdated, rows: Rows) -> None:
    if "service_type" in e.changed_fields:
        rows(customer_services).update(e.service_id, service_type=e.service_type)


def on_service_status_changed(e: c.ServiceStatusChanged, rows: Rows) -> None:
    rows(customer_services).update(e.service_id, service_status=e.to_status)


def on_service_deactivated(e: c.ServiceDeactivated, rows: Rows) -> None:
    rows(customer_services).update(e.service_id, service_status="Deactivated")


def on_service_deleted(e: c.ServiceDeleted, rows: Rows) -> None:
    rows(customer_services).delete(e.service_id)


HANDLERS: dict[type[IntegrationEvent], Callable[[Any, Rows], None]] = {
    c.CustomerCreated: on_customer_created,
    c.CustomerUpdated: on_customer_updated,
    c.ServiceCreated: on_service_created,
    c.ServiceUpdated: on_service_updated,
    c.ServiceStatusChanged: on_service_status_changed,
    c.ServiceDeactivated: on_service_deactivated,
    c.ServiceDeleted: on_service_deleted,
}


class CustomersView(BusProjection):
    """One projection per upstream context: its queue (``catalog.from.customers``) has one consumer."""

    name = "catalog_customers_view"
    tables = (customer_types, customer_services)
    handles = tuple(HANDLERS)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        HANDLERS[type(event.payload)](event.payload, rows)
