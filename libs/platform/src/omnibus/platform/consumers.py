"""Bus consumers: other contexts' events -> this service's read models (exactly once in effect) and reactions.

A service listens to each upstream context on one queue; its handlers of that context share the queue. A batch of
deliveries is decoded (an undecodable message is a ``PermanentError``: dead-lettered at once), then applied: read
models in ONE transaction together with their inbox rows ``(consumer, source, position)``; reactions (commands)
before that, each recording its inbox row after its command. A message already in a handler's inbox (a
redelivery, a re-publish after a relay crash) has no effect on it. If the batch fails, each message is retried
alone so that only the failing one is retried/dead-lettered.
"""

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Engine, delete

from omnibus.contracts import REGISTRY, Envelope, IntegrationEvent, UnknownEventTypeError
from omnibus.contracts.topology import subscriber_queue
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.messaging.bus import Delivery, Outcome, PermanentError, RetryPolicy, Subscription
from omnibus.platform.metrics import CONSUMER_LAG
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows, consumer_inbox, record_positions, seen_positions
from omnibus.platform.telemetry import current_traceparent, span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceivedEvent:
    """A decoded message: its envelope and its typed payload."""

    envelope: Envelope
    payload: IntegrationEvent

    @property
    def key(self) -> tuple[str, int]:
        return (self.envelope.source, self.envelope.position)


def decode(delivery: Delivery) -> ReceivedEvent:
    """Envelope from the headers, payload from the body; any defect is permanent."""
    try:
        envelope = Envelope.from_headers(delivery.headers)
        payload_class = REGISTRY.resolve(envelope.event_type)
        return ReceivedEvent(envelope, payload_class.model_validate_json(delivery.body))
    except (ValidationError, UnknownEventTypeError, ValueError, TypeError) as error:
        raise PermanentError(f"undecodable message {delivery.message_id}: {error}") from error


class _Subscriber:
    """What a bus handler subscribes to: the contract classes it handles."""

    handles: tuple[type[IntegrationEvent], ...]

    def bindings(self) -> tuple[str, ...]:
        return tuple(sorted({cls.routing_key() for cls in self.handles}))

    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({cls.context for cls in self.handles}))

    def wants(self, event: ReceivedEvent) -> bool:
        return isinstance(event.payload, self.handles)


class BusProjection(_Subscriber, Projection):
    """A read model fed by other contexts' events; ``handles`` lists the contract classes it needs."""


class Reaction(_Subscriber, ABC):
    """Acts on other contexts' events with one of this service's commands (a side effect, e.g. disabling an OCS
    account when a service is suspended). At least once: a redelivery after a crash between the command and its
    inbox row runs the command again, so commands must be idempotent."""

    name: str

    @abstractmethod
    def react(self, event: ReceivedEvent) -> None:
        """Run in a worker thread, inside the event's command context (actor, correlation, trace)."""


Handler = BusProjection | Reaction


class SourceConsumer:
    """All of one service's handlers of one upstream context, on that context's queue (``<service>.from.<source>``).

    Each handler keeps its own inbox rows (consumer ``<service>:<handler name>``), so one can be replayed or
    rebuilt alone. Per batch: reactions first (each new event, outside any read-model transaction), then every
    projection's rows and inbox rows in one transaction.
    """

    def __init__(
        self,
        subscriber: str,
        engine: Engine,
        source: str,
        handlers: Sequence[Handler],
        retry: RetryPolicy | None = None,
    ) -> None:
        self.subscriber = subscriber
        self.engine = engine
        self.source = source
        self.handlers = list(handlers)
        self.retry = retry or RetryPolicy()
        self.queue = subscriber_queue(subscriber, source)

    def consumer_name(self, handler: Handler) -> str:
        return f"{self.subscriber}:{handler.name}"

    def subscriptions(self) -> list[Subscription]:
        keys = sorted({k for h in self.handlers for k in h.bindings() if k.startswith(f"{self.source}.")})
        return [Subscription(self.queue, tuple(keys), self.handle, self.retry)]

    async def handle(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        outcomes: list[Outcome] = [None] * len(deliveries)
        decoded: list[tuple[int, ReceivedEvent]] = []
        for index, delivery in enumerate(deliveries):
            try:
                decoded.append((index, decode(delivery)))
            except PermanentError as error:
                outcomes[index] = error
        if not decoded:
            return outcomes
        newest = decoded[-1][1].envelope.occurred_at
        CONSUMER_LAG.labels(self.queue).set(max(time.time() - newest.timestamp(), 0.0))
        try:
            await asyncio.to_thread(self._apply, [event for _, event in decoded])
        except Exception:
            for index, event in decoded:  # isolate the failing message(s)
                try:
                    await asyncio.to_thread(self._apply, [event])
                except Exception as error:
                    log.warning("consumer %s failed on %s: %s", self.queue, event.envelope.event_id, error)
                    outcomes[index] = error
        return outcomes

    def _apply(self, events: Sequence[ReceivedEvent]) -> None:
        for reaction in (h for h in self.handlers if isinstance(h, Reaction)):
            self._react(reaction, [e for e in events if reaction.wants(e)])
        projections = [h for h in self.handlers if isinstance(h, BusProjection)]
        if not projections:
            return
        with self.engine.begin() as conn:
            rows = Rows(conn)
            for projection in projections:
                name = self.consumer_name(projection)
                wanted = [e for e in events if projection.wants(e)]
                seen = seen_positions(conn, name, [e.key for e in wanted])
                applied: list[tuple[str, int]] = []
                for event in wanted:
                    if event.key in seen:
                        continue
                    seen.add(event.key)
                    with _consuming(name, event):
                        projection.apply(event, rows)
                    applied.append(event.key)
                record_positions(conn, name, applied)
            rows.flush()

    def _react(self, reaction: Reaction, events: Sequence[ReceivedEvent]) -> None:
        name = self.consumer_name(reaction)
        if not events:
            return
        with self.engine.connect() as conn:
            seen = seen_positions(conn, name, [e.key for e in events])
        for event in events:
            if event.key in seen:
                continue
            with _consuming(name, event):
                reaction.react(event)
            with self.engine.begin() as conn:
                record_positions(conn, name, [event.key])
            seen.add(event.key)


@contextmanager
def _consuming(consumer: str, event: ReceivedEvent) -> Iterator[None]:
    envelope = event.envelope
    attributes: dict[str, str | int] = {
        "omnibus.consumer": consumer,
        "omnibus.source": envelope.source,
        "omnibus.position": envelope.position,
    }
    with span(f"consume {envelope.event_type}", attributes, parent=envelope.traceparent, kind=SpanKind.CONSUMER):
        with command_context(_context_of(envelope)):
            yield


def reset_bus_projection(engine: Engine, subscriber: str, projection: BusProjection) -> list[str]:
    """Empty a bus projection's tables and forget what it applied (its inbox rows), so that the sources' events,
    replayed to the subscriber's queues (``omnibus events replay <source> --queue <queue>``), rebuild it from zero.
    Returns those queues. Other handlers of the same queues keep their inbox rows: the replay does not touch them.
    """
    consumer = f"{subscriber}:{projection.name}"
    with engine.begin() as conn:
        for table in projection.tables:
            conn.execute(delete(table))
        conn.execute(delete(consumer_inbox).where(consumer_inbox.c.consumer == consumer))
    return [subscriber_queue(subscriber, source) for source in projection.sources()]


def source_consumers(subscriber: str, engine: Engine, handlers: Sequence[Handler]) -> list[SourceConsumer]:
    """One consumer per upstream context that any of ``handlers`` listens to."""
    sources = sorted({source for h in handlers for source in h.sources()})
    return [SourceConsumer(subscriber, engine, s, [h for h in handlers if s in h.sources()]) for s in sources]


def _context_of(envelope: Envelope) -> CommandContext:
    return CommandContext(
        actor=envelope.actor,
        correlation_id=envelope.correlation_id,
        causation_id=str(envelope.event_id),
        traceparent=current_traceparent() or envelope.traceparent,
    )


def payload_of(event: Any) -> IntegrationEvent:
    return event.payload if isinstance(event, ReceivedEvent) else event
