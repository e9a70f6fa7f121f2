"""The item_state machine (catalog.md §4.3, D53, D54): every documented transition allowed, every other refused."""

import uuid
from datetime import UTC, datetime
from itertools import product

import pytest

from omnibus.catalog.domain import (
    AlreadyAssignedError,
    CatalogError,
    ConflictError,
    InUseError,
    InvalidTransitionError,
    InventoryItem,
    NoStockError,
)
from omnibus.catalog.domain.item import STATES, TRANSITIONS

NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
ALLOWED = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
FORBIDDEN = sorted((a, b) for a, b in product(STATES, STATES) if a != b and (a, b) not in ALLOWED)


def an_item(state: str = "New") -> InventoryItem:
    item = InventoryItem(
        id=uuid.uuid4(), inventory_id=1001, inventory_template_id=5, item="SIM Card", fields={"itemtext1": "8961"}
    )
    _force_into(item, state)
    item.collect_events()
    return item


def _force_into(item: InventoryItem, state: str) -> None:
    if state == "New":
        return
    if state == "Assigned":
        item.assign(customer_id=789, service_id=1234, sold_date=NOW)
    elif state in ("In Stock",):
        item.change_state("In Stock")
    else:
        item.assign(customer_id=789, service_id=1234, sold_date=NOW)
        item.change_state(state)


def move(item: InventoryItem, to_state: str, force: bool = False) -> None:
    if to_state == "Assigned":
        item.assign(customer_id=789, service_id=1234, sold_date=NOW, force=force)
    else:
        item.change_state(to_state, force=force)


def test_the_documented_transitions_are_the_spec_table() -> None:
    assert ALLOWED == {
        ("New", "In Stock"),
        ("New", "Assigned"),
        ("In Stock", "Assigned"),
        ("Assigned", "In Stock"),
        ("Assigned", "Damaged"),
        ("Assigned", "Lost"),
        ("Assigned", "Used"),
        ("Assigned", "Decommissioned"),
        ("Damaged", "Decommissioned"),
        ("Lost", "Decommissioned"),
    }


@pytest.mark.parametrize(("from_state", "to_state"), sorted(ALLOWED))
def test_a_documented_transition_is_allowed(from_state: str, to_state: str) -> None:
    item = an_item(from_state)

    move(item, to_state)

    assert item.item_state == to_state
    assert len(item.collect_events()) == 1


@pytest.mark.parametrize(("from_state", "to_state"), FORBIDDEN)
def test_every_other_transition_is_refused_and_records_nothing(from_state: str, to_state: str) -> None:
    item = an_item(from_state)

    with pytest.raises(InvalidTransitionError):
        move(item, to_state)

    assert item.item_state == from_state
    assert item.collect_events() == []


@pytest.mark.parametrize(("from_state", "to_state"), [("Used", "In Stock"), ("Decommissioned", "New")])
def test_admin_may_force_an_undocumented_transition(from_state: str, to_state: str) -> None:
    item = an_item(from_state)

    move(item, to_state, force=True)

    assert item.item_state == to_state


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(CatalogError, match="item_state must be one of"):
        an_item("New").change_state("Sold")


def test_leaving_assigned_releases_the_item() -> None:
    item = an_item("Assigned")

    item.change_state("Used", reason="rollback")

    (released,) = item.collect_events()
    assert isinstance(released, InventoryItem.Released)
    assert (released.from_customer_id, released.from_service_id, released.new_state) == (789, 1234, "Used")
    assert item.customer_id is None and item.service_id is None


def test_assigning_to_the_same_service_again_is_a_no_op() -> None:
    item = an_item("Assigned")

    changed = item.assign(customer_id=789, service_id=1234, sold_date=NOW)

    assert changed is False
    assert item.collect_events() == []


def test_assigning_an_item_of_another_service_is_a_conflict() -> None:
    item = an_item("Assigned")

    with pytest.raises(AlreadyAssignedError):
        item.assign(customer_id=789, service_id=9999, sold_date=NOW)


def test_a_new_item_starts_new_or_in_stock_only() -> None:
    with pytest.raises(CatalogError):
        InventoryItem(
            id=uuid.uuid4(), inventory_id=1, inventory_template_id=5, item="SIM Card", fields={"item_state": "Assigned"}
        )


def test_a_reservation_is_idempotent_for_its_job_and_refused_to_others() -> None:
    item = an_item("In Stock")

    assert item.reserve("job-1") is True
    assert item.reserve("job-1") is False
    with pytest.raises(NoStockError):
        item.reserve("job-2")
    assert len(item.collect_events()) == 1


@pytest.mark.parametrize("state", ["Assigned", "Used", "Damaged", "Lost", "Decommissioned"])
def test_only_new_or_in_stock_items_can_be_reserved(state: str) -> None:
    with pytest.raises(NoStockError):
        an_item(state).reserve("job-1")


def test_a_reserved_item_is_assigned_only_through_its_job() -> None:
    item = an_item("In Stock")
    item.reserve("job-1")

    with pytest.raises(ConflictError):
        item.assign(customer_id=1, service_id=2, sold_date=NOW, job_id="job-2")
    with pytest.raises(ConflictError):
        item.assign(customer_id=1, service_id=2, sold_date=NOW)
    item.assign(customer_id=1, service_id=2, sold_date=NOW, job_id="job-1")

    assert item.item_state == "Assigned" and item.reserved_for is None


def test_releasing_a_reservation_of_another_job_does_nothing() -> None:
    item = an_item("New")
    item.reserve("job-1")
    item.collect_events()

    assert item.release_reservation("job-2") is False
    assert item.release_reservation("job-1") is True
    assert item.available


@pytest.mark.parametrize("state", ["Assigned"])
def test_an_assigned_item_cannot_be_deleted(state: str) -> None:
    with pytest.raises(InUseError):
        an_item(state).delete()


def test_a_reserved_item_cannot_be_deleted() -> None:
    item = an_item("New")
    item.reserve("job-1")

    with pytest.raises(InUseError):
        item.delete()


def test_field_updates_are_split_by_concern() -> None:
    item = an_item("New")

    item.update({"inventory_notes": "n", "city": "Melbourne", "management_url": "https://192.168.1.1"})

    kinds = [type(e) for e in item.collect_events()]
    assert kinds == [InventoryItem.Updated, InventoryItem.LocationUpdated, InventoryItem.ManagementUpdated]


def test_an_update_without_change_records_nothing() -> None:
    item = an_item("New")

    assert item.update({"itemtext1": "8961"}) == []
    assert item.collect_events() == []
