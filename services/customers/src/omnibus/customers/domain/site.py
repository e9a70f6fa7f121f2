"""The Site aggregate (customers.md §2.3): an address of a customer, with its map coordinates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import check_fields

FIELDS = (
    "site_name",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zip_code",
    "country",
    "latitude",
    "longitude",
    "google_maps_place_id",
    "plus_code",
    "address_source",
)


class Site(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Added(Aggregate.Created):
        site_id: int
        customer_id: int
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        site_id: int
        customer_id: int
        changes: dict[str, Any]

    class Removed(Aggregate.Event):
        site_id: int
        customer_id: int

    @event(Added)
    def __init__(self, site_id: int, customer_id: int, fields: dict[str, Any]) -> None:
        check_fields(fields, FIELDS)
        self.site_id = site_id
        self.customer_id = customer_id
        self.removed = False
        for name in FIELDS:
            setattr(self, name, fields.get(name))

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply the given field values; records an event only for real changes. Returns the changed names."""
        check_fields(changes, FIELDS)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if real:
            self._updated(site_id=self.site_id, customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, site_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def remove(self) -> None:
        if not self.removed:
            self._removed(site_id=self.site_id, customer_id=self.customer_id)

    @event(Removed)
    def _removed(self, site_id: int, customer_id: int) -> None:
        self.removed = True

    def public_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}
