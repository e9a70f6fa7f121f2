"""The cell broadcast application: messages as event-sourced aggregates (cbc.md §3-§5).

Use cases for the API (create, update, approve, retry, cancel) and for the delivery worker (record each try and
its outcome). Content is checked against the deployment's rules before anything is recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.cbc.domain import CbcMessage, CbcMessageNotFoundError, ContentRules, MessageContent, check
from omnibus.platform.eventstore import (
    ConcurrencyConflictError,
    ServiceApplication,
    aggregate_uuid,
    event_meta,
    retry_on_conflict,
)


def _now() -> datetime:
    return datetime.now(UTC)


class CbcApp(ServiceApplication):
    """Cell broadcast messages: authored, approved by a second person, delivered to the CBC, cancelled."""

    name = "cbc"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        rules: ContentRules | None = None,
        two_person: bool = True,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(env)
        self.rules = rules or ContentRules()
        self.two_person = two_person
        self.clock = clock

    # --- the API's use cases ---

    def create_message(self, content: MessageContent, initiating_user: int | None) -> CbcMessage:
        check(content, self.rules)
        cbc_message_id = self.ids.next("cbc_message_id")
        message = CbcMessage(
            id=aggregate_uuid("cbc_message", cbc_message_id),
            cbc_message_id=cbc_message_id,
            cbc_unique_id=str(uuid.uuid4()),
            initiating_user=initiating_user,
            **content.as_fields(),
        )
        self.save(message)
        return message

    def update_message(self, cbc_message_id: int, changes: Mapping[str, Any]) -> CbcMessage:
        def command() -> CbcMessage:
            message = self.get_message(cbc_message_id)
            content = message.content.changed(changes)
            check(content, self.rules)
            if message.update(content):
                self.save(message)
            return message

        return retry_on_conflict(command)

    def approve_message(
        self, cbc_message_id: int, approving_user: int, *, second_factor: str, second_factor_at: datetime | None
    ) -> CbcMessage:
        message = self.get_message(cbc_message_id)
        message.approve(
            approving_user,
            two_person=self.two_person,
            second_factor=second_factor,
            second_factor_at=second_factor_at,
            at=self.clock(),
        )
        try:
            self.save(message)
        except IntegrityError:  # not retried: the approver approved what they saw, not a concurrent change
            raise ConcurrencyConflictError("The message changed while it was approved; look at it again") from None
        return message

    def request_retry(self, cbc_message_id: int, by_user: int | None) -> CbcMessage:
        return self._change(cbc_message_id, lambda m: m.request_retry(by_user, self.clock()))

    def cancel_message(self, cbc_message_id: int, by_user: int | None) -> CbcMessage:
        return self._change(cbc_message_id, lambda m: m.cancel(by_user, self.clock()))

    # --- the delivery worker's records ---

    def start_attempt(self, cbc_message_id: int, message_reference: str, cbc_url: str) -> CbcMessage:
        """Record a try before making it. Not retried: a conflict means the message changed, so look again."""
        message = self.get_message(cbc_message_id)
        message.start_attempt(message_reference, cbc_url)
        self.save(message)
        return message

    def record_attempt_failed(
        self, cbc_message_id: int, reference: str, reason: str, status: int | None, retry_at: datetime
    ) -> None:
        self._change(cbc_message_id, lambda m: m.attempt_failed(reference, reason, status, retry_at))

    def record_submitted(
        self,
        cbc_message_id: int,
        reference: str,
        cbc_url: str,
        status: int,
        response: dict[str, Any],
        confirmed_by: str,
    ) -> None:
        self._change(
            cbc_message_id, lambda m: m.submitted(reference, cbc_url, status, response, confirmed_by, self.clock())
        )

    def record_submission_failed(self, cbc_message_id: int, reference: str, reason: str, status: int | None) -> None:
        self._change(cbc_message_id, lambda m: m.submission_failed(reference, reason, status))

    def record_cancel_attempt_failed(
        self, cbc_message_id: int, reference: str, reason: str, status: int | None, retry_at: datetime
    ) -> None:
        self._change(cbc_message_id, lambda m: m.cancel_attempt_failed(reference, reason, status, retry_at))

    def record_cancel_delivered(
        self, cbc_message_id: int, reference: str, status: int, response: dict[str, Any]
    ) -> None:
        self._change(cbc_message_id, lambda m: m.cancel_delivered(reference, status, response))

    def record_cancel_not_delivered(self, cbc_message_id: int, reference: str, reason: str) -> None:
        self._change(cbc_message_id, lambda m: m.cancel_not_delivered(reference, reason))

    # --- queries by id ---

    def get_message(self, cbc_message_id: int) -> CbcMessage:
        try:
            message: Any = self.repository.get(aggregate_uuid("cbc_message", cbc_message_id))
        except AggregateNotFoundError:
            raise CbcMessageNotFoundError(cbc_message_id) from None
        if not isinstance(message, CbcMessage):
            raise CbcMessageNotFoundError(cbc_message_id)
        return message

    def history(self, cbc_message_id: int) -> list[tuple[Any, dict[str, Any]]]:
        """Every event of the message in order, with the command context it was recorded in (who, from where)."""
        self.get_message(cbc_message_id)
        events = self.events.get(aggregate_uuid("cbc_message", cbc_message_id))
        return [(e, event_meta(e)) for e in events]

    def _change(self, cbc_message_id: int, change: Callable[[CbcMessage], object]) -> CbcMessage:
        def command() -> CbcMessage:
            message = self.get_message(cbc_message_id)
            change(message)
            self.save(message)  # saving an aggregate with no new event records nothing
            return message

        return retry_on_conflict(command)
