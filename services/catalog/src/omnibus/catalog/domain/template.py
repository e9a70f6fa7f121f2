"""The InventoryTemplate aggregate (catalog.md §2.4): an item type with its slot labels, keys and default costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.catalog.domain.errors import CatalogError, check_fields

SLOTS = range(1, 21)
LABELS = tuple(f"itemtext{n}_label" for n in SLOTS)
KEYS = tuple(f"itemtext{n}_key" for n in SLOTS)  # machine aliases such as "iccid" (D59)
FIELDS = ("item", "icon", *LABELS, *KEYS, "wholesale_cost", "retail_cost")
SECRET_KEYS = frozenset({"ki", "opc"})  # slots keyed so are encrypted and shown only to update_inventory (D59)


class InventoryTemplate(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Defined(Aggregate.Created):
        inventory_template_id: int
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        inventory_template_id: int
        changes: dict[str, Any]
        state: dict[str, Any]  # the whole new state, which subscribers receive

    class Deleted(Aggregate.Event):
        inventory_template_id: int
        item: str

    @event(Defined)
    def __init__(self, inventory_template_id: int, fields: dict[str, Any]) -> None:
        check_fields(fields, FIELDS)
        state: dict[str, Any] = dict.fromkeys(FIELDS)
        state.update(wholesale_cost=Decimal("0"), retail_cost=Decimal("0"))
        state.update(fields)
        _check(state)
        self.inventory_template_id = inventory_template_id
        self.deleted = False
        for name, value in state.items():
            setattr(self, name, value)

    item: str
    wholesale_cost: Decimal
    retail_cost: Decimal

    def state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def update(self, changes: dict[str, Any]) -> list[str]:
        check_fields(changes, FIELDS)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        _check({**self.state(), **real})
        if real:
            self._updated(
                inventory_template_id=self.inventory_template_id, changes=real, state={**self.state(), **real}
            )
        return sorted(real)

    @event(Updated)
    def _updated(self, inventory_template_id: int, changes: dict[str, Any], state: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def delete(self) -> None:
        if not self.deleted:
            self._deleted(inventory_template_id=self.inventory_template_id, item=self.item)

    @event(Deleted)
    def _deleted(self, inventory_template_id: int, item: str) -> None:
        self.deleted = True

    def slot_keys(self) -> dict[int, str]:
        """Slot number -> alias, for the slots that have one."""
        return {n: getattr(self, f"itemtext{n}_key") for n in SLOTS if getattr(self, f"itemtext{n}_key")}

    def secret_slots(self) -> set[int]:
        return {n for n, key in self.slot_keys().items() if key in SECRET_KEYS}


def _check(state: dict[str, Any]) -> None:
    if not state["item"]:
        raise CatalogError("item (the type name) is required")
    keys = [k for k in (state[name] for name in KEYS) if k]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CatalogError(f"itemtext keys must be distinct: {', '.join(duplicates)}")
    if state["wholesale_cost"] < 0 or state["retail_cost"] < 0:
        raise CatalogError("costs cannot be negative")
