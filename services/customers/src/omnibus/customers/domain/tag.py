"""The CustomerTag aggregate (customers.md §2.5, §4.3): a coloured pill shown on a customer inside its window."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import InvalidTagError, check_fields

FIELDS = ("tag_text", "tag_hex_color", "tag_link", "tag_active_date", "tag_deactivate_date")


class Tag(Aggregate):
    id: UUID  # given by the application: derived from the public integer id
    tag_active_date: datetime  # set from ``fields`` in __init__, declared for type checkers
    tag_deactivate_date: datetime

    class Added(Aggregate.Created):
        tag_id: int
        customer_id: int
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        tag_id: int
        customer_id: int
        changes: dict[str, Any]

    class Removed(Aggregate.Event):
        tag_id: int
        customer_id: int

    @event(Added)
    def __init__(self, tag_id: int, customer_id: int, fields: dict[str, Any]) -> None:
        check_fields(fields, FIELDS)
        _check_window(fields["tag_active_date"], fields["tag_deactivate_date"])
        self.tag_id = tag_id
        self.customer_id = customer_id
        self.removed = False
        for name in FIELDS:
            setattr(self, name, fields.get(name))

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply the given field values; records an event only for real changes. Returns the changed names."""
        check_fields(changes, FIELDS)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        _check_window(
            real.get("tag_active_date", self.tag_active_date), real.get("tag_deactivate_date", self.tag_deactivate_date)
        )
        if real:
            self._updated(tag_id=self.tag_id, customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, tag_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def remove(self) -> None:
        if not self.removed:
            self._removed(tag_id=self.tag_id, customer_id=self.customer_id)

    @event(Removed)
    def _removed(self, tag_id: int, customer_id: int) -> None:
        self.removed = True

    def is_shown_at(self, now: datetime) -> bool:
        """Tags show as pills while ``tag_active_date <= now < tag_deactivate_date`` (§4.3)."""
        return bool(self.tag_active_date <= now < self.tag_deactivate_date)

    def public_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def _check_window(active: datetime, deactivate: datetime) -> None:
    if deactivate <= active:
        raise InvalidTagError("tag_deactivate_date must be after tag_active_date")
