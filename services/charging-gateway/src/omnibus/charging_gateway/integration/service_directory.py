"""Customers' services as charging needs to know them: the owner of each ``service_uuid`` and whether its usage
is shown in self-care (charging.md §9: ``ServiceCreated`` maps ``service_uuid`` -> service), and each service's
name and status for ``/oam/usage``."""

from omnibus.charging_gateway.readmodel.tables import ocs_service_labels, ocs_services
from omnibus.contracts.customers import (
    ServiceCreated,
    ServiceDeleted,
    ServiceStatusChanged,
    ServiceUpdated,
    ServiceVisibilityChanged,
)
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class ServiceDirectory(BusProjection):
    name = "service_directory"
    tables = (ocs_services, ocs_service_labels)
    handles = (ServiceCreated, ServiceVisibilityChanged, ServiceUpdated, ServiceStatusChanged, ServiceDeleted)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e = event.payload
        services, labels = rows(ocs_services), rows(ocs_service_labels)
        if isinstance(e, ServiceCreated):
            labels.put({"service_id": e.service_id, "service_name": e.service_name, "service_status": e.service_status})
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
            labels.delete(e.service_id)
        elif isinstance(e, ServiceUpdated) and "service_name" in e.changed_fields:
            labels.update(e.service_id, service_name=e.service_name)
        elif isinstance(e, ServiceStatusChanged):
            labels.update(e.service_id, service_status=e.to_status)
        elif isinstance(e, ServiceVisibilityChanged):
            services.update(e.service_id, usage_visible_to_customer=e.service_usage_visible_to_customer)
