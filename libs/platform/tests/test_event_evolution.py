"""Event schema evolution: a stored v1 event loads as today's v2 through its upcaster; the sample check notices a
missing upcaster and a version without a sample."""

import json
import uuid
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from omnibus.platform.eventstore import ServiceApplication, eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import WRITE_ENV, check_stored_events, sample_path


class Plan(Aggregate):
    id: uuid.UUID

    class Priced(Aggregate.Event):
        """v1 had ``price`` (a float); v2 has ``price_cents`` and ``currency``."""

        class_version = 2
        price_cents: int
        currency: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["price_cents"] = round(state.pop("price") * 100)
            state["currency"] = "AUD"

    @event("Created")
    def __init__(self) -> None:
        self.price_cents = 0

    @event(Priced)
    def price(self, price_cents: int, currency: str) -> None:
        self.price_cents = price_cents


class Tariff(Aggregate):
    """Like Plan, but someone raised the version and forgot the upcaster."""

    id: uuid.UUID

    class Priced(Aggregate.Event):
        class_version = 2
        price_cents: int

    @event("Created")
    def __init__(self) -> None:
        self.price_cents = 0

    @event(Priced)
    def price(self, price_cents: int) -> None:
        self.price_cents = price_cents


PRICED = get_topic(Plan.Priced)
V1_STATE = {"timestamp": {"_type_": "datetime_iso", "_data_": "2025-01-01T00:00:00+00:00"}, "price": 12.5}


def app() -> ServiceApplication:
    return ServiceApplication(env=eventstore_env(ServiceSettings(database_url="memory://").for_service("t"), "t"))


def write_v1_sample(folder: Path, topic: str = PRICED) -> None:
    sample = {"topic": topic, "originator_id": str(uuid.uuid4()), "originator_version": 2, "state": V1_STATE}
    sample_path(folder, topic, 1).write_text(json.dumps(sample))


def test_a_stored_v1_event_loads_as_v2_through_its_upcaster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WRITE_ENV, "1")
    write_v1_sample(tmp_path)
    store = app()
    plan = Plan(id=uuid.uuid4())
    plan.price(1999, "EUR")
    store.save(plan)

    problems = check_stored_events(store.mapper, tmp_path, store.store.select_notifications(1, 10))

    assert problems == []
    assert sample_path(tmp_path, PRICED, 2).exists()  # today's version got its sample
    stored_v1 = StoredEvent(
        originator_id=uuid.uuid4(), originator_version=2, topic=PRICED, state=json.dumps(V1_STATE).encode()
    )
    loaded = store.mapper.to_domain_event(stored_v1)
    assert (loaded.price_cents, loaded.currency) == (1250, "AUD")


def test_a_missing_upcaster_or_sample_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WRITE_ENV, raising=False)
    write_v1_sample(tmp_path, get_topic(Tariff.Priced))
    store = app()
    tariff = Tariff(id=uuid.uuid4())
    tariff.price(500)
    store.save(tariff)

    problems = check_stored_events(store.mapper, tmp_path, store.store.select_notifications(1, 10))

    assert any("Tariff.Priced.v1.json no longer loads" in p for p in problems)
    assert any("no sample" in p and "Tariff.Priced.v2.json" in p for p in problems)
    assert any("no sample" in p and "Tariff.Created.v1.json" in p for p in problems)
