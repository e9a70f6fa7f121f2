"""Projections: read models kept up to date from events, with the tracking position in the same transaction.

- ``Projection``: what a read model does with each event (``apply``), the tables it owns and the event topics
  (domain-event classes for a local projection, contract classes for a bus subscriber) it needs.
- ``LocalProjectionRunner``: follows the service's own notification log in batches (a background thread), and
  lets writers wait until their events are projected (read-your-writes for the REST API).
- ``rebuild``: drop a projection's rows and replay it from zero, with progress.
"""

import asyncio
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, delete

from omnibus.platform import leadership
from omnibus.platform.eventstore import ServiceApplication
from omnibus.platform.readmodels import Rows, read_position, write_position

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


class LocalProjectionRunner:
    """Keeps one projection of a service's own events up to date."""

    def __init__(
        self, app: ServiceApplication, engine: Engine, projection: Projection, *, batch_size: int = 1000
    ) -> None:
        self.app = app
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size
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
            self._caught_up = read_position(conn, self.projection.name)
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

    def step(self) -> tuple[int, bool]:
        """Project one batch; returns (events applied, whether more may be waiting)."""
        if self._caught_up < 0:  # not started: resume from the stored position, never re-apply tracked events
            with self.engine.connect() as conn:
                self._caught_up = read_position(conn, self.projection.name)
        head = self.app.max_notification_id()
        notifications = self.app.read_notifications(self._caught_up, self.batch_size, stop=head)
        full = len(notifications) == self.batch_size
        reached = notifications[-1].id if full else max(head, self._caught_up)
        wanted = self._wanted
        if reached > self._caught_up:
            with self.engine.begin() as conn:
                rows = Rows(conn)
                for notification in notifications:
                    if wanted is None or notification.topic in wanted:
                        self.projection.apply(self.app.mapper.to_domain_event(notification), rows)
                rows.flush()
                write_position(conn, self.projection.name, reached)
            with self._cond:
                self._caught_up = reached
                self._cond.notify_all()
                self._release_waiters()
        return len(notifications), full

    def _run(self) -> None:
        lock = leadership.acquire(self.engine, f"projection:{self.projection.name}", self._stop)
        try:
            with self.engine.connect() as conn, self._cond:  # a standby resumes where the last leader stopped
                self._caught_up = max(self._caught_up, read_position(conn, self.projection.name))
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


def rebuild(
    app: ServiceApplication,
    engine: Engine,
    projection: Projection,
    *,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Empty the projection's tables and replay every event; returns the number of events applied.

    Run it with the service's projector stopped (docs/operations.md).
    """
    with engine.begin() as conn:
        for table in reversed(projection.tables):
            conn.execute(delete(table))
        write_position(conn, projection.name, 0)
    runner = LocalProjectionRunner(app, engine, projection, batch_size=batch_size)
    runner._caught_up = 0
    head = app.max_notification_id()
    total = 0
    while True:
        applied, more = runner.step()
        total += applied
        if progress is not None:
            progress(runner.position, head)
        if not more:
            return total
