"""Inventory templates and items over HTTP (catalog.md §3, §4): CRUD, assignment, release, secrets, lists."""

import json
from typing import Any

import pytest

KI = "00112233445566778899aabbccddeeff"


@pytest.fixture
def sim(api: Any) -> dict[str, Any]:
    return api.new_template(item="SIM Card")


def test_a_template_is_created_read_listed_and_updated(api: Any) -> None:
    template = api.new_template(item="GPON ONT", itemtext4_label="Model", wholesale_cost="45.00", retail_cost=0)
    path = f"/crm/inventory_template/inventory_template_id/{template['inventory_template_id']}"

    updated = api.ok(api.patch(path, json={"itemtext5_label": "PON port", "icon": "fa-solid fa-ethernet"}))

    assert template["wholesale_cost"] == 45.0 and template["itemtext4_label"] == "Model"
    assert updated["itemtext5_label"] == "PON port" and updated["item"] == "GPON ONT"
    assert api.ok(api.get(path)) == updated
    assert [t["item"] for t in api.ok(api.get("/crm/inventory_template/"))] == ["GPON ONT"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"item": ""},
        {"itemtext1_key": "Bad Key"},
        {"itemtext21_label": "x"},
        {"retail_cost": -1},
        {"itemtext2_key": "iccid"},
    ],
)
def test_bad_templates_are_refused(api: Any, overrides: dict[str, Any]) -> None:
    response = api.put("/crm/inventory_template/", json=api.template_body(**overrides))

    assert response.status_code == 400, response.text
    assert api.ok(api.get("/crm/inventory_template/")) == []


def test_a_template_name_is_unique(api: Any) -> None:
    api.new_template(item="SIM Card")

    assert api.put("/crm/inventory_template/", json=api.template_body(item="SIM Card")).status_code == 409


def test_a_template_with_items_keeps_its_name_and_cannot_be_deleted(api: Any, sim: dict[str, Any]) -> None:
    api.new_item(sim["inventory_template_id"])
    path = f"/crm/inventory_template/inventory_template_id/{sim['inventory_template_id']}"

    assert api.patch(path, json={"item": "Renamed"}).status_code == 409
    assert api.delete(path).status_code == 409
    assert api.ok(api.get(path))["item"] == "SIM Card"


def test_an_unused_template_is_deleted(api: Any) -> None:
    template = api.new_template()
    path = f"/crm/inventory_template/inventory_template_id/{template['inventory_template_id']}"

    assert api.ok(api.delete(path)) == {"result": "success"}
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404


def test_an_item_takes_its_template_costs_and_shows_aliases(api: Any, sim: dict[str, Any]) -> None:
    item = api.new_item(
        sim["inventory_template_id"], itemtext1="8961234567890123457", itemtext2="310120123456790", itemtext3=KI
    )

    assert item["item"] == "SIM Card" and item["item_state"] == "New"
    assert (item["wholesale_cost"], item["retail_cost"]) == (2.5, 10.0)
    assert (item["iccid"], item["imsi"], item["ki"]) == ("8961234567890123457", "310120123456790", KI)
    assert api.ok(api.get(f"/crm/inventory/inventory_id/{item['inventory_id']}")) == item


def test_secrets_are_shown_only_to_update_inventory_holders(api: Any, sim: dict[str, Any]) -> None:
    item = api.new_item(sim["inventory_template_id"], itemtext3=KI, management_password="s3cret")
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    viewer = api.ok(api.get(path, headers=api.auth("view_inventory")))
    listed = api.ok(api.get("/crm/inventory/", headers=api.auth("view_inventory")))["data"][0]
    editor = api.ok(api.get(path, headers=api.auth("view_inventory", "update_inventory")))

    assert viewer["ki"] is None and viewer["itemtext3"] is None and listed["itemtext3"] is None
    assert editor["ki"] == KI and editor["itemtext3"] == KI
    for view in (viewer, listed, editor):
        assert view["management_password"] is None and view["management_password_set"] is True
    assert "s3cret" not in json.dumps([viewer, listed, editor])


def test_secrets_are_encrypted_in_the_event_store(api: Any, sim: dict[str, Any]) -> None:
    api.new_item(sim["inventory_template_id"], itemtext3=KI, management_password="s3cret")

    stored = b"".join(n.state for n in api.app.read_notifications(0, 1000))

    assert KI.encode() not in stored and b"s3cret" not in stored


def test_an_esim_lpa_string_is_kept_and_recognised(api: Any, sim: dict[str, Any]) -> None:
    lpa = "LPA:1$smdp.example.com$ACTIVATION-CODE-ABC123XYZ"

    item = api.new_item(sim["inventory_template_id"], management_url=lpa)
    cpe = api.new_item(sim["inventory_template_id"], management_url="https://192.168.100.1")

    assert (item["management_url"], item["management_url_kind"]) == (lpa, "lpa")
    assert cpe["management_url_kind"] == "url"
    bad = api.put(
        "/crm/inventory/",
        json={"inventory_template_id": sim["inventory_template_id"], "itemtext1": "1", "management_url": "LPA:bad"},
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "overrides",
    [
        {"inventory_template_id": 999},
        {"inventory_template_id": None},
        {"item_state": "Assigned"},
        {"item_state": "Broken"},
        {"latitude": "north"},
        {"longitude": 200},
        {"retail_cost": "cheap"},
        {"itemtext21": "x"},
        {"inventory_id": 5},
        {"customer_id": 5},
        {"item": "Modem"},
        {"itemtext1": "x" * 513},
    ],
)
def test_bad_items_are_refused_and_nothing_is_created(api: Any, sim: dict[str, Any], overrides: dict[str, Any]) -> None:
    body = {"inventory_template_id": sim["inventory_template_id"], "itemtext1": "8961", **overrides}

    response = api.put("/crm/inventory/", json=body)

    assert response.status_code in (400, 404), response.text
    assert api.ok(api.get("/crm/inventory/"))["data"] == []


def test_itemtext1_is_unique_per_type(api: Any, sim: dict[str, Any]) -> None:
    other = api.new_template(item="Phone Number")
    api.new_item(sim["inventory_template_id"], itemtext1="+61412345678")

    assert (
        api.put(
            "/crm/inventory/", json={"inventory_template_id": sim["inventory_template_id"], "itemtext1": "+61412345678"}
        ).status_code
        == 409
    )
    assert api.new_item(other["inventory_template_id"], itemtext1="+61412345678")["item"] == "Phone Number"


def test_the_playbook_assignment_and_release(api: Any, sim: dict[str, Any]) -> None:
    item = api.new_item(sim["inventory_template_id"])
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    assigned = api.ok(api.patch(path, json={"customer_id": 789, "service_id": 1234, "item_state": "Assigned"}))
    again = api.ok(api.patch(path, json={"customer_id": "789", "service_id": "1234", "item_state": "Assigned"}))
    taken = api.patch(path, json={"customer_id": 789, "service_id": 9999, "item_state": "Assigned"})
    by_customer = api.ok(api.get("/crm/inventory/customer_id/789"))
    released = api.ok(api.patch(path, json={"service_id": None, "customer_id": None, "item_state": "Used"}))

    assert (assigned["item_state"], assigned["customer_id"], assigned["service_id"]) == ("Assigned", 789, 1234)
    assert assigned["sold_date"] is not None and again["sold_date"] == assigned["sold_date"]
    assert taken.status_code == 409
    assert [i["inventory_id"] for i in by_customer["data"]] == [item["inventory_id"]]
    assert (released["item_state"], released["customer_id"], released["service_id"]) == ("Used", None, None)
    assert api.ok(api.get("/crm/inventory/customer_id/789")) == {"data": []}


def test_an_explicit_sold_date_is_kept(api: Any, sim: dict[str, Any]) -> None:
    item = api.new_item(sim["inventory_template_id"])

    assigned = api.ok(
        api.patch(
            f"/crm/inventory/inventory_id/{item['inventory_id']}",
            json={"customer_id": 1, "service_id": 2, "item_state": "Assigned", "sold_date": "2025-01-16T14:20:00Z"},
        )
    )

    assert assigned["sold_date"] == "2025-01-16T14:20:00Z"


@pytest.mark.parametrize(
    ("start", "body"),
    [
        ("New", {"item_state": "Used"}),
        ("New", {"item_state": "Decommissioned"}),
        ("In Stock", {"item_state": "New"}),
        ("In Stock", {"item_state": "Lost"}),
        ("Used", {"item_state": "In Stock"}),
        ("Used", {"customer_id": 1, "service_id": 2, "item_state": "Assigned"}),
        ("Decommissioned", {"item_state": "In Stock"}),
    ],
)
def test_forbidden_transitions_are_400_over_http(
    api: Any, sim: dict[str, Any], start: str, body: dict[str, Any]
) -> None:
    item = _item_in(api, sim, start)
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    response = api.patch(path, json=body)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_transition"
    assert api.ok(api.get(path))["item_state"] == start


def test_admin_may_force_a_transition_others_may_not(api: Any, sim: dict[str, Any]) -> None:
    item = _item_in(api, sim, "Used")
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    refused = api.patch(
        path, params={"force": "true"}, json={"item_state": "In Stock"}, headers=api.auth("update_inventory")
    )
    forced = api.ok(api.patch(path, params={"force": "true"}, json={"item_state": "In Stock"}))

    assert refused.status_code == 403
    assert forced["item_state"] == "In Stock"


@pytest.mark.parametrize(
    "body",
    [
        {"customer_id": 5},
        {"item_state": "Assigned"},
        {"customer_id": 5, "item_state": "In Stock"},
        {"customer_id": "five", "item_state": "Assigned"},
        {"inventory_id": 3},
        {"item": "Other"},
        {},
        [],
    ],
)
def test_bad_patches_change_nothing(api: Any, sim: dict[str, Any], body: Any) -> None:
    item = api.new_item(sim["inventory_template_id"])
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    response = api.patch(path, json=body)

    assert response.status_code == 400, response.text
    assert api.ok(api.get(path)) == item


def test_cpe_writes_update_fields_location_and_management(api: Any) -> None:
    cpe = api.new_template(item="Fixed Wireless CPE", itemtext1_key=None, itemtext2_key=None, itemtext3_key=None)
    item = api.new_item(cpe["inventory_template_id"], itemtext1="AA:BB:CC:DD:EE:FF")
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"

    updated = api.ok(
        api.patch(
            path,
            json={
                "itemtext3": "v2.4.1",
                "latitude": -33.8688,
                "longitude": "151.2093",
                "city": "Sydney",
                "plus_code": "4RRH+2C Melbourne VIC",
                "management_url": "https://192.168.100.1",
                "management_username": "admin",
                "management_password": "n3w",
                "config_content": "wlan-ssid: HomeNetwork",
                "inventory_notes": "Installed 2025-01-10",
            },
        )
    )

    assert (updated["latitude"], updated["longitude"]) == ("-33.8688", "151.2093")
    assert updated["management_password_set"] is True and updated["management_password"] is None
    assert updated["itemtext3"] == "v2.4.1" and updated["city"] == "Sydney"
    api.published("catalog.InventoryItemLocationUpdated")
    (management,) = api.published("catalog.InventoryItemManagementUpdated")
    body = json.loads(management.body)
    assert body["password_changed"] is True and "n3w" not in management.body.decode()


def test_an_item_is_deleted_unless_assigned(api: Any, sim: dict[str, Any]) -> None:
    free = api.new_item(sim["inventory_template_id"], itemtext1="8944000000000000001")
    used = _item_in(api, sim, "Assigned")

    assert api.ok(api.delete(f"/crm/inventory/inventory_id/{free['inventory_id']}")) == {"result": "success"}
    assert api.delete(f"/crm/inventory/inventory_id/{used['inventory_id']}").status_code == 409
    assert api.get(f"/crm/inventory/inventory_id/{free['inventory_id']}").status_code == 404
    assert api.new_item(sim["inventory_template_id"], itemtext1="8944000000000000001")["inventory_id"]


def test_unknown_items_are_404(api: Any) -> None:
    assert api.get("/crm/inventory/inventory_id/999").status_code == 404
    assert api.patch("/crm/inventory/inventory_id/999", json={"inventory_notes": "x"}).status_code == 404
    assert api.delete("/crm/inventory/inventory_id/999").status_code == 404


def test_the_list_filters_searches_and_picks(api: Any, sim: dict[str, Any]) -> None:
    modem = api.new_template(item="Rental Modem")
    a = api.new_item(sim["inventory_template_id"], itemtext1="8944000000000000011", item_location="Warehouse A")
    b = api.new_item(sim["inventory_template_id"], itemtext1="8944000000000000022", item_state="In Stock")
    c = _item_in(api, sim, "Assigned")
    api.new_item(modem["inventory_template_id"], itemtext1="AA:BB")
    api.post("/crm/inventory/reserve", json={"job_id": "j", "item": "SIM Card", "inventory_id": b["inventory_id"]})

    picker = api.ok(api.get("/crm/inventory/", params={"available_for": "SIM Card"}))
    assigned = api.ok(api.get("/crm/inventory/", params={"filters": json.dumps({"item_state": ["Assigned"]})}))
    searched = api.ok(api.get("/crm/inventory/", params={"search": "0000000000022"}))
    located = api.ok(api.get("/crm/inventory/", params={"filters": json.dumps({"item_location": ["Warehouse A"]})}))

    assert [i["inventory_id"] for i in picker["data"]] == [a["inventory_id"]]
    assert [i["inventory_id"] for i in assigned["data"]] == [c["inventory_id"]]
    assert [i["inventory_id"] for i in searched["data"]] == [b["inventory_id"]]
    assert [i["inventory_id"] for i in located["data"]] == [a["inventory_id"]]
    assert api.get("/crm/inventory/", params={"filters": json.dumps({"colour": ["x"]})}).status_code == 400


def test_stock_levels_count_states_and_reservations(api: Any, sim: dict[str, Any]) -> None:
    api.new_item(sim["inventory_template_id"])
    api.new_item(sim["inventory_template_id"], item_state="In Stock")
    _item_in(api, sim, "Assigned")
    api.ok(api.post("/crm/inventory/reserve", json={"job_id": "j", "item": "SIM Card"}))

    (level,) = api.ok(api.get("/crm/inventory/stats"))["data"]

    assert level["states"] == {"New": 1, "In Stock": 1, "Assigned": 1}
    assert (level["total"], level["reserved"], level["available"]) == (3, 1, 1)


def test_item_events_are_published_without_secrets(api: Any, sim: dict[str, Any]) -> None:
    item = api.new_item(sim["inventory_template_id"], itemtext3=KI, management_password="pw")
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"
    api.ok(api.patch(path, json={"item_state": "In Stock"}))
    api.ok(api.patch(path, json={"customer_id": 1, "service_id": 2, "item_state": "Assigned"}))
    api.ok(api.patch(path, json={"customer_id": None, "service_id": None, "item_state": "In Stock"}))

    (created,) = api.published("catalog.InventoryItemCreated")
    api.published("catalog.InventoryItemStateChanged")
    (assigned,) = api.published("catalog.InventoryItemAssigned")
    (released,) = api.published("catalog.InventoryItemReleased")

    assert json.loads(assigned.body)["retail_cost"] == "10.00"
    assert json.loads(released.body)["new_state"] == "In Stock"
    everything = b"".join(m.body for m in api.bus.published)
    assert KI.encode() not in everything and b'"pw"' not in everything
    assert json.loads(created.body)["itemtext1"] == item["itemtext1"]


def _item_in(api: Any, sim: dict[str, Any], state: str) -> dict[str, Any]:
    item = api.new_item(sim["inventory_template_id"])
    path = f"/crm/inventory/inventory_id/{item['inventory_id']}"
    if state == "New":
        return item
    if state == "In Stock":
        return api.ok(api.patch(path, json={"item_state": "In Stock"}))
    api.ok(api.patch(path, json={"customer_id": 789, "service_id": 1234, "item_state": "Assigned"}))
    if state == "Assigned":
        return api.ok(api.get(path))
    return api.ok(api.patch(path, json={"customer_id": None, "service_id": None, "item_state": state}))
