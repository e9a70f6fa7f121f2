"""In-process bus with the same semantics as the RabbitMQ bus (embedded mode and unit tests).

Queues live in this process's memory: what is queued but not yet handled is lost when the process stops.
The embedded mode accepts that (docs/architecture.md); deployments use RabbitMQ.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from omnibus.contracts.topology import EVENTS_EXCHANGE
from omnibus.platform.messaging.bus import (
    Bus,
    DeadLetter,
    Delivery,
    OutgoingMessage,
    Subscription,
    count_outcomes,
    dead_letter_from,
    dead_letter_headers,
    gives_up,
    redriven_headers,
    routes_to,
)

log = logging.getLogger(__name__)


@dataclass
class _Queue:
    name: str
    bindings: list[tuple[str, str]] = field(default_factory=list)  # (exchange, pattern)
    ready: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    dead: list[DeadLetter] = field(default_factory=list)
    consumer: asyncio.Task[None] | None = None
    busy: bool = False  # the consumer is inside a batch, which close() lets finish


class InMemoryBus(Bus):
    """Topic routing, per-queue single consumer, batching, retries with back-off and dead-lettering, in memory."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False
        self.published: list[OutgoingMessage] = []  # every confirmed message, for tests and `events tail`

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        for timer in self._timers:
            timer.cancel()
        tasks = [q.consumer for q in self._queues.values() if q.consumer is not None]
        for queue in self._queues.values():
            if queue.consumer is not None and not queue.busy:
                queue.consumer.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for queue in self._queues.values():
            queue.consumer = None

    async def is_ready(self) -> bool:
        return not self._closed

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        for message in messages:
            self.published.append(message)
            for queue in self._queues.values():
                if any(ex == message.exchange and routes_to(ex, p, message.routing_key) for ex, p in queue.bindings):
                    queue.ready.put_nowait(_delivery(queue.name, message))

    async def send_to_queue(self, queue: str, messages: Sequence[OutgoingMessage]) -> None:
        target = self._queue(queue)
        for message in messages:
            target.ready.put_nowait(_delivery(queue, message))

    async def declare_queue(self, queue: str, bindings: Sequence[str] = (), exchange: str = EVENTS_EXCHANGE) -> None:
        self._bind(self._queue(queue), exchange, bindings)

    async def subscribe(self, subscription: Subscription) -> None:
        queue = self._queue(subscription.queue)
        self._bind(queue, subscription.exchange, subscription.bindings)
        if queue.consumer is not None:
            raise RuntimeError(f"queue {queue.name} already has an active consumer")
        queue.consumer = asyncio.create_task(self._consume(queue, subscription), name=f"consume:{queue.name}")

    async def queue_depth(self, queue: str) -> int:
        return self._queue(queue).ready.qsize()

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        return list(self._queue(queue).dead[:limit])

    async def redrive(
        self, queue: str, message_ids: Sequence[str] | None = None, fixed_bodies: Mapping[str, bytes] | None = None
    ) -> int:
        target = self._queue(queue)
        wanted = None if message_ids is None else set(message_ids)
        fixed = fixed_bodies or {}
        moving = [d for d in target.dead if wanted is None or d.message_id in wanted]
        target.dead = [d for d in target.dead if d not in moving]
        for dead in moving:
            body = fixed.get(dead.message_id, dead.body)
            target.ready.put_nowait(
                Delivery(queue, dead.routing_key, body, dead.message_id, redriven_headers(dead.headers))
            )
        return len(moving)

    def _queue(self, name: str) -> _Queue:
        if name not in self._queues:
            self._queues[name] = _Queue(name)
        return self._queues[name]

    @staticmethod
    def _bind(queue: _Queue, exchange: str, patterns: Sequence[str]) -> None:
        for pattern in patterns:
            if (exchange, pattern) not in queue.bindings:
                queue.bindings.append((exchange, pattern))

    async def _consume(self, queue: _Queue, subscription: Subscription) -> None:
        while not self._closed:
            batch = [await queue.ready.get()]
            queue.busy = True
            while len(batch) < subscription.max_batch and not queue.ready.empty():
                batch.append(queue.ready.get_nowait())
            try:
                outcomes = list(await subscription.handler(batch))
                if len(outcomes) != len(batch):
                    raise RuntimeError(f"handler answered {len(outcomes)} outcomes for {len(batch)} deliveries")
            except Exception as error:  # the handler itself broke: every delivery in the batch failed
                log.exception("handler of %s failed on a batch of %d", queue.name, len(batch))
                outcomes = [error] * len(batch)
            count_outcomes(subscription, batch, outcomes)
            for delivery, outcome in zip(batch, outcomes, strict=True):
                if outcome is not None:
                    self._fail(queue, subscription, delivery, outcome)
            queue.busy = False

    def _fail(self, queue: _Queue, subscription: Subscription, delivery: Delivery, error: BaseException) -> None:
        if gives_up(delivery, error, subscription.retry):
            headers = dead_letter_headers(delivery, error, datetime.now(UTC).isoformat())
            queue.dead.append(
                dead_letter_from(queue.name, delivery.message_id, delivery.routing_key, headers, delivery.body)
            )
            log.warning("dead-lettered %s from %s: %s", delivery.message_id, queue.name, error)
            return
        retry = replace(delivery, attempt=delivery.attempt + 1, redelivered=True)
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def requeue() -> None:
            if timer is not None:
                self._timers.discard(timer)
            queue.ready.put_nowait(retry)

        timer = loop.call_later(subscription.retry.delays[delivery.attempt - 1], requeue)
        self._timers.add(timer)


def _delivery(queue: str, message: OutgoingMessage) -> Delivery:
    headers: dict[str, Any] = dict(message.headers)
    return Delivery(queue, message.routing_key, message.body, message.message_id, headers)
