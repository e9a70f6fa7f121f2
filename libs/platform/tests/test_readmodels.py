"""Read-model row store: batched, coalesced changes; positions for projections and consumer inboxes."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, select

from omnibus.platform.readmodels import (
    COPY_THRESHOLD,
    Rows,
    TableRows,
    create_read_engine,
    create_tables,
    read_position,
    record_positions,
    seen_positions,
    write_position,
)
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import random_ref, unique_name
from omnibus.testing.plugin import create_database, drop_database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One read database per backend for the module; each test makes its own tables (no cleanup needed)."""
    if request.param == "sqlite":
        url, name = f"sqlite:///{tmp_path_factory.mktemp('read')}", None
    else:
        name = unique_name("omnibus_test")
        url = create_database(request.getfixturevalue("postgres_url"), name)
    engine = create_read_engine(ServiceSettings(database_url=url).for_service("t"))
    create_tables(engine)
    yield engine
    engine.dispose()
    if name is not None:
        drop_database(request.getfixturevalue("postgres_url"), name)


@pytest.fixture
def people(engine: Engine) -> Table:
    metadata = MetaData()
    table = Table(
        unique_name("people"),
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("name", String(100)),
        Column("city", String(100)),
    )
    metadata.create_all(engine)
    return table


@pytest.fixture
def memberships(engine: Engine) -> Table:
    metadata = MetaData()
    table = Table(
        unique_name("memberships"),
        metadata,
        Column("group_id", Integer, primary_key=True, autoincrement=False),
        Column("person_id", Integer, primary_key=True, autoincrement=False),
        Column("role", String(50)),
    )
    metadata.create_all(engine)
    return table


@pytest.fixture
def consumer() -> str:
    return random_ref("consumer")


def stored_rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()]


def store(engine: Engine, table: Table, *rows: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), list(rows))


def in_one_batch(engine: Engine, table: Table, change: Any) -> Any:
    with engine.begin() as conn:
        rows = TableRows(conn, table)
        result = change(rows)
        rows.flush()
    return result


def test_put_then_flush_stores_the_row(engine: Engine, people: Table) -> None:
    in_one_batch(engine, people, lambda rows: rows.put({"id": 1, "name": "Ann", "city": "Perth"}))

    assert stored_rows(engine, people) == [{"id": 1, "name": "Ann", "city": "Perth"}]


def test_nothing_is_written_before_flush(engine: Engine, people: Table) -> None:
    with engine.begin() as conn:
        TableRows(conn, people).put({"id": 1, "name": "Ann"})

    assert stored_rows(engine, people) == []


def test_get_sees_a_pending_put(engine: Engine, people: Table) -> None:
    found = in_one_batch(engine, people, lambda rows: (rows.put({"id": 1, "name": "Ann"}), rows.get(1))[1])

    assert found == {"id": 1, "name": "Ann", "city": None}


def test_get_returns_a_copy_of_the_pending_row(engine: Engine, people: Table) -> None:
    def change(rows: TableRows) -> None:
        rows.put({"id": 1, "name": "Ann"})
        rows.get(1)["name"] = "changed outside"  # type: ignore[index]

    in_one_batch(engine, people, change)

    assert stored_rows(engine, people)[0]["name"] == "Ann"


def test_put_then_updates_in_one_batch_flush_the_final_row(engine: Engine, people: Table) -> None:
    def change(rows: TableRows) -> None:
        rows.put({"id": 1, "name": "Ann", "city": "Perth"})
        rows.update(1, name="Anne")
        rows.update(1, city="Sydney")

    in_one_batch(engine, people, change)

    assert stored_rows(engine, people) == [{"id": 1, "name": "Anne", "city": "Sydney"}]


def test_create_update_and_delete_in_one_batch_leave_no_row(engine: Engine, people: Table) -> None:
    def change(rows: TableRows) -> None:
        rows.put({"id": 1, "name": "Ann"})
        rows.update(1, name="Anne")
        rows.delete(1)

    in_one_batch(engine, people, change)

    assert stored_rows(engine, people) == []


def test_update_of_a_stored_row_loads_it_and_keeps_unchanged_columns(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann", "city": "Perth"}, {"id": 2, "name": "Bob", "city": "Hobart"})

    changed = in_one_batch(engine, people, lambda rows: rows.update(1, city="Sydney"))

    assert changed is True
    assert stored_rows(engine, people) == [
        {"id": 1, "name": "Ann", "city": "Sydney"},
        {"id": 2, "name": "Bob", "city": "Hobart"},
    ]


def test_update_of_a_missing_row_returns_false_and_writes_nothing(engine: Engine, people: Table) -> None:
    changed = in_one_batch(engine, people, lambda rows: rows.update(9, name="Nobody"))

    assert changed is False
    assert stored_rows(engine, people) == []


def test_delete_of_a_stored_row_removes_it(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann", "city": None}, {"id": 2, "name": "Bob", "city": None})

    in_one_batch(engine, people, lambda rows: rows.delete(1))

    assert [r["id"] for r in stored_rows(engine, people)] == [2]


def test_get_after_a_pending_delete_is_none_although_the_row_is_stored(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann"})

    found = in_one_batch(engine, people, lambda rows: (rows.delete(1), rows.get(1))[1])

    assert found is None


def test_update_after_a_pending_delete_returns_false(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann"})

    changed = in_one_batch(engine, people, lambda rows: (rows.delete(1), rows.update(1, name="Back"))[1])

    assert changed is False
    assert stored_rows(engine, people) == []


def test_delete_then_put_in_one_batch_stores_the_new_row(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann", "city": "Perth"})

    in_one_batch(engine, people, lambda rows: (rows.delete(1), rows.put({"id": 1, "name": "New"})))

    assert stored_rows(engine, people) == [{"id": 1, "name": "New", "city": None}]


def test_put_replaces_a_stored_row(engine: Engine, people: Table) -> None:
    store(engine, people, {"id": 1, "name": "Ann", "city": "Perth"})

    in_one_batch(engine, people, lambda rows: rows.put({"id": 1, "name": "Ann B"}))

    assert stored_rows(engine, people) == [{"id": 1, "name": "Ann B", "city": None}]


def test_many_rows_flush_together(engine: Engine, people: Table) -> None:
    store(engine, people, *({"id": i, "name": f"old {i}", "city": None} for i in range(0, 100, 2)))

    def change(rows: TableRows) -> None:
        for i in range(100):
            rows.put({"id": i, "name": f"new {i}"})
        for i in range(0, 100, 3):
            rows.delete(i)

    in_one_batch(engine, people, change)

    assert [r["id"] for r in stored_rows(engine, people)] == [i for i in range(100) if i % 3]
    assert all(r["name"] == f"new {r['id']}" for r in stored_rows(engine, people))


def test_a_composite_key_table_puts_updates_and_deletes(engine: Engine, memberships: Table) -> None:
    store(
        engine,
        memberships,
        {"group_id": 1, "person_id": 1, "role": "member"},
        {"group_id": 1, "person_id": 2, "role": "member"},
    )

    def change(rows: TableRows) -> None:
        rows.update(1, 1, role="owner")
        rows.delete(1, 2)
        rows.put({"group_id": 2, "person_id": 1, "role": "member"})

    in_one_batch(engine, memberships, change)

    assert stored_rows(engine, memberships) == [
        {"group_id": 1, "person_id": 1, "role": "owner"},
        {"group_id": 2, "person_id": 1, "role": "member"},
    ]


def test_rows_keeps_one_row_store_per_table_and_flushes_all(engine: Engine, people: Table, memberships: Table) -> None:
    with engine.begin() as conn:
        rows = Rows(conn)
        rows(people).put({"id": 1, "name": "Ann"})
        rows(people).update(1, city="Perth")
        rows(memberships).put({"group_id": 1, "person_id": 1, "role": "owner"})
        rows.flush()

    assert stored_rows(engine, people) == [{"id": 1, "name": "Ann", "city": "Perth"}]
    assert len(stored_rows(engine, memberships)) == 1


def test_a_flushed_row_store_starts_a_new_batch(engine: Engine, people: Table) -> None:
    with engine.begin() as conn:
        rows = TableRows(conn, people)
        rows.put({"id": 1, "name": "Ann"})
        rows.flush()
        rows.delete(1)
        rows.flush()

    assert stored_rows(engine, people) == []


# --- positions ----------------------------------------------------------------------------------------------------


def test_read_position_of_an_unknown_projection_is_zero(engine: Engine, consumer: str) -> None:
    with engine.connect() as conn:
        assert read_position(conn, consumer) == 0


def test_write_position_is_read_back_and_overwritten(engine: Engine, consumer: str) -> None:
    with engine.begin() as conn:
        write_position(conn, consumer, 5)
        write_position(conn, consumer + "-other", 2)
        write_position(conn, consumer, 9)

    with engine.connect() as conn:
        assert (read_position(conn, consumer), read_position(conn, consumer + "-other")) == (9, 2)


def test_seen_positions_names_only_the_recorded_ones(engine: Engine, consumer: str) -> None:
    with engine.begin() as conn:
        record_positions(conn, consumer, [("customers", 1), ("customers", 2), ("catalog", 7)])

    with engine.connect() as conn:
        seen = seen_positions(conn, consumer, [("customers", 1), ("customers", 3), ("catalog", 7), ("catalog", 1)])

    assert seen == {("customers", 1), ("catalog", 7)}


def test_seen_positions_are_per_consumer(engine: Engine, consumer: str) -> None:
    with engine.begin() as conn:
        record_positions(conn, consumer, [("customers", 1)])

    with engine.connect() as conn:
        assert seen_positions(conn, consumer + "-other", [("customers", 1)]) == set()


def test_seen_positions_of_no_keys_is_empty(engine: Engine, consumer: str) -> None:
    with engine.connect() as conn:
        assert seen_positions(conn, consumer, []) == set()


def test_recording_a_position_twice_fails(engine: Engine, consumer: str) -> None:
    with engine.begin() as conn:
        record_positions(conn, consumer, [("customers", 1)])

    with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as conn:
        record_positions(conn, consumer, [("customers", 1)])


def test_positions_roll_back_with_their_transaction(engine: Engine, consumer: str) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        record_positions(conn, consumer, [("customers", 1)])
        write_position(conn, consumer, 3)
        raise RuntimeError("the effects failed")

    with engine.connect() as conn:
        assert seen_positions(conn, consumer, [("customers", 1)]) == set()
        assert read_position(conn, consumer) == 0


def test_a_large_batch_upserts_and_deletes_exactly_like_a_small_one(engine: Engine) -> None:
    """Above COPY_THRESHOLD rows PostgreSQL flushes through COPY; the outcome must not depend on the path."""
    metadata = MetaData()
    table = Table(
        unique_name("bulk"),
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("name", String(50)),
        Column("tags", JSON, nullable=False),
    )
    metadata.create_all(engine)
    count = COPY_THRESHOLD * 3
    with engine.begin() as conn:
        rows = Rows(conn)
        for i in range(count):
            rows(table).put({"id": i, "name": f"n{i}", "tags": ["a", str(i)]})
        rows.flush()

    with engine.begin() as conn:
        rows = Rows(conn)
        for i in range(count):
            if i % 3 == 0:
                rows(table).delete(i)
            else:
                rows(table).update(i, name=f"renamed{i}", tags=[])
        for i in range(count, count + COPY_THRESHOLD):
            rows(table).put({"id": i, "name": None, "tags": {"k": i}})
        rows.flush()

    stored = {r["id"]: r for r in stored_rows(engine, table)}
    assert len(stored) == count - count // 3 + COPY_THRESHOLD
    assert stored[1] == {"id": 1, "name": "renamed1", "tags": []}
    assert 0 not in stored and 3 not in stored
    assert stored[count] == {"id": count, "name": None, "tags": {"k": count}}


def test_tables_of_the_same_name_in_two_services_keep_their_own_columns(tmp_path_factory) -> None:
    """Two services of one process (the embedded mode) may both own a table called like this one."""
    name = unique_name("directory")
    engines, tables = [], []
    for service, column in (("one", "alpha"), ("two", "beta")):
        folder = tmp_path_factory.mktemp(service)
        engine = create_read_engine(ServiceSettings(database_url=f"sqlite:///{folder}").for_service(service))
        table = Table(name, MetaData(), Column("id", Integer, primary_key=True), Column(column, String(10)))
        table.metadata.create_all(engine)
        engines.append(engine)
        tables.append(table)

    for engine, table in zip(engines, tables, strict=True):
        with engine.begin() as conn:
            rows = Rows(conn)
            rows(table).put({"id": 1, table.columns[1].name: "x"})
            rows.flush()

    assert stored_rows(engines[0], tables[0]) == [{"id": 1, "alpha": "x"}]
    assert stored_rows(engines[1], tables[1]) == [{"id": 1, "beta": "x"}]
