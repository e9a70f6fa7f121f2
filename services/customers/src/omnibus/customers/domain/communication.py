"""A message to a customer (customers.md §2.8, §4.8): requested once, then attempted until it is sent or given up.

The request is recorded before anything is sent (the intent), each attempt is recorded before the provider is
called, and its outcome after: a crash between the call and the outcome leaves the communication "sending", which
tells the dispatcher that the provider may have taken it (see ``omnibus.customers.integration.delivery``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import CommunicationStateError, InvalidCommunicationError

CHANNELS = ("email", "sms")
STATUSES = ("requested", "sending", "sent", "failed")


class Communication(Aggregate):
    """One e-mail or SMS to one address."""

    id: UUID  # given by the application: derived from the public integer id

    class Requested(Aggregate.Created):
        communication_id: int
        customer_id: int | None
        channel: str
        template_key: str | None
        template_id: int | None
        from_email: str | None
        from_name: str | None
        to: str
        to_name: str | None
        subject: str | None
        variables: dict[str, Any]
        message: str | None
        related: dict[str, Any]
        trigger: dict[str, Any] | None
        custom_id: str

    class AttemptStarted(Aggregate.Event):
        communication_id: int
        customer_id: int | None
        attempt: int

    class Sent(Aggregate.Event):
        communication_id: int
        customer_id: int | None
        channel: str
        attempt: int
        provider_message_id: str | None

    class AttemptFailed(Aggregate.Event):
        communication_id: int
        customer_id: int | None
        attempt: int
        error: str
        retry_at: datetime

    class Failed(Aggregate.Event):
        communication_id: int
        customer_id: int | None
        channel: str
        attempt: int
        error: str

    class RetryRequested(Aggregate.Event):
        communication_id: int
        customer_id: int | None

    @event(Requested)
    def __init__(
        self,
        communication_id: int,
        customer_id: int | None,
        channel: str,
        template_key: str | None,
        template_id: int | None,
        from_email: str | None,
        from_name: str | None,
        to: str,
        to_name: str | None,
        subject: str | None,
        variables: dict[str, Any],
        message: str | None,
        related: dict[str, Any],
        trigger: dict[str, Any] | None,
        custom_id: str,
    ) -> None:
        _check(channel, to, template_id, message)
        self.communication_id = communication_id
        self.customer_id = customer_id
        self.channel = channel
        self.template_key = template_key
        self.template_id = template_id
        self.from_email = from_email
        self.from_name = from_name
        self.to = to
        self.to_name = to_name
        self.subject = subject
        self.variables = variables
        self.message = message
        self.related = related
        self.trigger = trigger
        self.custom_id = custom_id
        self.status = "requested"
        self.attempts = 0  # while "sending", ``modified_on`` is when the current attempt started
        self.next_attempt_at: datetime | None = None
        self.provider_message_id: str | None = None
        self.error: str | None = None

    def start_attempt(self) -> int:
        """The next attempt's number, recorded before the provider is called."""
        if self.status not in ("requested", "sending"):
            raise CommunicationStateError(f"communication {self.communication_id} is {self.status}")
        self._attempt_started(
            communication_id=self.communication_id, customer_id=self.customer_id, attempt=self.attempts + 1
        )
        return self.attempts

    @event(AttemptStarted)
    def _attempt_started(self, communication_id: int, customer_id: int | None, attempt: int) -> None:
        self.status = "sending"
        self.attempts = attempt
        self.next_attempt_at = None

    def record_sent(self, attempt: int, provider_message_id: str | None) -> bool:
        """The provider took it; False (and nothing recorded) for an outcome of another attempt."""
        if self.status != "sending" or attempt != self.attempts:
            return False
        self._sent(
            communication_id=self.communication_id,
            customer_id=self.customer_id,
            channel=self.channel,
            attempt=attempt,
            provider_message_id=provider_message_id,
        )
        return True

    @event(Sent)
    def _sent(
        self,
        communication_id: int,
        customer_id: int | None,
        channel: str,
        attempt: int,
        provider_message_id: str | None,
    ) -> None:
        self.status = "sent"
        self.provider_message_id = provider_message_id
        self.error = None

    def record_failure(self, attempt: int, error: str, retry_at: datetime | None) -> bool:
        """The attempt failed: try again at ``retry_at``, or give up (None); False for another attempt's outcome."""
        if self.status != "sending" or attempt != self.attempts:
            return False
        error = error[:1000]
        if retry_at is None:
            self._failed(self.communication_id, self.customer_id, self.channel, attempt, error)
        else:
            self._attempt_failed(self.communication_id, self.customer_id, attempt, error, retry_at)
        return True

    @event(AttemptFailed)
    def _attempt_failed(
        self, communication_id: int, customer_id: int | None, attempt: int, error: str, retry_at: datetime
    ) -> None:
        self.status = "requested"
        self.error = error
        self.next_attempt_at = retry_at

    @event(Failed)
    def _failed(self, communication_id: int, customer_id: int | None, channel: str, attempt: int, error: str) -> None:
        self.status = "failed"
        self.error = error

    def retry(self) -> None:
        """Staff send a failed communication again (e.g. after an SMS of unknown outcome was checked)."""
        if self.status != "failed":
            raise CommunicationStateError(f"only a failed communication can be retried; this one is {self.status}")
        self._retry_requested(communication_id=self.communication_id, customer_id=self.customer_id)

    @event(RetryRequested)
    def _retry_requested(self, communication_id: int, customer_id: int | None) -> None:
        self.status = "requested"
        self.next_attempt_at = None


def _check(channel: str, to: str, template_id: int | None, message: str | None) -> None:
    if channel not in CHANNELS:
        raise InvalidCommunicationError(f"channel must be one of {', '.join(CHANNELS)}")
    if not to:
        raise InvalidCommunicationError("a communication needs a recipient")
    if channel == "email" and template_id is None:
        raise InvalidCommunicationError("an e-mail needs a Mailjet template id")
    if channel == "sms" and not message:
        raise InvalidCommunicationError("an SMS needs a message")
