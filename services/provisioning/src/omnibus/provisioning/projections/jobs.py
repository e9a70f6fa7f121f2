"""The jobs read model: one row per provision job and one per task event, for lists, polling and the stream."""

from collections.abc import Callable
from typing import Any

from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows
from omnibus.provisioning.domain import RUNNING, Provision
from omnibus.provisioning.readmodel.tables import provision_commands, provision_events, provision_sagas, provisions


def on_requested(e: Provision.Requested, rows: Rows) -> None:
    rows(provisions).put(
        {
            "provision_id": e.provision_id,
            "customer_id": e.customer_id,
            "product_id": e.product_id,
            "service_id": e.service_id,
            "provisioning_play": e.provisioning_play,
            "playbook_description": e.playbook_description,
            "provisioning_json_vars": e.provisioning_json_vars,
            "provisioning_status": RUNNING,
            "task_count": e.task_count,
            "completed_tasks": 0,
            "initiating_user": e.initiating_user,
            "action": e.action,
            "auth_method": e.auth_method,
            "inventory": e.inventory,
            "run_state": "queued",
            "cancel_requested": False,
            "created": e.timestamp,
            "last_modified": e.timestamp,
        }
    )


def on_saga_planned(e: Provision.SagaPlanned, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, run_state="waiting", last_modified=e.timestamp)
    rows(provision_sagas).put(
        {
            "provision_id": e.provision_id,
            "phase": "forward",
            "steps": e.steps,
            "current_step": None,
            "service_uuid": e.service_uuid,
            "service_id": None,
            "failed_step": None,
            "compensations": [],
            "last_modified": e.timestamp,
        }
    )


def on_step_started(e: Provision.StepStarted, rows: Rows) -> None:
    rows(provision_sagas).update(e.provision_id, current_step=e.step, phase=e.phase, last_modified=e.timestamp)


def on_command_issued(e: Provision.CommandIssued, rows: Rows) -> None:
    previous = rows(provision_commands).get(e.provision_id, e.command_id)
    rows(provision_commands).put(
        {
            "provision_id": e.provision_id,
            "command_id": e.command_id,
            "step": e.step,
            "target": e.target,
            "name": e.name,
            "status": "issued",
            "attempt": e.attempt,
            "deadline": e.deadline,
            "reason": None,
            "issued": previous["issued"] if previous else e.timestamp,
            "last_modified": e.timestamp,
        }
    )


def on_command_answered(e: Provision.CommandAnswered, rows: Rows) -> None:
    rows(provision_commands).update(
        e.provision_id, e.command_id, status=e.outcome, reason=e.reason, deadline=None, last_modified=e.timestamp
    )
    if e.outcome == "completed" and e.step == "activate_service":
        rows(provision_sagas).update(e.provision_id, service_id=e.result.get("service_id"), last_modified=e.timestamp)


def on_command_timed_out(e: Provision.CommandTimedOut, rows: Rows) -> None:
    rows(provision_commands).update(
        e.provision_id, e.command_id, status="timed_out", deadline=None, last_modified=e.timestamp
    )


def on_compensation_started(e: Provision.CompensationStarted, rows: Rows) -> None:
    rows(provision_sagas).update(
        e.provision_id, phase="compensating", failed_step=e.failed_step, current_step=None, last_modified=e.timestamp
    )
    _abandon(e.provision_id, e.abandoned, rows, e.timestamp)


def on_compensation_ended(e: Provision.CompensationEnded, rows: Rows) -> None:
    saga = rows(provision_sagas).get(e.provision_id)
    if saga is not None:
        done = [*saga["compensations"], {"action": e.action, "outcome": e.outcome, "reason": e.reason}]
        rows(provision_sagas).update(e.provision_id, compensations=done, last_modified=e.timestamp)
    _abandon(e.provision_id, e.abandoned, rows, e.timestamp)


def _abandon(provision_id: int, command_ids: list[str], rows: Rows, at: Any) -> None:
    """Commands no longer awaited (their step failed meanwhile): the deadline sweeper leaves them."""
    for command_id in command_ids:
        rows(provision_commands).update(provision_id, command_id, status="abandoned", deadline=None, last_modified=at)


def on_play_queued(e: Provision.PlayQueued, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, run_state="queued", last_modified=e.timestamp)


def on_play_ended(e: Provision.PlayEnded, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, run_state="waiting", last_modified=e.timestamp)


def on_run_started(e: Provision.RunStarted, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, run_state="running", runner_id=e.runner_id, last_modified=e.timestamp)


def on_task_recorded(e: Provision.TaskRecorded, rows: Rows) -> None:
    previous = rows(provision_events).get(e.provision_id, e.event_number)
    rows(provision_events).put(
        {
            "provision_id": e.provision_id,
            "event_number": e.event_number,
            "event_name": e.event_name,
            "provisioning_status": e.provisioning_status,
            "provisioning_result_json": e.provisioning_result_json,
            "timestamp": e.timestamp,
        }
    )
    newly_done = e.provisioning_status != RUNNING and (previous is None or previous["provisioning_status"] == RUNNING)
    job = rows(provisions).get(e.provision_id)
    if job is not None:
        done = job["completed_tasks"] + (1 if newly_done else 0)
        rows(provisions).update(e.provision_id, completed_tasks=done, last_modified=e.timestamp)


def on_cancel_requested(e: Provision.CancelRequested, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, cancel_requested=True, last_modified=e.timestamp)


def on_succeeded(e: Provision.Succeeded, rows: Rows) -> None:
    rows(provisions).update(e.provision_id, provisioning_status=0, run_state="finished", last_modified=e.timestamp)
    rows(provision_sagas).update(e.provision_id, phase="ended", current_step=None, last_modified=e.timestamp)


def on_failed(e: Provision.Failed, rows: Rows) -> None:
    rows(provisions).update(
        e.provision_id,
        provisioning_status=2,
        run_state="finished",
        failed_task=e.failed_task,
        error=e.error,
        last_modified=e.timestamp,
    )
    rows(provision_sagas).update(e.provision_id, phase="ended", current_step=None, last_modified=e.timestamp)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Provision.Requested: on_requested,
    Provision.SagaPlanned: on_saga_planned,
    Provision.StepStarted: on_step_started,
    Provision.CommandIssued: on_command_issued,
    Provision.CommandAnswered: on_command_answered,
    Provision.CommandTimedOut: on_command_timed_out,
    Provision.CompensationStarted: on_compensation_started,
    Provision.CompensationEnded: on_compensation_ended,
    Provision.PlayQueued: on_play_queued,
    Provision.PlayEnded: on_play_ended,
    Provision.RunStarted: on_run_started,
    Provision.TaskRecorded: on_task_recorded,
    Provision.CancelRequested: on_cancel_requested,
    Provision.Succeeded: on_succeeded,
    Provision.Failed: on_failed,
}


class ProvisionJobsProjection(Projection):
    name = "provision_jobs"
    tables = (provisions, provision_events, provision_sagas, provision_commands)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
