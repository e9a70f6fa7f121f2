"""The jobs read model: one row per provision job and one per task event, for lists, polling and the stream."""

from collections.abc import Callable
from typing import Any

from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows
from omnibus.provisioning.domain import RUNNING, Provision
from omnibus.provisioning.readmodel.tables import provision_events, provisions


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


def on_failed(e: Provision.Failed, rows: Rows) -> None:
    rows(provisions).update(
        e.provision_id,
        provisioning_status=2,
        run_state="finished",
        failed_task=e.failed_task,
        error=e.error,
        last_modified=e.timestamp,
    )


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Provision.Requested: on_requested,
    Provision.RunStarted: on_run_started,
    Provision.TaskRecorded: on_task_recorded,
    Provision.CancelRequested: on_cancel_requested,
    Provision.Succeeded: on_succeeded,
    Provision.Failed: on_failed,
}


class ProvisionJobsProjection(Projection):
    name = "provision_jobs"
    tables = (provisions, provision_events)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
