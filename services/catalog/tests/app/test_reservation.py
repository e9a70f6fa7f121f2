"""Reservation for provisioning: one job per item, idempotent by job id, also under concurrency (PostgreSQL)."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from omnibus.catalog.application import CatalogApp
from omnibus.catalog.domain import NoStockError
from omnibus.catalog.projections.catalog_view import CatalogViewProjection
from omnibus.catalog.readmodel.queries import ReadModelStock
from omnibus.catalog.readmodel.tables import metadata
from omnibus.catalog.secrets import SecretBox
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.projections import rebuild
from omnibus.platform.readmodels import create_tables
from omnibus.platform.settings import ServiceSettings


def test_a_job_reserves_an_available_item_and_a_retry_gets_the_same(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    items = [api.new_item(sim["inventory_template_id"]) for _ in range(3)]

    first = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))
    again = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))
    other = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-2", "item": "SIM Card"}))

    assert first["reserved_for"] == "job-1" and first["inventory_id"] in {i["inventory_id"] for i in items}
    assert again["inventory_id"] == first["inventory_id"]
    assert other["inventory_id"] != first["inventory_id"]
    assert len(api.published("catalog.InventoryItemReserved", at_least=2)) == 2


def test_a_chosen_item_is_reserved_once(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])
    body = {"job_id": "job-1", "item": "SIM Card", "inventory_id": item["inventory_id"]}

    assert api.ok(api.post("/crm/inventory/reserve", json=body))["reserved_for"] == "job-1"
    assert api.post("/crm/inventory/reserve", json={**body, "job_id": "job-2"}).status_code == 409
    assert api.post("/crm/inventory/reserve", json={**body, "item": "Modem"}).status_code == 400


def test_no_stock_is_a_conflict(api: Any) -> None:
    api.new_template(item="SIM Card")

    response = api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"})

    assert response.status_code == 409 and response.json()["code"] == "no_stock"


@pytest.mark.parametrize(
    "body", [{}, {"job_id": "", "item": "SIM Card"}, {"job_id": "j"}, {"job_id": "j", "item": "x", "inventory_id": 0}]
)
def test_bad_reservations_are_400(api: Any, body: dict[str, Any]) -> None:
    assert api.post("/crm/inventory/reserve", json=body).status_code == 400


def test_a_released_reservation_returns_the_item_to_stock(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])
    reserved = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))
    path = f"/crm/inventory/inventory_id/{reserved['inventory_id']}/release_reservation"

    released = api.ok(api.post(path, json={"job_id": "job-1"}))
    not_held = api.ok(api.post(path, json={"job_id": "job-9"}))
    next_job = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-2", "item": "SIM Card"}))

    assert released["reserved_for"] is None and not_held["reserved_for"] is None
    assert next_job["inventory_id"] == item["inventory_id"]


def test_a_reservation_is_confirmed_by_assignment(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    api.new_item(sim["inventory_template_id"])
    reserved = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))
    path = f"/crm/inventory/inventory_id/{reserved['inventory_id']}/assign_reserved"

    assigned = api.ok(api.post(path, json={"job_id": "job-1", "customer_id": 5, "service_id": 6}))
    again = api.ok(api.post(path, json={"job_id": "job-1", "customer_id": 5, "service_id": 6}))
    wrong_job = api.post(path, json={"job_id": "job-2", "customer_id": 7, "service_id": 8})

    assert (assigned["item_state"], assigned["customer_id"], assigned["service_id"]) == ("Assigned", 5, 6)
    assert again == assigned
    assert wrong_job.status_code == 409
    (event,) = api.published("catalog.InventoryItemAssigned")
    assert b'"provision_job_id":"job-1"' in event.body


def test_a_reserved_item_is_not_assigned_by_a_plain_patch(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    api.new_item(sim["inventory_template_id"])
    reserved = api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))

    response = api.patch(
        f"/crm/inventory/inventory_id/{reserved['inventory_id']}",
        json={"customer_id": 1, "service_id": 2, "item_state": "Assigned"},
    )

    assert response.status_code == 409


@pytest.fixture
def pg_app(fresh_database: str) -> Iterator[tuple[CatalogApp, Engine]]:
    """The application on a fresh PostgreSQL database with small connection pools (8 + 4 connections): the
    server is shared, and 50 threads must contend for connections as much as for items."""
    settings = ServiceSettings(database_url=fresh_database).for_service("catalog")
    engine = create_engine(
        fresh_database.replace("postgresql://", "postgresql+psycopg://"), pool_size=4, max_overflow=0
    )
    create_tables(engine, metadata)
    env = {**eventstore_env(settings, "catalog"), "POSTGRES_POOL_SIZE": "4", "POSTGRES_MAX_OVERFLOW": "4"}
    app = CatalogApp(env=env, box=SecretBox.from_text(SecretBox.new_key()), stock=ReadModelStock(engine))
    try:
        yield app, engine
    finally:
        app.close()
        engine.dispose()


def _stock(pg_app: tuple[CatalogApp, Engine], count: int, prefix: str) -> CatalogApp:
    """``count`` SIM cards, with the read model (the picker) up to date; returns the application."""
    app, engine = pg_app
    template = app.define_template({"item": "SIM Card"})
    for n in range(count):
        app.create_item(template.inventory_template_id, {"itemtext1": f"{prefix}{n:04d}"})
    rebuild(app, engine, CatalogViewProjection())
    return app


@pytest.mark.integration
def test_fifty_concurrent_reservations_of_the_last_ten_items_give_exactly_ten(
    pg_app: tuple[CatalogApp, Engine],
) -> None:
    app = _stock(pg_app, 10, "894400000000000")
    start = threading.Barrier(50)

    def reserve(job: int) -> int | None:
        start.wait()
        try:
            return app.reserve(f"job-{job}", "SIM Card").inventory_id
        except NoStockError:
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(reserve, range(50)))

    won = [r for r in results if r is not None]
    assert len(won) == 10
    assert len(set(won)) == 10
    assert {app.get_item(i).reserved_for for i in won} == {f"job-{n}" for n, r in enumerate(results) if r}


@pytest.mark.integration
def test_a_redelivered_reservation_racing_itself_holds_one_item(pg_app: tuple[CatalogApp, Engine]) -> None:
    app = _stock(pg_app, 5, "894400000000001")
    start = threading.Barrier(20)

    def reserve(_: int) -> int:
        start.wait()
        return app.reserve("job-same", "SIM Card").inventory_id

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = set(pool.map(reserve, range(20)))

    assert len(results) == 1
    held = [i for i in range(1, 6) if app.get_item(i).reserved_for == "job-same"]
    assert held == list(results)


@pytest.mark.integration
def test_twenty_concurrent_http_reservations_of_one_chosen_item_give_one(pg_api: Any) -> None:
    template = pg_api.new_template(item="SIM Card")
    item = pg_api.new_item(template["inventory_template_id"])
    start = threading.Barrier(20)

    def reserve(job: int) -> int:
        start.wait()
        body = {"job_id": f"job-{job}", "item": "SIM Card", "inventory_id": item["inventory_id"]}
        return pg_api.post("/crm/inventory/reserve", json=body).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(reserve, range(20)))

    assert sorted(statuses) == [200] + [409] * 19
