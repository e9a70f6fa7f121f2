"""Domain events -> public contracts (provisioning.md §8): published ones map with their fields, private stay."""

from typing import Any

from omnibus.contracts import provisioning as contracts
from omnibus.provisioning.domain import FAILED
from omnibus.provisioning.integration.outbound import to_integration

from .saga_harness import T0  # noqa: TID252
from .test_provision import a_job  # noqa: TID252


def test_a_job_life_maps_to_requested_task_and_failed_contracts() -> None:
    job: Any = a_job(action="deprovision", service_id=9)
    job.start_run("runner-1")
    job.record_task(1, "Create OCS account", FAILED, '{"msg": "refused"}')
    job.end_play("failed", "Create OCS account", "refused", T0)

    published = [to_integration(e) for e in job.collect_events()]

    requested, claimed, task, ended, compensating, failed = published
    assert isinstance(requested, contracts.ProvisionRequested) and requested.inventory == {"SIM Card": 5001}
    assert (requested.action, requested.service_id, requested.task_count) == ("deprovision", 9, 12)
    assert claimed is None and ended is None and compensating is None
    assert isinstance(task, contracts.ProvisionTaskRecorded) and task.provisioning_status == 2
    assert isinstance(failed, contracts.ProvisionFailed) and failed.failed_task == "Create OCS account"
    assert (failed.failed_step, failed.provisioning_play, failed.product_id) == ("run_playbook", "play_psim_only", 42)
    assert "provisioning_result_json" not in task.model_dump()


def test_success_carries_the_customer_and_service() -> None:
    job: Any = a_job(service_id=9)
    job.start_run("runner-1")
    job.end_play("succeeded", None, None, T0)

    succeeded = to_integration(job.collect_events()[-1])

    assert isinstance(succeeded, contracts.ProvisionSucceeded)
    assert (succeeded.provision_id, succeeded.customer_id, succeeded.service_id) == (456, 123, 9)
