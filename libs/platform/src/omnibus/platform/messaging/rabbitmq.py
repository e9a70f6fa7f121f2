"""The RabbitMQ bus (aio-pika): confirmed, pipelined publishing; batched consumers with retries and a DLQ.

Topology of a subscriber queue ``q`` (all durable):
- ``q`` itself, single-active-consumer, bound to the subscription's patterns;
- ``q.retry.<n>`` for each retry delay: no consumer, ``x-message-ttl`` = the delay, dead-lettering back
  to ``q`` through the default exchange, so a failed message waits there and then comes back;
- ``q.dlq``: dead letters, kept until an operator inspects and redrives them.

A failed message is never rejected: the bus publishes a copy (confirmed) to the retry or dead-letter queue
and only then acknowledges the original. The copy carries the attempt count and the original routing key
in headers, which the consumer strips again, so handlers see the same deliveries as with the in-process bus.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from aiormq import spec
from aiormq.exceptions import ChannelInvalidStateError, ChannelNotFoundEntity
from pamqp.common import FieldTable

from omnibus.contracts.topology import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, dead_letter_queue, retry_queue
from omnibus.platform.messaging.bus import (
    ATTEMPTS_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    Bus,
    DeadLetter,
    Delivery,
    OutgoingMessage,
    PublishError,
    RetryPolicy,
    Subscription,
    count_outcomes,
    dead_letter_from,
    dead_letter_headers,
    gives_up,
    redriven_headers,
)

log = logging.getLogger(__name__)

_QUEUE_ARGUMENTS: FieldTable = {"x-single-active-consumer": True}
_CONFIRM_TIMEOUT = 30.0  # seconds to wait for the broker to confirm a batch
_PERSISTENT = aio_pika.DeliveryMode.PERSISTENT

_Publish = tuple[str, str, bytes, spec.Basic.Properties]  # exchange, routing key, body, properties


class RabbitMQBus(Bus):
    """The production bus: see the module docstring for the queue topology."""

    def __init__(self, url: str, *, connection_name: str = "omnibus") -> None:
        self._url = url
        self._connection_name = connection_name
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None  # publishing, with publisher confirms
        self._consumers: dict[str, _Consumer] = {}

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self._url, client_properties={"connection_name": self._connection_name}
        )
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        await self._channel.declare_exchange(COMMANDS_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        log.info("connected to RabbitMQ as %s", self._connection_name)

    async def close(self) -> None:
        consumers, self._consumers = list(self._consumers.values()), {}
        await asyncio.gather(*(consumer.stop() for consumer in consumers))
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
        self._channel = self._connection = None

    async def is_ready(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await _confirm(
            self._publishing_channel(),
            [
                (m.exchange, m.routing_key, m.body, _properties(m.message_id, m.content_type, m.headers))
                for m in messages
            ],
        )

    async def send_to_queue(self, queue: str, messages: Sequence[OutgoingMessage]) -> None:
        # The default exchange routes by queue name, so the event's own routing key travels in a header.
        await _confirm(
            self._publishing_channel(),
            [
                (
                    "",
                    queue,
                    m.body,
                    _properties(
                        m.message_id, m.content_type, {**m.headers, ORIGINAL_ROUTING_KEY_HEADER: m.routing_key}
                    ),
                )
                for m in messages
            ],
        )

    async def subscribe(self, subscription: Subscription) -> None:
        if subscription.queue in self._consumers:
            raise RuntimeError(f"queue {subscription.queue} already has an active consumer")
        channel = await self._connected().channel(publisher_confirms=False)
        try:
            await channel.set_qos(prefetch_count=subscription.prefetch)
            queue = await _declare(
                channel, subscription.queue, subscription.exchange, subscription.bindings, subscription.retry
            )
        except BaseException:
            await _close_quietly(channel)
            raise
        consumer = _Consumer(self, subscription, channel, queue)
        self._consumers[subscription.queue] = consumer
        await consumer.start()

    async def declare_queue(self, queue: str, bindings: Sequence[str] = (), exchange: str = EVENTS_EXCHANGE) -> None:
        # Retry queues are left to `subscribe`: their TTLs come from the subscriber's policy, and RabbitMQ
        # refuses to re-declare a queue with other arguments.
        async with self._connected().channel(publisher_confirms=False) as channel:
            await _declare(channel, queue, exchange, bindings, None)

    async def queue_depth(self, queue: str) -> int:
        async with self._connected().channel(publisher_confirms=False) as channel:
            try:
                declared = await channel.declare_queue(queue, passive=True)
            except ChannelNotFoundEntity:
                return 0
            return int(declared.declaration_result.message_count or 0)

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        async with self._connected().channel(publisher_confirms=False) as channel:
            dlq = await _passive(channel, dead_letter_queue(queue))
            if dlq is None:
                return []
            taken: list[AbstractIncomingMessage] = []
            try:
                while len(taken) < limit and (message := await dlq.get(no_ack=False, fail=False)) is not None:
                    taken.append(message)
                return [
                    dead_letter_from(queue, m.message_id or "", m.routing_key or "", dict(m.headers), m.body)
                    for m in taken
                ]
            finally:
                for message in taken:
                    await message.nack(requeue=True)

    async def redrive(
        self, queue: str, message_ids: Sequence[str] | None = None, fixed_bodies: Mapping[str, bytes] | None = None
    ) -> int:
        wanted = None if message_ids is None else set(message_ids)
        fixed = fixed_bodies or {}
        async with self._connected().channel(publisher_confirms=True) as channel:
            dlq = await _passive(channel, dead_letter_queue(queue))
            if dlq is None:
                return 0
            # Read at most what is there now; skipped messages stay unacknowledged (so are not read again)
            # until the end, when they are requeued. On failure, closing the channel requeues the rest.
            depth = int(dlq.declaration_result.message_count or 0)
            moving: list[AbstractIncomingMessage] = []
            skipped: list[AbstractIncomingMessage] = []
            try:
                for _ in range(depth):
                    message = await dlq.get(no_ack=False, fail=False)
                    if message is None:
                        break
                    (moving if wanted is None or message.message_id in wanted else skipped).append(message)
                redriven = [
                    (
                        "",
                        queue,
                        fixed.get(m.message_id or "", m.body),
                        _properties(m.message_id, m.content_type, redriven_headers(dict(m.headers))),
                    )
                    for m in moving
                ]
                await _confirm(channel, redriven)
                for message in moving:
                    await message.ack()
            finally:
                for message in skipped:
                    await message.nack(requeue=True)
        log.info("redrove %d dead letters back to %s", len(moving), queue)
        return len(moving)

    def _connected(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("RabbitMQBus is not started")
        return self._connection

    def _publishing_channel(self) -> AbstractChannel:
        if self._channel is None:
            raise RuntimeError("RabbitMQBus is not started")
        return self._channel


class _Consumer:
    """One subscription: buffers deliveries from its channel, hands them to the handler a batch at a time."""

    def __init__(self, bus: RabbitMQBus, subscription: Subscription, channel: AbstractChannel, queue: AbstractQueue):
        self._bus = bus
        self._subscription = subscription
        self._channel = channel
        self._queue = queue
        self._buffer: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._consumer_tag: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._idle = True
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consume:{self._queue.name}")
        self._consumer_tag = await self._queue.consume(self._on_message)

    async def stop(self) -> None:
        self._stopping = True
        try:
            if self._consumer_tag is not None and not self._channel.is_closed:
                await self._queue.cancel(self._consumer_tag)
        finally:
            if self._task is not None:
                if self._idle:
                    self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            # Closing the channel hands messages still buffered (unacknowledged) back to the queue.
            if not self._channel.is_closed:
                await self._channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._buffer.put_nowait(message)

    async def _run(self) -> None:
        limit = self._subscription.max_batch
        while not self._stopping:
            self._idle = True
            batch = [await self._buffer.get()]
            self._idle = False
            await asyncio.sleep(0)  # let deliveries already read from the socket reach the buffer
            while len(batch) < limit and not self._buffer.empty():
                batch.append(self._buffer.get_nowait())
            # Deliveries from a channel lost since (the robust connection reconnected) come again on the new one.
            batch = [m for m in batch if _channel_open(m)]
            if not batch:
                continue
            try:
                await self._handle(batch)
            except Exception:
                log.exception("consumer of %s failed on a batch of %d; requeued", self._queue.name, len(batch))
                await _requeue(batch)

    async def _handle(self, messages: list[AbstractIncomingMessage]) -> None:
        queue = self._queue.name
        deliveries = [_delivery(queue, m) for m in messages]
        try:
            outcomes = list(await self._subscription.handler(deliveries))
            if len(outcomes) != len(deliveries):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(deliveries)} deliveries")
        except Exception as error:  # the handler itself broke: every delivery in the batch failed
            log.exception("handler of %s failed on a batch of %d", queue, len(deliveries))
            outcomes = [error] * len(deliveries)
        count_outcomes(self._subscription, deliveries, outcomes)

        failed = [(m, d, o) for m, d, o in zip(messages, deliveries, outcomes, strict=True) if o is not None]
        if failed:
            copies = [self._failure_copy(m, d, error) for m, d, error in failed]
            try:
                await _confirm(self._bus._publishing_channel(), copies)
            except PublishError:
                log.exception("could not park %d failed messages of %s; requeueing them", len(failed), queue)
                for message, outcome in zip(messages, outcomes, strict=True):
                    if outcome is None:
                        await message.ack()
                    else:
                        await message.nack(requeue=True)
                return
        # All before the last message of this batch is settled (one consumer, in order), so one ack does.
        await messages[-1].ack(multiple=True)

    def _failure_copy(self, message: AbstractIncomingMessage, delivery: Delivery, error: BaseException) -> _Publish:
        """Where a failed delivery goes: the next retry queue, or the dead-letter queue."""
        if gives_up(delivery, error, self._subscription.retry):
            log.warning("dead-lettering %s from %s: %s", delivery.message_id, delivery.queue, error)
            target = dead_letter_queue(delivery.queue)
            headers = dead_letter_headers(delivery, error, datetime.now(UTC).isoformat())
        else:
            log.info(
                "retrying %s from %s after attempt %d: %s", delivery.message_id, delivery.queue, delivery.attempt, error
            )
            target = retry_queue(delivery.queue, delivery.attempt)
            headers = {
                **delivery.headers,
                ATTEMPTS_HEADER: delivery.attempt,
                ORIGINAL_ROUTING_KEY_HEADER: delivery.routing_key,
            }
        return "", target, delivery.body, _properties(delivery.message_id, message.content_type, headers)


async def _confirm(channel: AbstractChannel, publishes: Sequence[_Publish]) -> None:
    """Publish all at once (pipelined, in order on the channel); return when all are confirmed."""
    if not publishes:
        return
    # Straight to the aiormq channel: aio-pika's Message/Exchange.publish layer costs ~12% of throughput.
    underlay = await channel.get_underlay_channel()
    pending = asyncio.gather(
        *(
            underlay.basic_publish(
                body, exchange=exchange, routing_key=routing_key, properties=properties, mandatory=False
            )
            for exchange, routing_key, body, properties in publishes
        ),
        return_exceptions=True,
    )
    try:  # one deadline for the whole batch (a timer per message costs ~10% of publishing)
        results = await asyncio.wait_for(pending, _CONFIRM_TIMEOUT)
    except TimeoutError as error:
        raise PublishError(f"{len(publishes)} messages not confirmed within {_CONFIRM_TIMEOUT}s") from error
    errors = [r for r in results if not isinstance(r, spec.Basic.Ack)]
    if errors:
        message = f"{len(errors)} of {len(publishes)} messages not confirmed: {errors[0]!r}"
        raise PublishError(message) from (errors[0] if isinstance(errors[0], BaseException) else None)


async def _declare(
    channel: AbstractChannel, queue: str, exchange: str, bindings: Sequence[str], retry: RetryPolicy | None
) -> AbstractQueue:
    main = await channel.declare_queue(queue, durable=True, arguments=_QUEUE_ARGUMENTS)
    for pattern in bindings:
        await main.bind(exchange, pattern)
    await channel.declare_queue(dead_letter_queue(queue), durable=True)
    for attempt, delay in enumerate(retry.delays if retry else (), start=1):
        arguments: FieldTable = {
            "x-message-ttl": max(1, round(delay * 1000)),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue,
        }
        await channel.declare_queue(retry_queue(queue, attempt), durable=True, arguments=arguments)
    return main


async def _passive(channel: AbstractChannel, queue: str) -> AbstractQueue | None:
    try:
        return await channel.declare_queue(queue, passive=True)
    except ChannelNotFoundEntity:
        return None


async def _close_quietly(channel: AbstractChannel) -> None:
    try:
        await channel.close()
    except Exception as error:
        log.debug("could not close a channel: %r", error)


async def _requeue(messages: Sequence[AbstractIncomingMessage]) -> None:
    """Best effort: if the channel is gone, the broker requeues them anyway."""
    for message in messages:
        try:
            await message.nack(requeue=True)
        except Exception as error:
            log.debug("could not requeue a message: %r", error)


def _properties(message_id: str | None, content_type: str | None, headers: dict[str, Any]) -> spec.Basic.Properties:
    return spec.Basic.Properties(
        content_type=content_type, headers=headers, delivery_mode=_PERSISTENT, message_id=message_id
    )


def _channel_open(message: AbstractIncomingMessage) -> bool:
    try:
        return not message.channel.is_closed
    except ChannelInvalidStateError:  # aio-pika raises this for a closed channel
        return False


def _is_broker_header(name: str) -> bool:
    """Headers RabbitMQ adds when a retry queue's TTL dead-letters a message back."""
    return name == "x-death" or name.startswith(("x-first-death-", "x-last-death-"))


def _delivery(queue: str, message: AbstractIncomingMessage) -> Delivery:
    headers = {k: v for k, v in message.headers.items() if not _is_broker_header(k)}
    retries_done = int(headers.pop(ATTEMPTS_HEADER, 0))  # type: ignore[arg-type]
    routing_key = str(headers.pop(ORIGINAL_ROUTING_KEY_HEADER, message.routing_key or ""))
    return Delivery(
        queue=queue,
        routing_key=routing_key,
        body=message.body,
        message_id=message.message_id or "",
        headers=headers,
        attempt=retries_done + 1,
        redelivered=bool(message.redelivered) or retries_done > 0,
    )
