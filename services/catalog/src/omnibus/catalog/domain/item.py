"""The InventoryItem aggregate (catalog.md §2.5, §4.3): its fields, its state machine and its reservation.

The management password and secret slots (``ki``, ``opc``) arrive here already encrypted by the application:
the stored events hold ciphertext only (encrypted at rest); published events carry "changed" flags.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from omnibus.catalog.domain.errors import (
    AlreadyAssignedError,
    CatalogError,
    ConflictError,
    InUseError,
    InvalidTransitionError,
    NoStockError,
    check_fields,
)

STATES = ("New", "In Stock", "Assigned", "Used", "Damaged", "Lost", "Decommissioned")  # D53
AVAILABLE = ("New", "In Stock")  # what pickers and reservations offer (§4.4)
# Documented transitions (§4.3, D54); admin may force others (D53). Leaving Assigned is a release.
TRANSITIONS: dict[str, frozenset[str]] = {
    "New": frozenset({"In Stock", "Assigned"}),
    "In Stock": frozenset({"Assigned"}),
    "Assigned": frozenset({"In Stock", "Used", "Damaged", "Lost", "Decommissioned"}),
    "Damaged": frozenset({"Decommissioned"}),
    "Lost": frozenset({"Decommissioned"}),
    "Used": frozenset(),
    "Decommissioned": frozenset(),
}
TEXTS = tuple(f"itemtext{n}" for n in range(1, 21))
LOCATION = (
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zip_code",
    "country",
    "google_maps_place_id",
    "plus_code",
    "latitude",
    "longitude",
)
MANAGEMENT = ("management_url", "management_username", "management_password", "config_content", "config_file_path")
GENERAL = ("item_location", *TEXTS, "wholesale_cost", "retail_cost", "sold_date", "inventory_notes")
UPDATABLE = (*GENERAL, *LOCATION, *MANAGEMENT)
CREATABLE = (*UPDATABLE, "item_state")


def check_transition(from_state: str, to_state: str, *, force: bool = False) -> None:
    if to_state not in STATES:
        raise CatalogError(f"item_state must be one of {', '.join(STATES)}")
    if to_state not in TRANSITIONS[from_state] and not force:
        allowed = ", ".join(sorted(TRANSITIONS[from_state])) or "none"
        raise InvalidTransitionError(f"item_state cannot change from {from_state} to {to_state} (allowed: {allowed})")


class InventoryItem(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Created(Aggregate.Created):
        inventory_id: int
        inventory_template_id: int
        item: str
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        inventory_id: int
        changes: dict[str, Any]

    class LocationUpdated(Aggregate.Event):
        inventory_id: int
        changes: dict[str, Any]

    class ManagementUpdated(Aggregate.Event):
        inventory_id: int
        changes: dict[str, Any]

    class StateChanged(Aggregate.Event):
        inventory_id: int
        from_state: str
        to_state: str
        reason: str | None

    class Assigned(Aggregate.Event):
        inventory_id: int
        item: str
        customer_id: int
        service_id: int | None
        sold_date: datetime
        from_state: str
        job_id: str | None
        retail_cost: Decimal | None

    class Released(Aggregate.Event):
        inventory_id: int
        from_customer_id: int | None
        from_service_id: int | None
        new_state: str
        reason: str | None

    class Reserved(Aggregate.Event):
        inventory_id: int
        item: str
        job_id: str

    class ReservationReleased(Aggregate.Event):
        inventory_id: int
        job_id: str

    class Deleted(Aggregate.Event):
        inventory_id: int

    @event(Created)
    def __init__(self, inventory_id: int, inventory_template_id: int, item: str, fields: dict[str, Any]) -> None:
        check_fields(fields, CREATABLE)
        state = fields.get("item_state", "New")
        if state not in AVAILABLE:
            raise CatalogError("a new item starts New or In Stock; assign it afterwards")
        self.inventory_id = inventory_id
        self.inventory_template_id = inventory_template_id
        self.item = item
        self.item_state = state
        self.customer_id: int | None = None
        self.service_id: int | None = None
        self.reserved_for: str | None = None
        self.assigned_by_job: str | None = None  # the provisioning job whose reservation became this assignment
        self.deleted = False
        for name in UPDATABLE:
            setattr(self, name, fields.get(name))

    @classmethod
    def creation_event(
        cls, *, id: UUID, inventory_id: int, inventory_template_id: int, item: str, fields: dict[str, Any]
    ) -> InventoryItem.Created:
        """The event that creates an item, checked like ``__init__`` but without building the aggregate.

        Bulk imports record thousands of items they never use as objects; building each aggregate would double
        their cost. Replaying the event builds exactly the aggregate ``__init__`` would have.
        """
        check_fields(fields, CREATABLE)
        if fields.get("item_state", "New") not in AVAILABLE:
            raise CatalogError("a new item starts New or In Stock; assign it afterwards")
        return cls.Created(
            originator_id=id,
            originator_version=1,
            timestamp=cls.Created.create_timestamp(),
            originator_topic=_ITEM_TOPIC,
            inventory_id=inventory_id,
            inventory_template_id=inventory_template_id,
            item=item,
            fields=fields,
        )

    item_state: str
    sold_date: datetime | None
    retail_cost: Decimal | None
    itemtext1: str | None

    def state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*UPDATABLE, "item_state", "customer_id", "service_id")}

    # --- fields ---

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply field values: one event per group that really changed (general, location, management)."""
        check_fields(changes, UPDATABLE)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        general = {k: v for k, v in real.items() if k in GENERAL}
        location = {k: v for k, v in real.items() if k in LOCATION}
        management = {k: v for k, v in real.items() if k in MANAGEMENT}
        if general:
            self._updated(inventory_id=self.inventory_id, changes=general)
        if location:
            self._location_updated(inventory_id=self.inventory_id, changes=location)
        if management:
            self._management_updated(inventory_id=self.inventory_id, changes=management)
        return sorted(real)

    @event(Updated)
    def _updated(self, inventory_id: int, changes: dict[str, Any]) -> None:
        self._set(changes)

    @event(LocationUpdated)
    def _location_updated(self, inventory_id: int, changes: dict[str, Any]) -> None:
        self._set(changes)

    @event(ManagementUpdated)
    def _management_updated(self, inventory_id: int, changes: dict[str, Any]) -> None:
        self._set(changes)

    def _set(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    # --- state machine ---

    def change_state(self, to_state: str, *, reason: str | None = None, force: bool = False) -> bool:
        """Move to ``to_state`` (leaving Assigned releases the item). False when already there."""
        if to_state == self.item_state:
            return False
        if to_state == "Assigned":
            raise CatalogError("assign an item with customer_id (and service_id) and item_state Assigned")
        check_transition(self.item_state, to_state, force=force)
        if self.item_state == "Assigned":
            self._released(
                inventory_id=self.inventory_id,
                from_customer_id=self.customer_id,
                from_service_id=self.service_id,
                new_state=to_state,
                reason=reason,
            )
        else:
            self._state_changed(
                inventory_id=self.inventory_id, from_state=self.item_state, to_state=to_state, reason=reason
            )
        return True

    @event(StateChanged)
    def _state_changed(self, inventory_id: int, from_state: str, to_state: str, reason: str | None) -> None:
        self.item_state = to_state

    @event(Released)
    def _released(
        self,
        inventory_id: int,
        from_customer_id: int | None,
        from_service_id: int | None,
        new_state: str,
        reason: str | None,
    ) -> None:
        self.item_state = new_state
        self.customer_id = None
        self.service_id = None
        self.assigned_by_job = None

    def assign(
        self,
        *,
        customer_id: int,
        service_id: int | None,
        sold_date: datetime,
        job_id: str | None = None,
        force: bool = False,
    ) -> bool:
        """Allocate to a customer (and service). Idempotent for the same owner; 409 for another (§5.2)."""
        if self.item_state == "Assigned":
            if self.customer_id == customer_id and self.service_id == service_id:
                return False
            raise AlreadyAssignedError(
                f"Inventory item {self.inventory_id} is already assigned to customer {self.customer_id}"
                f" / service {self.service_id}"
            )
        check_transition(self.item_state, "Assigned", force=force)
        if job_id is not None and self.reserved_for != job_id:
            raise ConflictError(f"Inventory item {self.inventory_id} is not reserved for job {job_id}")
        if job_id is None and self.reserved_for is not None and not force:
            raise ConflictError(
                f"Inventory item {self.inventory_id} is reserved for provisioning job {self.reserved_for}"
            )
        self._assigned(
            inventory_id=self.inventory_id,
            item=self.item,
            customer_id=customer_id,
            service_id=service_id,
            sold_date=sold_date,
            from_state=self.item_state,
            job_id=job_id,
            retail_cost=self.retail_cost,
        )
        return True

    @event(Assigned)
    def _assigned(
        self,
        inventory_id: int,
        item: str,
        customer_id: int,
        service_id: int | None,
        sold_date: datetime,
        from_state: str,
        job_id: str | None,
        retail_cost: Decimal | None,
    ) -> None:
        self.item_state = "Assigned"
        self.customer_id = customer_id
        self.service_id = service_id
        self.sold_date = sold_date
        self.reserved_for = None
        self.assigned_by_job = job_id

    def return_to_stock(self, job_id: str, to_state: str) -> bool:
        """Undo a job's assignment (its saga compensating): back to ``to_state``; False when this job did not
        assign the item or it was released since."""
        if self.item_state != "Assigned" or self.assigned_by_job != job_id:
            return False
        return self.change_state(to_state, reason=f"provisioning job {job_id} rolled back")

    # --- reservation for a provisioning job ---

    @property
    def available(self) -> bool:
        return self.item_state in AVAILABLE and self.reserved_for is None and not self.deleted

    def reserve(self, job_id: str) -> bool:
        """Hold the item for one job. Idempotent for that job; refused for any other (NoStockError)."""
        if self.reserved_for == job_id:
            return False
        if not self.available:
            raise NoStockError(f"Inventory item {self.inventory_id} is not available")
        self._reserved(inventory_id=self.inventory_id, item=self.item, job_id=job_id)
        return True

    @event(Reserved)
    def _reserved(self, inventory_id: int, item: str, job_id: str) -> None:
        self.reserved_for = job_id

    def release_reservation(self, job_id: str) -> bool:
        if self.reserved_for != job_id:
            return False
        self._reservation_released(inventory_id=self.inventory_id, job_id=job_id)
        return True

    @event(ReservationReleased)
    def _reservation_released(self, inventory_id: int, job_id: str) -> None:
        self.reserved_for = None

    # --- deletion ---

    def delete(self) -> None:
        if self.deleted:
            return
        if self.item_state == "Assigned" or self.reserved_for is not None:
            raise InUseError(f"Inventory item {self.inventory_id} is assigned or reserved; release it first")
        self._deleted(inventory_id=self.inventory_id)

    @event(Deleted)
    def _deleted(self, inventory_id: int) -> None:
        self.deleted = True


_ITEM_TOPIC = get_topic(InventoryItem)
