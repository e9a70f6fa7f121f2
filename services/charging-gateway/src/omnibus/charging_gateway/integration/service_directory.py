"""Customers' services as charging needs to know them: the owner of each ``service_uuid`` and whether its usage
is shown in self-care (charging.md §9: ``ServiceCreated`` maps ``service_uuid`` -> service)."""

from omnibus.charging_gateway.readmodel.tables import ocs_services
from omnibus.contracts.customers import ServiceCreated, ServiceDeleted, ServiceVisibilityChanged
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class ServiceDirectory(BusProjection):
    name = "service_directory"
    tables = (ocs_services,)
    handles = (ServiceCreated, ServiceVisibilityChanged, ServiceDeleted)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e = event.payload
        services = rows(ocs_services)
        if isinstance(e, ServiceCreated):
            services.put(
                {
                    "service_uuid": e.service_uuid,
                    "service_id": e.service_id,
                    "customer_id": e.customer_id,
                    "usage_visible_to_customer": e.service_usage_visible_to_customer is not False,
                }
            )
        elif isinstance(e, ServiceDeleted):
            services.delete(e.service_id)
        elif isinstance(e, ServiceVisibilityChanged):
            services.update(e.service_id, usage_visible_to_customer=e.service_usage_visible_to_customer)
