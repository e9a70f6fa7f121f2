"""The CustomerAttribute aggregate (customers.md §2.4, §5): a named string value of a customer (D40)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Attribute(Aggregate):
    """One ``attribute_name = attribute_value`` pair; the name is unique per customer (a UniqueKey) and fixed."""

    id: UUID  # given by the application: derived from the public integer id

    class Set(Aggregate.Created):
        attribute_id: int
        customer_id: int
        attribute_name: str
        attribute_value: str

    class ValueChanged(Aggregate.Event):
        attribute_id: int
        customer_id: int
        attribute_name: str
        old_value: str
        new_value: str

    class Removed(Aggregate.Event):
        attribute_id: int
        customer_id: int
        attribute_name: str

    @event(Set)
    def __init__(self, attribute_id: int, customer_id: int, attribute_name: str, attribute_value: str) -> None:
        self.attribute_id = attribute_id
        self.customer_id = customer_id
        self.attribute_name = attribute_name
        self.attribute_value = attribute_value
        self.removed = False

    def change_value(self, value: str) -> bool:
        if value == self.attribute_value:
            return False
        self._value_changed(
            attribute_id=self.attribute_id,
            customer_id=self.customer_id,
            attribute_name=self.attribute_name,
            old_value=self.attribute_value,
            new_value=value,
        )
        return True

    @event(ValueChanged)
    def _value_changed(
        self, attribute_id: int, customer_id: int, attribute_name: str, old_value: str, new_value: str
    ) -> None:
        self.attribute_value = new_value

    def remove(self) -> None:
        if not self.removed:
            self._removed(
                attribute_id=self.attribute_id, customer_id=self.customer_id, attribute_name=self.attribute_name
            )

    @event(Removed)
    def _removed(self, attribute_id: int, customer_id: int, attribute_name: str) -> None:
        self.removed = True
