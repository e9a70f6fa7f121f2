"""Projections: read models kept up to date from events, with the tracking position in the same transaction.

- ``Projection``: what a read model does with each event (``apply``), the tables it owns and the event topics
  (domain-event classes for a local projection, contract classes for a bus subscriber) it needs.
- ``LocalProjectionRunner``: follows the service's own notification log in batches (a background thread), and
  lets writers wait until their events are projected (read-your-writes for the REST API).
- ``rebuild``: replay a projection from zero into shadow tables while the live ones keep serving, then switch
  in one short transaction (blue/green), with progress.
"""

import asyncio
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine, MetaData, Table, text
from sqlalchemy.sql.elements import quoted_name

from omnibus.platform import leadership
from omnibus.platform.eventstore import ServiceApplication
from omnibus.platform.readmodels import Rows, advance_position, read_position, write_position

log = logging.getLogger(__name__)


LINGER = 0.002  # seconds a woken projection waits so that concurrent commits share its batch


class Projection(ABC):
    """A read model: tables plus a pure mapping from events to row changes."""

    name: str
    tables: tuple[Table, ...]
    topics: tuple[str, ...] = ()  # eventsourcing topics of the domain events it needs (empty = all)

    @abstractmethod
    def apply(self, event: Any, rows: Rows) -> None:
        """Change rows for one event. Runs inside the batch's transaction; must not do other I/O."""


class ProjectionTimeout(TimeoutError):
    """A write's events were not projected in time."""


class _PositionMoved(Exception):
    """Another writer (a rebuild's switch) moved the tracking position: the batch is rolled back."""


class LocalProjectionRunner:
    """Keeps one projection of a service's own events up to date."""

    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        projection: Projection,
        *,
        batch_size: int = 1000,
        tables: Mapping[str, Table] | None = None,
        tracking_name: str | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size
        self.tables = tables  # write these instead of the projection's own (a rebuild's shadow tables)
        self.tracking_name = tracking_name or projection.name
        self._caught_up = -1  # every notification id <= this is projected
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._wanted = frozenset(projection.topics) or None
        self.error: BaseException | None = None

    def start(self) -> None:
        with self.engine.connect() as conn:
            self._caught_up = read_position(conn, self.tracking_name)
        self.app.add_listener(lambda _: self._wake.set())
        self._thread = threading.Thread(target=self._run, name=f"projection:{self.projection.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def position(self) -> int:
        return self._caught_up

    def wait_for(self, notification_id: int, timeout: float) -> None:
        """Block until ``notification_id`` is projected (read-your-writes), or raise ProjectionTimeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._caught_up < notification_id:
                if self.error is not None and self._thread is not None and not self._thread.is_alive():
                    raise ProjectionTimeout(f"projection {self.projection.name} stopped: {self.error}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProjectionTimeout(f"projection {self.projection.name} is behind")
                self._wake.set()
                self._cond.wait(remaining)

    async def wait_for_async(self, notification_id: int, timeout: float) -> bool:
        """Wait without blocking the event loop; False when the projection did not catch up in time."""
        with self._cond:
            if self._caught_up >= notification_id:
                return True
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((notification_id, asyncio.get_running_loop(), future))
        self._wake.set()
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:  # a waiter that gave up must not be resolved later (its event loop may be closed by then)
            with self._cond:
                self._waiters = [w for w in self._waiters if w[2] is not future]

    def _release_waiters(self) -> None:
        ready = [w for w in self._waiters if w[0] <= self._caught_up]
        self._waiters = [w for w in self._waiters if w[0] > self._caught_up]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    def catch_up(self) -> int:
        """Project everything recorded so far; returns how many events were applied."""
        applied = 0
        while True:
            count, more = self.step()
            applied += count
            if not more:
                return applied

    def step(self, stop: int | None = None) -> tuple[int, bool]:
        """Project one batch (up to ``stop``, else the head); returns (events applied, whether more may be
        waiting)."""
        if self._caught_up < 0:  # not started: resume from the stored position, never re-apply tracked events
            with self.engine.connect() as conn:
                self._caught_up = read_position(conn, self.tracking_name)
        notifications, reached, full = self._next_batch(stop)
        if reached > self._caught_up:
            try:
                with self.engine.begin() as conn:
                    self._apply(conn, notifications, reached)
            except _PositionMoved:
                with self.engine.connect() as conn:
                    reached = read_position(conn, self.tracking_name)
                log.info("projection %s was switched by a rebuild; continuing at %d", self.tracking_name, reached)
                notifications, full = [], True
            with self._cond:
                self._caught_up = reached
                self._cond.notify_all()
                self._release_waiters()
        return len(notifications), full

    def catch_up_within(self, conn: Connection) -> int:
        """Project what is recorded now inside the caller's transaction (a rebuild's switch); stops at the head it
        saw on entry, so writers that keep writing cannot keep it running."""
        applied, stop = 0, self.app.max_notification_id()
        while True:
            notifications, reached, full = self._next_batch(stop)
            if reached > self._caught_up:
                self._apply(conn, notifications, reached)
                self._caught_up = reached
            applied += len(notifications)
            if not full:
                return applied

    def _next_batch(self, stop: int | None = None) -> tuple[Sequence[Notification], int, bool]:
        head = self.app.max_notification_id() if stop is None else stop
        notifications = self.app.read_notifications(self._caught_up, self.batch_size, stop=head)
        full = len(notifications) == self.batch_size
        return notifications, notifications[-1].id if full else max(head, self._caught_up), full

    def _apply(self, conn: Connection, notifications: Sequence[Notification], reached: int) -> None:
        wanted = self._wanted
        rows = Rows(conn, self.tables)
        for notification in notifications:
            if wanted is None or notification.topic in wanted:
                self.projection.apply(self.app.mapper.to_domain_event(notification), rows)
        rows.flush()
        if not advance_position(conn, self.tracking_name, self._caught_up, reached):
            raise _PositionMoved(self.tracking_name)

    def _run(self) -> None:
        lock = leadership.acquire(self.engine, f"projection:{self.projection.name}", self._stop)
        try:
            with self.engine.connect() as conn, self._cond:  # a standby resumes where the last leader stopped
                self._caught_up = max(self._caught_up, read_position(conn, self.tracking_name))
            self._follow()
        finally:
            if lock is not None:
                lock.close()

    def _follow(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.catch_up()
                backoff = 0.1
                self.error = None
            except Exception as error:  # keep running: log, wait, retry (the database may be restarting)
                self.error = error
                log.exception("projection %s failed; retrying in %.1fs", self.projection.name, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if self._wake.wait(timeout=1.0):
                self._stop.wait(LINGER)  # let commits arriving meanwhile join the next batch


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


REBUILD_PASSES = 3  # then the switch catches up the rest under its lock, and the live runner what came after
SHADOW_SCHEMA = "omnibus_rebuild"  # PostgreSQL: shadow tables keep their names (and index names) in this schema
SHADOW_SUFFIX = "__rebuild"  # SQLite (no schemas in one file): shadow tables and their indexes get this suffix


def rebuild(
    app: ServiceApplication,
    engine: Engine,
    projection: Projection,
    *,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Replay every event into shadow copies of the projection's tables while the live tables keep serving (and
    their runner keeps following), then switch: in one transaction that locks the live tables, catch the shadow
    up to the head, replace the live tables with it and move the tracking position. Readers wait only for that
    short transaction; the live runner notices the moved position and goes on from there. Returns the number of
    events replayed.
    """
    postgres = engine.dialect.name == "postgresql"
    shadows = _shadow_tables(projection.tables, postgres)
    tracking = projection.name + SHADOW_SUFFIX
    with engine.begin() as conn:
        if postgres:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SHADOW_SCHEMA}"'))
        for shadow in shadows.values():
            shadow.drop(conn, checkfirst=True)  # a rebuild that died half-way leaves its shadow behind
            shadow.create(conn)
        write_position(conn, tracking, 0)
    runner = LocalProjectionRunner(
        app, engine, projection, batch_size=batch_size, tables=shadows, tracking_name=tracking
    )
    runner._caught_up = 0
    total = 0
    for _ in range(REBUILD_PASSES):  # each pass up to the head seen at its start: busy writers cannot starve it
        target = app.max_notification_id()
        while runner.position < target:
            applied, _ = runner.step(stop=target)
            total += applied
            if progress is not None:
                progress(runner.position, app.max_notification_id())
        if app.max_notification_id() - runner.position <= batch_size:
            break
    with engine.begin() as conn:
        _lock_for_switch(conn, projection, postgres)
        late = runner.catch_up_within(conn)  # what was recorded since the last batch
        for table in projection.tables:
            _replace(conn, table, shadows[table.name], postgres)
        write_position(conn, projection.name, runner.position)
        conn.execute(text("DELETE FROM projection_tracking WHERE name = :name"), {"name": tracking})
    if progress is not None and late:
        progress(runner.position, runner.position)
    return total + late


def _shadow_tables(tables: Sequence[Table], postgres: bool) -> dict[str, Table]:
    metadata = MetaData()
    shadows = {}
    for table in tables:
        if postgres:
            shadow = table.to_metadata(metadata, schema=SHADOW_SCHEMA)
        else:
            shadow = table.to_metadata(metadata, name=table.name + SHADOW_SUFFIX)
            for index in shadow.indexes:  # SQLite index names are unique per database
                index.name = quoted_name(f"{index.name}{SHADOW_SUFFIX}", None)
        shadows[table.name] = shadow
    return shadows


def _lock_for_switch(conn: Connection, projection: Projection, postgres: bool) -> None:
    """Hold off the live runner (and readers, for the length of the switch)."""
    if postgres:
        names = ", ".join(f'"{t.name}"' for t in projection.tables)
        conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
    else:  # SQLite: a write takes the database's write lock until commit
        conn.execute(
            text("UPDATE projection_tracking SET position = position WHERE name = :name"), {"name": projection.name}
        )


def _replace(conn: Connection, live: Table, shadow: Table, postgres: bool) -> None:
    conn.execute(text(f'DROP TABLE "{live.name}"'))
    if postgres:  # indexes and owned sequences move with the table, names unchanged
        conn.execute(text(f'ALTER TABLE "{SHADOW_SCHEMA}"."{shadow.name}" SET SCHEMA "{live.schema or "public"}"'))
        return
    conn.execute(text(f'ALTER TABLE "{shadow.name}" RENAME TO "{live.name}"'))
    named = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": live.name},
    ).all()
    for name, sql in named:  # give the indexes their live names back (SQLite cannot rename an index)
        conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text(sql.replace(name, name.removesuffix(SHADOW_SUFFIX), 1)))
