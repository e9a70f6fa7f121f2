"""Play resolution and task counting (§5.1-§5.2); runner events -> task records (§2.2)."""

import json
from pathlib import Path

import pytest

from omnibus.provisioning.domain import FAILED, FAILED_IGNORED, RUNNING, SUCCESS, InvalidProvisionRequest
from omnibus.provisioning.runner.events import TaskNumbering
from omnibus.provisioning.runner.playbooks import count_tasks, resolve_play

PLAYS = Path(__file__).parents[1] / "plays"
EXAMPLES = Path(__file__).parents[4] / "deploy" / "playbooks"


def test_a_play_resolves_by_name_with_its_description_and_task_count() -> None:
    play = resolve_play(PLAYS, "play_ok")

    assert (play.name, play.description, play.task_count) == ("play_ok", "Test play that succeeds", 3)
    assert resolve_play(PLAYS, "play_ok.yaml").path == play.path


@pytest.mark.parametrize("name", ["../plays/play_ok", "/etc/passwd", "play ok", "", "..", "play_missing"])
def test_names_outside_the_folder_or_unknown_are_refused(name: str) -> None:
    with pytest.raises(InvalidProvisionRequest):
        resolve_play(PLAYS, name)


def test_blocks_count_their_block_rescue_and_always_tasks() -> None:
    tasks = [{"name": "a"}, {"block": [{"name": "b"}, {"name": "c"}], "rescue": [{"name": "d"}], "always": []}]

    assert count_tasks(tasks) == 4
    assert resolve_play(EXAMPLES, "play_simple_service").task_count == 14


def test_every_example_play_resolves_and_counts_its_tasks() -> None:
    plays = sorted(p.stem for p in EXAMPLES.glob("play_*.yaml"))

    counts = {name: resolve_play(EXAMPLES, name).task_count for name in plays}

    assert set(counts) >= {
        "play_local_mobile_sim",
        "play_simple_service",
        "play_topup_charge_then_action",
        "play_topup_monetary",
        "play_monthly_autorenew",
        "play_deprovision",
    }
    assert all(count > 3 for count in counts.values()), counts


def _event(kind: str, uuid: str, task: str = "Create OCS account", **data: object) -> dict[str, object]:
    return {"event": kind, "event_data": {"task_uuid": uuid, "task": task, **data}}


def test_runner_events_become_numbered_task_records() -> None:
    numbering = TaskNumbering(secrets=frozenset({"secret-token"}))

    records = [
        numbering.record_for(_event("playbook_on_task_start", "u1", "Get product")),
        numbering.record_for(_event("runner_on_ok", "u1", "Get product", res={"msg": "secret-token ok"})),
        numbering.record_for(_event("playbook_on_task_start", "u2", "Send SMS")),
        numbering.record_for(_event("runner_on_failed", "u2", "Send SMS", ignore_errors=True, res={"msg": "down"})),
        numbering.record_for(_event("playbook_on_task_start", "u3")),
        numbering.record_for(_event("runner_on_failed", "u3", res={"msg": "refused secret-token"})),
        numbering.record_for({"event": "playbook_on_stats", "event_data": {}}),
    ]

    assert [(r.event_number, r.status) for r in records if r] == [
        (1, RUNNING),
        (1, SUCCESS),
        (2, RUNNING),
        (2, FAILED_IGNORED),
        (3, RUNNING),
        (3, FAILED),
    ]
    assert json.loads(records[1].result_json)["msg"] == "******** ok"  # type: ignore[union-attr]
    assert (numbering.failed_task, numbering.failure) == ("Create OCS account", "refused ********")
