"""Every version of every provisioning event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from eventsourcing.utils import get_topic

from omnibus.contracts import Actor
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.application import NewProvision, ProvisioningApp
from omnibus.provisioning.domain import ALL_EVENTS, FAILED_IGNORED, RUNNING, SUCCESS, SagaPlan
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
REQUEST = NewProvision(
    customer_id=123,
    product_id=42,
    service_id=None,
    provisioning_play="play_psim_only",
    playbook_description="OmniCore Service Provisioning 2024",
    provisioning_json_vars='{"access_token": "********", "customer_id": 123, "product_id": 42, "SIM Card": 5001}',
    task_count=12,
    initiating_user=7,
    action=None,
    auth_method="jwt",
    inventory={"SIM Card": 5001},
    granted_permissions=["create_provision", "view_provision"],
)


def test_every_stored_event_version_still_loads() -> None:
    settings = ServiceSettings(database_url="memory://").for_service("provisioning")
    app = ProvisioningApp(env=eventstore_env(settings, "provisioning"))
    actor = Actor(user_id=7, auth_method="jwt", client_ip="192.0.2.1")
    plan = SagaPlan(["reserve_inventory", "run_playbook"], "Mobile_0123456789ab", None, "play_psim_only", 60, 1, True)
    with command_context(CommandContext(actor=actor, correlation_id="sample", causation_id="sample")):
        done = app.request_provision(REQUEST, plan).provision_id
        app.record_answer(done, f"provision-{done}/reserve_inventory/0", "completed", {"inventory_id": 5001}, None)
        app.claim_run(done, "runner-sample")
        app.record_task(done, 1, "Get product from CRM API", RUNNING, "{}")
        app.record_task(done, 1, "Get product from CRM API", SUCCESS, '{"status": 200}')
        app.record_task(done, 2, "Send SMS", FAILED_IGNORED, '{"msg": "down"}')
        app.end_play(done, "succeeded", None, None)
        failed = app.request_provision(REQUEST, plan).provision_id
        app.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
        app.time_out(failed)  # the reservation timed out: released
        app.record_answer(failed, f"provision-{failed}/release_inventory/0", "completed", {}, None)
        app.request_cancel(app.request_provision(REQUEST).provision_id, 7)  # a job before the saga: cancelled
    recorded = app.store.select_notifications(1, 1000)

    assert {n.topic for n in recorded} >= {get_topic(cls) for cls in ALL_EVENTS}, "the scenario misses an event"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []
