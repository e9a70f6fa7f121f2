"""A restart loses no job: a queued job runs after it; a run it interrupted ends failed with the reason (worker.py).

Each test runs on the embedded store and on a fresh PostgreSQL database (``integration``).
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.application import INTERRUPTED, NewProvision, ProvisioningApp
from omnibus.testing.helpers import eventually


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")


@pytest.fixture
def started(store: str, start_service: Callable[..., Any]) -> Callable[..., Any]:
    return lambda: start_service(store)


def test_a_job_queued_while_the_service_was_down_runs_when_it_starts(store: str, started: Callable[..., Any]) -> None:
    offline = ProvisioningApp(
        env=eventstore_env(ServiceSettings(database_url=store).for_service("provisioning"), "provisioning")
    )
    job = offline.request_provision(_request("play_ok"))
    offline.close()

    with started() as api:
        finished = api.finished(job.provision_id)

    assert finished["provisioning_status"] == 0


def test_a_run_interrupted_by_a_restart_ends_failed_with_the_reason(started: Callable[..., Any]) -> None:
    with started() as api:
        provision_id = api.provision({"customer_id": 1, "provisioning_play": "play_slow"})
        eventually(lambda: _assert_running(api.job(provision_id)), timeout=20)

    with started() as api:
        job = api.finished(provision_id)

    assert (job["provisioning_status"], job["error"]) == (2, INTERRUPTED)


def _assert_running(job: dict[str, Any]) -> None:
    assert [e["provisioning_status"] for e in job["provisioning_result_json"]] == [1]


def _request(play: str) -> NewProvision:
    return NewProvision(
        customer_id=1,
        product_id=None,
        service_id=None,
        provisioning_play=play,
        playbook_description="Test play that succeeds",
        provisioning_json_vars='{"customer_id": 1}',
        task_count=3,
        initiating_user=7,
        action=None,
        auth_method="jwt",
        inventory={},
        granted_permissions=["admin"],
    )
