"""Customer attribute endpoints over HTTP (customers.md §2.4, §3, §4.2, §5; D40, D7 space-form dates)."""

import re

import pytest

SPACE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
PERMS = (
    "view_customer_attribute",
    "create_customer_attribute",
    "update_customer_attribute",
    "delete_customer_attribute",
)


def an_attribute(customer_id, name="external_crm_id", value="SF-12345"):
    return {"customer_id": customer_id, "attribute_name": name, "attribute_value": value}


def test_creating_an_attribute_returns_the_documented_object(api_on_each_store):
    customer = api_on_each_store.new_customer()

    response = api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"]))

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"attribute_id", "customer_id", "attribute_name", "attribute_value", "created", "last_modified"}
    assert (body["customer_id"], body["attribute_name"], body["attribute_value"]) == (
        customer["customer_id"],
        "external_crm_id",
        "SF-12345",
    )
    assert SPACE_FORM.match(body["created"]) and body["created"] == body["last_modified"]


def test_post_is_an_alias_of_put_for_attributes(api):
    customer = api.new_customer()

    assert api.post("/crm/attribute/", json=an_attribute(customer["customer_id"])).status_code == 200


def test_a_customer_attributes_are_a_bare_array_filterable_by_name_and_value(api_on_each_store):
    customer = api_on_each_store.new_customer()
    first = api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"])).json()
    second = api_on_each_store.put(
        "/crm/attribute/", json=an_attribute(customer["customer_id"], "billing_method", "quarterly")
    ).json()
    base = f"/crm/attribute/customer_id/{customer['customer_id']}"

    everything = api_on_each_store.get(base).json()
    by_name = api_on_each_store.get(base, params={"attribute_name": "billing_method"}).json()
    by_value = api_on_each_store.get(base, params={"attribute_value": "SF-12345"}).json()

    assert [a["attribute_id"] for a in everything] == [first["attribute_id"], second["attribute_id"]]
    assert by_name == [second]
    assert by_value == [first]


def test_values_are_always_strings(api):
    customer = api.new_customer()

    flag = api.put("/crm/attribute/", json=an_attribute(customer["customer_id"], "tax_exempt", True)).json()
    number = api.put("/crm/attribute/", json=an_attribute(customer["customer_id"], "credit_limit", 10000)).json()

    assert (flag["attribute_value"], number["attribute_value"]) == ("true", "10000")


@pytest.mark.parametrize(
    "body",
    [
        {"attribute_name": "external_crm_id"},
        {"attribute_value": "x"},
        {"attribute_name": "External CRM id", "attribute_value": "x"},
        {"attribute_name": "1st", "attribute_value": "x"},
        {"attribute_name": "a" * 151, "attribute_value": "x"},
        {"attribute_name": "ok_name", "attribute_value": "v" * 151},
        {"attribute_name": "ok_name", "attribute_value": None},
        {"attribute_name": "ok_name", "attribute_value": "x", "colour": "red"},
    ],
)
def test_bad_attributes_are_refused_with_400(api, body):
    customer = api.new_customer()

    response = api.put("/crm/attribute/", json={"customer_id": customer["customer_id"], **body})

    assert response.status_code == 400
    assert api.get(f"/crm/attribute/customer_id/{customer['customer_id']}").json() == []


def test_an_attribute_of_an_unknown_customer_is_404(api):
    assert api.put("/crm/attribute/", json=an_attribute(999999)).status_code == 404


def test_a_duplicate_name_for_the_same_customer_is_409(api_on_each_store):
    customer = api_on_each_store.new_customer()
    other = api_on_each_store.new_customer(customer_name="Other")
    api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"]))

    duplicate = api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"], value="SF-9"))
    elsewhere = api_on_each_store.put("/crm/attribute/", json=an_attribute(other["customer_id"]))

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_attribute_name"
    assert elsewhere.status_code == 200


def test_updating_the_value_bumps_last_modified(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"])).json()

    response = api_on_each_store.patch(
        f"/crm/attribute/attribute_id/{created['attribute_id']}", json={"attribute_value": "SF-54321"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["attribute_value"] == "SF-54321"
    assert body["created"] == created["created"] and body["last_modified"] >= created["last_modified"]
    assert api_on_each_store.get(f"/crm/attribute/attribute_id/{created['attribute_id']}").json() == body
    assert api_on_each_store.get(f"/crm/attribute/customer_id/{customer['customer_id']}").json() == [body]


@pytest.mark.parametrize(
    "body, code",
    [
        ({"attribute_name": "renamed"}, "read_only_field"),
        ({"customer_id": 5, "attribute_value": "x"}, "read_only_field"),
        ({"attribute_value": "v" * 151}, None),
        ({}, None),
    ],
)
def test_bad_attribute_patches_are_400(api, body, code):
    customer = api.new_customer()
    created = api.put("/crm/attribute/", json=an_attribute(customer["customer_id"])).json()

    response = api.patch(f"/crm/attribute/attribute_id/{created['attribute_id']}", json=body)

    assert response.status_code == 400
    assert code is None or response.json()["code"] == code


def test_deleting_an_attribute_frees_its_name(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"])).json()

    response = api_on_each_store.delete(f"/crm/attribute/attribute_id/{created['attribute_id']}")

    assert (response.status_code, response.json()) == (200, {"result": "success"})
    assert api_on_each_store.get(f"/crm/attribute/attribute_id/{created['attribute_id']}").status_code == 404
    assert api_on_each_store.put("/crm/attribute/", json=an_attribute(customer["customer_id"])).status_code == 200


def test_an_unknown_attribute_is_404(api):
    assert api.get("/crm/attribute/attribute_id/999999").status_code == 404
    assert api.patch("/crm/attribute/attribute_id/999999", json={"attribute_value": "x"}).status_code == 404
    assert api.delete("/crm/attribute/attribute_id/999999").status_code == 404


@pytest.mark.parametrize(
    "method, path, needed",
    [
        ("PUT", "/crm/attribute/", "create_customer_attribute"),
        ("GET", "/crm/attribute/attribute_id/{id}", "view_customer_attribute"),
        ("GET", "/crm/attribute/customer_id/{customer_id}", "view_customer_attribute"),
        ("PATCH", "/crm/attribute/attribute_id/{id}", "update_customer_attribute"),
        ("DELETE", "/crm/attribute/attribute_id/{id}", "delete_customer_attribute"),
    ],
)
def test_each_attribute_endpoint_needs_its_permission(api, method, path, needed):
    customer = api.new_customer()
    created = api.put("/crm/attribute/", json=an_attribute(customer["customer_id"], "seed")).json()
    url = path.format(id=created["attribute_id"], customer_id=customer["customer_id"])
    body = {"attribute_value": "y"} if method == "PATCH" else an_attribute(customer["customer_id"])

    denied = api.request(method, url, json=body, headers=api.auth(*(p for p in PERMS if p != needed)))
    allowed = api.request(method, url, json=body, headers=api.auth(needed))

    assert denied.status_code == 403
    assert allowed.status_code == 200, allowed.text


def test_self_care_users_cannot_read_attributes(api):
    customer = api.new_customer()
    me = api.auth("view_own_customer", customer_id=customer["customer_id"])

    assert api.get(f"/crm/attribute/customer_id/{customer['customer_id']}", headers=me).status_code == 403
