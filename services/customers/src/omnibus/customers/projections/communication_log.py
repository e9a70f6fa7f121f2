"""The communication log (customers.md §2.8): one row per communication with its status, kept from its events.

It is what ``GET /crm/communication/...`` lists, and the dispatcher's index of what is due: ``requested`` rows
whose ``next_attempt_at`` has come, and ``sending`` rows whose attempt started long ago (an interrupted attempt).
"""

from collections.abc import Callable
from typing import Any

from omnibus.customers.domain import Communication
from omnibus.customers.readmodel.tables import communications
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def on_requested(e: Communication.Requested, rows: Rows) -> None:
    trigger = e.trigger or {}
    rows(communications).put(
        {
            "communication_id": e.communication_id,
            "customer_id": e.customer_id,
            "channel": e.channel,
            "template_key": e.template_key,
            "template_id": e.template_id,
            "to_address": e.to,
            "subject": e.subject,
            "variables": e.variables,
            "message": e.message,
            "related": e.related,
            "trigger_event_type": trigger.get("event_type"),
            "trigger_event_id": trigger.get("event_id"),
            "status": "requested",
            "attempts": 0,
            "created": e.timestamp,
            "last_modified": e.timestamp,
        }
    )


def on_attempt_started(e: Communication.AttemptStarted, rows: Rows) -> None:
    rows(communications).update(
        e.communication_id,
        status="sending",
        attempts=e.attempt,
        attempt_started_at=e.timestamp,
        next_attempt_at=None,
        last_modified=e.timestamp,
    )


def on_sent(e: Communication.Sent, rows: Rows) -> None:
    rows(communications).update(
        e.communication_id,
        status="sent",
        provider_message_id=e.provider_message_id,
        error=None,
        last_modified=e.timestamp,
    )


def on_attempt_failed(e: Communication.AttemptFailed, rows: Rows) -> None:
    rows(communications).update(
        e.communication_id, status="requested", error=e.error, next_attempt_at=e.retry_at, last_modified=e.timestamp
    )


def on_failed(e: Communication.Failed, rows: Rows) -> None:
    rows(communications).update(e.communication_id, status="failed", error=e.error, last_modified=e.timestamp)


def on_retry_requested(e: Communication.RetryRequested, rows: Rows) -> None:
    rows(communications).update(e.communication_id, status="requested", next_attempt_at=None, last_modified=e.timestamp)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Communication.Requested: on_requested,
    Communication.AttemptStarted: on_attempt_started,
    Communication.Sent: on_sent,
    Communication.AttemptFailed: on_attempt_failed,
    Communication.Failed: on_failed,
    Communication.RetryRequested: on_retry_requested,
}


class CommunicationLogProjection(Projection):
    name = "communication_log"
    tables = (communications,)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
