"""The bus interface shared by the RabbitMQ and the in-process implementations (ARCHITECTURE.md §5).

Semantics both implementations keep:
- ``publish`` returns only when the broker has accepted (confirmed) every message, in order;
- a subscription is a durable queue bound to routing-key patterns (AMQP topic syntax) on ``omnibus.events``,
  consumed by a single active consumer so messages of one source are handled in order;
- the handler receives batches of deliveries and answers one outcome per delivery: ``None`` = done (ack), an
  exception = failed. ``PermanentError`` goes to the dead-letter queue at once; any other error is retried
  after the policy's delays, then dead-lettered with the error attached. Nothing is acknowledged unhandled.
"""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnibus.contracts.topology import COMMANDS_EXCHANGE, EVENTS_EXCHANGE
from omnibus.platform.metrics import record_consumed

# Header names the bus adds on retried and dead-lettered messages.
ATTEMPTS_HEADER = "x-omnibus-attempts"
ERROR_HEADER = "x-omnibus-error"
ERROR_TYPE_HEADER = "x-omnibus-error-type"
FAILED_AT_HEADER = "x-omnibus-failed-at"
ORIGINAL_QUEUE_HEADER = "x-omnibus-original-queue"
ORIGINAL_ROUTING_KEY_HEADER = "x-omnibus-original-routing-key"


class PermanentError(Exception):
    """A message that can never succeed (undecodable, unknown type, invalid payload): dead-letter it at once."""


class PublishError(Exception):
    """The broker did not confirm a message."""


@dataclass(frozen=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    message_id: str
    headers: dict[str, Any] = field(default_factory=dict)
    exchange: str = EVENTS_EXCHANGE
    content_type: str = "application/json"


@dataclass(frozen=True)
class Delivery:
    """One received message. ``attempt`` is 1 on first delivery, 2 on the first retry, ..."""

    queue: str
    routing_key: str
    body: bytes
    message_id: str
    headers: dict[str, Any]
    attempt: int = 1
    redelivered: bool = False


Outcome = BaseException | None
BatchHandler = Callable[[Sequence[Delivery]], Awaitable[Sequence[Outcome]]]


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off delays in seconds; after ``len(delays)`` failed retries the message is dead-lettered."""

    delays: tuple[float, ...] = (1.0, 5.0, 30.0)


@dataclass(frozen=True)
class Subscription:
    queue: str
    bindings: tuple[str, ...]
    handler: BatchHandler
    retry: RetryPolicy = RetryPolicy()
    prefetch: int = 256
    max_batch: int = 256
    exchange: str = EVENTS_EXCHANGE


def gives_up(delivery: Delivery, error: BaseException, retry: RetryPolicy) -> bool:
    """A failed delivery is dead-lettered when it can never succeed or has used up its retries."""
    return isinstance(error, PermanentError) or delivery.attempt > len(retry.delays)


def count_outcomes(subscription: Subscription, deliveries: Sequence[Delivery], outcomes: Sequence[Outcome]) -> None:
    dead = sum(
        1 for d, o in zip(deliveries, outcomes, strict=True) if o is not None and gives_up(d, o, subscription.retry)
    )
    failed = sum(1 for o in outcomes if o is not None)
    record_consumed(subscription.queue, len(outcomes) - failed, failed - dead, dead)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str
    routing_key: str
    headers: dict[str, Any]
    body: bytes
    error: str
    error_type: str
    failed_at: str
    attempts: int


class Bus(ABC):
    """A message bus: publish with confirms, subscribe with retry and dead-lettering, operator tools."""

    @abstractmethod
    async def start(self) -> None:
        """Connect and declare the exchanges."""

    @abstractmethod
    async def close(self) -> None:
        """Stop consuming (in-flight batches finish) and disconnect."""

    @abstractmethod
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish in order; return when all are confirmed, else raise PublishError."""

    @abstractmethod
    async def subscribe(self, subscription: Subscription) -> None:
        """Declare the queue, its bindings, retry and dead-letter queues, and start consuming."""

    @abstractmethod
    async def declare_queue(self, queue: str, bindings: Sequence[str] = (), exchange: str = EVENTS_EXCHANGE) -> None:
        """Declare a durable queue (e.g. a replay target, another service's command queue) with optional bindings
        on ``exchange``, without consuming."""

    @abstractmethod
    async def send_to_queue(self, queue: str, messages: Sequence[OutgoingMessage]) -> None:
        """Publish straight to one queue (default exchange), with confirms; used by replay and redrive."""

    @abstractmethod
    async def queue_depth(self, queue: str) -> int:
        """Messages ready in a queue."""

    @abstractmethod
    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        """Inspect the dead letters of a subscriber queue without removing them."""

    @abstractmethod
    async def redrive(
        self, queue: str, message_ids: Sequence[str] | None = None, fixed_bodies: Mapping[str, bytes] | None = None
    ) -> int:
        """Move dead letters (all, or those with the given ids) back to ``queue``; returns how many moved.
        ``fixed_bodies`` replaces the body of the dead letters it names (an operator's repair)."""

    @abstractmethod
    async def is_ready(self) -> bool:
        """True when connected and able to publish."""


def routes_to(exchange: str, pattern: str, routing_key: str) -> bool:
    """Whether a binding ``pattern`` on ``exchange`` takes ``routing_key``: the commands exchange is direct (exact
    keys), the events exchange a topic exchange."""
    return pattern == routing_key if exchange == COMMANDS_EXCHANGE else topic_matches(pattern, routing_key)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` is zero or more words."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])


def dead_letter_headers(delivery: Delivery, error: BaseException, failed_at: str) -> dict[str, Any]:
    """Headers of a dead-lettered copy: the original headers plus the error, its type and the attempt count."""
    return {
        **delivery.headers,
        ERROR_HEADER: f"{error}"[:4000] or type(error).__name__,
        ERROR_TYPE_HEADER: type(error).__name__,
        FAILED_AT_HEADER: failed_at,
        ATTEMPTS_HEADER: delivery.attempt,
        ORIGINAL_QUEUE_HEADER: delivery.queue,
        ORIGINAL_ROUTING_KEY_HEADER: delivery.routing_key,
    }


def dead_letter_from(queue: str, message_id: str, routing_key: str, headers: dict[str, Any], body: bytes) -> DeadLetter:
    return DeadLetter(
        queue=queue,
        message_id=message_id,
        routing_key=str(headers.get(ORIGINAL_ROUTING_KEY_HEADER, routing_key)),
        headers=headers,
        body=body,
        error=str(headers.get(ERROR_HEADER, "")),
        error_type=str(headers.get(ERROR_TYPE_HEADER, "")),
        failed_at=str(headers.get(FAILED_AT_HEADER, "")),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0)),
    )


def redriven_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Headers of a redriven message: the error markers removed, the attempt count reset."""
    dropped = {ERROR_HEADER, ERROR_TYPE_HEADER, FAILED_AT_HEADER, ATTEMPTS_HEADER, ORIGINAL_QUEUE_HEADER}
    return {k: v for k, v in headers.items() if k not in dropped}
