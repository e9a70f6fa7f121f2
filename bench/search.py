"""search: ``/utilities/search_everything``'s query over 1,000,000 customers plus their contacts, sites and services.

The dataset (4,000,000 rows of the search read model: per customer one customer, one contact, one site and one
service row) is written once with batched COPYs straight into ``search_index_items`` of the database
``omnibus_bench_search_1m`` (not through commands: the event path is measured by projection_rebuild), indexed,
analyzed, and reused while it holds them all (``DROP DATABASE omnibus_bench_search_1m`` to rebuild it, ~5 min).

Measured: ``readmodel.search.search_everything`` (the endpoint's query: count, then a ranked page of 10) over a
fixed mix of terms like the reference product's examples (a last name, a full name, an e-mail, a phone fragment,
a partial service UUID, a business name), p50 and p95. Baseline in the same run: the same query shape as the
reference product runs it, a plain ``LIKE '%term%'`` scan (index scans switched off), over a sample of the terms.
A "broad" term (a street name in 1% of the sites) is reported apart: it is not in the target mix.
"""

import io
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import common as c
import psycopg
from sqlalchemy import Connection, create_engine

from omnibus.customers.readmodel.search import search_everything
from omnibus.customers.readmodel.tables import search_items

DB_NAME = "omnibus_bench_search_1m"
CUSTOMERS = 1_000_000
ROWS = 4 * CUSTOMERS
BATCH = 50_000
QUERIES = 400
BASELINE_QUERIES = 12
TARGET_P95_MS = 50.0
TYPES = ("customer", "contact", "site", "service")

FIRST = [
    a + b
    for a in ("Ja", "Jo", "Ma", "Li", "Sa", "An", "El", "Ro", "Da", "Ka")
    for b in ("ne", "hn", "ry", "sa", "m", "na")
]
# 8,000 surnames from 40 syllables: still far fewer, and with far more shared trigrams, than real surnames.
SYLLABLES = (
    "ab", "bar", "ber", "cal", "chi", "dor", "du", "el", "fen", "gar", "gra", "hal", "hol", "ib", "jen", "kin",
    "ko", "lan", "lor", "mac", "mor", "nes", "ny", "od", "pet", "qui", "ros", "sa", "sta", "tur", "ul", "van",
    "wel", "wy", "xa", "yor", "za", "quo", "fi", "vu",
)  # fmt: skip
LAST = [(a + b + c_).capitalize() for a in SYLLABLES for b in SYLLABLES for c_ in ("s", "ton", "ley", "son", "er")]
SUFFIXES = ("Ltd", "Corporation", "Holdings", "Networks", "Telecom")
STREETS = [f"{name} Street" for name in LAST[::80]]  # 100 streets
CITIES = ("London", "Leeds", "Sydney", "Perth", "Dublin", "Austin", "Denver", "Oslo")


def person(i: int) -> tuple[str, str]:
    rnd = random.Random(i)
    return rnd.choice(FIRST), rnd.choice(LAST)


def rows_of(i: int) -> Iterator[tuple[Any, ...]]:
    """The four search rows of customer ``i`` (columns of ``search_index_items``)."""
    first, last = person(i)
    business = i % 10 < 3
    name = f"{last} {SUFFIXES[i % len(SUFFIXES)]}" if business else f"{first} {last}"
    email = f"{first}.{last}{i}@mail{i % 97}.example".lower()
    phone = f"+44 7{i:09d}"
    site = f"{i % 200 + 1} {STREETS[i % len(STREETS)]}"
    service_uuid = f"Mobile_{random.Random(-i).getrandbits(64):016x}"
    status = "Closed" if i % 50 == 0 else "Open"
    yield ("customer", i, i, name, name.lower(), status)
    yield ("contact", i, i, f"{first} {last}", f"{first} {last} {email} {phone}".lower(), None)
    yield ("site", i, i, "Home", f"home {site} {CITIES[i % len(CITIES)]} sw{i % 9}a {i % 9}aa".lower(), None)
    yield ("service", i, i, f"Mobile - {phone}", f"mobile - {phone} {service_uuid}".lower(), None)


def dataset() -> str:
    url = c.db_url(DB_NAME)
    if c.database_exists(DB_NAME) and (c.scalar(url, "SELECT count(*) FROM search_index_items") or 0) >= ROWS:
        c.log(f"reusing {DB_NAME} ({ROWS:,} rows)")
        return url
    c.create_database(DB_NAME)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    search_items.metadata.create_all(engine, tables=[search_items])  # with pg_trgm and the GIN index
    engine.dispose()
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX ix_search_index_items_trgm")  # built once after loading: much faster
        for start in range(1, CUSTOMERS + 1, BATCH):
            buffer = io.StringIO()
            for i in range(start, min(start + BATCH, CUSTOMERS + 1)):
                for item in rows_of(i):
                    buffer.write("\t".join("\\N" if v is None else str(v) for v in item) + "\t{}\n")
            with conn.cursor().copy(
                "COPY search_index_items (item_type, item_id, customer_id, name, search_text, customer_status, fields)"
                " FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
            if (start - 1) % 200_000 == 0:
                c.log(f"  {start - 1 + BATCH:,} customers ({time.monotonic() - started:.0f}s)")
        c.log("building the trigram index (a few minutes)")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute(
            "CREATE INDEX ix_search_index_items_trgm ON search_index_items USING gin (search_text gin_trgm_ops)"
        )
        conn.execute("VACUUM ANALYZE search_index_items")
    c.log(f"dataset ready in {time.monotonic() - started:.0f}s")
    return url


def terms(rnd: random.Random) -> list[tuple[str, str]]:
    """(kind, term) pairs: what people type into the search box (customers.md §4.7 examples)."""
    mix: list[tuple[str, str]] = []
    for _ in range(QUERIES):
        i = rnd.randint(1, CUSTOMERS)
        first, last = person(i)
        kind = rnd.choice(("last name", "full name", "e-mail", "phone", "uuid", "business"))
        term = {
            "last name": last,
            "full name": f"{first} {last}",
            "e-mail": f"{first}.{last}{i}@".lower(),
            "phone": f"{i:09d}"[3:],
            "uuid": f"{random.Random(-i).getrandbits(64):016x}"[:10],
            "business": f"{last} {SUFFIXES[i % len(SUFFIXES)]}",
        }[kind]
        mix.append((kind, term))
    return mix


def timed_ms(conn: Connection, term: str) -> tuple[float, int]:
    started = time.perf_counter()
    _, total = search_everything(conn, term, types=TYPES, include_closed=False, offset=0, limit=10)
    return (time.perf_counter() - started) * 1000, total


def measure(conn: Connection, mix: list[tuple[str, str]], label: str) -> dict[str, Any]:
    times: list[float] = []
    found: list[int] = []
    by_kind: dict[str, list[float]] = {}
    for kind, term in mix:
        ms, total = timed_ms(conn, term)
        times.append(ms)
        found.append(total)
        by_kind.setdefault(kind, []).append(ms)
    p50, p95 = c.percentile(times, 50), c.percentile(times, 95)
    c.log(f"{label}: {len(times)} queries, p50 {p50:.1f} ms, p95 {p95:.1f} ms, mean hits {sum(found) / len(found):.0f}")
    return {
        "queries": len(times),
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": max(times),
        "mean_hits": sum(found) / len(found),
        "p95_by_kind_ms": {k: c.percentile(v, 95) for k, v in by_kind.items()},
    }


def with_plain_scan(conn: Connection, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The reference product's plan: no index can serve ``LIKE '%term%'``, so every query scans."""
    conn.exec_driver_sql("SET enable_bitmapscan = off")
    conn.exec_driver_sql("SET enable_indexscan = off")
    try:
        return fn()
    finally:
        conn.exec_driver_sql("RESET enable_bitmapscan")
        conn.exec_driver_sql("RESET enable_indexscan")


def run() -> dict[str, Any]:
    url = dataset()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    rnd = random.Random(42)
    mix = terms(rnd)
    try:
        with engine.connect() as conn:
            measure(conn, terms(random.Random(7))[:100], "warm-up")
            indexed = measure(conn, mix, "search_everything (trigram index)")
            broad = measure(conn, [("street", STREETS[3])] * 20, "broad term (1% of sites)")
            baseline = with_plain_scan(conn, lambda: measure(conn, mix[:BASELINE_QUERIES], "plain LIKE scan"))
    finally:
        engine.dispose()
    table_rows = [
        c.row(f"p50 over {ROWS:,} rows (ms)", indexed["p50_ms"], baseline["p50_ms"], "ms"),
        c.row(f"p95 over {ROWS:,} rows (ms)", indexed["p95_ms"], baseline["p95_ms"], "ms"),
        c.row("broad term p95 (ms)", broad["p95_ms"], None, "ms"),
    ]
    targets = [c.target(f"p95 < {TARGET_P95_MS:.0f} ms over 1M customers", indexed["p95_ms"] < TARGET_P95_MS)]
    return c.result(
        "search", table_rows, targets, indexed=indexed, baseline=baseline, broad=broad, database=DB_NAME, row_count=ROWS
    )


if __name__ == "__main__":
    print(c.dumps(run()))  # noqa: T201
