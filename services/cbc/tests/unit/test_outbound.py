"""Domain events -> published contracts (cbc.md §8): the spec's names and fields; tries stay private."""

from datetime import UTC, datetime
from typing import Any

from omnibus.cbc.application import CbcApp
from omnibus.cbc.domain import MessageContent
from omnibus.cbc.integration.outbound import to_integration
from omnibus.contracts import REGISTRY
from omnibus.contracts import cbc as c
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONTENT = MessageContent(
    message_identifier="4370",
    category="emergency",
    repetition_period=10,
    number_of_broadcasts=999,
    warning_period_sec=3600,
    channel_indicator="basic",
    localized_messages=({"language": "en", "messageBody": "Earthquake"},),
    tracking_areas=({"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"},),
)


def _published(app: CbcApp) -> list[Any]:
    events = [app.mapper.to_domain_event(n) for n in app.store.select_notifications(1, 1000)]
    return [to_integration(e) for e in events]


def _app() -> CbcApp:
    return CbcApp(env=eventstore_env(ServiceSettings(database_url="memory://").for_service("cbc"), "cbc"))


def test_a_message_delivered_and_cancelled_publishes_the_spec_events_in_order() -> None:
    app = _app()
    message_id = app.create_message(CONTENT, 11).cbc_message_id
    ref = app.approve_message(message_id, 22, second_factor="totp_code", second_factor_at=NOW).message_reference
    assert ref is not None
    app.start_attempt(message_id, ref, "http://cbc:8080")
    app.record_attempt_failed(message_id, ref, "timed out", None, NOW)
    app.start_attempt(message_id, ref, "http://cbc:8080")
    app.record_submitted(message_id, ref, "http://cbc:8080", 201, {}, "status")
    app.cancel_message(message_id, 11)
    app.record_cancel_delivered(message_id, ref, 200, {})

    published = [p for p in _published(app) if p is not None]

    assert [type(p).__name__ for p in published] == [
        "CbcMessageCreated",
        "CbcMessageApproved",
        "CbcMessageSubmittedToCbc",
        "CbcMessageCancelled",
        "CbcCancelDelivered",
    ]
    created, approved, submitted, cancelled, _ = published
    assert created.messageIdentifier == "4370" and created.initiating_user == 11
    assert created.localized_messages == [c.LocalizedMessage(language="en", messageBody="Earthquake")]
    assert (approved.approving_user, approved.totp_verified, approved.message_reference) == (22, True, ref)
    assert (submitted.http_status, submitted.cbc_url) == (201, "http://cbc:8080")
    assert (cancelled.by_user, cancelled.delivered_to_cbc) == (11, True)


def test_an_update_publishes_only_the_changed_fields_by_their_api_names() -> None:
    app = _app()
    message_id = app.create_message(CONTENT, 11).cbc_message_id
    app.update_message(
        message_id,
        {"number_of_broadcasts": 500, "localized_messages": [{"language": "en", "messageBody": "UPDATED: Earthquake"}]},
    )

    updated = _published(app)[-1]

    assert isinstance(updated, c.CbcMessageUpdated)
    assert (updated.changed_fields, updated.numberOfBroadcasts, updated.category) == (
        ["localized_messages", "numberOfBroadcasts"],
        500,
        None,
    )
    assert updated.approval_cleared is False


def test_a_failed_submission_and_an_undelivered_cancel_are_published_with_their_reasons() -> None:
    app = _app()
    message_id = app.create_message(CONTENT, 11).cbc_message_id
    ref = app.approve_message(message_id, 22, second_factor="totp_code", second_factor_at=NOW).message_reference
    assert ref is not None
    app.start_attempt(message_id, ref, "http://cbc:8080")
    app.record_submission_failed(message_id, ref, "refused", 400)
    app.cancel_message(message_id, 11)
    app.record_cancel_not_delivered(message_id, ref, "no cancel path")

    failed, cancelled, not_delivered = [p for p in _published(app) if p is not None][-3:]

    assert (failed.reason, failed.http_status, failed.attempts) == ("refused", 400, 1)
    assert cancelled.delivered_to_cbc is True
    assert (not_delivered.reason, not_delivered.message_reference) == ("no cancel path", ref)


def test_every_published_cbc_contract_is_registered() -> None:
    assert {cls.event_type() for cls in c.PUBLISHED} <= {cls.event_type() for cls in REGISTRY.by_context("cbc")}
