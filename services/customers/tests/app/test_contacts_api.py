"""Contact endpoints over HTTP (customers.md §2.2, §3; D38)."""

import pytest


def test_creating_a_contact_returns_200_with_the_stored_contact(api_on_each_store, a_contact):
    customer = api_on_each_store.new_customer()

    response = api_on_each_store.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"]))

    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["contact_id"], int)
    assert body["customer_id"] == customer["customer_id"]
    assert (body["contact_firstname"], body["contact_lastname"]) == ("John", "Smith")
    assert body["contact_email"] == "john@acme.example"
    assert body["contact_phone"] == "+44 7700 900123"
    assert body["contact_types"] == ["primary"]
    assert body["user_id"] is None
    assert body["created"].endswith("Z")


def test_post_is_an_alias_of_put_for_creating_a_contact(api, a_contact):
    customer = api.new_customer()

    response = api.post("/crm/contact/", json=a_contact(customer_id=customer["customer_id"]))

    assert response.status_code == 200


def test_a_customer_id_sent_as_a_numeric_string_is_coerced(api, a_contact):
    customer = api.new_customer()

    response = api.put("/crm/contact/", json=a_contact(customer_id=str(customer["customer_id"])))

    assert response.status_code == 200
    assert response.json()["customer_id"] == customer["customer_id"]


def test_a_non_numeric_customer_id_is_400(api, a_contact):
    response = api.put("/crm/contact/", json=a_contact(customer_id="twelve"))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "customer_id"


def test_adding_a_contact_to_an_unknown_customer_is_404(api, a_contact):
    response = api.put("/crm/contact/", json=a_contact(customer_id=999))

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_contacts_of_a_customer_are_a_bare_array(api_on_each_store):
    customer = api_on_each_store.new_customer()
    first = api_on_each_store.new_contact(customer["customer_id"], contact_firstname="Ann")
    second = api_on_each_store.new_contact(customer["customer_id"], contact_firstname="Bob")

    response = api_on_each_store.get(f"/crm/contact/customer_id/{customer['customer_id']}")

    assert response.status_code == 200
    assert [c["contact_id"] for c in response.json()] == [first["contact_id"], second["contact_id"]]
    assert [c["contact_firstname"] for c in response.json()] == ["Ann", "Bob"]


def test_contacts_of_another_customer_are_not_listed(api):
    mine = api.new_customer()
    other = api.new_customer()
    api.new_contact(other["customer_id"])

    response = api.get(f"/crm/contact/customer_id/{mine['customer_id']}")

    assert response.json() == []


def test_reading_one_contact_returns_it(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"], contact_email="ann@acme.example")

    response = api.get(f"/crm/contact/contact_id/{contact['contact_id']}")

    assert response.status_code == 200
    assert response.json()["contact_email"] == "ann@acme.example"


def test_reading_an_unknown_contact_is_404(api):
    response = api.get("/crm/contact/contact_id/999")

    assert response.status_code == 404
    assert response.json()["code"] == "contact_not_found"


def test_patching_a_contact_changes_only_the_given_fields(api_on_each_store):
    customer = api_on_each_store.new_customer()
    contact = api_on_each_store.new_contact(customer["customer_id"])

    response = api_on_each_store.patch(
        f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_phone": "+44 7700 900999"}
    )

    assert response.status_code == 200
    assert response.json()["contact_phone"] == "+44 7700 900999"
    assert response.json()["contact_email"] == contact["contact_email"]
    listed = api_on_each_store.get(f"/crm/contact/customer_id/{customer['customer_id']}").json()
    assert listed[0]["contact_phone"] == "+44 7700 900999"


def test_patching_a_contact_shows_in_the_customer_right_away(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])

    api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_lastname": "Smythe"})

    embedded = api.get(f"/crm/customer/customer_id/{customer['customer_id']}").json()["contacts"]
    assert [c["contact_lastname"] for c in embedded] == ["Smythe"]


@pytest.mark.parametrize("field", ["contact_id", "customer_id", "created"])
def test_patching_a_read_only_contact_field_is_400(api, field):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])

    response = api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={field: 1})

    assert response.status_code == 400
    assert response.json()["code"] == "read_only_field"


def test_patching_an_unknown_contact_field_is_400(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])

    response = api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"nickname": "Johnny"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"


def test_patching_an_unknown_contact_is_404(api):
    response = api.patch("/crm/contact/contact_id/999", json={"contact_firstname": "X"})

    assert response.status_code == 404
    assert response.json()["code"] == "contact_not_found"


def test_deleting_a_contact_answers_success_and_removes_it(api_on_each_store):
    customer = api_on_each_store.new_customer()
    contact = api_on_each_store.new_contact(customer["customer_id"])

    response = api_on_each_store.delete(f"/crm/contact/contact_id/{contact['contact_id']}")

    assert response.json() == {"result": "success"}
    assert api_on_each_store.get(f"/crm/contact/customer_id/{customer['customer_id']}").json() == []
    assert api_on_each_store.get(f"/crm/contact/contact_id/{contact['contact_id']}").status_code == 404


def test_a_deleted_contact_leaves_the_customer_view(api):
    customer = api.new_customer()
    kept = api.new_contact(customer["customer_id"])
    gone = api.new_contact(customer["customer_id"])

    api.delete(f"/crm/contact/contact_id/{gone['contact_id']}")

    embedded = api.get(f"/crm/customer/customer_id/{customer['customer_id']}").json()["contacts"]
    assert [c["contact_id"] for c in embedded] == [kept["contact_id"]]


def test_deleting_an_unknown_contact_is_404(api):
    response = api.delete("/crm/contact/contact_id/999")

    assert response.status_code == 404


def test_deleting_a_deleted_contact_is_404(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])
    api.delete(f"/crm/contact/contact_id/{contact['contact_id']}")

    response = api.delete(f"/crm/contact/contact_id/{contact['contact_id']}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "sent, stored",
    [
        (["billing", "primary"], ["billing", "primary"]),
        ("billing,primary", ["billing", "primary"]),
        ("Technical, billing", ["technical", "billing"]),
        (["primary", "primary"], ["primary"]),
        ([], []),
    ],
)
def test_contact_types_accept_a_list_or_a_comma_separated_string(api, a_contact, sent, stored):
    customer = api.new_customer()

    response = api.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"], contact_types=sent))

    assert response.status_code == 200
    assert response.json()["contact_types"] == stored


@pytest.mark.parametrize("sent", [["sales"], "billing,sales", [42]])
def test_unknown_contact_types_are_400(api, a_contact, sent):
    customer = api.new_customer()

    response = api.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"], contact_types=sent))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"].startswith("contact_types")


def test_patching_contact_types_with_an_unknown_type_is_400(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])

    response = api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_types": "primary,vip"})

    assert response.status_code == 400
    assert api.get(f"/crm/contact/contact_id/{contact['contact_id']}").json()["contact_types"] == ["primary"]


@pytest.mark.parametrize("email", ["not-an-email", "john@", "john@@acme.example", "john smith@acme.example"])
def test_a_bad_email_is_400(api, a_contact, email):
    customer = api.new_customer()

    response = api.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"], contact_email=email))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "contact_email"


def test_patching_a_bad_email_is_400(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"])

    response = api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_email": "nope"})

    assert response.status_code == 400


def test_a_bad_phone_number_is_400(api, a_contact):
    customer = api.new_customer()

    response = api.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"], contact_phone="call me"))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "contact_phone"


def test_a_rejected_contact_records_nothing(api, a_contact):
    customer = api.new_customer()
    recorded_before = api.app.max_notification_id()

    response = api.put("/crm/contact/", json=a_contact(customer_id=customer["customer_id"], contact_email="bad"))

    assert response.status_code == 400
    assert api.app.max_notification_id() == recorded_before
    assert api.get(f"/crm/contact/customer_id/{customer['customer_id']}").json() == []
