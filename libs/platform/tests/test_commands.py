"""Command consumers (omnibus.platform.commands), on the in-process bus and on RabbitMQ: exactly once in effect,
one reply per command (published by the relay with the command's correlation id), rejections answered, bad
commands dead-lettered, transient failures retried, conflicts decided again, lost replies repeated."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from pydantic import Field
from sqlalchemy import Engine, create_engine

from omnibus.contracts.commands import Command, CommandReplied, command_headers
from omnibus.contracts.topology import COMMANDS_EXCHANGE, EVENTS_EXCHANGE
from omnibus.platform.commands import CommandConsumer, CommandRejected
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import ServiceApplication, eventstore_env
from omnibus.platform.messaging.bus import Bus, Delivery, OutgoingMessage, RetryPolicy, Subscription
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.readmodels import create_tables
from omnibus.platform.relay import Outbound, OutboxRelay, OutgoingCommand, to_message
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually_async, unique_name


class Add(Command):
    context: ClassVar[str] = "tally"
    name: ClassVar[str] = "Add"
    queue: ClassVar[str] = "tally.commands"
    tally: str = Field(min_length=1)
    amount: int


class TallyReplied(CommandReplied):
    context: ClassVar[str] = "tally"


class Tally(Aggregate):
    id: uuid.UUID

    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.total = 0

    @event("Added")
    def add(self, amount: int) -> None:
        self.total += amount


def tally_id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tally:{name}")


class TallyApp(ServiceApplication):
    name = "tally"

    def add(self, name: str, amount: int) -> Tally:
        try:
            tally: Tally = self.repository.get(tally_id(name))
        except AggregateNotFoundError:
            tally = Tally(name=name, id=tally_id(name))  # type: ignore[call-arg]
        tally.add(amount)
        self.save(tally)
        return tally

    def total(self, name: str) -> int:
        try:
            tally: Tally = self.repository.get(tally_id(name))
        except AggregateNotFoundError:
            return 0
        return tally.total


@dataclass
class Handlers:
    """The handler of ``Add``; ``flaky`` fails that many first calls, ``meddle`` changes the tally concurrently
    (another writer) during the first call."""

    flaky: int = 0
    meddle: bool = False
    calls: int = 0
    log: list[str] = field(default_factory=list)

    def add(self, command: Add, app: TallyApp) -> dict[str, Any]:
        self.calls += 1
        if self.flaky > 0:
            self.flaky -= 1
            raise ConnectionError("database restarting")
        if command.amount < 0:
            raise CommandRejected("amounts are positive")
        tally = app.add(command.tally, command.amount)
        if self.meddle:
            self.meddle = False
            with command_context(CommandContext()):  # outside the command: commits at once
                app.add(command.tally, 100)
        return {"total": tally.total}


def command_message(command: Command, command_id: str, attempt: int = 1) -> OutgoingMessage:
    headers = command_headers(
        command_id=command_id,
        command_type=command.command_type(),
        source="issuer",
        issued_at=datetime.now(UTC).isoformat(),
        attempt=attempt,
        actor={"user_id": 7, "auth_method": "jwt"},
        correlation_id="flow-1",
    )
    return OutgoingMessage(
        command.routing_key(), command.model_dump_json().encode(), f"{command_id}#{attempt}", headers, COMMANDS_EXCHANGE
    )


@dataclass
class Receiver:
    bus: Bus
    app: TallyApp
    relay: OutboxRelay
    replies: list[Delivery]
    consumer: CommandConsumer

    async def send(self, *messages: OutgoingMessage) -> None:
        await self.bus.publish(list(messages))

    async def replied(self, count: int) -> list[dict[str, Any]]:
        async def check() -> list[dict[str, Any]]:
            await self.relay.relay_once()
            assert len(self.replies) >= count, self.replies
            return [json.loads(d.body) for d in self.replies]

        return await eventually_async(check, timeout=15)


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def bus_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    yield "memory" if request.param == "memory" else request.getfixturevalue("fresh_vhost")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path}/read.sqlite3")
    create_tables(engine)
    return engine


@asynccontextmanager
async def receiver(bus_kind: str, engine: Engine, handlers: Handlers, deferred: bool = True) -> AsyncIterator[Receiver]:
    bus: Bus
    if bus_kind == "memory":
        bus = InMemoryBus()
    else:
        from omnibus.platform.messaging.rabbitmq import RabbitMQBus

        bus = RabbitMQBus(bus_kind, connection_name="commands-test")
    await bus.start()
    app = TallyApp(env=eventstore_env(ServiceSettings(database_url="memory://").for_service("tally"), "tally"))
    consumer = CommandConsumer(app, Add.queue, {Add: handlers.add}, deferred=deferred, retry=RetryPolicy((0.05, 0.1)))
    replies: list[Delivery] = []

    async def collect(batch: Any) -> list[None]:
        replies.extend(batch)
        return [None] * len(batch)

    replies_queue = unique_name("replies")
    await bus.subscribe(Subscription(replies_queue, ("tally.CommandReplied",), collect, exchange=EVENTS_EXCHANGE))
    await bus.subscribe(consumer.subscription())
    outbound = Outbound(source="tally", to_integration=lambda e: None, topics=(), replies=TallyReplied)
    try:
        yield Receiver(bus, app, OutboxRelay(app, engine, bus, outbound), replies, consumer)
    finally:
        await bus.close()


def test_a_command_is_applied_once_and_answered_with_its_correlation_id(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers()

    async def scenario() -> tuple[list[dict[str, Any]], Receiver]:
        async with receiver(bus_kind, engine, handlers) as r:
            await r.send(command_message(Add(tally="t", amount=5), "c-1"))
            return await r.replied(1), r

    [reply], r = asyncio.run(scenario())

    assert reply | {"issuer": reply["issuer"]} == {
        "command_id": "c-1",
        "command_type": "tally.Add.v1",
        "issuer": "issuer",
        "correlation_id": "flow-1",
        "outcome": "completed",
        "result": {"total": 5},
        "reason": None,
        "attempt": 1,
    }
    assert r.replies[0].headers["correlation_id"] == "flow-1"
    assert r.app.total("t") == 5


def test_redelivered_and_republished_commands_have_no_second_effect(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers()

    async def scenario() -> tuple[int, int]:
        async with receiver(bus_kind, engine, handlers) as r:
            message = command_message(Add(tally="t", amount=5), "c-1")
            await r.send(message, message)  # the issuer's relay re-publishing after a crash
            await r.replied(1)
            await r.send(message)
            await r.send(command_message(Add(tally="t", amount=1), "c-2"))
            await r.replied(2)
            return r.app.total("t"), len(r.replies)

    total, replies = asyncio.run(scenario())

    assert (total, replies, handlers.calls) == (6, 2, 2)


def test_a_rejected_command_is_answered_rejected_and_changes_nothing(bus_kind: str, engine: Engine) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], int]:
        async with receiver(bus_kind, engine, Handlers()) as r:
            await r.send(command_message(Add(tally="t", amount=-1), "c-1"))
            return await r.replied(1), r.app.total("t")

    [reply], total = asyncio.run(scenario())

    assert (reply["outcome"], reply["reason"], total) == ("rejected", "amounts are positive", 0)


def test_undecodable_commands_are_dead_lettered_with_the_reason(bus_kind: str, engine: Engine) -> None:
    async def scenario() -> list[str]:
        async with receiver(bus_kind, engine, Handlers()) as r:
            good = command_message(Add(tally="t", amount=1), "c-1")
            await r.send(OutgoingMessage(good.routing_key, b'{"tally": ""}', "m-1", good.headers, COMMANDS_EXCHANGE))
            await r.send(OutgoingMessage(good.routing_key, good.body, "m-2", {"source": "x"}, COMMANDS_EXCHANGE))

            async def dead() -> list[str]:
                letters = await r.bus.dead_letters(Add.queue)
                assert len(letters) == 2
                return sorted(d.error for d in letters)

            return await eventually_async(dead, timeout=15)

    errors = asyncio.run(scenario())

    assert all(e.startswith("invalid Add") for e in errors), errors


def test_a_transient_failure_is_retried_and_applied_once(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers(flaky=1)

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        async with receiver(bus_kind, engine, handlers) as r:
            await r.send(command_message(Add(tally="t", amount=3), "c-1"))
            return await r.replied(1), r.app.total("t")

    [reply], total = asyncio.run(scenario())

    assert (reply["outcome"], total, handlers.calls) == ("completed", 3, 2)


def test_effects_and_reply_commit_together_so_a_conflict_decides_again(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers(meddle=True)

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        async with receiver(bus_kind, engine, handlers) as r:
            await r.send(command_message(Add(tally="t", amount=3), "c-1"))
            return await r.replied(1), r.app.total("t")

    [reply], total = asyncio.run(scenario())

    # the first decision (0 + 3) conflicted with the concurrent +100 and was not committed, nor its reply
    assert (reply["result"], total, handlers.calls) == ({"total": 103}, 103, 2)


def test_a_later_attempt_gets_the_reply_again_without_a_second_effect(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers()

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        async with receiver(bus_kind, engine, handlers) as r:
            await r.send(command_message(Add(tally="t", amount=5), "c-1"))
            await r.replied(1)
            await r.send(command_message(Add(tally="t", amount=5), "c-1", attempt=2))  # the reply was lost
            return await r.replied(2), r.app.total("t")

    replies, total = asyncio.run(scenario())

    assert [(x["attempt"], x["result"]) for x in replies] == [(1, {"total": 5}), (2, {"total": 5})]
    assert (total, handlers.calls) == (5, 1)


def test_a_not_deferred_handler_commits_its_saves_as_it_goes(bus_kind: str, engine: Engine) -> None:
    handlers = Handlers()

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        async with receiver(bus_kind, engine, handlers, deferred=False) as r:
            message = command_message(Add(tally="t", amount=2), "c-1")
            await r.send(message, message)
            return await r.replied(1), r.app.total("t")

    [reply], total = asyncio.run(scenario())

    assert (reply["outcome"], total, handlers.calls) == ("completed", 2, 1)


def test_the_relay_sends_a_recorded_command_to_the_commands_exchange() -> None:
    @dataclass
    class Issued:
        timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))

    outbound = Outbound(
        source="issuer",
        to_integration=lambda e: OutgoingCommand(Add(tally="t", amount=1), "job-1/add", 2, "job:1"),
        topics=(),
    )
    notification = type("N", (), {"originator_id": uuid.uuid4(), "originator_version": 3, "id": 9})()

    message = to_message(outbound, notification, Issued())  # type: ignore[arg-type]

    assert message is not None
    assert (message.exchange, message.routing_key) == (COMMANDS_EXCHANGE, "tally.Add")
    assert message.message_id == "job-1/add#2"
    assert {k: message.headers[k] for k in ("command_id", "command_type", "source", "attempt", "correlation_id")} == {
        "command_id": "job-1/add",
        "command_type": "tally.Add.v1",
        "source": "issuer",
        "attempt": 2,
        "correlation_id": "job:1",
    }
    assert json.loads(message.body) == {"tally": "t", "amount": 1}
