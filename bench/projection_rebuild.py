"""projection_rebuild: ``projections.rebuild`` of the customer directory over 1,000,000 events vs a raw read.

The dataset (250,000 customers, each created, updated, with a contact and a site: 4 events) is recorded once into
the database ``omnibus_bench_1m`` and reused while it holds >= 1,000,000 events (drop it to rebuild the data).
The baseline reads the whole notification log with ``app.store.select_notifications(start, 5000)`` and decodes
nothing; it runs before (also warming the cache) and after the rebuild, and the faster pass counts. The
projection's tables are truncated and the event table analyzed (both untimed) before the rebuild, so the time is
the replay itself.
"""

import time
from collections.abc import Callable
from typing import Any

import common as c
import data

from omnibus.customers.projections.customer_directory import CustomerDirectoryProjection
from omnibus.customers.readmodel.tables import metadata
from omnibus.platform.projections import rebuild
from omnibus.platform.readmodels import create_read_engine, create_tables

DB_NAME = "omnibus_bench_1m"
EVENTS = 1_000_000
EVENTS_PER_CUSTOMER = 4
BATCH = 5000
TARGET_EVENTS_PER_S = 30_000


def dataset() -> str:
    url = c.db_url(DB_NAME)
    if c.database_exists(DB_NAME):
        app = data.customers_app(url)
        found = app.max_notification_id()
        app.close()
        if found >= EVENTS:
            c.log(f"reusing {DB_NAME} ({found:,} events)")
            return url
        c.log(f"{DB_NAME} has only {found:,} events: recording it again")
    c.create_database(DB_NAME)
    app = data.customers_app(url)
    customers = EVENTS // EVENTS_PER_CUSTOMER
    c.log(f"recording {customers:,} customers x {EVENTS_PER_CUSTOMER} events into {DB_NAME} (once; a few minutes)")
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 50_000 == 0:
            events = done * EVENTS_PER_CUSTOMER
            c.log(f"  {events:,} events ({events / (time.monotonic() - started):,.0f}/s)")

    data.record_customers(app, 1, customers, full=True, batch=500, progress=progress)
    app.close()
    return url


def raw_read(app: Any) -> int:
    count, start = 0, 1
    while notifications := app.store.select_notifications(start, BATCH):
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


def timed(name: str, fn: Callable[[], int]) -> dict[str, Any]:
    started = time.perf_counter()
    count = fn()
    seconds = time.perf_counter() - started
    c.log(f"{name}: {count:,} events in {seconds:.1f}s = {count / seconds:,.0f} events/s")
    return {"events": count, "seconds": seconds, "rate": count / seconds}


def run() -> dict[str, Any]:
    url = dataset()
    app = data.customers_app(url)
    engine = create_read_engine(data.settings(url))
    projection = CustomerDirectoryProjection()
    try:
        create_tables(engine, metadata)
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in projection.tables))
        data.analyze(url)
        raw_before = timed("raw read", lambda: raw_read(app))
        rebuilt = timed("rebuild", lambda: rebuild(app, engine, projection, batch_size=BATCH))
        raw_after = timed("raw read", lambda: raw_read(app))
        with engine.connect() as conn:
            counts = {
                t.name: conn.exec_driver_sql(f"SELECT count(*) FROM {t.name}").scalar() for t in projection.tables
            }
    finally:
        app.close()
        engine.dispose()
    raw = max(raw_before["rate"], raw_after["rate"])
    customers = EVENTS // EVENTS_PER_CUSTOMER
    table_rows = [
        c.row(f"events/s over {rebuilt['events']:,} events", rebuilt["rate"], raw, "ev/s"),
        c.row("seconds", rebuilt["seconds"], min(raw_before["seconds"], raw_after["seconds"]), "s"),
    ]
    targets = [
        c.target(f"rebuild >= {TARGET_EVENTS_PER_S:,} events/s", rebuilt["rate"] >= TARGET_EVENTS_PER_S),
        c.target(f"rebuilt {customers:,} customers, contacts and sites", all(n == customers for n in counts.values())),
    ]
    return c.result(
        "projection_rebuild",
        table_rows,
        targets,
        rebuild=rebuilt,
        raw=[raw_before, raw_after],
        row_counts=counts,
        database=DB_NAME,
    )
