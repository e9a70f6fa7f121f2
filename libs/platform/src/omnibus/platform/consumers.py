"""Bus consumers: other contexts' events -> this service's read models, exactly once in effect.

A batch of deliveries is decoded (an undecodable message is a ``PermanentError``: dead-lettered at once), then
applied in ONE transaction together with the consumer's inbox rows ``(consumer, source, position)``. A message
already in the inbox (a redelivery, a re-publish after a relay crash) is acknowledged without effect. If the batch
fails, each message is retried in its own transaction so that only the failing one is retried/dead-lettered.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Engine

from omnibus.contracts import REGISTRY, Envelope, IntegrationEvent, UnknownEventTypeError
from omnibus.contracts.topology import subscriber_queue
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.messaging.bus import Delivery, Outcome, PermanentError, RetryPolicy, Subscription
from omnibus.platform.metrics import CONSUMER_LAG
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows, record_positions, seen_positions
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


class BusProjection(Projection):
    """A read model fed by other contexts' events; ``handles`` lists the contract classes it needs."""

    handles: tuple[type[IntegrationEvent], ...]

    def bindings(self) -> tuple[str, ...]:
        return tuple(sorted({cls.routing_key() for cls in self.handles}))

    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({cls.context for cls in self.handles}))


class ProjectionConsumer:
    """Feeds one BusProjection from the bus, one subscription (queue) per upstream context."""

    def __init__(self, subscriber: str, engine: Engine, projection: BusProjection, retry: RetryPolicy | None = None):
        self.subscriber = subscriber
        self.engine = engine
        self.projection = projection
        self.retry = retry or RetryPolicy()
        self.consumer_name = f"{subscriber}:{projection.name}"

    def subscriptions(self) -> list[Subscription]:
        subs = []
        for source in self.projection.sources():
            keys = tuple(k for k in self.projection.bindings() if k.startswith(f"{source}."))
            subs.append(Subscription(subscriber_queue(self.subscriber, source), keys, self.handle, self.retry))
        return subs

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
        CONSUMER_LAG.labels(deliveries[0].queue).set(max(time.time() - newest.timestamp(), 0.0))
        try:
            await asyncio.to_thread(self._apply, [event for _, event in decoded])
        except Exception:
            for index, event in decoded:  # isolate the failing message(s)
                try:
                    await asyncio.to_thread(self._apply, [event])
                except Exception as error:
                    log.warning("consumer %s failed on %s: %s", self.consumer_name, event.envelope.event_id, error)
                    outcomes[index] = error
        return outcomes

    def _apply(self, events: Sequence[ReceivedEvent]) -> None:
        with self.engine.begin() as conn:
            seen = seen_positions(conn, self.consumer_name, [e.key for e in events])
            rows = Rows(conn)
            applied: list[tuple[str, int]] = []
            for event in events:
                if event.key in seen:
                    continue
                seen.add(event.key)
                envelope = event.envelope
                attributes: dict[str, str | int] = {
                    "omnibus.consumer": self.consumer_name,
                    "omnibus.source": envelope.source,
                    "omnibus.position": envelope.position,
                }
                with span(
                    f"consume {envelope.event_type}", attributes, parent=envelope.traceparent, kind=SpanKind.CONSUMER
                ):
                    with command_context(_context_of(envelope)):
                        self.projection.apply(event, rows)
                applied.append(event.key)
            rows.flush()
            record_positions(conn, self.consumer_name, applied)


def _context_of(envelope: Envelope) -> CommandContext:
    return CommandContext(
        actor=envelope.actor,
        correlation_id=envelope.correlation_id,
        causation_id=str(envelope.event_id),
        traceparent=current_traceparent() or envelope.traceparent,
    )


def payload_of(event: Any) -> IntegrationEvent:
    return event.payload if isinstance(event, ReceivedEvent) else event
