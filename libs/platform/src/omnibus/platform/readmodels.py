"""Read-model databases (SQLAlchemy) and the row store that projections write through.

A projection writes rows and its tracking position in ONE transaction, so a crash or redelivery can never apply
an event twice. ``Rows`` coalesces the changes of a whole batch in memory (create + updates of one row become one
upsert) and flushes them with executemany: this is what makes replays and rebuilds fast.
"""

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    delete,
    event,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from omnibus.platform.eventstore import DDL_LOCK_KEY, ensure_postgres_database, sqlite_folder
from omnibus.platform.settings import ServiceSettings

tracking_metadata = MetaData()

projection_tracking = Table(
    "projection_tracking",
    tracking_metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# Exactly-once effect for bus consumers: (consumer, source, position) recorded with the effects (ARCHITECTURE §5).
consumer_inbox = Table(
    "consumer_inbox",
    tracking_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("source", String(100), primary_key=True),
    Column("position", BigInteger, primary_key=True),
)


def create_read_engine(settings: ServiceSettings) -> Engine:
    """The engine of a service's read models: its own PostgreSQL database, a SQLite file, or in-memory SQLite."""
    kind = settings.store_kind
    if kind == "postgres":
        ensure_postgres_database(settings.database_url)
        url = settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    # memory:// (unit tests) keeps read models in a throwaway SQLite file: one connection per thread, exactly as
    # in the embedded mode (a single shared in-memory connection would let one thread roll back another's batch).
    folder = (
        Path(tempfile.mkdtemp(prefix="omnibus-read-")) if kind == "memory" else sqlite_folder(settings.database_url)
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{settings.service_name.replace('-', '_')}-read.sqlite3"
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_tables(engine: Engine, *metadatas: MetaData) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # processes starting at once must not race on the catalog
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DDL_LOCK_KEY})
        for metadata in (tracking_metadata, *metadatas):
            metadata.create_all(conn)


def read_position(conn: Connection, name: str) -> int:
    value = conn.execute(select(projection_tracking.c.position).where(projection_tracking.c.name == name)).scalar()
    return int(value or 0)


def write_position(conn: Connection, name: str, position: int) -> None:
    _upsert(conn, projection_tracking, ["name"], [{"name": name, "position": position}])


def advance_position(conn: Connection, name: str, expected: int, position: int) -> bool:
    """Move a tracking position from ``expected`` to ``position``; False when another writer (a rebuild's
    switch) moved it meanwhile, in which case the caller's batch must not commit."""
    tracked = projection_tracking.c
    moved = conn.execute(
        update(projection_tracking)
        .where(and_(tracked.name == name, tracked.position == expected))
        .values(position=position)
    )
    if moved.rowcount == 1:
        return True
    if expected == 0 and conn.execute(select(tracked.name).where(tracked.name == name)).first() is None:
        conn.execute(projection_tracking.insert(), [{"name": name, "position": position}])
        return True
    return False


def seen_positions(conn: Connection, consumer: str, keys: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of ``(source, position)`` this consumer already handled."""
    if not keys:
        return set()
    inbox = consumer_inbox.c
    rows = conn.execute(
        select(inbox.source, inbox.position).where(
            and_(inbox.consumer == consumer, tuple_(inbox.source, inbox.position).in_(list(keys)))
        )
    )
    return {(r.source, int(r.position)) for r in rows}


def record_positions(conn: Connection, consumer: str, keys: Iterable[tuple[str, int]]) -> None:
    rows = [{"consumer": consumer, "source": s, "position": p} for s, p in keys]
    if rows:
        conn.execute(consumer_inbox.insert(), rows)


_UPSERTS: dict[tuple[str, Table], Any] = {}


def _upsert(conn: Connection, table: Table, key: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE for many rows; the statement is built once per table."""
    cache_key = (conn.dialect.name, table)  # the Table object: two services may both have a table of one name
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
        update = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in key}
        stmt = (
            insert.on_conflict_do_update(index_elements=list(key), set_=update)
            if update
            else insert.on_conflict_do_nothing()
        )
        _UPSERTS[cache_key] = stmt
    conn.execute(stmt, list(rows))


COPY_THRESHOLD = 200  # rows from which a PostgreSQL flush goes through COPY (replays, rebuilds, bursts)


def _copy_upsert(conn: Connection, table: Table, key: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert many rows at COPY speed: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT.

    Several times faster than parameterised inserts; runs in the caller's transaction (the tracking position
    commits with it). Rows carry each key once (``TableRows`` coalesces them), as ON CONFLICT requires.
    """
    from psycopg import sql
    from psycopg.types.json import Json

    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the read-model connection is closed")
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    staging = sql.Identifier(f"staging_{table.name}")  # same shape in any schema: one staging table serves both
    target = sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    updated = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c not in key]
    with raw.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS").format(
                staging, target
            )
        )
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, names)) as copy:
            for row in rows:
                copy.write_row([Json(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns])
        conflict = sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(updated)) if updated else sql.SQL("DO NOTHING")
        cur.execute(
            sql.SQL("INSERT INTO {0} ({1}) SELECT {1} FROM {2} ON CONFLICT ({3}) {4}").format(
                target, names, staging, sql.SQL(", ").join(map(sql.Identifier, key)), conflict
            )
        )
        cur.execute(sql.SQL("DELETE FROM {}").format(staging))


class TableRows:
    """Pending changes of one table within a batch, keyed by primary key."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.key = [c.name for c in table.primary_key.columns]
        self.columns = [c.name for c in table.columns]
        self._rows: dict[tuple[Any, ...], dict[str, Any] | None] = {}  # None = delete

    def get(self, *key: Any) -> dict[str, Any] | None:
        """The row's current state (pending change first, else the stored row), or None."""
        if key in self._rows:
            row = self._rows[key]
            return None if row is None else dict(row)
        where = and_(*(self.table.c[name] == value for name, value in zip(self.key, key, strict=True)))
        found = self.conn.execute(select(self.table).where(where)).mappings().first()
        return None if found is None else dict(found)

    def put(self, row: Mapping[str, Any]) -> None:
        full = {name: row.get(name) for name in self.columns}
        self._rows[tuple(full[k] for k in self.key)] = full

    def update(self, *key: Any, **changes: Any) -> bool:
        """Apply changes to an existing row; False when the row does not exist."""
        row = self.get(*key)
        if row is None:
            return False
        row.update(changes)
        self.put(row)
        return True

    def delete(self, *key: Any) -> None:
        self._rows[key] = None

    def flush(self) -> None:
        puts = [row for row in self._rows.values() if row is not None]
        deletes = [key for key, row in self._rows.items() if row is None]
        if deletes:
            cols = [self.table.c[k] for k in self.key]
            target = cols[0] if len(cols) == 1 else tuple_(*cols)
            values = [k[0] for k in deletes] if len(cols) == 1 else deletes
            self.conn.execute(delete(self.table).where(target.in_(values)))
        if len(puts) >= COPY_THRESHOLD and self.conn.dialect.name == "postgresql":
            _copy_upsert(self.conn, self.table, self.key, puts)
        elif puts:
            _upsert(self.conn, self.table, self.key, puts)
        self._rows.clear()


class Rows:
    """The row stores of one transaction, one per table a projection writes. ``tables`` redirects a projection's
    tables (by name) to others of the same shape: a rebuild writes its shadow copies."""

    def __init__(self, conn: Connection, tables: Mapping[str, Table] | None = None) -> None:
        self.conn = conn
        self.redirect = tables or {}
        self._tables: dict[str, TableRows] = {}

    def __call__(self, table: Table) -> TableRows:
        if table.name not in self._tables:
            self._tables[table.name] = TableRows(self.conn, self.redirect.get(table.name, table))
        return self._tables[table.name]

    def flush(self) -> None:
        for rows in self._tables.values():
            rows.flush()
