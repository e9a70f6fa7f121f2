"""Bus handlers of one upstream context share its queue: read models exactly once, reactions at least once and
never again once recorded (in-process bus, SQLite; the RabbitMQ fault tests are in tests/faults)."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select

from omnibus.contracts import Envelope
from omnibus.contracts.customers import CustomerCreated, CustomerUpdated
from omnibus.platform.consumers import BusProjection, Reaction, ReceivedEvent, source_consumers
from omnibus.platform.messaging.bus import OutgoingMessage, RetryPolicy
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.readmodels import Rows, create_tables
from omnibus.testing.helpers import eventually_async

metadata = MetaData()
names = Table("test_names", metadata, Column("id", Integer, primary_key=True), Column("name", String(100)))


class Names(BusProjection):
    name = "names"
    tables = (names,)
    handles = (CustomerCreated,)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        payload = event.payload
        rows(names).put({"id": payload.customer_id, "name": payload.customer_name})  # type: ignore[attr-defined]


class Welcome(Reaction):
    """Records the commands it would give; fails the first time for customers named in ``flaky``."""

    name = "welcome"
    handles = (CustomerCreated, CustomerUpdated)

    def __init__(self, flaky: set[int] | None = None) -> None:
        self.commands: list[tuple[str, int]] = []
        self.flaky = flaky or set()

    def react(self, event: ReceivedEvent) -> None:
        customer_id = event.payload.customer_id  # type: ignore[attr-defined]
        if customer_id in self.flaky:
            self.flaky.discard(customer_id)
            raise RuntimeError("mail server unreachable")
        self.commands.append((type(event.payload).__name__, customer_id))


def message(position: int, payload: CustomerCreated | CustomerUpdated) -> OutgoingMessage:
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


def created(position: int) -> OutgoingMessage:
    return message(
        position,
        CustomerCreated(
            customer_id=position,
            customer_name=f"c{position}",
            customer_account_type="Individual",
            customer_status="Open",
            customer_payment_type="prepaid",
            customer_enabled=True,
            created=datetime.now(UTC),
        ),
    )


def updated(position: int, customer_id: int) -> OutgoingMessage:
    return message(
        position, CustomerUpdated(customer_id=customer_id, changed_fields=["customer_name"], customer_name="x")
    )


def test_a_projection_and_a_reaction_share_the_source_queue_and_redeliveries_change_nothing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/read.sqlite3")
    create_tables(engine, metadata)
    welcome = Welcome(flaky={2})
    [consumer] = source_consumers("billing", engine, [Names(), welcome])
    [subscription] = consumer.subscriptions()
    fast = type(subscription)(subscription.queue, subscription.bindings, subscription.handler, RetryPolicy((0.01,)))
    messages = [created(1), created(2), updated(3, 1)]

    async def scenario() -> None:
        bus = InMemoryBus()
        await bus.start()
        await bus.subscribe(fast)
        await bus.publish(messages)

        async def done() -> None:
            assert len(welcome.commands) == 3

        await eventually_async(done)
        await bus.publish(messages)  # a relay re-publishing after a crash
        await asyncio.sleep(0.1)
        await bus.close()

    asyncio.run(scenario())

    assert subscription.queue == "billing.from.customers"
    assert set(subscription.bindings) == {"customers.CustomerCreated", "customers.CustomerUpdated"}
    assert sorted(welcome.commands) == [("CustomerCreated", 1), ("CustomerCreated", 2), ("CustomerUpdated", 1)]
    with engine.connect() as conn:
        assert dict(conn.execute(select(names.c.id, names.c.name)).all()) == {1: "c1", 2: "c2"}
