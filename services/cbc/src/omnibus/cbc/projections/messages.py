"""The messages read model: one row per message for lists and filters, and the delivery worker's queue
(``next_attempt_at`` of messages with a delivery or a cancellation to make)."""

from collections.abc import Callable
from typing import Any

from omnibus.cbc.domain import APPROVED, CANCELLED, PENDING, SEND_FAILED, SENT, CbcMessage
from omnibus.cbc.readmodel.tables import messages
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def on_created(e: CbcMessage.Created, rows: Rows) -> None:
    rows(messages).put(
        {
            "cbc_message_id": e.cbc_message_id,
            "cbc_unique_id": e.cbc_unique_id,
            "message_identifier": e.message_identifier,
            "category": e.category,
            "repetition_period": e.repetition_period,
            "number_of_broadcasts": e.number_of_broadcasts,
            "warning_period_sec": e.warning_period_sec,
            "channel_indicator": e.channel_indicator,
            "localized_messages": e.localized_messages,
            "tracking_areas": e.tracking_areas,
            "initiating_user": e.initiating_user,
            "approving_user": None,
            "status": PENDING,
            "created": e.timestamp,
            "approved_at": None,
            "sent_at": None,
            "deleted_at": None,
            "cbc_response": None,
            "message_reference": None,
            "delivery_attempts": 0,
            "last_error": None,
            "delivered_to_cbc": False,
            "cancel_status": None,
            "cancel_references": [],
            "cancel_failed": [],
            "next_attempt_at": None,
            "last_modified": e.timestamp,
        }
    )


def on_updated(e: CbcMessage.Updated, rows: Rows) -> None:
    _set(rows, e, **e.changes, status=PENDING, approving_user=None, approved_at=None, next_attempt_at=None)


def on_approved(e: CbcMessage.Approved, rows: Rows) -> None:
    _set(
        rows,
        e,
        status=APPROVED,
        approving_user=e.approving_user,
        approved_at=e.at,
        message_reference=e.message_reference,
        delivery_attempts=0,
        last_error=None,
        next_attempt_at=e.at,
    )


def on_attempted(e: CbcMessage.SubmissionAttempted, rows: Rows) -> None:
    _set(rows, e, delivery_attempts=e.attempt)


def on_attempt_failed(e: CbcMessage.SubmissionAttemptFailed, rows: Rows) -> None:
    _set(rows, e, last_error=e.reason, next_attempt_at=e.retry_at)


def on_submitted(e: CbcMessage.SubmittedToCbc, rows: Rows) -> None:
    row = rows(messages).get(e.cbc_message_id)
    if row is not None and row["status"] == APPROVED and row["message_reference"] == e.message_reference:
        _set(rows, e, status=SENT, sent_at=e.at, cbc_response=e.cbc_response, last_error=None, next_attempt_at=None)
    else:  # confirmed after the message changed: the row keeps its state
        _set(rows, e)


def on_submission_failed(e: CbcMessage.SubmissionFailed, rows: Rows) -> None:
    _set(rows, e, status=SEND_FAILED, last_error=e.reason, next_attempt_at=None)


def on_retry_requested(e: CbcMessage.RetryRequested, rows: Rows) -> None:
    if e.what == "deliver":
        _set(rows, e, status=APPROVED, delivery_attempts=0, last_error=None, next_attempt_at=e.at)
        return
    row = rows(messages).get(e.cbc_message_id) or {}
    references = list(row.get("cancel_failed") or [])
    _set(rows, e, cancel_status="pending", cancel_references=references, cancel_failed=[], next_attempt_at=e.at)


def on_cancelled(e: CbcMessage.Cancelled, rows: Rows) -> None:
    _set(
        rows,
        e,
        status=CANCELLED,
        deleted_at=e.at,
        delivered_to_cbc=e.delivered_to_cbc,
        cancel_status="pending" if e.references else None,
        cancel_references=list(e.references),
        cancel_failed=[],
        next_attempt_at=e.at if e.references else None,
    )


def on_cancel_attempt_failed(e: CbcMessage.CancelAttemptFailed, rows: Rows) -> None:
    _set(rows, e, last_error=e.reason, next_attempt_at=e.retry_at)


def on_cancel_delivered(e: CbcMessage.CancelDelivered, rows: Rows) -> None:
    _cancel_done(rows, e, failed=False)


def on_cancel_not_delivered(e: CbcMessage.CancelNotDelivered, rows: Rows) -> None:
    _cancel_done(rows, e, failed=True, last_error=e.reason)


def _cancel_done(rows: Rows, e: Any, *, failed: bool, **changes: Any) -> None:
    row = rows(messages).get(e.cbc_message_id)
    if row is None:
        return
    remaining = [r for r in row["cancel_references"] if r != e.message_reference]
    failures = list(row["cancel_failed"]) + ([e.message_reference] if failed else [])
    status = "pending" if remaining else ("not_delivered" if failures else "delivered")
    next_at = row["next_attempt_at"] if remaining else None
    _set(
        rows,
        e,
        cancel_references=remaining,
        cancel_failed=failures,
        cancel_status=status,
        next_attempt_at=next_at,
        **changes,
    )


def _set(rows: Rows, e: Any, **changes: Any) -> None:
    rows(messages).update(e.cbc_message_id, **changes, last_modified=e.timestamp)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    CbcMessage.Created: on_created,
    CbcMessage.Updated: on_updated,
    CbcMessage.Approved: on_approved,
    CbcMessage.SubmissionAttempted: on_attempted,
    CbcMessage.SubmissionAttemptFailed: on_attempt_failed,
    CbcMessage.SubmittedToCbc: on_submitted,
    CbcMessage.SubmissionFailed: on_submission_failed,
    CbcMessage.RetryRequested: on_retry_requested,
    CbcMessage.Cancelled: on_cancelled,
    CbcMessage.CancelAttemptFailed: on_cancel_attempt_failed,
    CbcMessage.CancelDelivered: on_cancel_delivered,
    CbcMessage.CancelNotDelivered: on_cancel_not_delivered,
}


class CbcMessagesProjection(Projection):
    name = "cbc_messages"
    tables = (messages,)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
