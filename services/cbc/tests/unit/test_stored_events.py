"""Every version of every cell broadcast event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from omnibus.cbc.application import CbcApp
from omnibus.cbc.domain import CbcMessage, MessageContent
from omnibus.contracts import Actor
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
URL = "http://cbc.sample:8080"
CONTENT = MessageContent(
    message_identifier="4380",
    category="test",
    repetition_period=10,
    number_of_broadcasts=3,
    warning_period_sec=600,
    channel_indicator="basic",
    localized_messages=({"language": "en", "messageBody": "Monthly test"},),
    tracking_areas=({"tracking_area": "1", "operator": "310-410", "rat_type": "LTE"},),
)


def _scenario(app: CbcApp) -> None:
    first = app.create_message(CONTENT, 1).cbc_message_id
    app.update_message(first, {"number_of_broadcasts": 5})
    reference = _approve(app, first)
    app.start_attempt(first, reference, URL)
    app.record_attempt_failed(first, reference, "timed out", None, NOW + timedelta(seconds=2))
    app.start_attempt(first, reference, URL)
    app.record_submission_failed(first, reference, "refused", 400)
    app.request_retry(first, 2)
    app.start_attempt(first, reference, URL)
    app.record_submitted(first, reference, URL, 201, {"status": "active"}, "send")
    app.cancel_message(first, 1)
    app.record_cancel_attempt_failed(first, reference, "unreachable", None, NOW)
    app.record_cancel_delivered(first, reference, 200, {"status": "cancelled"})
    second = app.create_message(CONTENT, 1).cbc_message_id
    reference = _approve(app, second)
    app.start_attempt(second, reference, URL)
    app.cancel_message(second, 1)
    app.record_cancel_not_delivered(second, reference, "no cancel path")


def _approve(app: CbcApp, cbc_message_id: int) -> str:
    message = app.approve_message(cbc_message_id, 2, second_factor="step_up_token", second_factor_at=NOW)
    assert message.message_reference is not None
    return message.message_reference


def test_every_stored_event_version_still_loads() -> None:
    app = CbcApp(env=eventstore_env(ServiceSettings(database_url="memory://").for_service("cbc"), "cbc"))
    with command_context(CommandContext(actor=Actor(user_id=7, auth_method="jwt"), correlation_id="sample")):
        _scenario(app)
    recorded = app.store.select_notifications(1, 100_000)
    classes = [v for v in vars(CbcMessage).values() if isinstance(v, type) and issubclass(v, Aggregate.Event)]
    expected = {get_topic(c) for c in classes if c.__name__ not in ("Event", "Created")} | {
        get_topic(CbcMessage.Created)
    }

    assert {n.topic for n in recorded} >= expected, f"the scenario misses {expected - {n.topic for n in recorded}}"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []
