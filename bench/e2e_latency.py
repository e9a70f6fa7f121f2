"""e2e_latency: commit in customers -> row in billing's ``customer_directory_customers``, at a steady event rate.

Customers runs as ``omnibus serve customers`` deploys it: commands in this process (the API role), relay and
projection in a ``--role workers`` process woken by PostgreSQL NOTIFY; commands are paced through the application
(each creates a customer with a contact and a site: 3 events) and the time after each commit is noted. Billing
runs as ``omnibus serve billing --role workers`` in its own process. Its table gets a bench-only column
``bench_seen_at DEFAULT clock_timestamp()``, so each row records when it was written (same host clock) and no
polling is needed.

Baseline (same run, same rate): ``baselines/raw_pipeline.py``: per command one psycopg commit of 3 rows, then 3
aio-pika publishes with confirms; a plain aio-pika process inserts what arrived in one transaction per batch.
To split the Omnibus latency, a tap (the same plain consumer, in its own process) notes when each CustomerCreated
reached it: commit -> tap is relay + broker; tap -> row is mostly billing's consumer.
"""

import asyncio
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aio_pika
import common as c
import data
import psycopg
from aiormq.exceptions import ChannelNotFoundEntity

from omnibus.billing.readmodel.tables import metadata as billing_metadata
from omnibus.platform.context import command_context
from omnibus.platform.readmodels import create_read_engine, create_tables
from omnibus.platform.runtime import build_services
from omnibus.platform.settings import ServiceSettings

RATES = (1000, 250)  # events/s: the target rate, and a light load for reference
EVENTS_PER_COMMAND = 3  # customer + contact + site
WARMUP_S, DURATION_S = 3, 20
TARGET_P99_MS = 50.0
TAP_QUEUE = "bench.tap"
THREADS = 16  # command threads, like the HTTP server's worker threads


async def wait_consumer(amqp: str, queue: str, timeout: float = 60.0) -> None:
    """Until ``queue`` exists and has a consumer (so no message published from now on is lost)."""
    connection = await aio_pika.connect(amqp)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                async with connection.channel() as channel:
                    declared = await channel.declare_queue(queue, passive=True)
                    if declared.declaration_result.consumer_count:
                        return
            except ChannelNotFoundEntity:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"no consumer on {queue} after {timeout}s")
    finally:
        await connection.close()


def wait_rows(url: str, table: str, expected: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := c.scalar(url, f"SELECT count(*) FROM {table}")) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return int(count)


def latencies(url: str, sql: str, commits: list[tuple[int, float]], skip: int) -> list[float]:
    """Milliseconds from commit to row, for the commits after the first ``skip`` (warm-up)."""
    with psycopg.connect(url) as conn:
        seen = dict(conn.execute(sql).fetchall())
    return [(float(seen[key]) - at) * 1000 for key, at in commits[skip:] if key in seen]


def stats(values: list[float], expected: int, seconds: float, events: int) -> dict[str, Any]:
    return {
        "count": len(values),
        "missing": expected - len(values),
        "events_per_s": events / seconds,
        **{f"p{p}": c.percentile(values, p) for p in (50, 90, 99)},
        "max": max(values, default=float("nan")),
    }


async def omnibus_run(rate: int, customers_url: str, billing_url: str, amqp: str, folder: Path) -> dict[str, Any]:
    billing_engine = create_read_engine(ServiceSettings(database_url=billing_url).for_service("billing"))
    create_tables(billing_engine, billing_metadata)
    with billing_engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE customer_directory_customers ADD COLUMN bench_seen_at TIMESTAMPTZ DEFAULT clock_timestamp()"
        )
    billing_engine.dispose()
    logfile = folder / "billing.log"
    billing = c.start_process(
        [c.OMNIBUS, "serve", "billing", "--role", "workers"],
        {"OMNIBUS_DATABASE_URL": billing_url, "OMNIBUS_AMQP_URL": amqp},
        logfile,
    )
    # The tap: a plain consumer of CustomerCreated (its own process), noting when each reached the broker's consumer.
    tap = c.start_process(
        [
            sys.executable,
            str(c.BENCH_DIR / "baselines" / "raw_pipeline.py"),
            amqp,
            billing_url,
            TAP_QUEUE,
            "customers.CustomerCreated",
            "customer_id",
        ],
        {},
        folder / "tap.log",
    )
    # Customers as `omnibus serve customers` deploys it: commands in this process (the API role), relay and
    # projection in a workers process woken by PostgreSQL NOTIFY.
    _, (runtime,) = build_services(ServiceSettings(database_url=customers_url, amqp_url=amqp), ["customers"])
    app = runtime.app
    workers = c.start_process(
        [c.OMNIBUS, "serve", "customers", "--role", "workers"],
        {"OMNIBUS_DATABASE_URL": customers_url, "OMNIBUS_AMQP_URL": amqp},
        folder / "customers-workers.log",
    )
    pool = ThreadPoolExecutor(max_workers=THREADS)
    try:
        await wait_consumer(amqp, "billing.from.customers")
        await wait_consumer(amqp, TAP_QUEUE)

        def command(i: int) -> tuple[int, float]:
            with command_context(data.request_context()):
                customer, _, _ = app.create_customer(data.customer_fields(i), [data.CONTACT], [data.SITE])  # type: ignore[union-attr]
            return customer.customer_id, time.time()

        commits, seconds = await paced(
            lambda i: asyncio.get_running_loop().run_in_executor(pool, command, i),
            rate / EVENTS_PER_COMMAND,
            WARMUP_S + DURATION_S,
        )
        c.log(f"omnibus: {len(commits) * EVENTS_PER_COMMAND / seconds:,.0f} events/s generated; waiting for billing")
        got = await asyncio.to_thread(wait_rows, billing_url, "customer_directory_customers", len(commits))
        await asyncio.to_thread(wait_rows, billing_url, "raw_seen", len(commits))
        if billing.poll() is not None:
            raise RuntimeError(f"billing exited:\n{logfile.read_text()[-3000:]}")
    finally:
        pool.shutdown()
        c.stop_process(workers)
        c.stop_process(billing)
        c.stop_process(tap)
    skip = int(rate / EVENTS_PER_COMMAND * WARMUP_S)
    values = latencies(
        billing_url,
        "SELECT customer_id, extract(epoch FROM bench_seen_at) FROM customer_directory_customers",
        commits,
        skip,
    )
    tapped = latencies(billing_url, "SELECT id, extract(epoch FROM seen_at) FROM raw_seen", commits, skip)
    return {
        **stats(values, len(commits) - skip, seconds, len(commits) * EVENTS_PER_COMMAND),
        "rows": got,
        "tap": stats(tapped, len(commits) - skip, seconds, len(commits) * EVENTS_PER_COMMAND),
    }


async def paced(submit: Any, rate: float, seconds: float) -> tuple[list[Any], float]:
    """Start ``submit(i)`` at ``rate`` per second for ``seconds``; returns results and the time taken."""
    futures = []
    started = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        futures.append(submit(i))
    results = await asyncio.gather(*futures)
    return list(results), time.monotonic() - started


async def raw_run(rate: int, url: str, amqp: str, folder: Path) -> dict[str, Any]:
    sys.path.insert(0, str(c.BENCH_DIR / "baselines"))
    import raw_pipeline

    logfile = folder / "raw_consumer.log"
    consumer = c.start_process(
        [sys.executable, str(c.BENCH_DIR / "baselines" / "raw_pipeline.py"), amqp, url], {}, logfile
    )
    try:
        await wait_consumer(amqp, raw_pipeline.QUEUE)
        started = time.monotonic()
        commits = await raw_pipeline.produce(
            amqp, url, rate / EVENTS_PER_COMMAND, WARMUP_S + DURATION_S, EVENTS_PER_COMMAND
        )
        seconds = time.monotonic() - started
        c.log(f"raw: {len(commits) / seconds:,.0f} events/s generated")
        got = await asyncio.to_thread(wait_rows, url, "raw_seen", len(commits))
    finally:
        c.stop_process(consumer)
    skip = rate * WARMUP_S
    commits.sort()  # by id, so the first ones are the warm-up
    values = latencies(url, "SELECT id, extract(epoch FROM seen_at) FROM raw_seen", commits, skip)
    return {**stats(values, len(commits) - skip, seconds, len(commits)), "rows": got}


def one_rate(rate: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="omnibus-bench-") as tmp,
        c.fresh_vhost() as amqp,
        c.fresh_database("omnibus_bench_e2e_customers") as customers_url,
        c.fresh_database("omnibus_bench_e2e_billing") as billing_url,
        c.fresh_database("omnibus_bench_e2e_raw") as raw_url,
    ):
        c.log(f"raw pipeline: {rate} events/s for {WARMUP_S}+{DURATION_S}s")
        raw = asyncio.run(raw_run(rate, raw_url, amqp, Path(tmp)))
        c.log(f"omnibus: {rate} events/s for {WARMUP_S}+{DURATION_S}s")
        omnibus = asyncio.run(omnibus_run(rate, customers_url, billing_url, amqp, Path(tmp)))
    for name, s in (("raw", raw), ("omnibus", omnibus)):
        c.log(
            f"{name} @{rate}/s: p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms, max {s['max']:.1f} ms, "
            f"{s['events_per_s']:,.0f} events/s, missing {s['missing']}"
        )
    return {"rate": rate, "omnibus": omnibus, "raw": raw}


def run() -> dict[str, Any]:
    runs = [one_rate(rate) for rate in RATES]
    rows, targets = [], []
    for r in runs:
        omnibus, raw, at = r["omnibus"], r["raw"], f"@{r['rate']}/s"
        rows += [
            c.row(f"{at} events/s generated", omnibus["events_per_s"], raw["events_per_s"], "ev/s"),
            c.row(f"{at} commit->row p50", omnibus["p50"], raw["p50"], "ms"),
            c.row(f"{at} commit->row p99", omnibus["p99"], raw["p99"], "ms"),
            c.row(f"{at} commit->row max", omnibus["max"], raw["max"], "ms"),
            c.row(f"{at} commit->tap p50 (relay+broker)", omnibus["tap"]["p50"], None, "ms"),
            c.row(f"{at} commit->tap p99 (relay+broker)", omnibus["tap"]["p99"], None, "ms"),
        ]
        targets.append(c.target(f"{at}: every event arrived", omnibus["missing"] == 0 and raw["missing"] == 0))
    main = runs[0]
    targets[:0] = [
        c.target(f"@{main['rate']}/s: p99 < {TARGET_P99_MS:.0f} ms", main["omnibus"]["p99"] < TARGET_P99_MS),
        c.target(f"@{main['rate']}/s: rate held (>= 95%)", main["omnibus"]["events_per_s"] >= 0.95 * main["rate"]),
    ]
    settings = {"rates": RATES, "warmup_s": WARMUP_S, "duration_s": DURATION_S, "command_threads": THREADS}
    return c.result("e2e_latency", rows, targets, runs=runs, settings=settings)
