"""Keeps the account type of every customer, from the customers context's events, for the offer rules (§5.1)."""

from collections.abc import Callable
from typing import Any

from omnibus.catalog.readmodel.tables import customer_types
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


def on_customer_created(e: c.CustomerCreated, rows: Rows) -> None:
    rows(customer_types).put({"customer_id": e.customer_id, "customer_account_type": e.customer_account_type})


def on_customer_updated(e: c.CustomerUpdated, rows: Rows) -> None:
    if "customer_account_type" in e.changed_fields and e.customer_account_type is not None:
        rows(customer_types).update(e.customer_id, customer_account_type=e.customer_account_type)


HANDLERS: dict[type[IntegrationEvent], Callable[[Any, Rows], None]] = {
    c.CustomerCreated: on_customer_created,
    c.CustomerUpdated: on_customer_updated,
}


class CustomerTypes(BusProjection):
    name = "catalog_customer_types"
    tables = (customer_types,)
    handles = tuple(HANDLERS)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        HANDLERS[type(event.payload)](event.payload, rows)
