"""Every service ever recorded and its customer: how other contexts' events that name only a service (charging's)
find the customer whose activity log they belong to. Rows are never deleted, so a late event, or a replay, finds
a service removed since."""

from typing import Any

from omnibus.customers.domain import Service
from omnibus.customers.readmodel.tables import service_owners
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


class ServiceOwnersProjection(Projection):
    name = "service_owners"
    tables = (service_owners,)
    topics = topics_of(Service.Created)

    def apply(self, event: Any, rows: Rows) -> None:
        if isinstance(event, Service.Created):
            row = {
                "service_id": event.service_id,
                "service_uuid": event.fields["service_uuid"],
                "customer_id": event.customer_id,
            }
            rows(service_owners).put(row)
