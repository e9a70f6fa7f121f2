"""Baseline of ``e2e_latency``: the same hop with no framework (commit -> publish -> consume -> insert).

The producer (``produce``, run by the benchmark) commits each command's rows (one per event) with psycopg and then
publishes them with aio-pika (publisher confirms). The consumer (this file run as a process, like billing's
workers) inserts what has arrived into ``raw_seen`` in one transaction, whose ``seen_at`` default records when each
row was written, then acks.

    python bench/baselines/raw_pipeline.py <amqp-url> <database-url> [<queue> <binding> <json key>]
"""

import asyncio
import json
import sys
import time

import aio_pika
import psycopg

EXCHANGE = "omnibus.events"
QUEUE = "rawbench.consumer"
ROUTING_KEY = "rawbench.EventRecorded"
DDL = (
    "CREATE TABLE IF NOT EXISTS raw_events (id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS raw_seen "
    "(id BIGINT PRIMARY KEY, seen_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"
)


async def consume(
    amqp: str, database: str, queue_name: str = QUEUE, binding: str = "rawbench.#", key: str = "id"
) -> None:
    """Insert the ``key`` of what has arrived in one transaction (executemany), then ack it all (multiple=True).

    With other arguments it is the e2e benchmark's tap: when each Omnibus event reached a plain consumer."""
    db = await psycopg.AsyncConnection.connect(database, autocommit=True)
    await db.execute(DDL)
    connection = await aio_pika.connect(amqp)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=256)
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(queue_name, durable=True)
    await queue.bind(exchange, binding)
    buffer: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await queue.consume(buffer.put)
    while True:
        batch = [await buffer.get()]
        while not buffer.empty():
            batch.append(buffer.get_nowait())
        async with db.transaction(), db.cursor() as cur:
            await cur.executemany(
                "INSERT INTO raw_seen (id) VALUES (%s) ON CONFLICT DO NOTHING",
                [(json.loads(m.body)[key],) for m in batch],
            )
        await batch[-1].ack(multiple=True)


async def produce(amqp: str, database: str, rate: float, seconds: float, per_command: int) -> list[tuple[int, float]]:
    """Run ``rate`` commands per second for ``seconds``, each committing ``per_command`` rows in one transaction
    and then publishing them (pipelined, confirmed); returns (row id, commit time) per event."""
    from psycopg_pool import AsyncConnectionPool

    commits: list[tuple[int, float]] = []
    connection = await aio_pika.connect(amqp)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE)
    body = json.dumps({"customer_name": "Acme Networks Pty Ltd", "customer_status": "Open"})

    async with AsyncConnectionPool(database, min_size=8, max_size=8) as pool:

        async def one() -> None:
            async with pool.connection() as db:
                cur = await db.execute(
                    "INSERT INTO raw_events (body) SELECT %s::jsonb FROM generate_series(1, %s) RETURNING id",
                    (body, per_command),
                )
                ids = [row[0] for row in await cur.fetchall()]
            at = time.time()
            commits.extend((event_id, at) for event_id in ids)
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            f'{{"id": {event_id}}}'.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        ),
                        routing_key=ROUTING_KEY,
                    )
                    for event_id in ids
                )
            )

        tasks = []
        started = time.monotonic()
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    await connection.close()
    return commits


if __name__ == "__main__":
    try:
        asyncio.run(consume(*sys.argv[1:]))
    except KeyboardInterrupt:
        pass
