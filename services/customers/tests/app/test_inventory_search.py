"""Inventory items in global search (customers.md §4.7; D48), from catalog's events: matched on itemtext1/itemtext2
only, owned while assigned, shown only to callers who may view inventory."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from omnibus.contracts import catalog as ca
from omnibus.testing.helpers import eventually

ICCID = "8944538000000001234"


def created(inventory_id: int = 5001, **fields) -> ca.InventoryItemCreated:
    return ca.InventoryItemCreated(
        inventory_id=inventory_id,
        inventory_template_id=1,
        item="SIM Card",
        itemtext1=fields.get("itemtext1", ICCID),
        itemtext2=fields.get("itemtext2", "001010000000001"),
        item_state="In Stock",
        wholesale_cost=Decimal("1.00"),
        retail_cost=Decimal("0.00"),
    )


def found(api, term: str, count: int = 1, **params) -> list[dict]:
    def enough() -> list[dict]:
        body = api.get("/utilities/search_everything", params={"search": term, **params}).json()
        assert len(body["data"]) == count, body
        return body["data"]

    return eventually(enough)


def test_an_item_is_found_by_its_iccid_and_imsi_as_inventory(api_on_each_store):
    api_on_each_store.deliver(created())

    by_iccid = found(api_on_each_store, "ICCID8944"[5:])
    by_imsi = found(api_on_each_store, "0010100000")

    assert by_iccid == [{"id": 5001, "name": ICCID, "customer_id": None, "type": "inventory"}]
    assert by_imsi == by_iccid


def test_only_the_first_two_item_texts_are_searched(api):
    api.deliver(created())
    api.deliver(
        ca.InventoryItemUpdated(inventory_id=5001, changed_fields=["itemtext3"], changes={"itemtext3": "zz-lot-7"})
    )
    api.deliver(created(5002, itemtext1="8944000000000000002", itemtext2="zz-lot-7"))

    assert [r["id"] for r in found(api, "zz-lot-7")] == [5002]


def test_an_assigned_item_names_its_customer_until_released_and_deleted_items_go(api):
    customer_id = api.new_customer()["customer_id"]
    api.deliver(created())
    api.deliver(
        ca.InventoryItemAssigned(
            inventory_id=5001,
            item="SIM Card",
            customer_id=customer_id,
            service_id=None,
            sold_date=datetime(2026, 1, 5, tzinfo=UTC),
            retail_cost=Decimal("0.00"),
        )  # fmt: skip
    )
    eventually(lambda: _owner(api, customer_id))

    api.deliver(ca.InventoryItemReleased(inventory_id=5001, from_customer_id=customer_id, new_state="In Stock"))
    eventually(lambda: _owner(api, None))
    api.deliver(
        ca.InventoryItemUpdated(inventory_id=5001, changed_fields=["itemtext1"], changes={"itemtext1": "89440099"})
    )
    assert found(api, "89440099")[0]["name"] == "89440099"
    api.deliver(ca.InventoryItemDeleted(inventory_id=5001))

    found(api, "89440099", count=0)


def _owner(api, customer_id) -> None:
    (row,) = found(api, ICCID)
    assert row["customer_id"] == customer_id


@pytest.mark.parametrize(
    ("permissions", "shown"), [(("view_customer",), False), (("view_customer", "view_inventory"), True)]
)
def test_inventory_rows_show_only_to_callers_who_may_view_inventory(api, permissions, shown):
    api.deliver(created())
    found(api, ICCID)  # projected (admin sees it)

    body = api.get("/utilities/search_everything", params={"search": ICCID}, headers=api.auth(*permissions)).json()

    assert [r["type"] for r in body["data"]] == (["inventory"] if shown else [])


def test_equally_relevant_inventory_rows_come_after_customers_and_contacts(api, a_contact):
    customer = api.new_customer(customer_name="Lot 45380 Ltd", contact=a_contact(contact_lastname="X45380"))
    api.deliver(created())

    body = found(api, "45380", count=3)  # inside each name: the reference product's UNION order

    assert [r["type"] for r in body] == ["customer", "contact", "inventory"]
    assert body[0]["id"] == customer["customer_id"]
