"""Top-ups whose outcome is unknown (a timeout after sending) are verified in CGRateS before anything is re-sent
(cgrates-reference.md §9): applied at most once, whatever the retries."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSClient, OutcomeUnknown, Unavailable
from omnibus.charging_gateway.domain import TopupInProgressError
from omnibus.charging_gateway.emulator.engine import Clock, Engine
from omnibus.charging_gateway.emulator.server import EmulatorTransport

START = datetime(2026, 1, 15, 10, tzinfo=UTC)
REQUEST = {
    "operation": "add",
    "balance_type": "*monetary",
    "value": 500.0,
    "balance_id": "prepaid_credit",
    "expiry": None,
    "weight": None,
    "blocker": False,
    "destination_ids": None,
    "rearm_triggers": False,
}


class Flaky(httpx.BaseTransport):
    """Forwards to the emulator; for the methods in ``lose`` it applies then loses the answer (``after=True``) or
    loses the request itself (``after=False``), once each."""

    def __init__(self, engine, lose, after=True):
        self.inner = EmulatorTransport(engine)
        self.lose = set(lose)
        self.after = after
        self.sent = []

    def handle_request(self, request):
        method = httpx.Response(200, content=request.read()).json()["method"]
        self.sent.append(method)
        if method in self.lose:
            self.lose.discard(method)
            if self.after:
                self.inner.handle_request(request)
            raise httpx.ReadTimeout("timed out", request=request)
        return self.inner.handle_request(request)


class Now:
    def __init__(self):
        self.value = START

    def __call__(self):
        return self.value


def make(lose=(), after=True, cdrlog=True):
    engine = Engine(Clock(START))
    transport = Flaky(engine, lose, after)
    client = CGRateSClient("http://cgrates", "cgrates.org", retries=2, backoff=0, transport=transport)
    now = Now()
    app = ChargingApp(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        client,
        notify_url="http://crm/notify",
        clock=now,
        topup_cdrlog=cdrlog,
    )
    app.create_account("SVC_1")
    return app, engine, transport, now


def credit(engine):
    return [b["Value"] for b in engine.accounts["cgrates.org:SVC_1"].to_json()["BalanceMap"]["*monetary"]]


def test_a_lost_answer_is_verified_in_the_cdrs_and_never_applied_twice():
    app, engine, transport, now = make(lose={"ApierV1.AddBalance"})

    with pytest.raises(OutcomeUnknown):
        app.top_up("SVC_1", "pay-1", REQUEST)
    with pytest.raises(TopupInProgressError):
        app.top_up("SVC_1", "pay-1", REQUEST)  # too early: the first attempt may still be running
    now.value += timedelta(minutes=1)
    result = app.top_up("SVC_1", "pay-1", REQUEST)

    assert result == {"status": "applied", "duplicate": True}
    assert credit(engine) == [500]
    assert transport.sent.count("ApierV1.AddBalance") == 1  # never re-sent
    assert app.get_account("SVC_1").topup_status("pay-1") == "applied"


def test_a_lost_request_is_found_missing_and_sent_again_once():
    app, engine, transport, now = make(lose={"ApierV1.AddBalance"}, after=False)

    with pytest.raises(OutcomeUnknown):
        app.top_up("SVC_1", "pay-1", REQUEST)
    now.value += timedelta(minutes=1)
    result = app.top_up("SVC_1", "pay-1", REQUEST)
    again = app.top_up("SVC_1", "pay-1", REQUEST)

    assert result == {"status": "applied", "duplicate": False}
    assert again == {"status": "applied", "duplicate": True}
    assert credit(engine) == [500]


def test_without_cdrlog_an_unknown_outcome_is_never_resent():
    app, engine, _, now = make(lose={"ApierV1.AddBalance"}, cdrlog=False)

    with pytest.raises(OutcomeUnknown):
        app.top_up("SVC_1", "pay-1", REQUEST)
    now.value += timedelta(minutes=1)

    with pytest.raises(TopupInProgressError, match="outcome of top-up 'pay-1' is unknown"):
        app.top_up("SVC_1", "pay-1", REQUEST)
    assert credit(engine) == [500]


def test_idempotent_reads_are_retried_after_a_timeout_but_top_ups_are_not():
    engine = Engine(Clock(START))
    transport = Flaky(engine, {"ApierV2.GetAccount"})
    client = CGRateSClient("http://cgrates", "cgrates.org", retries=2, backoff=0, transport=transport)
    client.set_account("A")

    assert client.get_account("A")["ID"] == "cgrates.org:A"
    assert transport.sent.count("ApierV2.GetAccount") == 2


def test_an_unreachable_cgrates_is_retried_then_reported_unavailable_and_releases_the_key():
    client = CGRateSClient("http://127.0.0.1:9", "cgrates.org", retries=1, backoff=0, timeout=0.5)
    engine = Engine(Clock(START))
    good = CGRateSClient("http://cgrates", "cgrates.org", transport=EmulatorTransport(engine))
    app = ChargingApp(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, good, notify_url="http://crm/notify", clock=lambda: START
    )
    app.create_account("SVC_1")
    app.ocs = client

    with pytest.raises(Unavailable):
        app.top_up("SVC_1", "pay-1", REQUEST)
    app.ocs = good
    result = app.top_up("SVC_1", "pay-1", REQUEST)

    assert app.get_account("SVC_1").topup_status("pay-1") == "applied" and result["duplicate"] is False
