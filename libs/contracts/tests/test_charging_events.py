"""Events of the charging context: registered, routed as charging.<Name>, tolerant readers."""

import pytest

from omnibus.contracts import REGISTRY, IntegrationEvent
from omnibus.contracts.charging import PUBLISHED, BalanceLow, OcsBalanceAdded


@pytest.mark.parametrize("cls", PUBLISHED, ids=lambda c: c.event_type())
def test_every_published_charging_event_resolves_by_its_event_type(cls: type[IntegrationEvent]) -> None:
    assert REGISTRY.resolve(cls.event_type()) is cls


def test_the_registry_holds_exactly_the_published_charging_events() -> None:
    assert set(REGISTRY.by_context("charging")) == set(PUBLISHED)


def test_routing_key_is_charging_and_the_name() -> None:
    assert BalanceLow.routing_key() == "charging.BalanceLow"
    assert BalanceLow.event_type() == "charging.BalanceLow.v1"


def test_readers_ignore_unknown_fields() -> None:
    event = OcsBalanceAdded.model_validate_json(
        '{"service_uuid":"S_1","idempotency_key":"k","operation":"add","balance_type":"*data","balance_id":"D",'
        '"value":1,"new_field":true}'
    )

    assert event.service_uuid == "S_1" and event.service_id is None
