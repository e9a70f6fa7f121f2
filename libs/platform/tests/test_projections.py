"""Local projections: batched catch-up with the position in the same transaction, read-your-writes, rebuild."""

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, select

from omnibus.platform.eventstore import ServiceApplication, eventstore_env, topics_of
from omnibus.platform.projections import LocalProjectionRunner, Projection, ProjectionTimeout, rebuild
from omnibus.platform.readmodels import Rows, create_read_engine, create_tables, read_position
from omnibus.platform.settings import ServiceSettings


class Thing(Aggregate):
    id: uuid.UUID

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name


metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("renames", Integer, nullable=False),
    Index("ix_things_name", "name"),
)


class ThingsProjection(Projection):
    """Counts how often it applied each event, so tests can tell a replay from a resume."""

    name = "things"
    tables = (things,)

    def __init__(self, topics: tuple[str, ...] = (), fail_on: str | None = None) -> None:
        self.topics = topics
        self.fail_on = fail_on
        self.applied: list[tuple[uuid.UUID, int]] = []

    def apply(self, event: Any, rows: Rows) -> None:
        if self.fail_on is not None and getattr(event, "name", None) == self.fail_on:
            raise RuntimeError(f"cannot project {self.fail_on}")
        self.applied.append((event.originator_id, event.originator_version))
        key = str(event.originator_id)
        if isinstance(event, Thing.Created):
            rows(things).put({"id": key, "name": event.name, "renames": 0})
        elif isinstance(event, Thing.Renamed):
            row = rows(things).get(key)
            if row is not None:
                rows(things).update(key, name=event.name, renames=row["renames"] + 1)


class Store:
    """One service's event store and read database; ``app()`` (re)opens the event store as after a restart."""

    def __init__(self, url: str) -> None:
        settings = ServiceSettings(database_url=url).for_service("t")
        self.env = eventstore_env(settings, "t")
        self.engine = create_read_engine(settings)
        create_tables(self.engine, metadata)
        self._apps: list[ServiceApplication] = []
        self._runners: list[LocalProjectionRunner] = []

    def app(self) -> ServiceApplication:
        app = ServiceApplication(env=self.env)
        self._apps.append(app)
        return app

    def runner(
        self, app: ServiceApplication, projection: Projection | None = None, batch_size: int = 1000
    ) -> LocalProjectionRunner:
        runner = LocalProjectionRunner(app, self.engine, projection or ThingsProjection(), batch_size=batch_size)
        self._runners.append(runner)
        return runner

    def rows(self) -> dict[str, tuple[str, int]]:
        with self.engine.connect() as conn:
            return {r.id: (r.name, r.renames) for r in conn.execute(select(things))}

    def position(self, name: str = "things") -> int:
        with self.engine.connect() as conn:
            return read_position(conn, name)

    def close(self) -> None:
        for runner in self._runners:
            runner.stop()
        for app in self._apps:
            app.close()
        self.engine.dispose()


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """SQLite by default; tests marked ``ALSO_ON_POSTGRES`` run on PostgreSQL too (a new database each)."""
    url = f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")
    store = Store(url)
    yield store
    store.close()


ALSO_ON_POSTGRES = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)], indirect=True
)


def save_things(app: ServiceApplication, count: int, renames: int = 0) -> list[Thing]:
    saved = []
    for number in range(count):
        thing = Thing(id=uuid.uuid4(), name=f"thing {number}")
        for again in range(renames):
            thing.rename(f"thing {number} v{again + 2}")
        app.save(thing)
        saved.append(thing)
    return saved


def expected_rows(saved: list[Thing], renames: int = 0) -> dict[str, tuple[str, int]]:
    return {str(t.id): (t.name, renames) for t in saved}


# --- background runner and read-your-writes -----------------------------------------------------------------------


@ALSO_ON_POSTGRES
def test_wait_for_returns_once_the_saved_events_are_projected(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    runner.start()
    saved = save_things(app, 5, renames=1)

    runner.wait_for(app.max_notification_id(), timeout=10)

    assert store.rows() == expected_rows(saved, renames=1)


def test_wait_for_a_position_never_reached_times_out(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    runner.start()
    save_things(app, 1)

    with pytest.raises(ProjectionTimeout):
        runner.wait_for(app.max_notification_id() + 100, timeout=0.2)


@ALSO_ON_POSTGRES
def test_wait_for_async_inside_asyncio_run_returns_true_once_projected(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    runner.start()

    async def write_then_wait() -> bool:
        saved.extend(await asyncio.to_thread(save_things, app, 3))
        return await runner.wait_for_async(app.max_notification_id(), timeout=10)

    saved: list[Thing] = []
    caught_up = asyncio.run(write_then_wait())

    assert caught_up is True
    assert store.rows() == expected_rows(saved)


def test_wait_for_async_returns_false_when_not_projected_in_time(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    runner.start()

    caught_up = asyncio.run(runner.wait_for_async(app.max_notification_id() + 100, timeout=0.1))

    assert caught_up is False


def test_the_runner_projects_events_saved_before_it_started(store: Store) -> None:
    app = store.app()
    saved = save_things(app, 4)
    runner = store.runner(app)

    runner.start()
    runner.wait_for(app.max_notification_id(), timeout=10)

    assert store.rows() == expected_rows(saved)


@ALSO_ON_POSTGRES
def test_a_projection_of_some_topics_still_reaches_positions_of_other_events(store: Store) -> None:
    app = store.app()
    projection = ThingsProjection(topics=topics_of(Thing.Created))
    runner = store.runner(app, projection)
    runner.start()
    [thing] = save_things(app, 1, renames=2)  # the last position is a Renamed event

    runner.wait_for(app.max_notification_id(), timeout=10)

    assert projection.applied == [(thing.id, 1)]
    assert store.position() == app.max_notification_id() == 3


# --- catch-up, restart, atomicity ---------------------------------------------------------------------------------


def test_catch_up_applies_every_event_once_and_stores_the_position(store: Store) -> None:
    app = store.app()
    saved = save_things(app, 10, renames=1)
    projection = ThingsProjection()

    applied = store.runner(app, projection, batch_size=3).catch_up()

    assert applied == len(projection.applied) == 20
    assert store.rows() == expected_rows(saved, renames=1)
    assert store.position() == 20


@ALSO_ON_POSTGRES
def test_catch_up_after_a_restart_resumes_from_the_stored_position(store: Store) -> None:
    before = store.app()
    save_things(before, 3)
    store.runner(before).catch_up()
    before.close()
    after = store.app()
    [late] = save_things(after, 1)
    projection = ThingsProjection()

    applied = store.runner(after, projection).catch_up()

    assert (applied, projection.applied) == (1, [(late.id, 1)])
    assert len(store.rows()) == 4


def test_a_started_runner_resumes_from_the_stored_position(store: Store) -> None:
    before = store.app()
    save_things(before, 3)
    store.runner(before).catch_up()
    after = store.app()
    [late] = save_things(after, 1)
    projection = ThingsProjection()
    runner = store.runner(after, projection)

    runner.start()
    runner.wait_for(after.max_notification_id(), timeout=10)

    assert projection.applied == [(late.id, 1)]


@ALSO_ON_POSTGRES
def test_a_failing_event_writes_neither_rows_nor_position_of_its_batch(store: Store) -> None:
    app = store.app()
    save_things(app, 2)
    thing = Thing(id=uuid.uuid4(), name="poison")
    app.save(thing)
    runner = store.runner(app, ThingsProjection(fail_on="poison"))

    with pytest.raises(RuntimeError, match="poison"):
        runner.catch_up()

    assert (store.rows(), store.position()) == ({}, 0)


def test_catch_up_with_nothing_recorded_applies_nothing(store: Store) -> None:
    app = store.app()

    assert store.runner(app).catch_up() == 0


# --- rebuild ------------------------------------------------------------------------------------------------------


@ALSO_ON_POSTGRES
def test_rebuild_replays_the_same_rows(store: Store) -> None:
    app = store.app()
    saved = save_things(app, 7, renames=2)
    store.runner(app).catch_up()

    total = rebuild(app, store.engine, ThingsProjection(), batch_size=4)

    assert total == 21
    assert store.rows() == expected_rows(saved, renames=2)
    assert store.position() == app.max_notification_id()


def test_rebuild_drops_rows_the_events_do_not_explain(store: Store) -> None:
    app = store.app()
    saved = save_things(app, 2)
    store.runner(app).catch_up()
    with store.engine.begin() as conn:
        conn.execute(things.insert(), [{"id": "stray", "name": "not from any event", "renames": 9}])

    rebuild(app, store.engine, ThingsProjection())

    assert store.rows() == expected_rows(saved)


def test_rebuild_reports_progress_up_to_the_head(store: Store) -> None:
    app = store.app()
    save_things(app, 10)
    reports: list[tuple[int, int]] = []

    rebuild(app, store.engine, ThingsProjection(), batch_size=4, progress=lambda pos, head: reports.append((pos, head)))

    assert reports == [(4, 10), (8, 10), (10, 10)]


@ALSO_ON_POSTGRES
def test_rebuild_while_live_runner_and_writers_run_loses_nothing(store: Store) -> None:
    """Blue/green: the live tables keep serving during the replay, the switch is atomic, and the live runner goes on
    from the switched position without applying anything twice (renames are counted, so a double would show)."""
    app = store.app()
    live_projection = ThingsProjection()
    live = store.runner(app, live_projection)
    live.start()
    before = save_things(app, 30, renames=2)
    live.wait_for(app.max_notification_id(), timeout=10)
    stop = threading.Event()
    written: list[Thing] = []
    reads: list[int] = []

    def write() -> None:
        while not stop.is_set():
            written.extend(save_things(app, 1, renames=1))

    def read() -> None:
        while not stop.is_set():
            reads.append(len(store.rows()))

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    try:
        rebuild(app, store.engine, ThingsProjection(), batch_size=7)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    after = save_things(app, 3, renames=1)
    live.wait_for(app.max_notification_id(), timeout=10)

    assert store.rows() == {**expected_rows(before, renames=2), **expected_rows(written + after, renames=1)}
    assert store.position() == app.max_notification_id()
    assert reads and min(reads) >= 30  # the old tables served every read during the replay
    assert live.error is None


@ALSO_ON_POSTGRES
def test_rebuild_after_a_rebuild_reuses_the_index_names(store: Store) -> None:
    app = store.app()
    saved = save_things(app, 4)

    rebuild(app, store.engine, ThingsProjection())
    rebuild(app, store.engine, ThingsProjection())

    assert store.rows() == expected_rows(saved)


def test_a_runner_started_after_a_rebuild_applies_nothing_again(store: Store) -> None:
    app = store.app()
    save_things(app, 3)
    rebuild(app, store.engine, ThingsProjection())
    projection = ThingsProjection()

    applied = store.runner(app, projection).catch_up()

    assert (applied, projection.applied) == (0, [])


def test_the_runner_keeps_projecting_new_saves(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    runner.start()
    first = save_things(app, 2)
    runner.wait_for(app.max_notification_id(), timeout=10)
    second = save_things(app, 2)

    runner.wait_for(app.max_notification_id(), timeout=10)

    assert store.rows() == expected_rows(first + second)


def test_a_timed_out_async_wait_does_not_break_later_projection(store: Store) -> None:
    app = store.app()
    runner = store.runner(app)
    assert asyncio.run(runner.wait_for_async(1, timeout=0.05)) is False  # its event loop is closed now
    saved = save_things(app, 1)

    applied = runner.catch_up()

    assert applied == 1
    assert store.rows() == expected_rows(saved)
