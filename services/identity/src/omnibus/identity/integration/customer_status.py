"""identity's copy of customer statuses, from the customers context's events (identity.md §9): users bound to a
Closed or Archived customer cannot log in or refresh."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.identity.readmodel.tables import customer_status
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows

CLOSED = ("Closed", "Archived")


def on_customer_created(e: c.CustomerCreated, rows: Rows) -> None:
    rows(customer_status).put({"customer_id": e.customer_id, "customer_status": e.customer_status})


def on_status_changed(e: c.CustomerStatusChanged, rows: Rows) -> None:
    rows(customer_status).put({"customer_id": e.customer_id, "customer_status": e.to_status})


HANDLERS: dict[type[IntegrationEvent], Callable[[Any, Rows], None]] = {
    c.CustomerCreated: on_customer_created,
    c.CustomerStatusChanged: on_status_changed,
}


class CustomerStatuses(BusProjection):
    name = "customer_status"
    tables = (customer_status,)
    handles = tuple(HANDLERS)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        HANDLERS[type(event.payload)](event.payload, rows)


def closed_customers(engine: Engine) -> Callable[[int], bool]:
    """Whether a customer is Closed or Archived (unknown customers are not)."""

    def is_closed(customer_id: int) -> bool:
        query = select(customer_status.c.customer_status).where(customer_status.c.customer_id == customer_id)
        with engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none() in CLOSED

    return is_closed
