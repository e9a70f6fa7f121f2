"""The operators' commands against real stores and a real broker: tail, replay, rebuild, dead letters."""

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from omnibus.contracts.customers import CustomerCreated
from omnibus.customers.readmodel.tables import customers as customer_rows
from omnibus.platform.cli import main
from omnibus.platform.messaging.bus import OutgoingMessage, PermanentError, RetryPolicy, Subscription
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.platform.runtime import build_services
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually_async

FIELDS = {
    "customer_account_type": "Individual",
    "customer_status": "Open",
    "customer_payment_type": "prepaid",
    "customer_enabled": True,
    "tax_identifier": None,
    "contract_start_date": None,
    "contract_end_date": None,
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    """A customers store on SQLite with three customers; the CLI reads the same settings from the environment."""
    monkeypatch.setenv("OMNIBUS_DATABASE_URL", f"sqlite:///{tmp_path}/data")
    monkeypatch.setenv("OMNIBUS_DEV_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    settings = ServiceSettings()
    _, (runtime,) = build_services(settings, ["customers"], allow_dev_key=True)
    for name in ("Ada", "Grace", "Linus"):
        runtime.app.create_customer({**FIELDS, "customer_name": name}, [], [])
    runtime.app.update_customer(2, {"customer_name": "Grace Hopper"})
    return settings


def test_events_tail_prints_recorded_events_with_filters(store, capsys) -> None:
    assert main(["events", "tail", "customers", "--type", "Updated"]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    assert lines[0]["type"] == "Customer.Updated"
    assert lines[0]["state"]["customer_id"] == 2
    assert lines[0]["position"] == 4


def test_events_tail_filters_by_customer_and_limit(store, capsys) -> None:
    main(["events", "tail", "customers", "--customer", "2"])
    by_customer = capsys.readouterr().out.splitlines()
    main(["events", "tail", "customers", "--limit", "2"])
    limited = capsys.readouterr().out.splitlines()

    assert [json.loads(line)["type"] for line in by_customer] == ["Customer.Created", "Customer.Updated"]
    assert len(limited) == 2


def test_projections_rebuild_replays_the_read_model_from_zero(store, capsys) -> None:
    _, (runtime,) = build_services(store, ["customers"])
    with runtime.engine.begin() as conn:
        conn.execute(customer_rows.delete())

    assert main(["projections", "rebuild", "customers", "customer_directory"]) == 0

    with runtime.engine.connect() as conn:
        names = sorted(r.customer_name for r in conn.execute(select(customer_rows.c.customer_name)))
    assert names == ["Ada", "Grace Hopper", "Linus"]
    captured = capsys.readouterr()
    assert "rebuilt customer_directory from 4 events" in captured.out
    assert "rebuilding customer_directory: 4/4" in captured.err


def test_projections_rebuild_names_the_known_projections_on_a_typo(store) -> None:
    with pytest.raises(SystemExit, match="customer_directory"):
        main(["projections", "rebuild", "customers", "customer_dir"])


@pytest.mark.integration
def test_projections_reset_empties_a_bus_projection_and_says_what_to_replay(store, capsys) -> None:
    from omnibus.customers.readmodel.tables import inventory_search_items
    from omnibus.platform.readmodels import consumer_inbox

    _, (runtime,) = build_services(store, ["customers"])
    with runtime.engine.begin() as conn:
        conn.execute(inventory_search_items.insert(), [{"item_type": "inventory", "item_id": 1, "name": "8944",
                                                        "search_text": "8944", "fields": {}}])  # fmt: skip
        conn.execute(consumer_inbox.insert(), [{"consumer": "customers:inventory_search", "source": "catalog",
                                                "position": 1}, {"consumer": "customers:activity_feed",
                                                "source": "catalog", "position": 1}])  # fmt: skip

    assert main(["projections", "reset", "customers", "inventory_search"]) == 0

    with runtime.engine.connect() as conn:
        assert conn.execute(select(inventory_search_items)).first() is None
        assert [r.consumer for r in conn.execute(select(consumer_inbox))] == ["customers:activity_feed"]
    assert "omnibus events replay <service of catalog> --queue customers.from.catalog" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="activity_feed"):
        main(["projections", "reset", "customers", "activity_log"])  # a projection of its own events: rebuild it


def test_events_replay_republishes_a_position_range_to_one_queue(store, fresh_vhost, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OMNIBUS_AMQP_URL", fresh_vhost)

    assert main(["events", "replay", "customers", "--queue", "repair.customers", "--from", "1", "--to", "3"]) == 0

    messages = asyncio.run(_drain(fresh_vhost, "repair.customers"))
    assert [m["position"] for m in messages] == [2, 3]
    assert all(m["event_type"] == CustomerCreated.event_type() for m in messages)
    assert "replayed 2 events to repair.customers" in capsys.readouterr().out


@pytest.mark.integration
def test_dlq_list_show_and_redrive(fresh_vhost, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OMNIBUS_AMQP_URL", fresh_vhost)
    asyncio.run(_dead_letter_one(fresh_vhost, "ops.queue"))

    main(["dlq", "list", "ops.queue"])
    listed = capsys.readouterr().out
    main(["dlq", "show", "ops.queue", "m-1"])
    shown = json.loads(capsys.readouterr().out)
    main(["dlq", "redrive", "ops.queue", "--id", "m-1"])
    redriven = capsys.readouterr().out

    assert "m-1" in listed and "PermanentError: cannot handle" in listed
    assert shown["body"] == '{"n": 1}' and shown["error"] == "cannot handle"
    assert "redrove 1 message(s) to ops.queue" in redriven
    assert asyncio.run(_depth(fresh_vhost, "ops.queue")) == 1


def test_dlq_repair_a_body_then_redrive(fresh_vhost, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("OMNIBUS_AMQP_URL", fresh_vhost)
    asyncio.run(_dead_letter_one(fresh_vhost, "ops.repair"))
    main(["dlq", "show", "ops.repair", "m-1", "--body"])
    body = json.loads(capsys.readouterr().out)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**body, "n": 2}))
    not_json = tmp_path / "broken.json"
    not_json.write_text("{n: 2")

    with pytest.raises(SystemExit, match="not valid JSON"):
        main(["dlq", "redrive", "ops.repair", "--id", "m-1", "--body-file", str(not_json)])
    with pytest.raises(SystemExit, match="exactly one --id"):
        main(["dlq", "redrive", "ops.repair", "--body-file", str(fixed)])
    main(["dlq", "redrive", "ops.repair", "--id", "m-1", "--body-file", str(fixed)])

    assert body == {"n": 1}
    assert asyncio.run(_bodies(fresh_vhost, "ops.repair")) == [b'{"n": 2}']


async def _bodies(url: str, queue: str) -> list[bytes]:
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection, connection.channel() as channel:
        declared = await channel.declare_queue(queue, passive=True)
        bodies = []
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            bodies.append(message.body)
        return bodies


async def _dead_letter_one(url: str, queue: str) -> None:
    bus = RabbitMQBus(url)
    await bus.start()
    handled: list[str] = []

    async def refuse(deliveries):
        handled.extend(d.message_id for d in deliveries)
        return [PermanentError("cannot handle") for _ in deliveries]

    await bus.subscribe(Subscription(queue, ("ops.#",), refuse, RetryPolicy(delays=(0.05,))))
    await bus.publish([OutgoingMessage("ops.Thing", b'{"n": 1}', "m-1")])

    async def dead() -> None:
        assert len(await bus.dead_letters(queue)) == 1

    await eventually_async(dead)
    await bus.close()


async def _depth(url: str, queue: str) -> int:
    bus = RabbitMQBus(url)
    await bus.start()
    try:
        return await bus.queue_depth(queue)
    finally:
        await bus.close()


async def _drain(url: str, queue: str) -> list[dict]:
    import aio_pika

    connection = await aio_pika.connect(url)
    found = []
    async with connection:
        channel = await connection.channel()
        source = await channel.get_queue(queue)
        while (message := await source.get(no_ack=True, fail=False)) is not None:
            found.append(dict(message.headers))
    return found


def test_events_tail_without_filters_prints_every_recorded_event(store, capsys) -> None:
    _, (runtime,) = build_services(store, ["customers"])

    main(["events", "tail", "customers"])

    assert len(capsys.readouterr().out.splitlines()) == runtime.app.max_notification_id() == 4
