"""Customer tag endpoints over HTTP (customers.md §2.5, §3, §4.3; D41 default window, D7 space-form dates)."""

from datetime import UTC, datetime, timedelta

import pytest

PERMS = ("view_customer_tag", "create_customer_tag", "update_customer_tag", "delete_customer_tag")


def a_tag(customer_id, **overrides):
    return {
        "customer_id": customer_id,
        "tag_text": "Open Support Ticket",
        "tag_hex_color": "FFD700",
        "tag_link": "https://tickets.example.com/T-42",
        "tag_active_date": "2025-01-04 10:30:00",
        "tag_deactivate_date": "2099-12-31 23:59:59",
        **overrides,
    }


def space(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def test_creating_a_tag_returns_it_with_its_id(api_on_each_store):
    customer = api_on_each_store.new_customer()

    response = api_on_each_store.put("/crm/tag/", json=a_tag(customer["customer_id"]))

    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["tag_id"], int)
    assert (body["tag_text"], body["tag_hex_color"], body["tag_link"]) == (
        "Open Support Ticket",
        "FFD700",
        "https://tickets.example.com/T-42",
    )
    assert (body["tag_active_date"], body["tag_deactivate_date"]) == ("2025-01-04 10:30:00", "2099-12-31 23:59:59")
    assert body["tag_active"] is True


def test_post_is_an_alias_of_put_for_tags(api):
    customer = api.new_customer()

    assert api.post("/crm/tag/", json=a_tag(customer["customer_id"])).status_code == 200


def test_omitted_dates_default_to_now_and_2099(api):
    customer = api.new_customer()
    body = a_tag(customer["customer_id"])
    del body["tag_active_date"], body["tag_deactivate_date"]

    created = api.put("/crm/tag/", json=body).json()

    assert created["tag_deactivate_date"] == "2099-01-01 00:00:00"
    assert abs(datetime.fromisoformat(created["tag_active_date"] + "+00:00") - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_lowercase_colour_is_stored_in_capitals(api):
    customer = api.new_customer()

    assert (
        api.put("/crm/tag/", json=a_tag(customer["customer_id"], tag_hex_color="ff0000")).json()["tag_hex_color"]
        == "FF0000"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"tag_hex_color": "#FFD700"},
        {"tag_hex_color": "FFD70"},
        {"tag_hex_color": "GGGGGG"},
        {"tag_hex_color": None},
        {"tag_text": ""},
        {"tag_text": None},
        {"tag_link": "javascript:alert(1)"},
        {"tag_link": "not a url"},
        {"tag_active_date": "someday"},
        {"tag_deactivate_date": "2020-01-01 00:00:00"},
        {"colour": "red"},
    ],
)
def test_bad_tags_are_refused_with_400(api, change):
    customer = api.new_customer()

    response = api.put("/crm/tag/", json=a_tag(customer["customer_id"], **change))

    assert response.status_code == 400, response.text
    assert api.get(f"/crm/tag/customer_id/{customer['customer_id']}").json() == []


def test_a_tag_of_an_unknown_customer_is_404(api):
    assert api.put("/crm/tag/", json=a_tag(999999)).status_code == 404


def test_a_tag_shows_only_inside_its_window(api_on_each_store):
    customer = api_on_each_store.new_customer()
    now = datetime.now(UTC)
    window = {
        "current": (now - timedelta(days=1), now + timedelta(days=1)),
        "future": (now + timedelta(days=1), now + timedelta(days=2)),
        "expired": (now - timedelta(days=2), now - timedelta(days=1)),
    }
    ids = {}
    for text, (start, end) in window.items():
        body = a_tag(
            customer["customer_id"], tag_text=text, tag_active_date=space(start), tag_deactivate_date=space(end)
        )
        ids[text] = api_on_each_store.put("/crm/tag/", json=body).json()["tag_id"]
    base = f"/crm/tag/customer_id/{customer['customer_id']}"

    everything = api_on_each_store.get(base).json()
    shown = api_on_each_store.get(base, params={"active_only": "true"}).json()

    assert [t["tag_id"] for t in everything] == [ids["current"], ids["future"], ids["expired"]]
    assert [t["tag_active"] for t in everything] == [True, False, False]
    assert [t["tag_id"] for t in shown] == [ids["current"]]


def test_updating_a_tag_changes_only_the_fields_sent(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.put("/crm/tag/", json=a_tag(customer["customer_id"])).json()

    response = api_on_each_store.patch(
        f"/crm/tag/tag_id/{created['tag_id']}", json={"tag_text": "Updated Tag Text", "tag_hex_color": "FF0000"}
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["tag_text"], body["tag_hex_color"], body["tag_link"]) == (
        "Updated Tag Text",
        "FF0000",
        created["tag_link"],
    )
    assert api_on_each_store.get(f"/crm/tag/customer_id/{customer['customer_id']}").json() == [body]


def test_a_tag_link_can_be_cleared_with_null(api):
    customer = api.new_customer()
    created = api.put("/crm/tag/", json=a_tag(customer["customer_id"])).json()

    assert api.patch(f"/crm/tag/tag_id/{created['tag_id']}", json={"tag_link": None}).json()["tag_link"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tag_hex_color": "#000000"},
        {"tag_text": None},
        {"tag_id": 3},
        {"customer_id": 3},
        {"tag_deactivate_date": "2000-01-01"},
    ],
)
def test_bad_tag_patches_are_400(api, body):
    customer = api.new_customer()
    created = api.put("/crm/tag/", json=a_tag(customer["customer_id"])).json()

    response = api.patch(f"/crm/tag/tag_id/{created['tag_id']}", json=body)

    assert response.status_code == 400
    assert api.get(f"/crm/tag/tag_id/{created['tag_id']}").json() == created


def test_deleting_a_tag(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.put("/crm/tag/", json=a_tag(customer["customer_id"])).json()

    response = api_on_each_store.delete(f"/crm/tag/tag_id/{created['tag_id']}")

    assert (response.status_code, response.json()) == (200, {"result": "success"})
    assert api_on_each_store.get(f"/crm/tag/customer_id/{customer['customer_id']}").json() == []
    assert api_on_each_store.delete(f"/crm/tag/tag_id/{created['tag_id']}").status_code == 404


def test_an_unknown_tag_is_404(api):
    assert api.get("/crm/tag/tag_id/999999").status_code == 404
    assert api.patch("/crm/tag/tag_id/999999", json={"tag_text": "x"}).status_code == 404


@pytest.mark.parametrize(
    "method, path, needed",
    [
        ("PUT", "/crm/tag/", "create_customer_tag"),
        ("GET", "/crm/tag/customer_id/{customer_id}", "view_customer_tag"),
        ("GET", "/crm/tag/tag_id/{id}", "view_customer_tag"),
        ("PATCH", "/crm/tag/tag_id/{id}", "update_customer_tag"),
        ("DELETE", "/crm/tag/tag_id/{id}", "delete_customer_tag"),
    ],
)
def test_each_tag_endpoint_needs_its_permission(api, method, path, needed):
    customer = api.new_customer()
    created = api.put("/crm/tag/", json=a_tag(customer["customer_id"])).json()
    url = path.format(id=created["tag_id"], customer_id=customer["customer_id"])
    body = {"tag_text": "x"} if method == "PATCH" else a_tag(customer["customer_id"])

    denied = api.request(method, url, json=body, headers=api.auth(*(p for p in PERMS if p != needed)))
    allowed = api.request(method, url, json=body, headers=api.auth(needed))

    assert denied.status_code == 403
    assert allowed.status_code == 200, allowed.text
