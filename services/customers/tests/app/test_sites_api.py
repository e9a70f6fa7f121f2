"""Site endpoints over HTTP (customers.md §2.3, §3; D42: coordinates in as numbers or strings, out as strings)."""

import pytest


def test_creating_a_site_returns_200_with_the_stored_site(api_on_each_store, a_site):
    customer = api_on_each_store.new_customer()

    response = api_on_each_store.put("/crm/site/", json=a_site(customer_id=customer["customer_id"]))

    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["site_id"], int)
    assert body["customer_id"] == customer["customer_id"]
    assert body["address_line_1"] == "10 Downing Street"
    assert body["address_line_2"] == "Flat 2"
    assert (body["city"], body["state"], body["zip_code"], body["country"]) == (
        "London",
        "England",
        "SW1A 2AA",
        "United Kingdom",
    )
    assert (body["latitude"], body["longitude"]) == ("51.5034", "-0.1276")
    assert body["plus_code"] == "9C3XGV3C+CW"
    assert body["google_maps_place_id"] == "ChIJdd4hrwug2EcRmSrV3Vo6llI"
    assert body["address_source"] == "google"


def test_post_is_an_alias_of_put_for_creating_a_site(api, a_site):
    customer = api.new_customer()

    response = api.post("/crm/site/", json=a_site(customer_id=customer["customer_id"]))

    assert response.status_code == 200


def test_a_new_site_is_listed_right_after_it_is_created(api_on_each_store, a_site):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.put("/crm/site/", json=a_site(customer_id=customer["customer_id"], city="Leeds")).json()

    listed = api_on_each_store.get(f"/crm/site/customer_id/{customer['customer_id']}")

    assert [s["site_id"] for s in listed.json()] == [created["site_id"]]
    assert listed.json()[0]["city"] == "Leeds"


def test_sites_of_a_customer_are_a_bare_array_as_playbooks_read_it(api_on_each_store):
    customer = api_on_each_store.new_customer()
    api_on_each_store.new_site(customer["customer_id"], address_line_1="1 George Street", city="Sydney", state="NSW")

    sites = api_on_each_store.get(f"/crm/site/customer_id/{customer['customer_id']}").json()

    assert isinstance(sites, list)
    assert (sites[0]["address_line_1"], sites[0]["city"], sites[0]["state"]) == ("1 George Street", "Sydney", "NSW")
    assert (sites[0]["latitude"], sites[0]["longitude"]) == ("51.5034", "-0.1276")


@pytest.mark.parametrize(
    "latitude, longitude, expected",
    [
        (51.5074, -0.1278, ("51.5074", "-0.1278")),
        ("-33.8688", "151.2093", ("-33.8688", "151.2093")),
        (" 10.5 ", 0, ("10.5", "0")),
        (90, -180, ("90", "-180")),
    ],
)
def test_coordinates_sent_as_numbers_or_strings_are_emitted_as_strings(api, a_site, latitude, longitude, expected):
    customer = api.new_customer()

    created = api.put(
        "/crm/site/", json=a_site(customer_id=customer["customer_id"], latitude=latitude, longitude=longitude)
    ).json()
    listed = api.get(f"/crm/site/customer_id/{customer['customer_id']}").json()[0]
    one = api.get(f"/crm/site/site_id/{created['site_id']}").json()

    assert (created["latitude"], created["longitude"]) == expected
    assert (listed["latitude"], listed["longitude"]) == expected
    assert (one["latitude"], one["longitude"]) == expected


def test_a_site_without_coordinates_has_null_coordinates(api, a_site):
    customer = api.new_customer()

    created = api.new_site(customer["customer_id"], latitude=None, longitude="")

    assert (created["latitude"], created["longitude"]) == (None, None)


@pytest.mark.parametrize(
    "field, value",
    [
        ("latitude", 90.0001),
        ("latitude", "-91"),
        ("longitude", 180.5),
        ("latitude", "north"),
        ("latitude", True),
        ("latitude", "NaN"),
    ],
)
def test_coordinates_out_of_range_or_not_numbers_are_400(api, a_site, field, value):
    customer = api.new_customer()

    response = api.put("/crm/site/", json=a_site(customer_id=customer["customer_id"], **{field: value}))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


@pytest.mark.parametrize("plus_code", ["hello", "8C3MFJV82F", "8C3MFJV8+2FAB", "AAAAAAAA+AA"])
def test_a_bad_plus_code_is_400(api, a_site, plus_code):
    customer = api.new_customer()

    response = api.put("/crm/site/", json=a_site(customer_id=customer["customer_id"], plus_code=plus_code))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "plus_code"


def test_a_plus_code_is_stored_upper_case(api):
    customer = api.new_customer()

    created = api.new_site(customer["customer_id"], plus_code="8c3mfjv8+2f")

    assert created["plus_code"] == "8C3MFJV8+2F"


def test_an_unknown_address_source_is_400(api, a_site):
    customer = api.new_customer()

    response = api.put("/crm/site/", json=a_site(customer_id=customer["customer_id"], address_source="satellite"))

    assert response.status_code == 400


def test_adding_a_site_to_an_unknown_customer_is_404(api, a_site):
    response = api.put("/crm/site/", json=a_site(customer_id=999))

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_a_customer_without_sites_lists_an_empty_array(api):
    customer = api.new_customer()

    response = api.get(f"/crm/site/customer_id/{customer['customer_id']}")

    assert response.status_code == 200
    assert response.json() == []


def test_reading_an_unknown_site_is_404(api):
    response = api.get("/crm/site/site_id/999")

    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"


def test_patching_a_site_changes_only_the_given_fields(api_on_each_store):
    customer = api_on_each_store.new_customer()
    site = api_on_each_store.new_site(customer["customer_id"])

    response = api_on_each_store.patch(
        f"/crm/site/site_id/{site['site_id']}", json={"latitude": 51.5, "city": "Westminster"}
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["latitude"], body["city"]) == ("51.5", "Westminster")
    assert body["longitude"] == site["longitude"]
    listed = api_on_each_store.get(f"/crm/site/customer_id/{customer['customer_id']}").json()[0]
    assert (listed["latitude"], listed["city"]) == ("51.5", "Westminster")


@pytest.mark.parametrize("field", ["site_id", "customer_id", "last_modified"])
def test_patching_a_read_only_site_field_is_400(api, field):
    customer = api.new_customer()
    site = api.new_site(customer["customer_id"])

    response = api.patch(f"/crm/site/site_id/{site['site_id']}", json={field: 2})

    assert response.status_code == 400
    assert response.json()["code"] == "read_only_field"


def test_patching_a_site_with_an_out_of_range_latitude_is_400_and_keeps_it(api):
    customer = api.new_customer()
    site = api.new_site(customer["customer_id"])

    response = api.patch(f"/crm/site/site_id/{site['site_id']}", json={"latitude": 123})

    assert response.status_code == 400
    assert api.get(f"/crm/site/site_id/{site['site_id']}").json()["latitude"] == site["latitude"]


def test_patching_an_unknown_site_is_404(api):
    response = api.patch("/crm/site/site_id/999", json={"city": "Nowhere"})

    assert response.status_code == 404


def test_deleting_a_site_answers_success_and_removes_it(api_on_each_store):
    customer = api_on_each_store.new_customer()
    site = api_on_each_store.new_site(customer["customer_id"])

    response = api_on_each_store.delete(f"/crm/site/site_id/{site['site_id']}")

    assert response.json() == {"result": "success"}
    assert api_on_each_store.get(f"/crm/site/customer_id/{customer['customer_id']}").json() == []
    assert api_on_each_store.get(f"/crm/site/site_id/{site['site_id']}").status_code == 404


def test_deleting_an_unknown_site_is_404(api):
    response = api.delete("/crm/site/site_id/999")

    assert response.status_code == 404
    assert response.json()["code"] == "site_not_found"
