"""Customers' names for the job views (``customer_name``, provisioning.md §2.1 "derived for display"), kept from
the customers context's events over the bus."""

from omnibus.contracts.customers import CustomerCreated, CustomerUpdated
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows
from omnibus.provisioning.readmodel.tables import customer_names


class CustomerNames(BusProjection):
    name = "customer_names"
    tables = (customer_names,)
    handles = (CustomerCreated, CustomerUpdated)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e = event.payload
        if isinstance(e, CustomerCreated):
            rows(customer_names).put({"customer_id": e.customer_id, "customer_name": e.customer_name})
        elif isinstance(e, CustomerUpdated) and "customer_name" in e.changed_fields and e.customer_name is not None:
            rows(customer_names).put({"customer_id": e.customer_id, "customer_name": e.customer_name})
