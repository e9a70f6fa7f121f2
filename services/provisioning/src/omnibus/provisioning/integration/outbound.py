"""Domain events -> public contracts (provisioning.md §8). Run claims and cancel requests stay private."""

from functools import singledispatch

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import provisioning as p
from omnibus.platform.eventstore import topics_of
from omnibus.platform.relay import Outbound
from omnibus.provisioning.domain import ALL_EVENTS, Provision


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: Provision.Requested) -> IntegrationEvent:
    return p.ProvisionRequested(
        provision_id=e.provision_id,
        customer_id=e.customer_id,
        product_id=e.product_id,
        service_id=e.service_id,
        provisioning_play=e.provisioning_play,
        inventory=e.inventory,
        action=e.action,  # type: ignore[arg-type]
        initiating_user=e.initiating_user,
        auth_method=e.auth_method,
        task_count=e.task_count,
        created=e.timestamp,
    )


@to_integration.register
def _(e: Provision.TaskRecorded) -> IntegrationEvent:
    return p.ProvisionTaskRecorded(
        provision_id=e.provision_id,
        event_number=e.event_number,
        event_name=e.event_name,
        provisioning_status=e.provisioning_status,  # type: ignore[arg-type]
        timestamp=e.timestamp,
    )


@to_integration.register
def _(e: Provision.Succeeded) -> IntegrationEvent:
    return p.ProvisionSucceeded(
        provision_id=e.provision_id,
        action=e.action,  # type: ignore[arg-type]
        customer_id=e.customer_id,
        service_id=e.service_id,
    )


@to_integration.register
def _(e: Provision.Failed) -> IntegrationEvent:
    return p.ProvisionFailed(
        provision_id=e.provision_id, customer_id=e.customer_id, failed_task=e.failed_task, error=e.error
    )


OUTBOUND = Outbound(source="provisioning", to_integration=to_integration, topics=topics_of(*ALL_EVENTS))
