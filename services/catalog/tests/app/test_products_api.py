"""Product endpoints (catalog.md §3): good and bad input, lists, offers, clone, delete."""

import json
from typing import Any

import pytest


def test_a_product_is_created_with_every_field(api: Any) -> None:
    created = api.new_product(product_slug="prepaid-mobile-20gb")

    assert created["product_id"] >= 1
    assert created["product_slug"] == "prepaid-mobile-20gb"
    assert created["retail_cost"] == 15.0 and created["wholesale_setup_cost"] == 1.0
    assert created["tax_percentage"] == 10.0
    assert created["inventory_items_list"] == "['SIM Card', 'Mobile Number']"
    assert created["relies_on_list"] == ""
    assert created["auto_renew"] == "prompt" and created["allow_auto_renew"] is True
    assert created["available_from"] == "2025-01-01T00:00:00Z" and created["available_until"] is None
    assert created["features"] == ["20GB data", "Unlimited calls"]
    assert created["provisioning_json_vars"] == '{"days": 30, "data_gb": 20}'
    assert api.ok(api.get(f"/crm/product/product_id/{created['product_id']}")) == created


def test_lists_are_accepted_as_json_arrays_and_json_vars_as_objects(api: Any) -> None:
    created = api.new_product(
        inventory_items_list=["Rental Modem"], relies_on_list=[1, 2], provisioning_json_vars={"data_gb": 5}
    )

    assert created["inventory_items_list"] == "['Rental Modem']"
    assert created["relies_on_list"] == "[1, 2]"
    assert json.loads(created["provisioning_json_vars"]) == {"data_gb": 5}


def test_numbers_and_booleans_may_arrive_as_strings(api: Any) -> None:
    created = api.new_product(retail_cost="12.5", contract_days="30", enabled="true", residential="false")

    assert (created["retail_cost"], created["contract_days"], created["enabled"], created["residential"]) == (
        12.5,
        30,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inventory_items_list": "['SIM Card', 'SIM Card']"}, None),
        ({"inventory_items_list": "['SIM Card'"}, "inventory_items_list"),
        ({"relies_on_list": "['a']"}, "relies_on_list"),
        ({"service_type": "teleportation"}, None),
        ({"provisioning_json_vars": "{not json"}, "provisioning_json_vars"),
        ({"provisioning_json_vars": "[1, 2]"}, "provisioning_json_vars"),
        ({"category": "gift"}, "category"),
        ({"auto_renew": "sometimes"}, "auto_renew"),
        ({"retail_cost": "ten"}, "retail_cost"),
        ({"retail_cost": -1}, "retail_cost"),
        ({"tax_percentage": 150}, "tax_percentage"),
        ({"contract_days": -5}, "contract_days"),
        ({"product_slug": "has spaces"}, "product_slug"),
        ({"product_name": ""}, "product_name"),
        ({"available_from": "2025-02-01", "available_until": "2025-01-01"}, None),
        ({"available_from": "yesterday"}, "available_from"),
        ({"provisioning_play": "../etc/passwd"}, "provisioning_play"),
        ({"colour": "red"}, None),
        ({"product_id": 5}, None),
    ],
)
def test_bad_products_are_refused_with_400_and_nothing_is_created(
    api: Any, overrides: dict[str, Any], field: str | None
) -> None:
    response = api.put("/crm/product/", json={**api.product_body(), **overrides})

    assert response.status_code == 400, response.text
    assert response.json()["message"]
    if field is not None:
        assert field in response.text
    assert api.ok(api.get("/crm/product/", params={"include_disabled": "true"})) == []


def test_a_product_without_a_name_or_slug_is_refused(api: Any) -> None:
    response = api.put("/crm/product/", json={"product_name": "X"})

    assert response.status_code == 400
    assert "product_slug" in response.text


def test_a_taken_slug_is_a_conflict(api: Any) -> None:
    api.new_product(product_slug="Mobile-SIM")

    response = api.put("/crm/product/", json=api.product_body(product_slug="Mobile-SIM"))

    assert response.status_code == 409
    assert len(api.ok(api.get("/crm/product/"))) == 1


def test_a_patch_changes_only_the_fields_sent(api: Any) -> None:
    product = api.new_product()

    updated = api.ok(api.patch(f"/crm/product/product_id/{product['product_id']}", json={"retail_cost": "20"}))

    assert updated["retail_cost"] == 20.0
    assert {k: v for k, v in updated.items() if k not in ("retail_cost", "last_modified")} == {
        k: v for k, v in product.items() if k not in ("retail_cost", "last_modified")
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"product_name": None}, {"product_id": 3}, {"created": "2025-01-01"}, {"retail_cost": "x"}, [1], {"a": 1}],
)
def test_bad_patches_are_refused(api: Any, body: Any) -> None:
    product = api.new_product()

    response = api.patch(f"/crm/product/product_id/{product['product_id']}", json=body)

    assert response.status_code == 400, response.text
    assert api.ok(api.get(f"/crm/product/product_id/{product['product_id']}")) == product


def test_renaming_the_slug_frees_the_old_one(api: Any) -> None:
    product = api.new_product(product_slug="old-slug")
    api.ok(api.patch(f"/crm/product/product_id/{product['product_id']}", json={"product_slug": "new-slug"}))

    again = api.new_product(product_slug="old-slug")

    assert again["product_slug"] == "old-slug"
    assert api.put("/crm/product/", json=api.product_body(product_slug="new-slug")).status_code == 409


def test_unknown_products_are_404(api: Any) -> None:
    assert api.get("/crm/product/product_id/999").status_code == 404
    assert api.patch("/crm/product/product_id/999", json={"retail_cost": 1}).status_code == 404
    assert api.delete("/crm/product/product_id/999").status_code == 404
    assert api.post("/crm/product/product_id/999/clone").status_code == 404


def test_disabled_products_are_listed_only_on_request(api: Any) -> None:
    on = api.new_product()
    off = api.new_product()
    api.ok(api.patch(f"/crm/product/product_id/{off['product_id']}", json={"enabled": False}))

    default = api.ok(api.get("/crm/product/paginated"))
    everything = api.ok(api.get("/crm/product/paginated", params={"include_disabled": "true"}))

    assert [p["product_id"] for p in default["data"]] == [on["product_id"]]
    assert default["pagination"] == {"current_page": 1, "per_page": 50, "total_pages": 1, "total_items": 1}
    assert {p["product_id"] for p in everything["data"]} == {on["product_id"], off["product_id"]}


def test_the_paginated_list_pages_filters_and_searches(api: Any) -> None:
    for n in range(5):
        api.new_product(product_name=f"Plan {n}", category="addon" if n % 2 else "standalone")

    page = api.ok(
        api.get("/crm/product/paginated", params={"page": 2, "per_page": 2, "sort": "product_id", "order": "asc"})
    )
    addons = api.ok(api.get("/crm/product/paginated", params={"filters": json.dumps({"category": ["addon"]})}))
    found = api.ok(api.get("/crm/product/", params={"search": "plan 3"}))

    assert [p["product_name"] for p in page["data"]] == ["Plan 2", "Plan 3"]
    assert page["pagination"]["total_pages"] == 3
    assert addons["pagination"]["total_items"] == 2
    assert [p["product_name"] for p in found] == ["Plan 3"]


@pytest.mark.parametrize(
    "params",
    [{"filters": "{bad"}, {"filters": json.dumps({"colour": ["red"]})}, {"sort": "colour"}, {"per_page": 0}],
)
def test_bad_list_parameters_are_400(api: Any, params: dict[str, Any]) -> None:
    assert api.get("/crm/product/paginated", params=params).status_code == 400


def test_a_clone_copies_with_the_clone_suffix(api: Any) -> None:
    product = api.new_product(product_name="Mobile SIM Only", product_slug="Mobile-SIM")

    clone = api.ok(api.post(f"/crm/product/product_id/{product['product_id']}/clone"))

    assert (clone["product_name"], clone["product_slug"]) == ("Mobile SIM Only_clone", "Mobile-SIM_clone")
    assert clone["product_id"] != product["product_id"]
    assert clone["retail_cost"] == product["retail_cost"]
    assert api.post(f"/crm/product/product_id/{product['product_id']}/clone").status_code == 409


def test_a_deleted_product_is_gone_and_its_slug_free(api: Any) -> None:
    product = api.new_product(product_slug="gone")

    assert api.ok(api.delete(f"/crm/product/product_id/{product['product_id']}")) == {"result": "success"}

    assert api.get(f"/crm/product/product_id/{product['product_id']}").status_code == 404
    assert api.ok(api.get("/crm/product/", params={"include_disabled": "true"})) == []
    assert api.new_product(product_slug="gone")["product_id"] != product["product_id"]


def test_offers_for_a_customer_follow_the_rules(api: Any) -> None:
    api.customer_exists(123, "Business")
    business = api.new_product(product_name="Business plan", business=True)
    api.new_product(product_name="Residential only", business=False)
    api.new_product(product_name="Disabled", business=True, enabled=False)
    api.new_product(product_name="Future", business=True, available_from="2999-01-01")
    api.new_product(product_name="An add-on", business=True, category="addon")

    offered = api.ok(api.get("/crm/product/available", params={"customer_id": 123}))

    assert [p["product_id"] for p in offered] == [business["product_id"]]


def test_add_on_offers_follow_the_service(api: Any) -> None:
    plan = api.new_product(service_type="mobile")
    boost = api.new_product(product_name="5GB Data Boost", category="addon", service_type="mobile")
    api.new_product(product_name="Modem", category="addon", service_type="internet")
    api.new_product(product_name="Other plan add-on", category="addon", service_type="mobile", relies_on_list=[999])

    offered = api.ok(
        api.get(
            "/crm/product/available", params={"customer_type": "Individual", "service_product_id": plan["product_id"]}
        )
    )

    assert [p["product_id"] for p in offered] == [boost["product_id"]]


def test_add_on_offers_for_a_known_service(api: Any) -> None:
    api.customer_exists(7, "Individual")
    plan = api.new_product(service_type="mobile")
    boost = api.new_product(
        product_name="Boost", category="addon", service_type="mobile", relies_on_list=[plan["product_id"]]
    )
    api.new_product(product_name="Modem", category="addon", service_type="internet")
    api.service_exists(70, customer_id=7, product_id=plan["product_id"], service_type="mobile")

    offered = api.ok(api.get("/crm/product/available", params={"service_id": 70}))
    someone_elses = api.get(
        "/crm/product/available", params={"service_id": 70}, headers=api.auth("view_own_customer", customer_id=8)
    )

    assert [p["product_id"] for p in offered] == [boost["product_id"]]
    assert someone_elses.status_code == 404


def test_a_new_service_relying_on_a_product_needs_an_active_service_of_it(api: Any) -> None:
    api.customer_exists(9, "Business")
    base = api.new_product(product_name="Base", business=True)
    extra = api.new_product(product_name="Second line", business=True, relies_on_list=[base["product_id"]])

    before = api.ok(api.get("/crm/product/available", params={"customer_id": 9}))
    api.service_exists(90, customer_id=9, product_id=base["product_id"])
    after = api.ok(api.get("/crm/product/available", params={"customer_id": 9}))

    assert [p["product_id"] for p in before] == [base["product_id"]]
    assert [p["product_id"] for p in after] == [base["product_id"], extra["product_id"]]


def test_a_product_in_use_cannot_be_deleted(api: Any) -> None:
    product = api.new_product()
    api.service_exists(11, customer_id=1, product_id=product["product_id"])

    response = api.delete(f"/crm/product/product_id/{product['product_id']}")

    assert response.status_code == 409 and "enabled: false" in response.json()["message"]
    assert api.ok(api.get(f"/crm/product/product_id/{product['product_id']}")) == product


def test_offers_need_a_known_customer(api: Any) -> None:
    assert api.get("/crm/product/available").status_code == 400
    assert api.get("/crm/product/available", params={"customer_id": 404}).status_code == 404
    assert api.get("/crm/product/available", params={"customer_type": "Alien"}).status_code == 400
    assert api.get("/crm/product/available", params={"customer_type": "Business", "service_id": 5}).status_code == 404


def test_self_care_callers_see_only_what_they_may_buy(api: Any) -> None:
    api.customer_exists(55, "Individual")
    buyable = api.new_product(customer_can_purchase=True)
    api.new_product(customer_can_purchase=False)
    customer = api.auth("view_own_customer", customer_id=55)

    listed = api.ok(api.get("/crm/product/", headers=customer))
    offered = api.ok(api.get("/crm/product/available", params={"customer_id": 999}, headers=customer))

    assert [p["product_id"] for p in listed] == [buyable["product_id"]]
    assert [p["product_id"] for p in offered] == [buyable["product_id"]]


def test_product_events_are_published(api: Any) -> None:
    product = api.new_product()
    api.ok(api.patch(f"/crm/product/product_id/{product['product_id']}", json={"enabled": False, "comment": "x"}))
    api.ok(api.post(f"/crm/product/product_id/{product['product_id']}/clone"))
    api.ok(api.delete(f"/crm/product/product_id/{product['product_id']}"))

    (created,) = api.published("catalog.ProductCreated")
    (updated,) = api.published("catalog.ProductUpdated")
    (cloned,) = api.published("catalog.ProductCloned")
    api.published("catalog.ProductDisabled")
    api.published("catalog.ProductDeleted")

    body = json.loads(created.body)
    assert body["product_slug"] == product["product_slug"] and body["retail_cost"] == "15.00"
    assert body["inventory_items_list"] == ["SIM Card", "Mobile Number"]
    assert json.loads(updated.body)["changed_fields"] == ["comment"]
    assert json.loads(cloned.body)["source_product_id"] == product["product_id"]
