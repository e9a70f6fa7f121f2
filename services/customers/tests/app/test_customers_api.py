"""Customer endpoints over HTTP (customers.md §3; api-conventions.md §2-§8; D4, D6, D7)."""

import json

import pytest


def test_creating_a_customer_returns_200_with_the_stored_customer(api_on_each_store, a_customer):
    response = api_on_each_store.put(
        "/crm/customer/", json=a_customer(customer_name="Acme Corporation", contract_start_date="2025-01-04 10:30:00")
    )

    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["customer_id"], int)
    assert body["customer_name"] == "Acme Corporation"
    assert body["customer_account_type"] == "Business"
    assert body["customer_payment_type"] == "postpaid"
    assert body["customer_status"] == "Open"
    assert body["customer_enabled"] is True
    assert body["tax_identifier"] == "GB123456789"
    assert body["contract_start_date"] == "2025-01-04T10:30:00Z"
    assert body["contract_end_date"] is None
    assert body["created"].endswith("Z") and body["last_modified"].endswith("Z")
    assert body["contacts"] == [] and body["sites"] == []


def test_creating_a_customer_with_a_contact_and_a_site_returns_them_nested(
    api_on_each_store, a_customer, a_contact, a_site
):
    response = api_on_each_store.put(
        "/crm/customer/", json=a_customer(contact=a_contact(contact_firstname="Jane"), site=a_site(city="Leeds"))
    )

    body = response.json()
    assert response.status_code == 200
    [contact] = body["contacts"]
    [site] = body["sites"]
    assert contact["contact_firstname"] == "Jane"
    assert contact["customer_id"] == body["customer_id"] and isinstance(contact["contact_id"], int)
    assert site["city"] == "Leeds"
    assert site["customer_id"] == body["customer_id"] and isinstance(site["site_id"], int)


def test_post_is_an_alias_of_put_for_creating_a_customer(api, a_customer):
    response = api.post("/crm/customer/", json=a_customer(customer_name="Posted Ltd"))

    assert response.status_code == 200
    assert response.json()["customer_name"] == "Posted Ltd"


def test_new_customers_get_distinct_ids(api):
    first = api.new_customer()
    second = api.new_customer()

    assert first["customer_id"] != second["customer_id"]


def test_reading_a_customer_embeds_its_contacts(api_on_each_store, a_customer, a_contact):
    created = api_on_each_store.new_customer(contact=a_contact(contact_email="jane@acme.example"))

    response = api_on_each_store.get(f"/crm/customer/customer_id/{created['customer_id']}")

    body = response.json()
    assert response.status_code == 200
    assert body["customer_name"] == created["customer_name"]
    assert [c["contact_email"] for c in body["contacts"]] == ["jane@acme.example"]
    assert {"contact_firstname", "contact_lastname", "contact_id"} <= set(body["contacts"][0])


def test_reading_an_unknown_customer_is_404_with_message_and_code(api):
    response = api.get("/crm/customer/customer_id/999")

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"
    assert "999" in response.json()["message"]


def test_the_customer_list_is_data_with_pagination(api_on_each_store):
    for name in ("Alpha", "Beta", "Gamma"):
        api_on_each_store.new_customer(customer_name=name)

    response = api_on_each_store.get("/crm/customers")

    body = response.json()
    assert response.status_code == 200
    assert sorted(c["customer_name"] for c in body["data"]) == ["Alpha", "Beta", "Gamma"]
    assert body["pagination"] == {"current_page": 1, "per_page": 50, "total_pages": 1, "total_items": 3}


def test_the_customer_list_pages_with_page_and_per_page(api):
    ids = [api.new_customer(customer_name=f"C{i}")["customer_id"] for i in range(5)]

    response = api.get("/crm/customers", params={"page": 2, "per_page": 2, "sort": "customer_id", "order": "asc"})

    body = response.json()
    assert [c["customer_id"] for c in body["data"]] == ids[2:4]
    assert body["pagination"] == {"current_page": 2, "per_page": 2, "total_pages": 3, "total_items": 5}


def test_the_customer_list_sorts_by_the_given_field_and_order(api):
    for name in ("Mango", "apple", "Zebra"):
        api.new_customer(customer_name=name)

    ascending = api.get("/crm/customers", params={"sort": "customer_name", "order": "asc"}).json()["data"]
    descending = api.get("/crm/customers", params={"sort": "customer_name", "order": "desc"}).json()["data"]

    names = [c["customer_name"] for c in ascending]
    assert names == sorted(names)
    assert [c["customer_name"] for c in descending] == names[::-1]


def test_the_customer_list_is_newest_first_by_default(api):
    ids = [api.new_customer(customer_name=f"C{i}")["customer_id"] for i in range(3)]

    data = api.get("/crm/customers").json()["data"]

    assert [c["customer_id"] for c in data] == ids[::-1]


def test_sorting_by_an_unknown_field_is_400(api):
    response = api.get("/crm/customers", params={"sort": "password"})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_sort"


def test_the_customer_list_filters_by_status(api):
    api.new_customer(customer_name="Still open")
    closed = api.new_customer(customer_name="Gone quiet", customer_status="Closed")

    response = api.get("/crm/customers", params={"filters": json.dumps({"customer_status": ["Closed"]})})

    assert [c["customer_id"] for c in response.json()["data"]] == [closed["customer_id"]]
    assert response.json()["pagination"]["total_items"] == 1


def test_the_customer_list_filters_by_several_values_of_a_field(api):
    individual = api.new_customer(customer_account_type="Individual")
    business = api.new_customer(customer_account_type="Business")

    response = api.get(
        "/crm/customers", params={"filters": json.dumps({"customer_account_type": ["Individual", "Business"]})}
    )

    assert {c["customer_id"] for c in response.json()["data"]} == {individual["customer_id"], business["customer_id"]}


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 0}, {"per_page": "ten"}, {"order": "sideways"}])
def test_bad_paging_parameters_are_400(api, params):
    response = api.get("/crm/customers", params=params)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_a_page_past_the_end_is_empty_with_the_real_totals(api):
    api.new_customer()

    response = api.get("/crm/customers", params={"page": 3, "per_page": 10})

    assert response.json() == {
        "data": [],
        "pagination": {"current_page": 3, "per_page": 10, "total_pages": 1, "total_items": 1},
    }


def test_filtering_on_an_unknown_field_is_400(api):
    response = api.get("/crm/customers", params={"filters": json.dumps({"password": ["x"]})})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_filters"


def test_filters_that_are_not_json_are_400(api):
    response = api.get("/crm/customers", params={"filters": "customer_status=Open"})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_filters"


def test_search_matches_a_substring_of_the_name_case_insensitively(api):
    api.new_customer(customer_name="Acme Corporation")
    api.new_customer(customer_name="Globex")
    api.new_customer(customer_name="ACME Rockets")

    response = api.get("/crm/customers", params={"search": "acMe"})

    assert sorted(c["customer_name"] for c in response.json()["data"]) == ["ACME Rockets", "Acme Corporation"]


def test_search_treats_like_wildcards_literally(api):
    api.new_customer(customer_name="100% Fibre")
    api.new_customer(customer_name="1000 Fibres")

    response = api.get("/crm/customers", params={"search": "100%"})

    assert [c["customer_name"] for c in response.json()["data"]] == ["100% Fibre"]


def test_the_bare_customer_list_is_a_json_array_with_the_same_filters(api):
    api.new_customer(customer_name="Acme Corporation")
    api.new_customer(customer_name="Globex")

    response = api.get("/crm/customer/", params={"search": "globex"})

    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert [c["customer_name"] for c in response.json()] == ["Globex"]


def test_archived_customers_are_hidden_from_lists(api):
    kept = api.new_customer(customer_name="Kept")
    archived = api.new_customer(customer_name="Archived one")
    api.delete(f"/crm/customer/customer_id/{archived['customer_id']}")

    listed = api.get("/crm/customers").json()
    bare = api.get("/crm/customer/").json()

    assert [c["customer_id"] for c in listed["data"]] == [kept["customer_id"]]
    assert listed["pagination"]["total_items"] == 1
    assert [c["customer_id"] for c in bare] == [kept["customer_id"]]


def test_archived_customers_are_listed_when_filtered_for(api):
    api.new_customer(customer_name="Kept")
    archived = api.new_customer(customer_name="Archived one")
    api.delete(f"/crm/customer/customer_id/{archived['customer_id']}")

    response = api.get("/crm/customers", params={"filters": json.dumps({"customer_status": ["Archived"]})})

    assert [c["customer_id"] for c in response.json()["data"]] == [archived["customer_id"]]


def test_patch_changes_only_the_given_fields(api_on_each_store):
    created = api_on_each_store.new_customer(customer_name="Acme", tax_identifier="GB1")

    response = api_on_each_store.patch(
        f"/crm/customer/customer_id/{created['customer_id']}", json={"customer_name": "Acme Ltd"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["customer_name"] == "Acme Ltd"
    assert body["tax_identifier"] == "GB1"
    assert body["customer_account_type"] == created["customer_account_type"]


def test_a_patch_is_visible_in_the_list_right_away(api_on_each_store):
    created = api_on_each_store.new_customer(customer_name="Acme")

    api_on_each_store.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={"customer_name": "Renamed"})

    data = api_on_each_store.get("/crm/customers").json()["data"]
    assert [c["customer_name"] for c in data] == ["Renamed"]


def test_patched_contract_dates_are_stored_and_listed_in_utc(api_on_each_store):
    created = api_on_each_store.new_customer(contract_start_date="2025-01-01")

    response = api_on_each_store.patch(
        f"/crm/customer/customer_id/{created['customer_id']}", json={"contract_end_date": "2026-01-01T02:00:00+02:00"}
    )

    listed = api_on_each_store.get("/crm/customers").json()["data"][0]
    assert response.json()["contract_end_date"] == "2026-01-01T00:00:00Z"
    assert (listed["contract_start_date"], listed["contract_end_date"]) == (
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    )


def test_patch_can_change_the_status(api):
    created = api.new_customer()

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={"customer_status": "suspended"})

    assert response.status_code == 200
    assert response.json()["customer_status"] == "Suspended"


def test_patch_can_clear_a_nullable_field_with_null(api):
    created = api.new_customer(tax_identifier="GB1")

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={"tax_identifier": None})

    assert response.status_code == 200
    assert response.json()["tax_identifier"] is None


@pytest.mark.parametrize(
    "field, value", [("customer_id", 5), ("created", "2025-01-01"), ("last_modified", "2025-01-01")]
)
def test_patching_a_read_only_field_is_400_read_only_field(api, field, value):
    created = api.new_customer(customer_name="Acme")

    response = api.patch(
        f"/crm/customer/customer_id/{created['customer_id']}", json={"customer_name": "X", field: value}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "read_only_field"
    assert field in response.json()["message"]
    assert api.get(f"/crm/customer/customer_id/{created['customer_id']}").json()["customer_name"] == "Acme"


def test_patching_an_unknown_field_is_400(api):
    created = api.new_customer()

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={"shoe_size": 44})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"


def test_patching_customer_name_to_null_is_400(api):
    created = api.new_customer(customer_name="Acme")

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={"customer_name": None})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert api.get(f"/crm/customer/customer_id/{created['customer_id']}").json()["customer_name"] == "Acme"


@pytest.mark.parametrize(
    "field, value",
    [("customer_status", "Deleted"), ("customer_account_type", "Corporate"), ("customer_payment_type", "credit")],
)
def test_patching_an_enum_with_a_value_outside_it_is_400(api, field, value):
    created = api.new_customer()

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={field: value})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


def test_an_empty_patch_is_400(api):
    created = api.new_customer()

    response = api.patch(f"/crm/customer/customer_id/{created['customer_id']}", json={})

    assert response.status_code == 400


def test_patching_an_unknown_customer_is_404(api):
    response = api.patch("/crm/customer/customer_id/999", json={"customer_name": "Nobody"})

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_patching_the_contract_end_before_its_start_is_400(api):
    created = api.new_customer(contract_start_date="2025-06-01", contract_end_date="2026-06-01")

    response = api.patch(
        f"/crm/customer/customer_id/{created['customer_id']}", json={"contract_end_date": "2025-01-01"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_customer"


def test_creating_a_contract_that_ends_before_it_starts_is_400(api):
    response = api.put(
        "/crm/customer/",
        json={"customer_name": "Acme", "contract_start_date": "2025-06-01", "contract_end_date": "2025-01-01"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_customer"


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("2025-01-04", "2025-01-04T00:00:00Z"),
        ("2025-01-04 10:30:00", "2025-01-04T10:30:00Z"),
        ("2025-01-04T10:30:00Z", "2025-01-04T10:30:00Z"),
        ("2025-01-04T10:30:00+0000", "2025-01-04T10:30:00Z"),
        ("2025-01-04T10:30:00+00:00", "2025-01-04T10:30:00Z"),
        ("2025-01-04T12:30:00+02:00", "2025-01-04T10:30:00Z"),
    ],
)
def test_dates_are_accepted_in_every_documented_form_and_output_as_utc_z(api, sent, stored):
    created = api.new_customer(contract_start_date=sent)

    listed = api.get("/crm/customers").json()["data"][0]

    assert created["contract_start_date"] == stored
    assert listed["contract_start_date"] == stored


def test_a_date_that_is_not_a_date_is_400(api):
    response = api.put("/crm/customer/", json={"customer_name": "Acme", "contract_start_date": "next tuesday"})

    assert response.status_code == 400


def test_enum_values_are_accepted_in_any_case_and_stored_canonically(api):
    created = api.new_customer(customer_account_type="individual", customer_payment_type="PREPAID")

    assert (created["customer_account_type"], created["customer_payment_type"]) == ("Individual", "prepaid")


def test_booleans_sent_as_strings_are_coerced(api):
    created = api.new_customer(customer_enabled="false")

    assert created["customer_enabled"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"customer_account_type": "Business"},
        {"customer_name": ""},
        {"customer_name": "Acme", "customer_status": "Deleted"},
        {"customer_name": "Acme", "customer_id": 5},
        {"customer_name": "Acme", "favourite_colour": "red"},
        {"customer_name": "Acme", "contact": {"contact_email": "not-an-email"}},
        {"customer_name": "Acme", "site": {"latitude": 91}},
    ],
)
def test_a_bad_create_is_400(api, body):
    response = api.put("/crm/customer/", json=body)

    assert response.status_code == 400
    assert {"message", "code"} <= set(response.json())


def test_a_rejected_create_changes_nothing_and_publishes_nothing(api, a_customer, a_contact):
    api.new_customer(customer_name="Existing")
    published_before = api.all_published()
    recorded_before = api.app.max_notification_id()

    response = api.put("/crm/customer/", json=a_customer(contact=a_contact(contact_types=["sales"])))

    assert response.status_code == 400
    assert api.get("/crm/customers").json()["pagination"]["total_items"] == 1
    assert api.app.max_notification_id() == recorded_before
    assert api.all_published() == published_before


def test_a_create_refused_by_a_domain_rule_records_nothing(api):
    recorded_before = api.app.max_notification_id()

    response = api.put(
        "/crm/customer/",
        json={"customer_name": "Acme", "contract_start_date": "2025-06-01", "contract_end_date": "2025-01-01"},
    )

    assert response.status_code == 400
    assert api.app.max_notification_id() == recorded_before
    assert api.get("/crm/customers").json()["data"] == []


def test_deleting_a_customer_answers_success_and_archives_it(api_on_each_store):
    created = api_on_each_store.new_customer()

    response = api_on_each_store.delete(f"/crm/customer/customer_id/{created['customer_id']}")

    assert response.status_code == 200
    assert response.json() == {"result": "success"}
    stored = api_on_each_store.get(f"/crm/customer/customer_id/{created['customer_id']}")
    assert stored.status_code == 200
    assert stored.json()["customer_status"] == "Archived"


def test_deleting_an_archived_customer_again_still_succeeds(api):
    created = api.new_customer()
    api.delete(f"/crm/customer/customer_id/{created['customer_id']}")

    response = api.delete(f"/crm/customer/customer_id/{created['customer_id']}")

    assert response.json() == {"result": "success"}


def test_deleting_an_unknown_customer_is_404(api):
    response = api.delete("/crm/customer/customer_id/999")

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_every_response_carries_a_request_id(api):
    response = api.get("/crm/customers", headers={**api.auth("admin"), "X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"
