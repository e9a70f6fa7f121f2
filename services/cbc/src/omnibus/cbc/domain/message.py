"""The CbcMessage aggregate (cbc.md §2.1, §4; D110-D114): a warning message, its two-person approval, its delivery
to the CBC and its cancellation, every step an event of its history.

Status (D114): ``pending_approval`` -> (a second user approves with a fresh second factor) -> ``approved`` -> (the
CBC accepts) -> ``sent``, or (the CBC refuses, or cannot be reached after every retry) -> ``send_failed`` -> (retry)
-> ``approved``. A PATCH of an approved, sent or failed message clears the approval (D113); DELETE cancels (D112).

Delivery is idempotent by **message reference** (``<cbc_unique_id>-r<revision>``, one per approval): every try of
one approval sends the same reference, which the CBC de-duplicates on, and a try after an unanswered one first asks
the CBC whether it already has it. A try is recorded before it is made, so after a crash the next one knows it may
have reached the CBC. The worker calls ``due()`` to learn what to do and records each outcome here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.cbc.domain.content import MessageContent, content_from
from omnibus.cbc.domain.errors import CbcMessageCancelledError, CbcMessageStateError, SelfApprovalError

PENDING, APPROVED, SENT, SEND_FAILED, CANCELLED = "pending_approval", "approved", "sent", "send_failed", "cancelled"
STATUSES = (PENDING, APPROVED, SENT, SEND_FAILED, CANCELLED)
CANCEL_PENDING, CANCEL_DELIVERED, CANCEL_NOT_DELIVERED = "pending", "delivered", "not_delivered"


@dataclass(frozen=True)
class Work:
    """The next thing to do at the CBC: ``deliver`` the reference or ``cancel`` it, from ``due_at``."""

    kind: str
    message_reference: str
    due_at: datetime
    attempt: int  # the number this try will have
    ask_first: bool  # an earlier try of this reference may have reached the CBC


class CbcMessage(Aggregate):
    """A cell broadcast message; its id is derived from the public ``cbc_message_id``."""

    id: UUID

    class Created(Aggregate.Created):
        cbc_message_id: int
        cbc_unique_id: str
        message_identifier: str
        category: str
        repetition_period: int
        number_of_broadcasts: int
        warning_period_sec: int
        channel_indicator: str
        localized_messages: list[dict[str, str]]
        tracking_areas: list[dict[str, str]]
        initiating_user: int | None

    class Updated(Aggregate.Event):
        cbc_message_id: int
        changes: dict[str, Any]  # new values of the changed content fields
        approval_cleared: bool

    class Approved(Aggregate.Event):
        cbc_message_id: int
        approving_user: int
        second_factor: str  # how it was proven: step_up_token or totp_code
        second_factor_at: datetime | None  # when the approver passed it
        message_reference: str
        replaces: str | None  # the reference this delivery replaces at the CBC (an update of a sent message)
        at: datetime

    class SubmissionAttempted(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        attempt: int
        cbc_url: str

    class SubmissionAttemptFailed(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        attempt: int
        reason: str
        http_status: int | None
        retry_at: datetime

    class SubmittedToCbc(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        cbc_url: str
        http_status: int
        cbc_response: dict[str, Any]
        confirmed_by: str  # send (the CBC accepted it) or status (the CBC already had it when asked)
        at: datetime

    class SubmissionFailed(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        reason: str
        http_status: int | None
        attempts: int

    class RetryRequested(Aggregate.Event):
        cbc_message_id: int
        by_user: int | None
        what: str  # deliver or cancel
        at: datetime

    class Cancelled(Aggregate.Event):
        cbc_message_id: int
        by_user: int | None
        delivered_to_cbc: bool  # it was (or may have been) handed to the CBC: the cancellation goes there too
        references: list[str]
        at: datetime

    class CancelAttemptFailed(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        attempt: int
        reason: str
        http_status: int | None
        retry_at: datetime

    class CancelDelivered(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        http_status: int
        cbc_response: dict[str, Any]

    class CancelNotDelivered(Aggregate.Event):
        cbc_message_id: int
        message_reference: str
        reason: str

    @event(Created)
    def __init__(
        self,
        *,
        cbc_message_id: int,
        cbc_unique_id: str,
        message_identifier: str,
        category: str,
        repetition_period: int,
        number_of_broadcasts: int,
        warning_period_sec: int,
        channel_indicator: str,
        localized_messages: list[dict[str, str]],
        tracking_areas: list[dict[str, str]],
        initiating_user: int | None,
    ) -> None:
        self.cbc_message_id = cbc_message_id
        self.cbc_unique_id = cbc_unique_id
        self.content = content_from(
            {
                "message_identifier": message_identifier,
                "category": category,
                "repetition_period": repetition_period,
                "number_of_broadcasts": number_of_broadcasts,
                "warning_period_sec": warning_period_sec,
                "channel_indicator": channel_indicator,
                "localized_messages": localized_messages,
                "tracking_areas": tracking_areas,
            }
        )
        self.initiating_user = initiating_user
        self.approving_user: int | None = None
        self.status = PENDING
        self.approved_at: datetime | None = None
        self.sent_at: datetime | None = None
        self.deleted_at: datetime | None = None
        self.cbc_response: dict[str, Any] | None = None
        self.revision = 0
        self.message_reference: str | None = None  # of the current (or last) approval
        self.replaces: str | None = None
        self.attempts = 0  # tries of the current reference
        self.attempted: list[str] = []  # every reference ever tried: each may be at the CBC
        self.confirmed: list[str] = []  # references the CBC confirmed having
        self.live_reference: str | None = None  # the last one confirmed: what the CBC broadcasts
        self.last_error: str | None = None
        self.next_attempt_at: datetime | None = None
        self.cancel_status: str | None = None
        self.to_cancel: list[str] = []
        self.cancel_failed: list[str] = []
        self.cancel_attempts = 0

    @property
    def created(self) -> datetime:
        return self.created_on

    # --- authoring and approval ---

    def update(self, content: MessageContent) -> bool:
        """Take the new (validated) content; clears an approval (D113). False when nothing changed."""
        if self.status == CANCELLED:
            raise CbcMessageCancelledError(self.cbc_message_id)
        old, new = self.content.as_fields(), content.as_fields()
        changes = {name: value for name, value in new.items() if old[name] != value}
        if not changes:
            return False
        self._updated(cbc_message_id=self.cbc_message_id, changes=changes, approval_cleared=self.status != PENDING)
        return True

    @event(Updated)
    def _updated(self, cbc_message_id: int, changes: dict[str, Any], approval_cleared: bool) -> None:
        self.content = self.content.changed(changes)
        self.status = PENDING
        self.approving_user = None
        self.approved_at = None
        self.attempts = 0
        self.next_attempt_at = None

    def approve(
        self,
        approving_user: int,
        *,
        two_person: bool,
        second_factor: str,
        second_factor_at: datetime | None,
        at: datetime,
    ) -> None:
        """The second person's approval (D110); the delivery to the CBC follows in the workers."""
        self.check_approvable(approving_user, two_person=two_person)
        self._approved(
            cbc_message_id=self.cbc_message_id,
            approving_user=approving_user,
            second_factor=second_factor,
            second_factor_at=second_factor_at,
            message_reference=f"{self.cbc_unique_id}-r{self.revision + 1}",
            replaces=self.live_reference,
            at=at,
        )

    def check_approvable(self, approving_user: int, *, two_person: bool) -> None:
        """Raise what ``approve`` would (before the approver spends a one-time code on it)."""
        self._require_not_cancelled()
        if self.status != PENDING:
            raise CbcMessageStateError(
                f"Cell broadcast message {self.cbc_message_id} is {self.status}; only pending_approval can be approved"
            )
        if two_person and approving_user == self.initiating_user:
            raise SelfApprovalError()

    @event(Approved)
    def _approved(
        self,
        cbc_message_id: int,
        approving_user: int,
        second_factor: str,
        second_factor_at: datetime | None,
        message_reference: str,
        replaces: str | None,
        at: datetime,
    ) -> None:
        self.revision += 1
        self.status = APPROVED
        self.approving_user = approving_user
        self.approved_at = at
        self.message_reference = message_reference
        self.replaces = replaces
        self.attempts = 0
        self.last_error = None
        self.next_attempt_at = at

    # --- delivery (the workers) ---

    def due(self) -> Work | None:
        """What the delivery worker should do next, if anything."""
        if self.status == APPROVED and self.message_reference is not None and self.next_attempt_at is not None:
            reference = self.message_reference
            return Work("deliver", reference, self.next_attempt_at, self.attempts + 1, reference in self.attempted)
        if self.cancel_status == CANCEL_PENDING and self.to_cancel and self.next_attempt_at is not None:
            return Work("cancel", self.to_cancel[0], self.next_attempt_at, self.cancel_attempts + 1, False)
        return None

    def start_attempt(self, message_reference: str, cbc_url: str) -> None:
        if not self._delivering(message_reference):
            raise CbcMessageStateError(f"{message_reference} is no longer to be delivered")
        self._submission_attempted(
            cbc_message_id=self.cbc_message_id,
            message_reference=message_reference,
            attempt=self.attempts + 1,
            cbc_url=cbc_url,
        )

    @event(SubmissionAttempted)
    def _submission_attempted(self, cbc_message_id: int, message_reference: str, attempt: int, cbc_url: str) -> None:
        self.attempts = attempt
        if message_reference not in self.attempted:
            self.attempted.append(message_reference)

    def attempt_failed(self, message_reference: str, reason: str, http_status: int | None, retry_at: datetime) -> None:
        """A try that may be repeated (timeout, unreachable, 5xx); stale outcomes record nothing."""
        if self._delivering(message_reference):
            self._attempt_failed(
                cbc_message_id=self.cbc_message_id,
                message_reference=message_reference,
                attempt=self.attempts,
                reason=reason,
                http_status=http_status,
                retry_at=retry_at,
            )

    @event(SubmissionAttemptFailed)
    def _attempt_failed(
        self,
        cbc_message_id: int,
        message_reference: str,
        attempt: int,
        reason: str,
        http_status: int | None,
        retry_at: datetime,
    ) -> None:
        self.last_error = reason
        self.next_attempt_at = retry_at

    def submitted(
        self,
        message_reference: str,
        cbc_url: str,
        http_status: int,
        cbc_response: dict[str, Any],
        confirmed_by: str,
        at: datetime,
    ) -> None:
        """The CBC has the reference. Recorded even when the message changed meanwhile (the CBC still has it:
        a later cancel or update must know); recorded once per reference."""
        if message_reference in self.confirmed or message_reference not in self.attempted:
            return
        self._submitted(
            cbc_message_id=self.cbc_message_id,
            message_reference=message_reference,
            cbc_url=cbc_url,
            http_status=http_status,
            cbc_response=cbc_response,
            confirmed_by=confirmed_by,
            at=at,
        )

    @event(SubmittedToCbc)
    def _submitted(
        self,
        cbc_message_id: int,
        message_reference: str,
        cbc_url: str,
        http_status: int,
        cbc_response: dict[str, Any],
        confirmed_by: str,
        at: datetime,
    ) -> None:
        self.confirmed.append(message_reference)
        self.live_reference = message_reference
        if self._delivering(message_reference):
            self.status = SENT
            self.sent_at = at
            self.cbc_response = cbc_response
            self.last_error = None
            self.next_attempt_at = None

    def submission_failed(self, message_reference: str, reason: str, http_status: int | None) -> None:
        """The CBC refused the message, or every retry went unanswered: ``send_failed``."""
        if self._delivering(message_reference):
            self._submission_failed(
                cbc_message_id=self.cbc_message_id,
                message_reference=message_reference,
                reason=reason,
                http_status=http_status,
                attempts=self.attempts,
            )

    @event(SubmissionFailed)
    def _submission_failed(
        self, cbc_message_id: int, message_reference: str, reason: str, http_status: int | None, attempts: int
    ) -> None:
        self.status = SEND_FAILED
        self.last_error = reason
        self.next_attempt_at = None

    def request_retry(self, by_user: int | None, at: datetime) -> None:
        """Try again what failed: the delivery of a ``send_failed`` message (same reference, so the CBC still
        de-duplicates), or a cancellation the CBC did not get."""
        if self.status == SEND_FAILED:
            what = "deliver"
        elif self.status == CANCELLED and self.cancel_status == CANCEL_NOT_DELIVERED:
            what = "cancel"
        else:
            raise CbcMessageStateError(
                f"Cell broadcast message {self.cbc_message_id} is {self.status}: nothing failed to retry"
            )
        self._retry_requested(cbc_message_id=self.cbc_message_id, by_user=by_user, what=what, at=at)

    @event(RetryRequested)
    def _retry_requested(self, cbc_message_id: int, by_user: int | None, what: str, at: datetime) -> None:
        if what == "deliver":
            self.status = APPROVED
            self.attempts = 0
        else:
            self.cancel_status = CANCEL_PENDING
            self.to_cancel, self.cancel_failed = list(self.cancel_failed), []
            self.cancel_attempts = 0
        self.last_error = None
        self.next_attempt_at = at

    # --- cancellation ---

    def cancel(self, by_user: int | None, at: datetime) -> bool:
        """Soft delete (D112): the record stays as history. What the CBC has (or may have) is cancelled there by
        the workers. False when already cancelled."""
        if self.status == CANCELLED:
            return False
        unconfirmed = [r for r in self.attempted if r not in self.confirmed]
        references = list(dict.fromkeys(([self.live_reference] if self.live_reference else []) + unconfirmed))
        self._cancelled(
            cbc_message_id=self.cbc_message_id,
            by_user=by_user,
            delivered_to_cbc=bool(references),
            references=references,
            at=at,
        )
        return True

    @event(Cancelled)
    def _cancelled(
        self, cbc_message_id: int, by_user: int | None, delivered_to_cbc: bool, references: list[str], at: datetime
    ) -> None:
        self.status = CANCELLED
        self.deleted_at = at
        self.to_cancel = list(references)
        self.cancel_status = CANCEL_PENDING if references else None
        self.cancel_attempts = 0
        self.next_attempt_at = at if references else None

    def cancel_attempt_failed(
        self, message_reference: str, reason: str, http_status: int | None, retry_at: datetime
    ) -> None:
        if self._cancelling(message_reference):
            self._cancel_attempt_failed(
                cbc_message_id=self.cbc_message_id,
                message_reference=message_reference,
                attempt=self.cancel_attempts + 1,
                reason=reason,
                http_status=http_status,
                retry_at=retry_at,
            )

    @event(CancelAttemptFailed)
    def _cancel_attempt_failed(
        self,
        cbc_message_id: int,
        message_reference: str,
        attempt: int,
        reason: str,
        http_status: int | None,
        retry_at: datetime,
    ) -> None:
        self.cancel_attempts = attempt
        self.last_error = reason
        self.next_attempt_at = retry_at

    def cancel_delivered(self, message_reference: str, http_status: int, cbc_response: dict[str, Any]) -> None:
        if self._cancelling(message_reference):
            self._cancel_delivered(
                cbc_message_id=self.cbc_message_id,
                message_reference=message_reference,
                http_status=http_status,
                cbc_response=cbc_response,
            )

    @event(CancelDelivered)
    def _cancel_delivered(
        self, cbc_message_id: int, message_reference: str, http_status: int, cbc_response: dict[str, Any]
    ) -> None:
        self._cancel_done(message_reference)

    def cancel_not_delivered(self, message_reference: str, reason: str) -> None:
        if self._cancelling(message_reference):
            self._cancel_not_delivered(
                cbc_message_id=self.cbc_message_id, message_reference=message_reference, reason=reason
            )

    @event(CancelNotDelivered)
    def _cancel_not_delivered(self, cbc_message_id: int, message_reference: str, reason: str) -> None:
        self.cancel_failed.append(message_reference)
        self.last_error = reason
        self._cancel_done(message_reference)

    def _cancel_done(self, message_reference: str) -> None:
        self.to_cancel.remove(message_reference)
        self.cancel_attempts = 0
        if not self.to_cancel:
            self.cancel_status = CANCEL_NOT_DELIVERED if self.cancel_failed else CANCEL_DELIVERED
            self.next_attempt_at = None

    # --- guards ---

    def _delivering(self, message_reference: str) -> bool:
        return self.status == APPROVED and message_reference == self.message_reference

    def _cancelling(self, message_reference: str) -> bool:
        return self.cancel_status == CANCEL_PENDING and bool(self.to_cancel) and self.to_cancel[0] == message_reference

    def _require_not_cancelled(self) -> None:
        if self.status == CANCELLED:
            raise CbcMessageCancelledError(self.cbc_message_id)


ALL_EVENTS = (
    CbcMessage.Created,
    CbcMessage.Updated,
    CbcMessage.Approved,
    CbcMessage.SubmissionAttempted,
    CbcMessage.SubmissionAttemptFailed,
    CbcMessage.SubmittedToCbc,
    CbcMessage.SubmissionFailed,
    CbcMessage.RetryRequested,
    CbcMessage.Cancelled,
    CbcMessage.CancelAttemptFailed,
    CbcMessage.CancelDelivered,
    CbcMessage.CancelNotDelivered,
)
