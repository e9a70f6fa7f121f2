"""Event store set-up on the ``eventsourcing`` library (ARCHITECTURE.md §4).

- ``ServiceApplication``: the base of every service's Application. Persistence (PostgreSQL, SQLite or POPO) is
  chosen by settings; every recorded event carries the command context (``__meta__``) in its stored state;
  concurrent saves are group-committed; listeners learn of new notification ids at once.
- ``public_id`` / ``aggregate_uuid``: OmniCRM-compatible integer ids with derived aggregate UUIDs.
"""

import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    Notification,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic

from omnibus.platform.context import current_context
from omnibus.platform.settings import ServiceSettings
from omnibus.platform.telemetry import span

T = TypeVar("T")
NAMESPACE = uuid.UUID("6f6d6e69-6275-5300-8000-000000000001")
META_KEY = "__meta__"
EVENTSTORE_SCHEMA = "eventstore"
DDL_LOCK_KEY = 0x6F6D6E6962757301  # advisory lock held while a process creates its schema objects


def aggregate_uuid(kind: str, public_id: int) -> uuid.UUID:
    """The aggregate UUID of a public integer id: ``uuid5(NAMESPACE, "customer:123")``."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{public_id}")


def event_id(originator_id: uuid.UUID, originator_version: int) -> uuid.UUID:
    """Deterministic id of a recorded event, equal on every re-publish."""
    return uuid.uuid5(NAMESPACE, f"{originator_id}/{originator_version}")


class ConcurrencyConflictError(Exception):
    """Another command changed the same aggregate at the same time, and retrying did not help."""

    http_status = 409
    code = "conflict"


def retry_on_conflict(command: Callable[[], T], attempts: int = 5) -> T:
    """Run a load-decide-save command again when the store reports a concurrent change of its aggregate."""
    for attempt in range(attempts):
        try:
            return command()
        except IntegrityError:
            if attempt == attempts - 1:
                raise ConcurrencyConflictError("The record was changed concurrently; try again") from None
    raise AssertionError("unreachable")


class MetaMapper(Mapper[uuid.UUID]):
    """Stamps the current command context on every event as it is stored."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        ctx = current_context()
        meta = ctx.as_meta() if ctx else {}
        if not meta:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        state[META_KEY] = meta
        carrier = object.__new__(type(domain_event))
        object.__setattr__(carrier, "__dict__", state)
        return super().to_stored_event(carrier)


def event_meta(domain_event: Any) -> dict[str, Any]:
    """The command context recorded with an event (empty when none)."""
    meta = vars(domain_event).get(META_KEY)
    return meta if isinstance(meta, dict) else {}


class _Pending:
    __slots__ = ("done", "error", "events", "ids", "lead")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False


class GroupCommitRecorder:
    """Commits the events of concurrent saves in one transaction (ARCHITECTURE.md §4, "group commit").

    A save that finds no commit in flight commits at once; saves arriving meanwhile queue up and the next leader
    commits them all together. One transaction per batch amortises the table lock and the commit flush. If the
    batch violates a constraint (an optimistic-concurrency conflict in one save), each save of the batch is retried
    alone, so only the conflicting one fails. Saves with tracking records are never merged.
    """

    def __init__(self, recorder: ApplicationRecorder, max_batch_events: int = 2000) -> None:
        self.inner = recorder
        self.max_batch_events = max_batch_events
        self._insert = _postgres_single_statement_insert(recorder) or recorder.insert_events
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._leading = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None or not stored_events:
            return self.inner.insert_events(stored_events, **kwargs)
        mine = _Pending(stored_events)
        with self._lock:
            self._queue.append(mine)
            if not self._leading:
                self._leading = mine.lead = True
        if not mine.lead:
            mine.done.wait()
        if mine.lead:
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _lead(self) -> None:
        """Commit one batch (which holds the leader's own save), then hand the lead to the next waiter."""
        batch: list[_Pending] = []
        size = 0
        with self._lock:
            while self._queue and (not batch or size + len(self._queue[0].events) <= self.max_batch_events):
                pending = self._queue.pop(0)
                batch.append(pending)
                size += len(pending.events)
        self._commit(batch)
        with self._lock:
            if self._queue:
                self._queue[0].lead = True
                self._queue[0].done.set()
            else:
                self._leading = False
        for pending in batch:
            pending.done.set()

    def _commit(self, batch: list[_Pending]) -> None:
        if len(batch) == 1:
            self._commit_one(batch[0])
            return
        try:
            ids = self._insert([e for p in batch for e in p.events])
        except IntegrityError:
            for pending in batch:
                self._commit_one(pending)
            return
        except BaseException as error:
            for pending in batch:
                pending.error = error
            return
        offset = 0
        for pending in batch:
            pending.ids = None if ids is None else ids[offset : offset + len(pending.events)]
            offset += len(pending.events)

    def _commit_one(self, pending: _Pending) -> None:
        try:
            pending.ids = self._insert(pending.events)
        except BaseException as error:
            pending.error = error


def _postgres_single_statement_insert(
    recorder: ApplicationRecorder,
) -> Callable[[Sequence[StoredEvent]], Sequence[int]] | None:
    """On PostgreSQL, insert a batch with ONE statement (one round trip, committed on return).

    eventsourcing's own path takes about a dozen round trips (BEGIN, SET, LOCK, NOTIFY, INSERT, COMMIT). Its optional
    database function saves them but does not take the table lock that keeps commit order equal to notification-id
    order, which the relay and projections rely on. This function does both: lock, notify and insert in one call.
    """
    from eventsourcing.postgres import PostgresApplicationRecorder

    if type(recorder) is not PostgresApplicationRecorder:
        return None
    from psycopg import sql

    datastore = recorder.datastore
    schema, table = sql.Identifier(datastore.schema), sql.Identifier(recorder.events_table_name)
    function = sql.Identifier(f"omnibus_insert_{recorder.events_table_name}")
    create = sql.SQL(
        "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event_type}[]) "
        "RETURNS SETOF bigint LANGUAGE plpgsql AS $$ BEGIN "
        "SET LOCAL lock_timeout = '{timeout}s'; "
        "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
        "NOTIFY {channel}; "
        "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, originator_version, topic, state FROM unnest(events) RETURNING notification_id; "
        "END $$"
    ).format(
        schema=schema,
        function=function,
        event_type=sql.Identifier(recorder.stored_event_type_name),
        timeout=sql.SQL(str(int(datastore.lock_timeout or 5))),
        table=table,
        channel=sql.Identifier(recorder.channel_name),
    )
    with datastore.transaction(commit=True) as curs:
        curs.execute(create)
    call = sql.SQL("SELECT {schema}.{function}(%s) AS id").format(schema=schema, function=function)

    def insert(stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        rows = [
            recorder.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with datastore.get_connection() as conn:  # a unique violation (a concurrent change) -> IntegrityError
            return [r["id"] for r in conn.execute(call, (rows,), prepare=True).fetchall()]

    return insert


class ServiceApplication(Application[uuid.UUID]):
    """Base of every service's event-sourced application."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._listeners: list[Callable[[int], None]] = []
        self._feed: _ChangeFeed | None = None
        super().__init__(env)
        self.ids = IdAllocator(self)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return MetaMapper(transcoder=self.construct_transcoder())

    def construct_transcoder(self) -> Transcoder:
        return super().construct_transcoder()

    def construct_recorder(self) -> ApplicationRecorder:
        from eventsourcing.postgres import PostgresDatastore

        datastore = getattr(self.factory, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            return GroupCommitRecorder(super().construct_recorder())  # type: ignore[return-value]
        # Concurrent DDL on the same catalog rows (CREATE OR REPLACE FUNCTION, CREATE TABLE IF NOT EXISTS) fails
        # with "tuple concurrently updated" when two processes of a service start at once: serialize it.
        with datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            try:
                return GroupCommitRecorder(super().construct_recorder())  # type: ignore[return-value]
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))

    @property
    def store(self) -> ApplicationRecorder:
        """The underlying recorder (notification log reads, datastore access)."""
        recorder = self.recorder
        return recorder.inner if isinstance(recorder, GroupCommitRecorder) else recorder

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        ctx = current_context()
        if ctx is not None and ctx.deferred_saves is not None and not kwargs:
            # a bus command is being handled: its effects commit with its reply (omnibus.platform.commands)
            ctx.deferred_saves.extend(o for o in objs if o is not None)
            return []
        with span("eventstore.save", {"omnibus.app": self.name}):
            return super().save(*objs, **kwargs)

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(max_notification_id)`` after every save (wakes relays and projections at once)."""
        self._listeners.append(listener)

    def _notify(self, recordings: Any) -> None:
        if recordings:
            last = recordings[-1].notification.id
            ctx = current_context()
            if ctx is not None:
                ctx.last_position = max(last, ctx.last_position or 0)
            for listener in self._listeners:
                listener(last)

    def start_change_feed(self) -> None:
        """Wake listeners on events recorded by OTHER processes too (PostgreSQL LISTEN/NOTIFY on the events table).

        The API and the workers (relay, projections) may run in different processes; without this they would
        only notice new events by polling.
        """
        channel = getattr(self.store, "channel_name", None)
        if channel is None or self._feed is not None:
            return
        self._feed = _ChangeFeed(self.store.datastore, channel, self._listeners)  # type: ignore[attr-defined]
        self._feed.start()

    def stop_change_feed(self) -> None:
        if self._feed is not None:
            self._feed.stop()
            self._feed = None

    def close(self) -> None:
        self.stop_change_feed()
        super().close()

    def read_notifications(self, after: int, limit: int, stop: int | None = None) -> Sequence[Notification]:
        """Notifications with id > ``after`` (and <= ``stop``), in order.

        Readers filter topics in Python rather than in SQL: a topic filter makes PostgreSQL's plan depend on table
        statistics (a rest-of-log scan and sort per batch when they are stale), while the id range is always an
        index scan.
        """
        return self.store.select_notifications(after + 1, limit, stop=stop)

    def max_notification_id(self) -> int:
        return self.store.max_notification_id() or 0


class _ChangeFeed:
    """A thread holding one connection that LISTENs on the events table's channel and calls the listeners."""

    def __init__(self, datastore: Any, channel: str, listeners: list[Callable[[int], None]]) -> None:
        self._datastore = datastore
        self._channel = channel
        self._listeners = listeners
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"change-feed:{channel}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg
        from psycopg import sql

        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._datastore.pool.conninfo, autocommit=True, **self._datastore.pool.kwargs
                ) as conn:
                    conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(self._channel)))
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=0.5, stop_after=1000)):
                            for listener in list(self._listeners):
                                listener(0)
            except psycopg.Error:  # database restarting: reconnect; listeners also poll meanwhile
                self._stop.wait(1.0)


class IdAllocator:
    """Allocates public integer ids from a monotonic per-service sequence (never reused; gaps are possible)."""

    BLOCK = 32

    def __init__(self, app: ServiceApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._memory: dict[str, int] = {}
        self._created: set[str] = set()
        self._blocks: dict[str, list[int]] = {}
        self._kind = type(app.store).__module__

    def next(self, sequence: str) -> int:
        if not sequence.isidentifier():
            raise ValueError(f"bad sequence name {sequence!r}")
        if self._kind.endswith("postgres"):
            return self._next_postgres(sequence)
        if self._kind.endswith("sqlite"):
            return self._next_sqlite(sequence)
        with self._lock:
            self._memory[sequence] = self._memory.get(sequence, 0) + 1
            return self._memory[sequence]

    def next_many(self, sequence: str, count: int) -> list[int]:
        """``count`` ids at once (bulk imports): one round trip on PostgreSQL instead of one per block."""
        if count <= 0:
            return []
        if not self._kind.endswith("postgres"):
            return [self.next(sequence) for _ in range(count)]
        if not sequence.isidentifier():
            raise ValueError(f"bad sequence name {sequence!r}")
        with self._lock:
            block = self._blocks.setdefault(sequence, [])
            taken = [block.pop() for _ in range(min(count, len(block)))]
            if len(taken) < count:
                taken += self._fetch_block(sequence, count - len(taken))
            return taken

    def _next_postgres(self, sequence: str) -> int:
        """Ids come in blocks of ``BLOCK`` (one round trip), like a sequence's CACHE: unique and increasing within
        a process; a restart leaves a gap."""
        with self._lock:
            block = self._blocks.setdefault(sequence, [])
            if not block:
                block.extend(reversed(self._fetch_block(sequence)))
            return block.pop()

    def _fetch_block(self, sequence: str, size: int | None = None) -> list[int]:
        datastore = self._app.store.datastore  # type: ignore[attr-defined]
        name = f"{datastore.schema or 'public'}.{sequence}_seq"
        if sequence not in self._created:
            try:
                with datastore.transaction(commit=True) as curs:
                    curs.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
            except IntegrityError:  # another process created it at the same moment
                pass
            self._created.add(sequence)
        with datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT nextval(%s) AS id FROM generate_series(1, %s)", (name, size or self.BLOCK)
            ).fetchall()
        return sorted(int(row["id"]) for row in rows)

    def _next_sqlite(self, sequence: str) -> int:
        datastore = self._app.store.datastore  # type: ignore[attr-defined]
        with self._lock, datastore.transaction(commit=True) as curs:
            curs.execute("CREATE TABLE IF NOT EXISTS id_sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            curs.execute(
                "INSERT INTO id_sequences (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (sequence,),
            )
            curs.execute("SELECT value FROM id_sequences WHERE name = ?", (sequence,))
            row = curs.fetchone()
        return int(row[0])


def eventstore_env(settings: ServiceSettings, app_name: str) -> dict[str, str]:
    """The eventsourcing environment for one service, from its settings."""
    kind = settings.store_kind
    if kind == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if kind == "sqlite":
        folder = sqlite_folder(settings.database_url)
        folder.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(folder / f"{app_name}-events.sqlite3"),
            "SQLITE_LOCK_TIMEOUT": "10",
            "CREATE_TABLE": "y",
        }
    parts = urlsplit(settings.database_url)
    ensure_postgres_database(settings.database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": EVENTSTORE_SCHEMA,
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "20",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "y",
    }


def sqlite_folder(database_url: str) -> Path:
    """``sqlite:///var/omnibus`` -> ``var/omnibus`` (relative), ``sqlite:////abs/path`` -> ``/abs/path``."""
    return Path(database_url.removeprefix("sqlite:///"))


def ensure_postgres_database(database_url: str) -> None:
    """Create the service's database and the event-store schema when missing (dev, tests, first start)."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        conn = psycopg.connect(database_url, autocommit=True)
    except psycopg.OperationalError as error:
        if f'"{name}" does not exist' not in str(error):
            raise
        with psycopg.connect(admin_url, autocommit=True) as admin:
            try:
                admin.execute(f'CREATE DATABASE "{name}"')
            except psycopg.errors.DuplicateDatabase:
                pass
        conn = psycopg.connect(database_url, autocommit=True)
    with conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {EVENTSTORE_SCHEMA}")


def topics_of(*event_classes: type) -> tuple[str, ...]:
    return tuple(get_topic(cls) for cls in event_classes)


__all__ = [
    "ConcurrencyConflictError",
    "GroupCommitRecorder",
    "IdAllocator",
    "MetaMapper",
    "ServiceApplication",
    "aggregate_uuid",
    "event_id",
    "event_meta",
    "retry_on_conflict",
    "eventstore_env",
    "topics_of",
]
