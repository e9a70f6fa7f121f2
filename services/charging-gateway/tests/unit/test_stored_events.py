"""Every version of every charging event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from eventsourcing.utils import get_topic

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSClient
from omnibus.charging_gateway.domain import (
    ALL_EVENTS,
    LeftBehindAccount,
    OcsAccount,
    ProxyCall,
    account_uuid,
    left_behind_id,
)
from omnibus.charging_gateway.emulator.engine import Clock, Engine
from omnibus.charging_gateway.emulator.server import EmulatorTransport
from omnibus.contracts import Actor
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
NOW = datetime(2026, 1, 15, 10, tzinfo=UTC)
PLAN = "ServiceID_SVC_1__ProductID_5__CustomerID_9__MonthlyRenewal"
TOPUP = {"operation": "add", "balance_type": "*data", "value": 1024.0, "balance_id": "DATA", "expiry": "+720h"}


def test_every_stored_event_version_still_loads() -> None:
    settings = ServiceSettings(database_url="memory://").for_service("charging-gateway")
    ocs = CGRateSClient("http://cgrates", "cgrates.org", transport=EmulatorTransport(Engine(Clock(NOW))))
    app = ChargingApp(eventstore_env(settings, ChargingApp.name), ocs, notify_url="http://crm/notify")
    actor = Actor(user_id=7, auth_method="jwt", client_ip="192.0.2.1")
    with command_context(CommandContext(actor=actor, correlation_id="sample", causation_id="sample")):
        account = OcsAccount(
            id=account_uuid("SVC_1"), service_uuid="SVC_1", tenant="cgrates.org", allow_negative=False, disabled=False
        )
        account.disable("service 12 suspended")
        account.enable("service 12 resumed")
        account.request_topup("k1", TOPUP, NOW, timedelta(seconds=30))
        account.topup_applied("k1")
        account.request_topup("k2", {**TOPUP, "value": 1.0}, NOW, timedelta(seconds=30))
        account.topup_failed("k2", "PARTIALLY_EXECUTED")
        account.attach_plan(PLAN, "Action_renew", "2026-02-01T00:00:00Z")
        account.observe_plan(PLAN, "Action_renew", "2026-03-01T00:00:00Z", NOW + timedelta(days=20))
        account.request_renewal(PLAN, 12, "7")
        account.attach_triggers(["TRG_SVC_1"])
        account.triggers_reset()
        signal = {
            "kind": "low",
            "signal_key": "low_data_any@2026-01-15T10:00:00Z",
            "balance_type": "*data",
            "balance_id": "DATA",
            "value": 50.0,
            "threshold": 100.0,
            "expiry": None,
        }
        account.signal(signal, "callback", 12)
        account.record_usage("u1", "*data", 950, "", "data", "2026-01-15T10:00:00Z")
        account.detach_plan(PLAN, "7", 12)
        account.remove()
        account.reopen("cgrates.org", False, False)
        call = ProxyCall(
            id=uuid4(),
            user_id="7",
            method="APIerSv1.GetAttributeProfile",
            params=[{"Tenant": "cgrates.org", "ID": "ATTR_ACCOUNT_SVC_1"}],
            customer_id=9,
            service_id=12,
            tenant="cgrates.org",
            result_status="ok",
        )
        alert = LeftBehindAccount(
            id=left_behind_id("SVC_2", 13),
            service_uuid="SVC_2",
            service_id=13,
            tenant="cgrates.org",
            action_plan_ids=["ServiceID_SVC_2__ProductID_5__MonthlyRenewal"],
            balance_types=["*data"],
        )
        app.save(account, call, alert)
    recorded = app.store.select_notifications(1, 1000)

    assert {n.topic for n in recorded} >= {get_topic(cls) for cls in ALL_EVENTS}, "the scenario misses an event"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []
