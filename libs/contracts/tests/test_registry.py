"""The registry of published event classes."""

from typing import ClassVar

import pytest

from omnibus.contracts import REGISTRY, EventRegistry, IntegrationEvent, UnknownEventTypeError
from omnibus.contracts.customers import PUBLISHED, CustomerCreated


@pytest.mark.parametrize("cls", PUBLISHED, ids=lambda c: c.event_type())
def test_every_published_customers_event_resolves_by_its_event_type(cls: type[IntegrationEvent]) -> None:
    assert REGISTRY.resolve(cls.event_type()) is cls


def test_the_registry_holds_exactly_the_published_customers_events() -> None:
    assert set(REGISTRY.by_context("customers")) == set(PUBLISHED)


def test_event_type_is_context_name_and_version() -> None:
    assert CustomerCreated.event_type() == "customers.CustomerCreated.v1"
    assert CustomerCreated.routing_key() == "customers.CustomerCreated"


def test_an_unknown_event_type_raises_unknown_event_type_error() -> None:
    with pytest.raises(UnknownEventTypeError):
        REGISTRY.resolve("customers.CustomerTeleported.v1")


def test_unknown_event_type_error_is_a_lookup_error() -> None:
    assert issubclass(UnknownEventTypeError, LookupError)


def test_registering_two_classes_with_the_same_event_type_raises() -> None:
    class First(IntegrationEvent):
        context: ClassVar[str] = "test"
        name: ClassVar[str] = "Thing"

    class Second(IntegrationEvent):
        context: ClassVar[str] = "test"
        name: ClassVar[str] = "Thing"

    registry = EventRegistry()
    registry.register([First])

    with pytest.raises(ValueError, match="test.Thing.v1"):
        registry.register([Second])


def test_registering_the_same_class_twice_is_allowed() -> None:
    registry = EventRegistry()
    registry.register([CustomerCreated])

    registry.register([CustomerCreated])

    assert list(registry) == [CustomerCreated]


def test_two_versions_of_one_event_are_distinct_types() -> None:
    class V1(IntegrationEvent):
        context: ClassVar[str] = "test"
        name: ClassVar[str] = "Thing"

    class V2(IntegrationEvent):
        context: ClassVar[str] = "test"
        name: ClassVar[str] = "Thing"
        version: ClassVar[int] = 2

    registry = EventRegistry()

    registry.register([V1, V2])

    assert (registry.resolve("test.Thing.v1"), registry.resolve("test.Thing.v2")) == (V1, V2)
