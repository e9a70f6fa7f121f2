"""The CBC stand-in over HTTP (``omnibus emulate cbc``): validates, de-duplicates, records, cancels, expires,
and fails on request."""

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from omnibus.cbc.standin import CbcStandIn
from omnibus.testing.helpers import eventually


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[CbcStandIn]:
    running = CbcStandIn(state_file=tmp_path / "state.json").start()
    try:
        yield running
    finally:
        running.stop()


def a_broadcast(reference: str = "ref-1", **overrides: Any) -> dict[str, Any]:
    body = {
        "message_reference": reference,
        "replaces": None,
        "messageIdentifier": "4380",
        "category": "test",
        "repetitionPeriod": 10,
        "numberOfBroadcasts": 3,
        "warningPeriodSec": 600,
        "channelIndicator": "basic",
        "localized_messages": [{"language": "en", "messageBody": "Test", "encoding": "GSM7", "pages": 1}],
        "tracking_areas": [{"tracking_area": "1", "operator": "310-410", "rat_type": "LTE"}],
    }
    return body | overrides


def test_a_broadcast_is_accepted_recorded_and_readable(standin: CbcStandIn) -> None:
    sent = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast(), headers={"Idempotency-Key": "ref-1"})
    read = httpx.get(f"{standin.url}/alerts/ref-1")
    listed = httpx.get(f"{standin.url}/alerts").json()

    assert sent.status_code == 201 and sent.json()["status"] == "active" and sent.json()["broadcast_id"] == 1
    assert read.json()["message_reference"] == "ref-1" and read.json()["languages"] == ["en"]
    assert [a["message_reference"] for a in listed["alerts"]] == ["ref-1"]
    assert httpx.get(f"{standin.url}/alerts/unknown").status_code == 404


def test_the_same_reference_again_answers_the_first_broadcast_and_other_content_is_409(standin: CbcStandIn) -> None:
    httpx.post(f"{standin.url}/alerts/send", json=a_broadcast())

    again = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast())
    other = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast(category="other"))

    assert (again.status_code, again.json()["duplicate"], again.json()["broadcast_id"]) == (200, True, 1)
    assert other.status_code == 409 and len(standin.broadcasts()) == 1


def _without(body: dict[str, Any], *path: Any) -> dict[str, Any]:
    broken = copy.deepcopy(body)
    target = broken
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return broken


@pytest.mark.parametrize(
    "body",
    [
        _without(a_broadcast(), "message_reference"),
        a_broadcast(messageIdentifier=4380),
        a_broadcast(warningPeriodSec=0),
        a_broadcast(repetitionPeriod="10"),
        a_broadcast(localized_messages=[]),
        _without(a_broadcast(), "localized_messages", 0, "encoding"),
        a_broadcast(localized_messages=[{"language": "en", "messageBody": "x", "encoding": "GSM7", "pages": 16}]),
        a_broadcast(tracking_areas=[{"tracking_area": "1", "operator": "310-410", "rat_type": "6G"}]),
        [1, 2],
    ],
)
def test_an_invalid_broadcast_is_400_and_not_recorded(standin: CbcStandIn, body: Any) -> None:
    response = httpx.post(f"{standin.url}/alerts/send", json=body)

    assert response.status_code == 400, response.text
    assert standin.broadcasts() == []


def test_an_idempotency_key_other_than_the_reference_is_400(standin: CbcStandIn) -> None:
    response = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast(), headers={"Idempotency-Key": "other"})

    assert response.status_code == 400


def test_cancel_stops_an_active_broadcast_and_repeating_it_changes_nothing(standin: CbcStandIn) -> None:
    httpx.post(f"{standin.url}/alerts/send", json=a_broadcast())

    first = httpx.post(f"{standin.url}/alerts/cancel", json={"message_reference": "ref-1"})
    again = httpx.post(f"{standin.url}/alerts/cancel", json={"message_reference": "ref-1"})
    unknown = httpx.post(f"{standin.url}/alerts/cancel", json={"message_reference": "nope"})
    bad = httpx.post(f"{standin.url}/alerts/cancel", json={})

    assert first.json()["status"] == "cancelled" and first.json()["cancelled_at"] is not None
    assert again.json()["cancelled_at"] == first.json()["cancelled_at"]
    assert (unknown.status_code, bad.status_code) == (404, 400)


def test_a_broadcast_replacing_another_ends_it_and_one_past_its_warning_period_has_expired(standin) -> None:
    httpx.post(f"{standin.url}/alerts/send", json=a_broadcast("r1"))
    httpx.post(f"{standin.url}/alerts/send", json=a_broadcast("r2", replaces="r1", warningPeriodSec=1))

    statuses = lambda: {a["message_reference"]: a["status"] for a in standin.broadcasts()}  # noqa: E731

    assert statuses()["r1"] == "replaced"
    eventually(lambda: _expired(statuses()["r2"]), timeout=5)


def _expired(status: str) -> None:
    assert status == "expired"


def test_faults_can_be_asked_for_over_http(standin: CbcStandIn) -> None:
    asked = httpx.post(f"{standin.url}/_standin/faults", json={"operation": "send", "mode": "error", "status": 500})
    failed = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast())
    then = httpx.post(f"{standin.url}/alerts/send", json=a_broadcast())
    bad = httpx.post(f"{standin.url}/_standin/faults", json={"operation": "send", "mode": "explode"})

    assert asked.status_code == 200 and failed.status_code == 500 and then.status_code == 201
    assert bad.status_code == 400


def test_a_slow_cbc_acts_before_it_answers_late(standin: CbcStandIn) -> None:
    standin.fail_next("send", "slow", delay=1.0)

    with pytest.raises(httpx.TimeoutException):
        httpx.post(f"{standin.url}/alerts/send", json=a_broadcast(), timeout=0.2)

    assert [b["message_reference"] for b in standin.broadcasts()] == ["ref-1"]


def test_the_broadcasts_survive_a_restart_in_the_state_file(tmp_path: Path) -> None:
    first = CbcStandIn(state_file=tmp_path / "state.json").start()
    httpx.post(f"{first.url}/alerts/send", json=a_broadcast())
    first.stop()

    second = CbcStandIn(state_file=tmp_path / "state.json").start()
    try:
        found = httpx.get(f"{second.url}/alerts/ref-1")
    finally:
        second.stop()

    assert found.status_code == 200


def test_omnibus_emulate_cbc_serves_the_stand_in(tmp_path: Path) -> None:
    from omnibus.testing.processes import free_port

    port = free_port()
    command = [sys.executable, "-m", "omnibus.platform.cli", "emulate", "cbc", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        response = eventually(lambda: _post(f"http://127.0.0.1:{port}/alerts/send", a_broadcast()), 20)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert response.status_code == 201


def _post(url: str, body: Any) -> httpx.Response:
    try:
        return httpx.post(url, json=body)
    except httpx.ConnectError as error:  # not listening yet
        raise AssertionError(error) from None
