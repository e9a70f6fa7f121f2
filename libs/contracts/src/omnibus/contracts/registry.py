"""Registry of published event classes: wire type <-> class."""

from collections.abc import Iterable, Iterator

from omnibus.contracts.base import IntegrationEvent


class UnknownEventTypeError(LookupError):
    """A message carries an event type no registered class declares."""


class EventRegistry:
    """Maps ``event_type`` strings to IntegrationEvent classes."""

    def __init__(self) -> None:
        self._by_type: dict[str, type[IntegrationEvent]] = {}

    def register(self, classes: Iterable[type[IntegrationEvent]]) -> None:
        for cls in classes:
            existing = self._by_type.get(cls.event_type())
            if existing is not None and existing is not cls:
                raise ValueError(f"event type {cls.event_type()} declared twice")
            self._by_type[cls.event_type()] = cls

    def resolve(self, event_type: str) -> type[IntegrationEvent]:
        try:
            return self._by_type[event_type]
        except KeyError:
            raise UnknownEventTypeError(f"unknown event type {event_type!r}") from None

    def __iter__(self) -> Iterator[type[IntegrationEvent]]:
        return iter(sorted(self._by_type.values(), key=lambda c: c.event_type()))

    def by_context(self, context: str) -> list[type[IntegrationEvent]]:
        return [cls for cls in self if cls.context == context]


def _build() -> EventRegistry:
    from omnibus.contracts import billing, catalog, cbc, charging, customers, identity, provisioning

    registry = EventRegistry()
    registry.register(customers.PUBLISHED)
    registry.register(identity.PUBLISHED)
    registry.register(charging.PUBLISHED)
    registry.register(billing.PUBLISHED)
    registry.register(provisioning.PUBLISHED)
    registry.register(catalog.PUBLISHED)
    registry.register(cbc.PUBLISHED)
    return registry


REGISTRY = _build()
