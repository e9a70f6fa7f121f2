"""The CbcMessage aggregate: two-person approval, idempotent delivery by message reference, re-approval after an
update (D113), cancellation at the CBC (D112), each step an event."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from omnibus.cbc.domain import (
    APPROVED,
    CANCELLED,
    PENDING,
    SEND_FAILED,
    SENT,
    CbcMessage,
    CbcMessageCancelledError,
    CbcMessageStateError,
    SelfApprovalError,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
AUTHOR, APPROVER = 1, 2
URL = "http://cbc.example:8080"


def a_message(**overrides: Any) -> CbcMessage:
    fields: dict[str, Any] = {
        "cbc_message_id": 7,
        "cbc_unique_id": "550e8400-e29b-41d4-a716-446655440000",
        "message_identifier": "4380",
        "category": "test",
        "repetition_period": 10,
        "number_of_broadcasts": 3,
        "warning_period_sec": 600,
        "channel_indicator": "basic",
        "localized_messages": [{"language": "en", "messageBody": "Monthly test"}],
        "tracking_areas": [{"tracking_area": "1", "operator": "310-410", "rat_type": "LTE"}],
        "initiating_user": AUTHOR,
    }
    return CbcMessage(id=uuid4(), **fields | overrides)  # type: ignore[call-arg]


def approved(message: CbcMessage | None = None) -> CbcMessage:
    message = message or a_message()
    message.approve(APPROVER, two_person=True, second_factor="step_up_token", second_factor_at=NOW, at=NOW)
    return message


def sent(message: CbcMessage | None = None) -> CbcMessage:
    message = approved(message)
    reference = message.message_reference
    assert reference is not None
    message.start_attempt(reference, URL)
    message.submitted(reference, URL, 201, {"status": "active"}, "send", NOW)
    return message


def event_names(message: CbcMessage) -> list[str]:
    return [type(e).__name__ for e in message.collect_events()]


def test_a_new_message_waits_for_approval_and_has_no_work() -> None:
    message = a_message()

    assert (message.status, message.approving_user, message.due()) == (PENDING, None, None)


def test_the_initiating_user_cannot_approve_their_own_message() -> None:
    message = a_message()
    message.collect_events()

    with pytest.raises(SelfApprovalError):
        message.approve(AUTHOR, two_person=True, second_factor="step_up_token", second_factor_at=NOW, at=NOW)

    assert (message.status, event_names(message)) == (PENDING, [])


def test_without_the_two_person_rule_the_initiator_may_approve() -> None:
    message = a_message()

    message.approve(AUTHOR, two_person=False, second_factor="totp_code", second_factor_at=NOW, at=NOW)

    assert (message.status, message.approving_user) == (APPROVED, AUTHOR)


def test_approval_makes_a_delivery_due_under_a_reference_of_the_approval() -> None:
    message = approved()

    work = message.due()

    assert work is not None and (work.kind, work.attempt, work.ask_first, work.due_at) == ("deliver", 1, False, NOW)
    assert work.message_reference == "550e8400-e29b-41d4-a716-446655440000-r1"


@pytest.mark.parametrize("prepare", [approved, sent])
def test_only_a_pending_message_can_be_approved(prepare: Any) -> None:
    message = prepare()

    with pytest.raises(CbcMessageStateError):
        message.approve(3, two_person=True, second_factor="step_up_token", second_factor_at=NOW, at=NOW)


def test_a_try_after_an_unanswered_one_asks_first_and_keeps_the_reference() -> None:
    message = approved()
    reference = message.message_reference
    assert reference is not None
    message.start_attempt(reference, URL)
    message.attempt_failed(reference, "timed out", None, NOW + timedelta(seconds=2))

    work = message.due()

    assert work is not None and (work.message_reference, work.attempt, work.ask_first) == (reference, 2, True)
    assert work.due_at == NOW + timedelta(seconds=2) and message.last_error == "timed out"


def test_the_cbc_confirming_a_reference_twice_records_it_once() -> None:
    message = sent()
    message.collect_events()
    reference = message.message_reference
    assert reference is not None

    message.submitted(reference, URL, 200, {"duplicate": True}, "status", NOW)

    assert (message.status, message.sent_at, event_names(message), message.due()) == (SENT, NOW, [], None)


def test_a_refusal_ends_in_send_failed_and_a_retry_delivers_the_same_reference_again() -> None:
    message = approved()
    reference = message.message_reference
    assert reference is not None
    message.start_attempt(reference, URL)
    message.submission_failed(reference, "the CBC refused it (HTTP 400): bad area", 400)

    failed_status = message.status
    message.request_retry(APPROVER, NOW)
    work = message.due()

    assert failed_status == SEND_FAILED and message.status == APPROVED
    assert work is not None and (work.message_reference, work.attempt, work.ask_first) == (reference, 1, True)


def test_updating_a_sent_message_clears_its_approval_and_the_next_one_replaces_the_broadcast() -> None:
    message = sent()
    first = message.message_reference
    content = message.content.changed({"localized_messages": [{"language": "en", "messageBody": "UPDATED: test"}]})

    assert message.update(content) is True
    cleared = (message.status, message.approving_user, message.due())
    approved(message)

    assert cleared == (PENDING, None, None)
    assert message.replaces == first and message.message_reference != first
    assert message.message_reference is not None and message.message_reference.endswith("-r2")


def test_an_update_that_changes_nothing_records_nothing() -> None:
    message = sent()
    message.collect_events()

    assert message.update(message.content) is False
    assert (message.status, event_names(message)) == (SENT, [])


def test_a_confirmation_arriving_after_an_update_is_recorded_but_leaves_the_message_pending() -> None:
    message = approved()
    reference = message.message_reference
    assert reference is not None
    message.start_attempt(reference, URL)
    message.update(message.content.changed({"number_of_broadcasts": 5}))

    message.submitted(reference, URL, 201, {}, "send", NOW)

    assert (message.status, message.live_reference, message.due()) == (PENDING, reference, None)


def test_cancelling_before_any_try_touches_nothing_at_the_cbc() -> None:
    message = approved()

    assert message.cancel(AUTHOR, NOW) is True
    assert (message.status, message.deleted_at, message.cancel_status, message.due()) == (CANCELLED, NOW, None, None)


def test_cancelling_a_sent_message_makes_a_cancellation_due_for_its_broadcast() -> None:
    message = sent()
    reference = message.message_reference
    assert reference is not None
    message.cancel(AUTHOR, NOW)

    work = message.due()
    message.cancel_delivered(reference, 200, {"status": "cancelled"})

    assert work is not None and (work.kind, work.message_reference) == ("cancel", reference)
    assert (message.cancel_status, message.due()) == ("delivered", None)


def test_a_try_whose_outcome_is_unknown_is_cancelled_too() -> None:
    message = approved()
    reference = message.message_reference
    assert reference is not None
    message.start_attempt(reference, URL)  # the answer never came

    message.cancel(AUTHOR, NOW)

    assert message.to_cancel == [reference] and message.due() is not None


def test_a_cancellation_the_cbc_did_not_get_can_be_retried() -> None:
    message = sent()
    reference = message.message_reference
    assert reference is not None
    message.cancel(AUTHOR, NOW)
    message.cancel_not_delivered(reference, "no cancel path is configured")

    status = message.cancel_status
    message.request_retry(AUTHOR, NOW)

    assert status == "not_delivered" and message.cancel_status == "pending" and message.to_cancel == [reference]


def test_a_cancelled_message_is_history_it_cannot_change() -> None:
    message = a_message()
    message.cancel(AUTHOR, NOW)

    assert message.cancel(AUTHOR, NOW) is False
    with pytest.raises(CbcMessageCancelledError):
        message.update(message.content.changed({"number_of_broadcasts": 5}))
    with pytest.raises(CbcMessageCancelledError):
        message.approve(APPROVER, two_person=True, second_factor="step_up_token", second_factor_at=NOW, at=NOW)
    with pytest.raises(CbcMessageStateError):
        message.request_retry(AUTHOR, NOW)


def test_stale_outcomes_of_an_old_reference_record_nothing() -> None:
    message = sent()
    old = message.message_reference
    assert old is not None
    message.update(message.content.changed({"number_of_broadcasts": 5}))
    approved(message)
    message.collect_events()

    message.attempt_failed(old, "late", None, NOW)
    message.submission_failed(old, "late", 500)

    assert (event_names(message), message.status) == ([], APPROVED)
