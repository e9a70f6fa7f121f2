"""catalog_import: bulk import of 100,000 SIMs (ICCID, IMSI, Ki) from CSV into the catalog vs a raw INSERT.

Omnibus: the CSV bytes are parsed, every line validated (ICCID/IMSI/Ki formats, duplicates), Ki encrypted
(AES-256-GCM), and each item recorded as events (the item and its unique-key record) in batches of 2,000 with the
import's progress, on PostgreSQL, through ``CatalogApp`` and ``run_import`` exactly as ``POST
/crm/inventory/import`` runs them. Then the read model is brought up to date (the time until lists and pickers show
every item). Then the same file is imported again: every line must be skipped, nothing recorded.

Baseline, same run, same database server: the same rows (three text columns) inserted into a plain table with
batched ``executemany`` INSERTs of 2,000 rows per transaction.

    uv run python bench/catalog_import.py            (or: uv run python bench/run.py catalog_import)
"""

import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402

from omnibus.catalog.application import CatalogApp  # noqa: E402
from omnibus.catalog.importing import parse_lines, run_import  # noqa: E402
from omnibus.catalog.projections.catalog_view import CatalogViewProjection  # noqa: E402
from omnibus.catalog.readmodel.queries import ReadModelStock  # noqa: E402
from omnibus.catalog.readmodel.tables import metadata  # noqa: E402
from omnibus.catalog.secrets import SecretBox  # noqa: E402
from omnibus.platform.eventstore import eventstore_env  # noqa: E402
from omnibus.platform.projections import rebuild  # noqa: E402
from omnibus.platform.readmodels import create_read_engine, create_tables  # noqa: E402
from omnibus.platform.settings import ServiceSettings  # noqa: E402

ITEMS = 100_000
BATCH = 2000
TARGET_ITEMS_PER_S = 5000


def sim_csv(count: int) -> bytes:
    lines = ["ICCID,IMSI,Ki"]
    lines += [f"8944{n:015d},23415{n:010d},{n * 7919:032x}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


def raw_insert(url: str, payload: bytes) -> dict[str, Any]:
    rows = [tuple(line.split(",")) for line in payload.decode().splitlines()[1:]]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_sims")
        conn.execute("CREATE TABLE raw_sims (iccid text PRIMARY KEY, imsi text, ki text)")
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for start in range(0, len(rows), BATCH):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO raw_sims (iccid, imsi, ki) VALUES (%s, %s, %s)", rows[start : start + BATCH]
                )
            conn.commit()
    seconds = time.perf_counter() - started
    c.log(f"raw INSERT: {len(rows):,} rows in {seconds:.2f}s = {len(rows) / seconds:,.0f} rows/s")
    return {"rows": len(rows), "seconds": seconds, "rate": len(rows) / seconds}


def omnibus_import(app: CatalogApp, template_id: int, payload: bytes) -> dict[str, Any]:
    started = time.perf_counter()
    lines = parse_lines(payload, "csv")
    job = app.begin_import(template_id, len(lines), "csv")
    run_import(app, job.import_id, lines, BATCH)
    seconds = time.perf_counter() - started
    report = app.get_import(job.import_id)
    c.log(
        f"omnibus import: {report.imported:,} imported, {report.skipped:,} skipped, {report.rejected_count} rejected"
        f" in {seconds:.2f}s = {len(lines) / seconds:,.0f} lines/s"
    )
    return {
        "lines": len(lines),
        "imported": report.imported,
        "skipped": report.skipped,
        "rejected": report.rejected_count,
        "seconds": seconds,
        "rate": len(lines) / seconds,
    }


def run() -> dict[str, Any]:
    payload = sim_csv(ITEMS)
    with c.fresh_database("omnibus_bench_catalog") as url:
        settings = ServiceSettings(database_url=url).for_service("catalog")
        engine = create_read_engine(settings)
        create_tables(engine, metadata)
        app = CatalogApp(
            env=eventstore_env(settings, CatalogApp.name),
            box=SecretBox.from_text(SecretBox.new_key()),
            stock=ReadModelStock(engine),
        )
        try:
            template = app.define_template(
                {"item": "SIM Card", "itemtext1_key": "iccid", "itemtext2_key": "imsi", "itemtext3_key": "ki"}
            )
            raw = raw_insert(url, payload)
            first = omnibus_import(app, template.inventory_template_id, payload)
            started = time.perf_counter()
            projected = rebuild(app, engine, CatalogViewProjection(), batch_size=5000)
            projection_seconds = time.perf_counter() - started
            c.log(f"read model: {projected:,} events projected in {projection_seconds:.2f}s")
            events_before = app.max_notification_id()
            again = omnibus_import(app, template.inventory_template_id, payload)
            recorded_again = app.max_notification_id() - events_before
            with engine.connect() as conn:
                listed = conn.exec_driver_sql("SELECT count(*) FROM catalog_inventory").scalar()
        finally:
            app.close()
            engine.dispose()
    end_to_end = first["lines"] / (first["seconds"] + projection_seconds)
    rows = [
        c.row(f"items/s, import of {ITEMS:,} SIMs (stored)", first["rate"], raw["rate"], "items/s"),
        c.row("items/s including the read model", end_to_end, raw["rate"], "items/s"),
        c.row("items/s, re-import (all skipped)", again["rate"], raw["rate"], "items/s"),
    ]
    targets = [
        c.target(f"import >= {TARGET_ITEMS_PER_S:,} items/s", first["rate"] >= TARGET_ITEMS_PER_S),
        c.target(f"all {ITEMS:,} items imported and listed", first["imported"] == ITEMS and listed == ITEMS),
        c.target(
            "re-import skips every line and records only the import's own events",
            again["skipped"] == ITEMS and again["imported"] == 0 and recorded_again <= 2 + ITEMS // BATCH,
        ),
    ]
    return c.result(
        "catalog_import",
        rows,
        targets,
        raw=raw,
        first=first,
        again=again,
        projection_seconds=projection_seconds,
        listed=listed,
    )


if __name__ == "__main__":
    outcome = run()
    for r in outcome["rows"]:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['metric']:<48} omnibus {r['omnibus']:>10,.0f}  raw {r['baseline']:>10,.0f}  ratio {ratio}")
    for t in outcome["targets"]:
        print(f"target: {t['target']:<70} {'MET' if t['met'] else 'MISSED'}")
