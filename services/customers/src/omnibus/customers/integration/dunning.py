"""Billing's dunning acts through the customers context (billing.md dunning timeline; charging.md §4.9, D84).

``ServiceSuspensionRequested`` (an invoice unpaid for 15 days) suspends the invoice's Active services;
``ServiceRestorationRequested`` (it was paid) makes the services it suspended Active again. The status change is an
ordinary customers event, so the charging gateway disables or re-enables their OCS accounts from it. Services
in any other state (made Inactive or Deactivated by staff, deleted) are left as they are; a service of another
customer than the invoice's is never touched. Redelivery is harmless: a service already in the wanted state
records nothing.
"""

import logging

from omnibus.contracts.billing import ServiceRestorationRequested, ServiceSuspensionRequested
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import ServiceNotFoundError
from omnibus.platform.consumers import Reaction, ReceivedEvent

log = logging.getLogger(__name__)


class DunningReaction(Reaction):
    name = "dunning"
    handles = (ServiceSuspensionRequested, ServiceRestorationRequested)

    def __init__(self, app: CustomersApp) -> None:
        self.app = app

    def react(self, event: ReceivedEvent) -> None:
        request = event.payload
        assert isinstance(request, ServiceSuspensionRequested | ServiceRestorationRequested)
        suspend = isinstance(request, ServiceSuspensionRequested)
        current, wanted = ("Active", "Suspended") if suspend else ("Suspended", "Active")
        for service_id in request.service_ids:
            try:
                service = self.app.get_service(service_id)
            except ServiceNotFoundError:
                log.info("dunning: service %d no longer exists", service_id)
                continue
            if service.customer_id != request.customer_id or service.service_status != current:
                log.info("dunning: service %d is %s, left as it is", service_id, service.service_status)
                continue
            self.app.update_service(service_id, {}, status=wanted)
