"""The Contact aggregate (customers.md §2.2): a person of a customer, with their contact types."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import check_fields

CONTACT_TYPES = ("primary", "billing", "technical")
FIELDS = ("contact_firstname", "contact_lastname", "contact_email", "contact_phone", "contact_types", "user_id")


class Contact(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Added(Aggregate.Created):
        contact_id: int
        customer_id: int
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        contact_id: int
        customer_id: int
        changes: dict[str, Any]

    class Removed(Aggregate.Event):
        contact_id: int
        customer_id: int

    @event(Added)
    def __init__(self, contact_id: int, customer_id: int, fields: dict[str, Any]) -> None:
        check_fields(fields, FIELDS)
        self.contact_id = contact_id
        self.customer_id = customer_id
        self.removed = False
        self.contact_firstname: str | None = None
        self.contact_lastname: str | None = None
        self.contact_email: str | None = None
        self.contact_phone: str | None = None
        self.contact_types: list[str] = []
        self.user_id: int | None = None
        for name, value in fields.items():
            setattr(self, name, value)

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply the given field values; records an event only for real changes. Returns the changed names."""
        check_fields(changes, FIELDS)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if real:
            self._updated(contact_id=self.contact_id, customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, contact_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def remove(self) -> None:
        if not self.removed:
            self._removed(contact_id=self.contact_id, customer_id=self.customer_id)

    @event(Removed)
    def _removed(self, contact_id: int, customer_id: int) -> None:
        self.removed = True

    def public_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}
