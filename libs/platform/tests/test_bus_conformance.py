"""One suite, two buses: the in-process bus and the RabbitMQ bus must behave the same (bus.py's contract)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.messaging.bus import (
    Bus,
    Delivery,
    Outcome,
    OutgoingMessage,
    PermanentError,
    RetryPolicy,
    Subscription,
    topic_matches,
)
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.testing.helpers import eventually_async, unique_name

FAST_RETRY = RetryPolicy(delays=(0.05, 0.1))


@dataclass
class BusKit:
    """Makes buses of one kind and hands out queue names, deleted afterwards on RabbitMQ."""

    kind: str
    amqp_url: str = ""
    queues: list[str] = field(default_factory=list)

    def queue(self) -> str:
        name = unique_name("conformance")
        self.queues.append(name)
        return name

    @asynccontextmanager
    async def bus(self) -> AsyncIterator[Bus]:
        bus: Bus
        if self.kind == "memory":
            bus = InMemoryBus()
        else:
            from omnibus.platform.messaging.rabbitmq import RabbitMQBus

            bus = RabbitMQBus(self.amqp_url, connection_name="conformance-test")
        await bus.start()
        try:
            yield bus
        finally:
            await bus.close()


async def _delete_queues(url: str, queues: list[str]) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection:
        for queue in queues:
            for name in [queue, f"{queue}.dlq", *(f"{queue}.retry.{n}" for n in range(1, 4))]:
                try:
                    async with connection.channel() as channel:
                        await channel.queue_delete(name)
                except Exception:
                    pass


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def bus_factory(request: pytest.FixtureRequest) -> Iterator[BusKit]:
    if request.param == "memory":
        yield BusKit("memory")
        return
    kit = BusKit("rabbitmq", request.getfixturevalue("amqp_url"))
    yield kit
    asyncio.run(_delete_queues(kit.amqp_url, kit.queues))


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def topic() -> str:
    """A routing-key prefix no other test uses."""
    return f"test{uuid.uuid4().hex[:10]}"


def message(routing_key: str, n: int = 0, **headers: Any) -> OutgoingMessage:
    return OutgoingMessage(routing_key, f'{{"n": {n}}}'.encode(), f"m-{n}-{uuid.uuid4().hex[:8]}", {"n": n, **headers})


@dataclass
class Recorder:
    """A handler that records deliveries and batches; ``fail`` decides a delivery's outcome."""

    fail: Callable[[Delivery], BaseException | None] = lambda _: None
    seen: list[Delivery] = field(default_factory=list)
    handled: list[Delivery] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)

    async def __call__(self, batch: Sequence[Delivery]) -> list[Outcome]:
        self.batches.append(len(batch))
        outcomes: list[Outcome] = []
        for delivery in batch:
            self.seen.append(delivery)
            error = self.fail(delivery)
            if error is None:
                self.handled.append(delivery)
            outcomes.append(error)
        return outcomes

    def handled_ids(self) -> list[str]:
        return [d.message_id for d in self.handled]

    async def wait_handled(self, count: int) -> None:
        async def check() -> None:
            assert len(self.handled) >= count, f"{len(self.handled)} of {count} handled"

        await eventually_async(check)


def subscription(queue: str, bindings: Sequence[str], handler: Recorder, **options: Any) -> Subscription:
    return Subscription(queue, tuple(bindings), handler, retry=FAST_RETRY, **options)


def test_publish_routes_by_pattern_in_order_with_message_intact(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue, handler = topic(), bus_factory.queue(), Recorder()
            await bus.subscribe(subscription(queue, [f"{t}.*.Created", f"{t}.billing.#"], handler))
            wanted = [
                message(f"{t}.customers.Created", 1, trace="abc"),
                message(f"{t}.billing", 2),  # '#' matches zero words
                message(f"{t}.billing.invoice.Issued", 3),
                message(f"{t}.orders.Created", 4),
            ]
            unwanted = [message(f"{t}.customers.Updated", 5), message(f"{t}.customers.x.Created", 6)]
            last = message(f"{t}.billing.Last", 7)
            await bus.publish([wanted[0], unwanted[0], wanted[1], wanted[2], unwanted[1], wanted[3], last])
            await handler.wait_handled(5)
            await asyncio.sleep(0.1)

            assert handler.handled_ids() == [m.message_id for m in [*wanted, last]]
            for sent, got in zip([*wanted, last], handler.handled, strict=True):
                assert (got.routing_key, got.body, got.headers) == (sent.routing_key, sent.body, sent.headers)
                assert (got.queue, got.attempt, got.redelivered) == (queue, 1, False)

    run(scenario)


def test_the_commands_exchange_routes_exact_keys_to_a_queue_declared_before_its_consumer(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue, handler = topic(), bus_factory.queue(), Recorder()
            await bus.declare_queue(queue, [f"{t}.Reserve"], exchange=COMMANDS_EXCHANGE)  # by the issuer
            sent = [
                replace(message(f"{t}.Reserve", 1), exchange=COMMANDS_EXCHANGE),
                replace(message(f"{t}.Other", 2), exchange=COMMANDS_EXCHANGE),  # no queue takes it
                message(f"{t}.Reserve", 3),  # the events exchange: not a command
            ]
            await bus.publish(sent)
            await bus.subscribe(subscription(queue, [f"{t}.Reserve"], handler, exchange=COMMANDS_EXCHANGE))
            await handler.wait_handled(1)
            await asyncio.sleep(0.1)

            assert handler.handled_ids() == [sent[0].message_id]

    run(scenario)


def test_failed_message_is_retried_with_attempt_count_then_succeeds(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            handler = Recorder(fail=lambda d: RuntimeError("flaky") if d.attempt < 3 else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            sent = message(f"{t}.Thing", 1, trace="xyz")
            await bus.publish([sent])
            await handler.wait_handled(1)
            await asyncio.sleep(0.3)

            assert [d.attempt for d in handler.seen] == [1, 2, 3]
            assert [d.redelivered for d in handler.seen] == [False, True, True]
            assert handler.handled_ids() == [sent.message_id]  # effect applied once
            for delivery in handler.seen:
                assert (delivery.routing_key, delivery.body, delivery.headers) == (
                    sent.routing_key,
                    sent.body,
                    sent.headers,
                )
            assert await bus.dead_letters(queue) == []

    run(scenario)


def test_always_failing_message_is_dead_lettered_and_does_not_block(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            handler = Recorder(fail=lambda d: ValueError("boom 42") if d.headers.get("bad") else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            bad = message(f"{t}.Thing", 1, bad=True)
            await bus.publish([bad, message(f"{t}.Thing", 2)])
            await handler.wait_handled(1)

            async def dead_lettered() -> None:
                assert len(await bus.dead_letters(queue)) == 1

            await eventually_async(dead_lettered)
            [dead] = await bus.dead_letters(queue)
            assert (dead.message_id, dead.routing_key, dead.body) == (
                bad.message_id,
                bad.routing_key,
                bad.body,
            )
            assert (dead.queue, dead.error, dead.error_type, dead.attempts) == (
                queue,
                "boom 42",
                "ValueError",
                3,
            )
            assert dead.failed_at
            assert [d.attempt for d in handler.seen if d.message_id == bad.message_id] == [1, 2, 3]

            later = message(f"{t}.Thing", 3)
            await bus.publish([later])
            await handler.wait_handled(2)
            assert handler.handled_ids()[-1] == later.message_id

    run(scenario)


def test_outcomes_are_counted_per_queue(bus_factory: BusKit) -> None:
    """The metrics SREs alert on: handled, retried and dead-lettered messages per subscription."""
    from prometheus_client import REGISTRY

    def count(queue: str, outcome: str) -> float:
        return REGISTRY.get_sample_value("omnibus_consumer_messages_total", {"queue": queue, "outcome": outcome}) or 0

    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            handler = Recorder(fail=lambda d: ValueError("boom") if d.headers.get("bad") else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            await bus.publish([message(f"{t}.Thing", 1, bad=True), message(f"{t}.Thing", 2)])

            async def counted() -> None:
                assert (count(queue, "ok"), count(queue, "retried"), count(queue, "dead_lettered")) == (1, 2, 1)

            await eventually_async(counted)

    run(scenario)


def test_permanent_error_is_dead_lettered_without_retry(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            handler = Recorder(fail=lambda d: PermanentError("undecodable"))
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            sent = message(f"{t}.Thing", 1)
            await bus.publish([sent])

            async def dead_lettered() -> None:
                assert len(await bus.dead_letters(queue)) == 1

            await eventually_async(dead_lettered)
            await asyncio.sleep(0.3)  # longer than every retry delay
            [dead] = await bus.dead_letters(queue)
            assert (dead.message_id, dead.error, dead.error_type, dead.attempts) == (
                sent.message_id,
                "undecodable",
                "PermanentError",
                1,
            )
            assert [d.attempt for d in handler.seen] == [1]

    run(scenario)


def test_dead_letters_are_kept_until_redriven_to_a_fixed_handler(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            broken = {"yes": True}
            handler = Recorder(fail=lambda d: PermanentError("bug") if broken["yes"] else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            sent = message(f"{t}.Thing", 1, trace="t1")
            await bus.publish([sent])

            async def dead_lettered() -> None:
                assert len(await bus.dead_letters(queue)) == 1

            await eventually_async(dead_lettered)
            assert len(await bus.dead_letters(queue)) == 1  # inspecting does not remove
            assert len(await bus.dead_letters(queue, limit=1)) == 1

            broken["yes"] = False
            assert await bus.redrive(queue) == 1
            await handler.wait_handled(1)
            [redriven] = handler.handled
            assert (redriven.message_id, redriven.routing_key, redriven.body, redriven.attempt) == (
                sent.message_id,
                sent.routing_key,
                sent.body,
                1,
            )
            assert redriven.headers["trace"] == "t1"
            assert await bus.dead_letters(queue) == []
            assert await bus.redrive(queue) == 0

    run(scenario)


def test_a_dead_letter_redriven_with_a_fixed_body_is_handled_with_it(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            handler = Recorder(fail=lambda d: PermanentError("bad amount") if b"oops" in d.body else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            sent = OutgoingMessage(f"{t}.Thing", b'{"amount": "oops"}', "fix-me", {"trace": "t9"})
            await bus.publish([sent])

            async def dead_lettered() -> None:
                assert len(await bus.dead_letters(queue)) == 1

            await eventually_async(dead_lettered)
            assert await bus.redrive(queue, ["fix-me"], {"fix-me": b'{"amount": "1.50"}'}) == 1
            await handler.wait_handled(1)

            [handled] = handler.handled
            assert (handled.message_id, handled.body, handled.headers["trace"]) == (
                "fix-me",
                b'{"amount": "1.50"}',
                "t9",
            )
            assert await bus.dead_letters(queue) == []

    run(scenario)


def test_redrive_by_message_id_moves_only_the_chosen_ones(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue = topic(), bus_factory.queue()
            broken = {"yes": True}
            handler = Recorder(fail=lambda d: PermanentError("bug") if broken["yes"] else None)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler))
            first, second, third = (message(f"{t}.Thing", n) for n in (1, 2, 3))
            await bus.publish([first, second, third])

            async def dead_lettered() -> None:
                assert len(await bus.dead_letters(queue)) == 3

            await eventually_async(dead_lettered)
            broken["yes"] = False
            assert await bus.redrive(queue, [second.message_id]) == 1
            await handler.wait_handled(1)
            await asyncio.sleep(0.1)
            assert handler.handled_ids() == [second.message_id]
            remaining = [d.message_id for d in await bus.dead_letters(queue)]
            assert sorted(remaining) == sorted([first.message_id, third.message_id])

    run(scenario)


def test_handler_receives_batches_and_every_message_once_in_order(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue, handler = topic(), bus_factory.queue(), Recorder()
            await bus.declare_queue(queue, [f"{t}.#"])  # keeps what is published before the subscriber
            sent = [message(f"{t}.Thing", n) for n in range(200)]
            await bus.publish(sent)
            await bus.subscribe(subscription(queue, [f"{t}.#"], handler, max_batch=64))
            await handler.wait_handled(200)
            await asyncio.sleep(0.2)

            assert handler.handled_ids() == [m.message_id for m in sent]
            assert max(handler.batches) > 1
            assert max(handler.batches) <= 64

    run(scenario)


def test_send_to_queue_and_queue_depth_on_a_declared_queue(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            t, queue, handler = topic(), bus_factory.queue(), Recorder()
            await bus.declare_queue(queue)
            assert await bus.queue_depth(queue) == 0
            sent = [message(f"{t}.Thing{n}", n) for n in range(3)]
            await bus.send_to_queue(queue, sent)

            async def three_ready() -> None:
                assert await bus.queue_depth(queue) == 3

            await eventually_async(three_ready)
            await bus.subscribe(subscription(queue, [], handler))
            await handler.wait_handled(3)
            assert [(d.message_id, d.routing_key, d.headers) for d in handler.handled] == [
                (m.message_id, m.routing_key, m.headers) for m in sent
            ]

            async def drained() -> None:
                assert await bus.queue_depth(queue) == 0

            await eventually_async(drained)

    run(scenario)


def test_close_lets_the_batch_in_flight_finish(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        t, queue, started = topic(), bus_factory.queue(), asyncio.Event()
        finished: list[str] = []

        async def slow(batch: Sequence[Delivery]) -> list[Outcome]:
            started.set()
            await asyncio.sleep(0.3)
            finished.extend(d.message_id for d in batch)
            return [None] * len(batch)

        sent = message(f"{t}.Thing", 1)
        async with bus_factory.bus() as bus:
            await bus.subscribe(Subscription(queue, (f"{t}.#",), slow, retry=FAST_RETRY))
            await bus.publish([sent])
            await asyncio.wait_for(started.wait(), timeout=10)
        assert finished == [sent.message_id]
        async with bus_factory.bus() as bus:
            assert await bus.queue_depth(queue) == 0  # acknowledged, not handed back

    run(scenario)


def test_is_ready_until_closed(bus_factory: BusKit) -> None:
    async def scenario() -> None:
        async with bus_factory.bus() as bus:
            assert await bus.is_ready()
        assert not await bus.is_ready()

    run(scenario)


@pytest.mark.parametrize(
    ("pattern", "routing_key", "matches"),
    [
        ("a.b.c", "a.b.c", True),
        ("a.b.c", "a.b", False),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.b.x.c", False),
        ("a.*", "a", False),
        ("a.#", "a", True),
        ("a.#", "a.b.c", True),
        ("#", "anything.at.all", True),
        ("#.c", "a.b.c", True),
        ("a.#.c", "a.c", True),
        ("a.#.c", "a.b.d", False),
        ("*.b.#", "a.b", True),
        ("*.b.#", "b", False),
    ],
)
def test_topic_matches(pattern: str, routing_key: str, matches: bool) -> None:
    assert topic_matches(pattern, routing_key) is matches
