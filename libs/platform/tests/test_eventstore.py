"""The event store: command context on every event, id sequences, group commit, optimistic concurrency."""

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from omnibus.contracts import Actor
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import (
    ConcurrencyConflictError,
    GroupCommitRecorder,
    ServiceApplication,
    aggregate_uuid,
    event_id,
    event_meta,
    eventstore_env,
    retry_on_conflict,
)
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually


class Thing(Aggregate):
    id: uuid.UUID

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name


class ThingsApp(ServiceApplication):
    def create(self, public_id: int, name: str) -> Thing:
        thing = Thing(id=aggregate_uuid("thing", public_id), name=name)
        self.save(thing)
        return thing


def a_thing(name: str = "thing") -> Thing:
    return Thing(id=uuid.uuid4(), name=name)


AppFactory = Callable[[], ThingsApp]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}"
    return str(request.getfixturevalue("fresh_database"))


@pytest.fixture
def open_app(store_url: str) -> Iterator[AppFactory]:
    """Opens apps on one store (a second call re-opens the same store, as after a restart)."""
    opened: list[ThingsApp] = []

    def factory() -> ThingsApp:
        app = ThingsApp(env=eventstore_env(ServiceSettings(database_url=store_url).for_service("t"), "t"))
        opened.append(app)
        return app

    yield factory
    for app in opened:
        app.close()


@pytest.fixture
def app(open_app: AppFactory) -> ThingsApp:
    return open_app()


MEMORY_ONLY = pytest.mark.parametrize("store_url", ["memory"], indirect=True)  # logic that no backend changes


def run_concurrently(*tasks: Callable[[], Any]) -> list[Any]:
    """Start every task at the same moment on its own thread; each result is a value or the raised exception."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int, task: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = task()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# --- ids ----------------------------------------------------------------------------------------------------------


def test_aggregate_uuid_is_deterministic() -> None:
    assert aggregate_uuid("customer", 123) == aggregate_uuid("customer", 123)


def test_aggregate_uuid_differs_per_kind_and_id() -> None:
    ids = {aggregate_uuid("customer", 1), aggregate_uuid("site", 1), aggregate_uuid("customer", 2)}

    assert len(ids) == 3


def test_event_id_is_deterministic_and_distinct_per_version() -> None:
    originator = aggregate_uuid("customer", 1)

    assert event_id(originator, 1) == event_id(originator, 1)
    assert event_id(originator, 1) != event_id(originator, 2)
    assert event_id(originator, 1) != event_id(aggregate_uuid("customer", 2), 1)


# --- command context ----------------------------------------------------------------------------------------------


def test_events_carry_the_command_context_they_were_saved_in(app: ThingsApp) -> None:
    with command_context(CommandContext(correlation_id="c1", actor=Actor(user_id=5))):
        thing = app.create(1, "first")
        thing.rename("second")
        app.save(thing)

    events = [app.mapper.to_domain_event(n) for n in app.read_notifications(0, 10)]

    assert [type(e).__name__ for e in events] == ["Created", "Renamed"]
    assert [event_meta(e) for e in events] == [{"actor": {"user_id": 5}, "correlation_id": "c1"}] * 2


@MEMORY_ONLY
def test_events_saved_without_a_context_have_no_meta(app: ThingsApp) -> None:
    app.create(1, "first")

    [notification] = app.read_notifications(0, 10)

    assert event_meta(app.mapper.to_domain_event(notification)) == {}


def test_aggregates_with_meta_reconstruct_from_the_repository(app: ThingsApp) -> None:
    ctx = CommandContext(correlation_id="c1", causation_id="r1", traceparent="00-ab-cd-01", actor=Actor(user_id=5))
    with command_context(ctx):
        thing = app.create(7, "first")
        thing.rename("second")
        app.save(thing)

    loaded = app.repository.get(aggregate_uuid("thing", 7))

    assert (loaded.name, loaded.version) == ("second", 2)
    assert "__meta__" not in vars(loaded)


@MEMORY_ONLY
def test_the_context_is_not_stamped_on_the_saved_aggregates_events(app: ThingsApp) -> None:
    thing = a_thing()
    with command_context(CommandContext(correlation_id="c1")):
        app.save(thing)

    assert all("__meta__" not in vars(e) for e in thing.collect_events())


def test_save_sets_last_position_of_the_active_context(app: ThingsApp) -> None:
    app.create(1, "before")

    with command_context(CommandContext()) as ctx:
        app.create(2, "mine")

    assert ctx.last_position == app.max_notification_id() == 2


def test_listeners_get_the_max_notification_id_after_a_save(app: ThingsApp) -> None:
    seen: list[int] = []
    app.add_listener(seen.append)
    thing = a_thing()
    thing.rename("again")

    app.save(thing)

    assert seen == [2]


@MEMORY_ONLY
def test_listeners_are_not_called_for_an_empty_save(app: ThingsApp) -> None:
    seen: list[int] = []
    app.add_listener(seen.append)

    app.save()

    assert seen == []


# --- id sequences -------------------------------------------------------------------------------------------------


def test_ids_next_counts_from_one(app: ThingsApp) -> None:
    assert [app.ids.next("customer") for _ in range(3)] == [1, 2, 3]


def test_id_sequences_are_independent(app: ThingsApp) -> None:
    app.ids.next("customer")
    app.ids.next("customer")

    assert (app.ids.next("site"), app.ids.next("customer")) == (1, 3)


@MEMORY_ONLY
def test_id_sequence_names_must_be_identifiers(app: ThingsApp) -> None:
    with pytest.raises(ValueError, match="sequence"):
        app.ids.next("x; DROP TABLE users")


@pytest.mark.parametrize(
    "store_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)], indirect=True
)
def test_id_sequences_continue_after_reopening_the_store(open_app: AppFactory) -> None:
    first = open_app()
    issued = [first.ids.next("customer") for _ in range(3)]
    first.close()

    again = open_app()

    assert issued == [1, 2, 3]
    assert again.ids.next("customer") > 3  # never reused; PostgreSQL hands out blocks, so a restart leaves a gap


def test_concurrent_id_allocation_gives_unique_ids(app: ThingsApp) -> None:
    results = run_concurrently(*[lambda: [app.ids.next("customer") for _ in range(20)]] * 8)

    ids = [i for batch in results for i in batch]
    assert sorted(ids) == list(range(1, 161))


def test_next_many_hands_out_unique_ids_in_order_with_next(app: ThingsApp) -> None:
    first = app.ids.next("item")

    many = app.ids.next_many("item", 100)
    after = app.ids.next("item")

    assert many == sorted(many) and len(set(many)) == 100
    assert first < many[0] and many[-1] < after
    assert app.ids.next_many("item", 0) == []


def test_concurrent_next_many_gives_unique_ids(app: ThingsApp) -> None:
    results = run_concurrently(*[lambda: app.ids.next_many("item", 50) + [app.ids.next("item")]] * 6)

    ids = [i for batch in results for i in batch]
    assert len(set(ids)) == len(ids) == 306


# --- group commit -------------------------------------------------------------------------------------------------


def test_concurrent_saves_are_all_stored_with_unique_notification_ids(app: ThingsApp) -> None:
    def save_hundred() -> list[Any]:
        return [app.save(a_thing()) for _ in range(100)]

    results = run_concurrently(*[save_hundred] * 16)

    recordings = [r for thread in results for save in thread for r in save]
    ids = [r.notification.id for r in recordings]
    assert len(ids) == len(set(ids)) == 1600
    assert app.max_notification_id() == 1600


def test_each_concurrent_save_gets_the_notification_ids_of_its_own_events(app: ThingsApp) -> None:
    def save_many() -> list[tuple[uuid.UUID, list[int]]]:
        saved = []
        for _ in range(50):
            thing = a_thing()
            thing.rename("second")
            saved.append((thing.id, [r.notification.id for r in app.save(thing)]))
        return saved

    results = run_concurrently(*[save_many] * 16)

    stored = {n.id: (n.originator_id, n.originator_version) for n in app.read_notifications(0, 10_000)}
    for thing_id, ids in (item for thread in results for item in thread):
        assert [stored[i] for i in ids] == [(thing_id, 1), (thing_id, 2)]


def test_concurrent_changes_of_one_aggregate_let_exactly_one_save_succeed(app: ThingsApp) -> None:
    thing_id = app.create(1, "original").id
    first, second = app.repository.get(thing_id), app.repository.get(thing_id)
    first.rename("first")
    second.rename("second")

    results = run_concurrently(lambda: app.save(first), lambda: app.save(second))

    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], IntegrityError)
    assert app.repository.get(thing_id).version == 2


def test_a_conflict_among_concurrent_saves_fails_only_the_conflicting_saves(app: ThingsApp) -> None:
    contested_id = app.create(1, "original").id
    copies = [app.repository.get(contested_id) for _ in range(6)]
    for number, copy in enumerate(copies):
        copy.rename(f"copy {number}")
    bystanders = [a_thing(f"bystander {n}") for n in range(30)]
    tasks = [lambda c=c: app.save(c) for c in copies] + [lambda b=b: app.save(b) for b in bystanders]

    results = run_concurrently(*tasks)

    copy_results, bystander_results = results[: len(copies)], results[len(copies) :]
    assert sum(not isinstance(r, Exception) for r in copy_results) == 1
    assert all(isinstance(r, IntegrityError) for r in copy_results if isinstance(r, Exception))
    assert not [r for r in bystander_results if isinstance(r, Exception)]
    assert all(app.repository.get(b.id).name == b.name for b in bystanders)
    assert len(app.read_notifications(0, 1000)) == 1 + 1 + len(bystanders)


# --- group commit, deterministic batches (a gated recorder holds the first commit until others queue up) ---------


class GatedRecorder(POPOApplicationRecorder):
    """Once armed, holds its next insert until ``gate`` opens; records the size of every insert while armed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.inserts: list[int] | None = None

    def arm(self) -> None:
        self.inserts = []

    def insert_events(self, stored_events: Any, **kwargs: Any) -> Any:
        if self.inserts is not None:
            self.inserts.append(len(stored_events))
            if len(self.inserts) == 1:
                self.gate.wait(timeout=10)
        return super().insert_events(stored_events, **kwargs)


def stored(originator_id: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic="test:Event", state=b"{}")


def run_behind_a_held_commit(
    group: GroupCommitRecorder, inner: GatedRecorder, saves: list[list[StoredEvent]]
) -> list[Any]:
    """The first save commits alone and is held; the others queue up behind it, then the gate opens."""
    results: list[Any] = [None] * len(saves)
    inner.arm()

    def run(index: int) -> None:
        try:
            results[index] = group.insert_events(saves[index])
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(0,))]
    threads[0].start()
    eventually(lambda: assert_equal(inner.inserts, [len(saves[0])]))
    threads += [threading.Thread(target=run, args=(i,)) for i in range(1, len(saves))]
    for thread in threads[1:]:
        thread.start()
    eventually(lambda: assert_equal(len(group._queue), len(saves) - 1))
    inner.gate.set()
    for thread in threads:
        thread.join(timeout=10)
    return results


def assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def test_saves_queued_behind_a_commit_are_committed_in_one_batch() -> None:
    inner = GatedRecorder()
    group = GroupCommitRecorder(inner)
    saves = [[stored(uuid.uuid4(), 1), stored(uuid.uuid4(), 1)] for _ in range(10)]

    results = run_behind_a_held_commit(group, inner, saves)

    assert inner.inserts == [2, 18]
    assert sorted(i for ids in results for i in ids) == list(range(1, 21))


def test_batched_saves_get_the_ids_of_their_own_events() -> None:
    inner = GatedRecorder()
    group = GroupCommitRecorder(inner)
    saves = [[stored(uuid.uuid4(), 1), stored(uuid.uuid4(), 1)] for _ in range(10)]

    results = run_behind_a_held_commit(group, inner, saves)

    by_id = {n.id: n.originator_id for n in inner.select_notifications(1, 100)}
    for events, ids in zip(saves, results, strict=True):
        assert [by_id[i] for i in ids] == [e.originator_id for e in events]


def test_a_conflict_in_a_batch_fails_only_the_conflicting_save() -> None:
    inner = GatedRecorder()
    group = GroupCommitRecorder(inner)
    taken = uuid.uuid4()
    inner.insert_events([stored(taken, 1)])
    saves = [[stored(uuid.uuid4(), 1)], [stored(uuid.uuid4(), 1)], [stored(taken, 1)], [stored(uuid.uuid4(), 1)]]

    results = run_behind_a_held_commit(group, inner, saves)

    assert isinstance(results[2], IntegrityError)
    assert all(isinstance(r, list | tuple) and len(r) == 1 for i, r in enumerate(results) if i != 2)
    assert inner.max_notification_id() == 4
    assert inner.inserts == [1, 3, 1, 1, 1]


def test_two_saves_of_one_aggregate_version_in_one_batch_let_the_first_succeed() -> None:
    inner = GatedRecorder()
    group = GroupCommitRecorder(inner)
    contested, other = uuid.uuid4(), uuid.uuid4()
    saves = [[stored(uuid.uuid4(), 1)], [stored(contested, 1)], [stored(other, 1)], [stored(contested, 1)]]

    results = run_behind_a_held_commit(group, inner, saves)

    assert [isinstance(r, IntegrityError) for r in results] == [False, False, False, True]
    assert [(n.originator_id, n.id) for n in inner.select_notifications(1, 10)][1:] == [(contested, 2), (other, 3)]


def test_a_batch_never_exceeds_max_batch_events() -> None:
    inner = GatedRecorder()
    group = GroupCommitRecorder(inner, max_batch_events=5)
    saves = [[stored(uuid.uuid4(), 1), stored(uuid.uuid4(), 1)] for _ in range(7)]

    results = run_behind_a_held_commit(group, inner, saves)

    assert inner.inserts == [2, 4, 4, 4]
    assert not [r for r in results if isinstance(r, Exception)]


def test_a_save_with_a_tracking_record_is_never_merged() -> None:
    inner = POPOApplicationRecorder()
    group = GroupCommitRecorder(inner)

    ids = group.insert_events([stored(uuid.uuid4(), 1)], tracking=None)

    assert list(ids or ()) == [1]


# --- retry_on_conflict --------------------------------------------------------------------------------------------


def test_retry_on_conflict_runs_the_command_again_after_a_concurrent_change(app: ThingsApp) -> None:
    thing_id = app.create(1, "original").id
    attempts = []

    def rename() -> str:
        attempts.append(1)
        thing = app.repository.get(thing_id)
        if len(attempts) == 1:  # someone else changes it between our load and our save
            other = app.repository.get(thing_id)
            other.rename("theirs")
            app.save(other)
        thing.rename("mine")
        app.save(thing)
        return thing.name

    result = retry_on_conflict(rename)

    assert (result, len(attempts)) == ("mine", 2)
    assert app.repository.get(thing_id).version == 3


def test_retry_on_conflict_gives_up_with_concurrency_conflict_error() -> None:
    attempts = []

    def always_conflicts() -> None:
        attempts.append(1)
        raise IntegrityError("duplicate key")

    with pytest.raises(ConcurrencyConflictError):
        retry_on_conflict(always_conflicts, attempts=3)

    assert len(attempts) == 3


def test_concurrency_conflict_error_is_a_409() -> None:
    assert (ConcurrencyConflictError.http_status, ConcurrencyConflictError.code) == (409, "conflict")


def test_retry_on_conflict_does_not_retry_other_errors() -> None:
    attempts = []

    def fails() -> None:
        attempts.append(1)
        raise KeyError("nope")

    with pytest.raises(KeyError):
        retry_on_conflict(fails)

    assert len(attempts) == 1
