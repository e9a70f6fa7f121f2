"""Fault injection on the consuming side: crashes before the ack, failures mid-batch, a killed process.

The consumer's effects and its inbox record commit together, so a redelivery is acknowledged without effect.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, create_engine, func, select
from sqlalchemy.exc import ProgrammingError

from omnibus.billing.readmodel.tables import directory_customers
from omnibus.contracts import Envelope
from omnibus.contracts.customers import CustomerCreated
from omnibus.platform.consumers import BusProjection, ReceivedEvent, SourceConsumer
from omnibus.platform.messaging.bus import OutgoingMessage, RetryPolicy
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.platform.readmodels import Rows, consumer_inbox, create_tables
from omnibus.testing import eventually
from omnibus.testing.helpers import eventually_async

from .test_relay_crash import record_customers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

metadata = MetaData()
applications = Table(
    "test_applications", metadata, Column("name", String(50), primary_key=True), Column("count", BigInteger)
)


class CountingProjection(BusProjection):
    """Not idempotent on purpose: every application adds one, so a double effect shows."""

    name = "counting"
    tables = (applications,)
    handles = (CustomerCreated,)
    fail_on: set[int] = set()

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        if event.envelope.position in self.fail_on:
            self.fail_on.discard(event.envelope.position)
            raise RuntimeError(f"transient failure at position {event.envelope.position}")
        row = rows(applications).get("total") or {"name": "total", "count": 0}
        rows(applications).put({**row, "count": row["count"] + 1})


def created_message(position: int) -> OutgoingMessage:
    payload = CustomerCreated(
        customer_id=position,
        customer_name=f"c{position}",
        customer_account_type="Individual",
        customer_status="Open",
        customer_payment_type="prepaid",
        customer_enabled=True,
        created=datetime.now(UTC),
    )
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type(),
        event_version=1,
        source="customers",
        position=position,
        aggregate_type="Customer",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        occurred_at=datetime.now(UTC),
    )
    return OutgoingMessage(
        payload.routing_key(), payload.model_dump_json().encode(), str(envelope.event_id), envelope.to_headers()
    )


def engine_for(url: str) -> Engine:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    create_tables(engine, metadata)
    return engine


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(applications.c.count).where(applications.c.name == "total")).scalar() or 0)


async def run_consumer(amqp_url: str, consumer: SourceConsumer, messages: list[OutgoingMessage], until) -> RabbitMQBus:
    bus = RabbitMQBus(amqp_url)
    await bus.start()
    for subscription in consumer.subscriptions():
        await bus.subscribe(subscription)
    await bus.publish(messages)
    await eventually_async(until, timeout=30)
    return bus


def test_crash_after_commit_before_ack_has_no_double_effect(fresh_vhost, fresh_database) -> None:
    engine = engine_for(fresh_database)
    consumer = SourceConsumer("billing", engine, "customers", [CountingProjection()], RetryPolicy(delays=(0.05, 0.1)))
    real_handle, crashes = consumer.handle, []

    async def crash_once_after_commit(deliveries):
        outcomes = await real_handle(deliveries)
        if not crashes:
            crashes.append(len(deliveries))
            raise RuntimeError("process died before acknowledging")
        return outcomes

    consumer.handle = crash_once_after_commit  # the subscription calls this bound handler

    async def scenario() -> None:
        async def all_applied() -> None:
            assert count(engine) == 300

        bus = await run_consumer(fresh_vhost, consumer, [created_message(p) for p in range(1, 301)], all_applied)
        await asyncio.sleep(0.5)  # the redelivered batch comes back from the retry queue meanwhile
        await bus.close()

    asyncio.run(scenario())

    assert crashes and crashes[0] >= 1
    assert count(engine) == 300
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(consumer_inbox)).scalar() == 300


def test_failure_in_the_middle_of_a_batch_rolls_back_and_applies_each_event_once(fresh_vhost, fresh_database) -> None:
    engine = engine_for(fresh_database)
    projection = CountingProjection()
    projection.fail_on = {5, 150}
    consumer = SourceConsumer("billing", engine, "customers", [projection], RetryPolicy(delays=(0.05, 0.1)))

    async def scenario() -> None:
        async def all_applied() -> None:
            assert count(engine) == 200

        bus = await run_consumer(fresh_vhost, consumer, [created_message(p) for p in range(1, 201)], all_applied)
        await asyncio.sleep(0.3)
        await bus.close()

    asyncio.run(scenario())

    assert count(engine) == 200
    assert projection.fail_on == set()


def test_poison_message_is_dead_lettered_with_its_error_and_does_not_block(fresh_vhost, fresh_database) -> None:
    engine = engine_for(fresh_database)
    consumer = SourceConsumer("billing", engine, "customers", [CountingProjection()], RetryPolicy(delays=(0.05,)))
    garbage = OutgoingMessage("customers.CustomerCreated", b"{not json", "poison-1", {"event_type": "nope"})
    bad_payload = created_message(2)
    bad_payload = OutgoingMessage(
        bad_payload.routing_key, json.dumps({"customer_id": "x"}).encode(), "poison-2", bad_payload.headers
    )

    async def scenario() -> list:
        async def healthy_applied() -> None:
            assert count(engine) == 2

        bus = await run_consumer(
            fresh_vhost, consumer, [garbage, bad_payload, created_message(3), created_message(4)], healthy_applied
        )
        dead = await bus.dead_letters("billing.from.customers")
        await bus.close()
        return dead

    dead = asyncio.run(scenario())

    assert {d.message_id for d in dead} == {"poison-1", "poison-2"}
    assert all(d.error_type == "PermanentError" and "undecodable" in d.error for d in dead)
    assert all(d.attempts == 1 for d in dead)


def test_billing_workers_killed_mid_stream_lose_nothing_and_apply_nothing_twice(launch, databases, service_env) -> None:
    events = 5_000
    record_customers(databases["customers"], events)
    billing = launch("billing", role="workers")
    asyncio.run(_wait_for_queue(service_env["OMNIBUS_AMQP_URL"], "billing.from.customers"))  # else events go nowhere
    launch("customers", role="workers")
    engine = create_engine(databases["billing"].replace("postgresql://", "postgresql+psycopg://"))

    def inbox_count() -> int:
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(consumer_inbox)).scalar() or 0)
        except ProgrammingError:  # billing has not created its tables yet
            return 0

    eventually(lambda: _assert(inbox_count() >= 500), timeout=60, interval=0.005)
    billing.kill()
    at_kill = inbox_count()
    launch("billing", role="workers")
    try:
        eventually(lambda: _assert(inbox_count() == events), timeout=60)
    except AssertionError:
        depths = asyncio.run(_depths(service_env["OMNIBUS_AMQP_URL"], "billing.from.customers"))
        raise AssertionError(f"inbox has {inbox_count()} of {events} (at kill: {at_kill}); queues: {depths}") from None

    with engine.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(directory_customers)).scalar()
    engine.dispose()
    assert at_kill < events, "billing finished before it was killed: the test proved nothing"
    assert customers == events


async def _wait_for_queue(url: str, queue: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection:
        for _ in range(300):
            channel = await connection.channel()
            try:
                await channel.declare_queue(queue, passive=True)
                return
            except aio_pika.exceptions.ChannelClosed:
                await asyncio.sleep(0.05)
    raise AssertionError(f"{queue} was never declared")


async def _depths(url: str, queue: str) -> dict[str, int]:
    bus = RabbitMQBus(url)
    await bus.start()
    try:
        names = [queue, f"{queue}.dlq", f"{queue}.retry.1", f"{queue}.retry.2", f"{queue}.retry.3"]
        return {name: await bus.queue_depth(name) for name in names}
    finally:
        await bus.close()


def _assert(condition: bool) -> None:
    assert condition
