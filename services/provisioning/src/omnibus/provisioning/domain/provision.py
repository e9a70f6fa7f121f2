"""The Provision aggregate (provisioning.md §2.1, §2.2, §4.1): one job running one playbook, and its task events.

Status codes (§2.3, D61): a job is 1 (running) from its request until it ends 0 (success) or 2 (failed); each task
event is 0 (ok), 1 (running), 2 (failed, critical) or 3 (failed but ignored). A task is recorded twice: with
status 1 when it starts (the UI shows it running) and again, same ``event_number``, with its outcome.

Runs are claimed: ``start_run`` records which runner took the job, so two runners cannot both run it (the second
save conflicts) and a runner taking over after a restart can tell an interrupted run from a queued job.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.provisioning.domain.errors import ProvisionFinishedError

SUCCESS, RUNNING, FAILED, FAILED_IGNORED = 0, 1, 2, 3
TASK_STATUSES = (SUCCESS, RUNNING, FAILED, FAILED_IGNORED)


class Provision(Aggregate):
    """A provision job; its id is derived from the public ``provision_id``."""

    id: UUID  # given by the application: derived from the public integer id

    class Requested(Aggregate.Created):
        provision_id: int
        customer_id: int
        product_id: int | None
        service_id: int | None
        provisioning_play: str
        playbook_description: str
        provisioning_json_vars: str
        task_count: int
        initiating_user: int | None
        action: str | None
        auth_method: str
        inventory: dict[str, int]
        granted_permissions: list[str]

    class RunStarted(Aggregate.Event):
        provision_id: int
        runner_id: str

    class TaskRecorded(Aggregate.Event):
        provision_id: int
        event_number: int
        event_name: str
        provisioning_status: int
        provisioning_result_json: str

    class CancelRequested(Aggregate.Event):
        provision_id: int
        requested_by: int | None

    class Succeeded(Aggregate.Event):
        provision_id: int
        customer_id: int
        service_id: int | None
        action: str | None

    class Failed(Aggregate.Event):
        provision_id: int
        customer_id: int
        failed_task: str | None
        error: str

    @event(Requested)
    def __init__(
        self,
        *,
        provision_id: int,
        customer_id: int,
        product_id: int | None,
        service_id: int | None,
        provisioning_play: str,
        playbook_description: str,
        provisioning_json_vars: str,
        task_count: int,
        initiating_user: int | None,
        action: str | None,
        auth_method: str,
        inventory: dict[str, int],
        granted_permissions: list[str],
    ) -> None:
        self.provision_id = provision_id
        self.customer_id = customer_id
        self.product_id = product_id
        self.service_id = service_id
        self.provisioning_play = provisioning_play
        self.playbook_description = playbook_description
        self.provisioning_json_vars = provisioning_json_vars
        self.task_count = task_count
        self.initiating_user = initiating_user
        self.action = action
        self.auth_method = auth_method
        self.inventory = dict(inventory)
        self.granted_permissions = list(granted_permissions)
        self.provisioning_status = RUNNING
        self.runner_id: str | None = None
        self.tasks: dict[int, tuple[str, int]] = {}
        self.failed_task: str | None = None
        self.error: str | None = None
        self.cancel_requested = False

    @property
    def finished(self) -> bool:
        return self.provisioning_status != RUNNING

    @property
    def created(self) -> datetime:
        return self.created_on

    def start_run(self, runner_id: str) -> None:
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        self._run_started(provision_id=self.provision_id, runner_id=runner_id)

    @event(RunStarted)
    def _run_started(self, provision_id: int, runner_id: str) -> None:
        self.runner_id = runner_id

    def record_task(self, event_number: int, event_name: str, status: int, result_json: str) -> None:
        """One task's state; a repeat of the last recorded state of that task records nothing."""
        if status not in TASK_STATUSES:
            raise ValueError(f"task status must be one of {TASK_STATUSES}, not {status!r}")
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        if self.tasks.get(event_number) == (event_name, status) and status == RUNNING:
            return
        self._task_recorded(
            provision_id=self.provision_id,
            event_number=event_number,
            event_name=event_name,
            provisioning_status=status,
            provisioning_result_json=result_json,
        )

    @event(TaskRecorded)
    def _task_recorded(
        self,
        provision_id: int,
        event_number: int,
        event_name: str,
        provisioning_status: int,
        provisioning_result_json: str,
    ) -> None:
        self.tasks[event_number] = (event_name, provisioning_status)

    def request_cancel(self, requested_by: int | None) -> None:
        """Ask the runner to stop the play; the job then ends failed. No-op when already asked."""
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        if not self.cancel_requested:
            self._cancel_requested(provision_id=self.provision_id, requested_by=requested_by)

    @event(CancelRequested)
    def _cancel_requested(self, provision_id: int, requested_by: int | None) -> None:
        self.cancel_requested = True

    def succeed(self) -> None:
        """End with status 0; no-op when already successful."""
        if self.provisioning_status == SUCCESS:
            return
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        self._succeeded(
            provision_id=self.provision_id, customer_id=self.customer_id, service_id=self.service_id, action=self.action
        )

    @event(Succeeded)
    def _succeeded(self, provision_id: int, customer_id: int, service_id: int | None, action: str | None) -> None:
        self.provisioning_status = SUCCESS

    def fail(self, failed_task: str | None, error: str) -> None:
        """End with status 2 and the reason; no-op when already failed."""
        if self.provisioning_status == FAILED:
            return
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        self._failed(provision_id=self.provision_id, customer_id=self.customer_id, failed_task=failed_task, error=error)

    @event(Failed)
    def _failed(self, provision_id: int, customer_id: int, failed_task: str | None, error: str) -> None:
        self.provisioning_status = FAILED
        self.failed_task = failed_task
        self.error = error


ALL_EVENTS = (
    Provision.Requested,
    Provision.RunStarted,
    Provision.TaskRecorded,
    Provision.CancelRequested,
    Provision.Succeeded,
    Provision.Failed,
)
