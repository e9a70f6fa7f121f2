"""The Provision aggregate: status codes, task records, claims, cancel and the end states (§2.3, D61)."""

from typing import Any

import pytest

from omnibus.platform.eventstore import aggregate_uuid
from omnibus.provisioning.domain import FAILED, RUNNING, SUCCESS, NothingToRunError, Provision, ProvisionFinishedError

from .saga_harness import T0  # noqa: TID252


def a_job(**overrides: Any) -> Provision:
    fields: dict[str, Any] = {
        "provision_id": 456,
        "customer_id": 123,
        "product_id": 42,
        "service_id": None,
        "provisioning_play": "play_psim_only",
        "playbook_description": "OmniCore Service Provisioning 2024",
        "provisioning_json_vars": "{}",
        "task_count": 12,
        "initiating_user": 7,
        "action": None,
        "auth_method": "jwt",
        "inventory": {"SIM Card": 5001},
        "granted_permissions": ["create_provision"],
        **overrides,
    }
    return Provision(id=aggregate_uuid("provision", fields["provision_id"]), **fields)


def test_a_new_job_is_running() -> None:
    job = a_job()

    assert job.provisioning_status == RUNNING
    assert [type(e) for e in job.collect_events()] == [Provision.Requested]


def test_a_task_is_recorded_running_then_with_its_outcome() -> None:
    job = a_job()

    job.record_task(1, "Get product from CRM API", RUNNING, "{}")
    job.record_task(1, "Get product from CRM API", RUNNING, "{}")
    job.record_task(1, "Get product from CRM API", SUCCESS, '{"status": 200}')

    recorded = [e for e in job.collect_events() if isinstance(e, Provision.TaskRecorded)]
    assert [(e.event_number, e.provisioning_status) for e in recorded] == [(1, RUNNING), (1, SUCCESS)]


def test_a_task_status_outside_0_to_3_is_refused() -> None:
    with pytest.raises(ValueError):
        a_job().record_task(1, "x", 4, "{}")


def test_a_job_ends_once() -> None:
    job = a_job()
    job.start_run("runner-1")

    assert job.end_play("failed", "Create OCS account", "refused", T0)
    assert not job.end_play("failed", "Create OCS account", "refused", T0)

    assert (job.provisioning_status, job.failed_task) == (FAILED, "Create OCS account")
    with pytest.raises(ProvisionFinishedError):
        job.start_run("runner-2")
    with pytest.raises(ProvisionFinishedError):
        job.record_task(2, "late", SUCCESS, "{}")
    assert sum(isinstance(e, Provision.Failed) for e in job.collect_events()) == 1


def test_a_claim_names_the_runner_and_a_cancel_is_asked_once() -> None:
    job = a_job()

    job.start_run("runner-1")
    job.request_cancel(7, T0)
    job.request_cancel(7, T0)

    assert (job.runner_id, job.cancel_requested) == ("runner-1", True)
    assert sum(isinstance(e, Provision.CancelRequested) for e in job.collect_events()) == 1


def test_a_play_is_claimed_once() -> None:
    job = a_job()

    job.start_run("runner-1")

    with pytest.raises(NothingToRunError):
        job.start_run("runner-2")
