"""relay: ``OutboxRelay.relay_once`` in a loop over N recorded events vs raw aio-pika publishing with confirms.

Setup: a fresh database with N customers (one CustomerCreated each) and a fresh vhost with one durable queue bound
to ``customers.#``, so every message is routed and stored. The baseline publishes the relay's own messages (same
bodies, headers, routing keys) with aio-pika, pipelined in batches of the relay's batch size, each batch awaited
for its confirms. Relay and baseline alternate for a few rounds; the best round of each is reported.
"""

import asyncio
import time
from typing import Any

import aio_pika
import common as c
import data

from omnibus.contracts.topology import EVENTS_EXCHANGE
from omnibus.customers.integration.outbound import OUTBOUND
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.platform.readmodels import create_read_engine, create_tables
from omnibus.platform.relay import OutboxRelay, messages_for
from omnibus.platform.settings import ServiceSettings

N = 50_000
ROUNDS = 2
QUEUE = "bench.relay"
BATCH = ServiceSettings().relay_batch_size
TARGET_RATIO = 0.70


async def raw_publish(amqp: str, messages: list[OutgoingMessage]) -> float:
    connection = await aio_pika.connect(amqp)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        started = time.perf_counter()
        for i in range(0, len(messages), BATCH):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            m.body,
                            headers=m.headers,
                            message_id=m.message_id,
                            content_type=m.content_type,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=m.routing_key,
                    )
                    for m in messages[i : i + BATCH]
                )
            )
        return time.perf_counter() - started
    finally:
        await connection.close()


async def relay_all(app: Any, engine: Any, amqp: str) -> tuple[float, int]:
    bus = RabbitMQBus(amqp, connection_name="omnibus-bench-relay")
    await bus.start()
    try:
        relay = OutboxRelay(app, engine, bus, OUTBOUND, batch_size=BATCH)
        started = time.perf_counter()
        while await relay.relay_once():
            pass
        return time.perf_counter() - started, relay.published
    finally:
        await bus.close()


async def bench(url: str, amqp: str) -> dict[str, Any]:
    app = data.customers_app(url)
    c.log(f"recording {N:,} customers")
    seconds, _ = data.timed(lambda: data.record_customers(app, 1, N, full=False, batch=1000))
    c.log(f"recorded in {seconds:.1f}s")
    data.analyze(url)
    engine = create_read_engine(data.settings(url))
    create_tables(engine)
    messages = messages_for(app, OUTBOUND, app.read_notifications(0, N + 1))
    assert len(messages) == N, len(messages)

    connection = await aio_pika.connect(amqp)
    channel = await connection.channel()
    await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(QUEUE, durable=True)
    await queue.bind(EVENTS_EXCHANGE, "customers.#")

    async def stored() -> int:
        declared = await channel.declare_queue(QUEUE, passive=True)
        count = int(declared.declaration_result.message_count or 0)
        await queue.purge()
        return count

    raw_runs, relay_runs = [], []
    try:
        for round_ in range(1, ROUNDS + 1):
            seconds = await raw_publish(amqp, messages)
            raw_runs.append({"seconds": seconds, "rate": N / seconds, "stored": await stored()})
            c.log(f"round {round_}: raw aio-pika {N / seconds:,.0f} msg/s")
            seconds, published = await relay_all(app, engine, amqp)
            relay_runs.append(
                {"seconds": seconds, "rate": published / seconds, "published": published, "stored": await stored()}
            )
            c.log(f"round {round_}: relay {published / seconds:,.0f} events/s")
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()
        app.close()
        engine.dispose()
    return {"raw": raw_runs, "relay": relay_runs}


def run() -> dict[str, Any]:
    with c.fresh_vhost() as amqp, c.fresh_database("omnibus_bench_relay") as url:
        runs = asyncio.run(bench(url, amqp))
    raw = max(r["rate"] for r in runs["raw"])
    relay = max(r["rate"] for r in runs["relay"])
    all_stored = all(r["stored"] == N for r in runs["raw"] + runs["relay"])
    rows = [c.row(f"events/s over {N:,} events", relay, raw, "ev/s")]
    targets = [
        c.target(f"relay >= {TARGET_RATIO:.0%} of raw aio-pika", relay >= TARGET_RATIO * raw),
        c.target(f"every run routed and stored all {N:,} messages", all_stored),
    ]
    return c.result("relay", rows, targets, n=N, batch_size=BATCH, rounds=runs)
