"""Charging's ``ActionPlanRenewRequested`` (D83: staff "Renew" an ActionPlan) -> a provision job that runs the
product's play again on the service.

The job is keyed by the event's id, so a redelivered event starts no second job. It runs with the renewing
staff member as initiating user (``by_user``) and the provisioning rights of a renewal; the play gets
``renew_action_plan_id``. A renewal that cannot become a job (unknown service, product or play) is dead-lettered
with the reason, for an operator to see (``omnibus dlq list provisioning.from.charging``).
"""

import logging

from omnibus.contracts.charging import ActionPlanRenewRequested
from omnibus.platform.auth import Access, Principal
from omnibus.platform.consumers import Reaction, ReceivedEvent
from omnibus.platform.messaging.bus import PermanentError
from omnibus.provisioning.directory import Directory
from omnibus.provisioning.domain import ProvisioningError
from omnibus.provisioning.jobs import JobRequests

log = logging.getLogger(__name__)
RENEWAL_PERMISSIONS = frozenset({"create_provision", "view_provision"})


class Renewals(Reaction):
    name = "action_plan_renewals"
    handles = (ActionPlanRenewRequested,)

    def __init__(self, requests: JobRequests, directory: Directory) -> None:
        self.requests = requests
        self.directory = directory

    def react(self, event: ReceivedEvent) -> None:
        renewal = event.payload
        assert isinstance(renewal, ActionPlanRenewRequested)
        service_id = renewal.service_id
        if service_id is None:
            service = self.directory.service_by_uuid(renewal.service_uuid)
            if service is None:
                raise PermanentError(f"renewal of {renewal.action_plan_id}: no service {renewal.service_uuid}")
            service_id = int(service["service_id"])
        by = renewal.by_user or ""
        principal = Principal(
            auth_method="system", permissions=RENEWAL_PERMISSIONS, user_id=int(by) if by.isdigit() else None
        )
        body = {"service_id": service_id, "product_id": renewal.product_id}
        try:
            job = self.requests.submit(
                body, Access(principal), renewal=renewal.action_plan_id, key=f"renewal:{event.envelope.event_id}"
            )
        except ProvisioningError as refusal:
            raise PermanentError(f"renewal of {renewal.action_plan_id} refused: {refusal}") from None
        log.info("renewal of %s: provision job %d", renewal.action_plan_id, job.provision_id)
