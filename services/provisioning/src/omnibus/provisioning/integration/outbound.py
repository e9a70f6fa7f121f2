"""Domain events -> public contracts (provisioning.md §8) and the saga's commands (ARCHITECTURE.md §6).

A ``CommandIssued`` event becomes the command it records, sent by the relay to ``omnibus.commands`` with the job as
correlation id (``provision:<id>``), so a job's decision and its command are one save. Claims, plays queued, step
bookkeeping and cancel requests stay private.
"""

from functools import singledispatch

from omnibus.contracts import IntegrationEvent, billing, catalog, charging, customers
from omnibus.contracts import provisioning as p
from omnibus.contracts.commands import Command
from omnibus.platform.eventstore import topics_of
from omnibus.platform.relay import Outbound, OutgoingCommand
from omnibus.provisioning.domain import ALL_EVENTS, Provision

COMMANDS: dict[str, type[Command]] = {
    cls.routing_key(): cls for cls in (*catalog.COMMANDS, *charging.COMMANDS, *customers.COMMANDS, *billing.COMMANDS)
}


def correlation_id(provision_id: int) -> str:
    """The flow id a job's commands carry, and their replies answer with."""
    return f"provision:{provision_id}"


def command_of(e: Provision.CommandIssued) -> Command:
    """The contract command a CommandIssued records (its target and name are the routing key)."""
    return COMMANDS[f"{e.target}.{e.name}"].model_validate(e.args)


@singledispatch
def to_integration(event: object) -> IntegrationEvent | OutgoingCommand | None:
    return None


@to_integration.register
def _(e: Provision.CommandIssued) -> OutgoingCommand:
    return OutgoingCommand(command_of(e), e.command_id, e.attempt, correlation_id(e.provision_id))


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
        service_uuid=e.service_uuid,
        inventory=e.inventory,
    )


@to_integration.register
def _(e: Provision.Failed) -> IntegrationEvent:
    return p.ProvisionFailed(
        provision_id=e.provision_id,
        customer_id=e.customer_id,
        failed_task=e.failed_task,
        error=e.error,
        failed_step=e.failed_step,
        provisioning_play=e.provisioning_play,
        product_id=e.product_id,
        service_id=e.service_id,
        initiating_user=e.initiating_user,
        compensations=[p.Compensation.model_validate(c) for c in e.compensations],
    )


OUTBOUND = Outbound(source="provisioning", to_integration=to_integration, topics=topics_of(*ALL_EVENTS))
SENDS: tuple[type[Command], ...] = tuple(COMMANDS.values())
