"""Events published by the provisioning context (provisioning.md §8).

A job's life: ``ProvisionRequested`` (status 1), one ``ProvisionTaskRecorded`` per task state (1 when a task
starts, then 0, 2 or 3), then ``ProvisionSucceeded`` (0) or ``ProvisionFailed`` (2). Task results travel by
reference: read them at ``GET /crm/provision_event/provision_id/{provision_id}``. No event carries a secret (D65).
"""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from omnibus.contracts.base import IntegrationEvent


class Compensation(BaseModel):
    """One compensation of a failed job and how it ended."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    action: str = Field(description="e.g. release_inventory, remove_charging_account, deprovision_play")
    outcome: Literal["completed", "failed"] = Field(description="completed, or failed (see reason)")
    reason: str | None = Field(default=None, description="Why it failed")


class _ProvisioningEvent(IntegrationEvent):
    context: ClassVar[str] = "provisioning"
    aggregate_type: ClassVar[str] = "Provision"

    provision_id: int = Field(description="Provision job id")


class ProvisionRequested(_ProvisioningEvent):
    """A provision (or deprovision) job was accepted; its play will run in the background."""

    name: ClassVar[str] = "ProvisionRequested"
    customer_id: int = Field(description="Customer the job is for")
    product_id: int | None = Field(default=None, description="Product whose play runs")
    service_id: int | None = Field(default=None, description="Existing service (add-ons, top-ups, deprovision)")
    provisioning_play: str = Field(description="Play name, e.g. play_psim_only")
    inventory: dict[str, int] = Field(description='Picked inventory per type name, e.g. {"SIM Card": 5001}')
    action: Literal["deprovision"] | None = Field(default=None, description='"deprovision" for teardown')
    initiating_user: int | None = Field(default=None, description="User id of the requester (D14)")
    auth_method: str = Field(description="jwt, api_key or ip")
    task_count: int = Field(description="Tasks counted in the play's YAML")
    created: datetime = Field(description="When the job was requested (UTC)")


class ProvisionTaskRecorded(_ProvisioningEvent):
    """A task of the job's play started (status 1) or ended (0 ok, 2 failed, 3 failed but ignored)."""

    name: ClassVar[str] = "ProvisionTaskRecorded"
    event_number: int = Field(description="Task order in the run, from 1")
    event_name: str = Field(description="Ansible task name")
    provisioning_status: Literal[0, 1, 2, 3] = Field(description="0 success, 1 running, 2 failed, 3 failed-ignored")
    timestamp: datetime = Field(description="When the state was recorded (UTC)")


class ProvisionSucceeded(_ProvisioningEvent):
    """The job's play ran to the end: status 0."""

    name: ClassVar[str] = "ProvisionSucceeded"
    action: Literal["deprovision"] | None = Field(default=None, description='"deprovision" for teardown')
    customer_id: int = Field(description="Customer the job was for")
    service_id: int | None = Field(default=None, description="Service of the request, or the one it provisioned")
    service_uuid: str | None = Field(default=None, description="OCS account / service_uuid the job used")
    inventory: dict[str, int] = Field(default_factory=dict, description="Inventory assigned, per type name")


class ProvisionFailed(_ProvisioningEvent):
    """The job ended failed (status 2): a critical task failed, it timed out, was cancelled or interrupted."""

    name: ClassVar[str] = "ProvisionFailed"
    customer_id: int = Field(description="Customer the job was for")
    failed_task: str | None = Field(default=None, description="Name of the task that failed, when one did")
    error: str = Field(description="Why (redacted task message, timeout, cancelled, interrupted)")
    failed_step: str | None = Field(
        default=None,
        description="Saga step that failed: reserve_inventory, prepare_charging_account, run_playbook, "
        "activate_service, assign_inventory or record_setup_charge",
    )
    provisioning_play: str | None = Field(default=None, description="The job's play")
    product_id: int | None = Field(default=None, description="The job's product")
    service_id: int | None = Field(default=None, description="The job's service, if any")
    initiating_user: int | None = Field(default=None, description="Who started the job")
    compensations: list[Compensation] = Field(
        default_factory=list, description="What was undone, in order (release inventory, remove the OCS account, ...)"
    )


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    ProvisionRequested,
    ProvisionTaskRecorded,
    ProvisionSucceeded,
    ProvisionFailed,
)
