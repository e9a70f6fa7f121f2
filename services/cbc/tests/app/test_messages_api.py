"""The /crm/cbc/ endpoints (cbc.md §3, §10): good and bad input, every permission."""

from typing import Any

import pytest


def test_create_answers_200_with_the_whole_record_pending_approval(api_on_each_store, a_message) -> None:
    api = api_on_each_store
    response = api.client.put("/crm/cbc/", json=a_message(), headers=api.auth("create_cbc_message", sub=11))

    record = response.json()
    assert response.status_code == 200, response.text
    assert record["cbc_message_id"] >= 1 and len(record["cbc_unique_id"]) == 36
    assert (record["initiating_user"], record["approving_user"], record["status"]) == (11, None, "pending_approval")
    assert record["created"].endswith("Z") and record["messageIdentifier"] == "4380"
    assert record["localized_messages"] == a_message()["localized_messages"]
    assert record["tracking_areas"] == a_message()["tracking_areas"]
    assert api.standin.broadcasts() == []


def test_post_is_an_alias_of_put_and_numbers_may_arrive_as_strings(api, a_message) -> None:
    body = a_message(messageIdentifier=4370, repetitionPeriod="10", numberOfBroadcasts="999")
    body["tracking_areas"] = [{"tracking_area": 12345, "operator": " 310-410 ", "rat_type": "lte"}]
    body["localized_messages"] = [{"language": "EN", "messageBody": "Earthquake"}]

    response = api.client.post("/crm/cbc/", json=body, headers=api.auth("create_cbc_message"))

    record = response.json()
    assert response.status_code == 200, response.text
    assert (record["messageIdentifier"], record["repetitionPeriod"], record["numberOfBroadcasts"]) == ("4370", 10, 999)
    assert record["tracking_areas"] == [{"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"}]
    assert record["localized_messages"][0]["language"] == "en"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"messageIdentifier": "9999"}, "messageIdentifier"),
        ({"messageIdentifier": "abc"}, "messageIdentifier"),
        ({"repetitionPeriod": "ten"}, "repetitionPeriod"),
        ({"repetitionPeriod": True}, "repetitionPeriod"),
        ({"warningPeriodSec": 0}, "warningPeriodSec"),
        ({"channelIndicator": "premium"}, "channelIndicator"),
        ({"localized_messages": []}, "localized_messages"),
        ({"localized_messages": [{"language": "en", "messageBody": "a" * 1396}]}, "localized_messages.0.messageBody"),
        ({"localized_messages": [{"language": "en"}]}, "localized_messages.0.messageBody"),
        ({"localized_messages": [{"language": "klingon", "messageBody": "x"}]}, "localized_messages.0.language"),
        (
            {"tracking_areas": [{"tracking_area": "1", "operator": "310410", "rat_type": "LTE"}]},
            "tracking_areas.0.operator",
        ),
        ({"tracking_areas": [{"tracking_area": "1", "operator": "310-410"}]}, "tracking_areas.0.rat_type"),
    ],
)
def test_bad_content_is_400_naming_the_field_and_records_nothing(api, a_message, change, field) -> None:
    response = api.client.put("/crm/cbc/", json=a_message(**change), headers=api.auth("create_cbc_message"))
    listed = api.client.get("/crm/cbc/", headers=api.auth("view_cbc_message")).json()

    assert response.status_code == 400, response.text
    assert field in [d["field"] for d in response.json()["details"]] or field in response.json()["message"]
    assert listed["pagination"]["total_items"] == 0 and api.app.max_notification_id() == 0


def test_a_body_over_the_technical_limit_is_400_with_the_page_count(api, a_message) -> None:
    body = a_message(localized_messages=[{"language": "zh", "messageBody": "震" * 616}])

    response = api.client.put("/crm/cbc/", json=body, headers=api.auth("create_cbc_message"))

    assert response.status_code == 400
    assert "needs 16 pages in UCS-2" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "sent"}, "read_only_field"),
        ({"approving_user": 22}, "read_only_field"),
        ({"numberOfBroadcast": 5}, "unknown_field"),
    ],
)
def test_read_only_and_unknown_fields_are_refused_by_name(api, a_message, body, code) -> None:
    response = api.client.put("/crm/cbc/", json=a_message(**body), headers=api.auth("create_cbc_message"))

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert next(iter(body)) in response.json()["message"]


@pytest.mark.parametrize("body", [None, [], "text", {"messageIdentifier": "4370"}])
def test_a_missing_or_partial_create_body_is_400(api, body) -> None:
    response = api.client.put("/crm/cbc/", json=body, headers=api.auth("create_cbc_message"))

    assert response.status_code == 400, response.text


def test_get_one_answers_the_record_and_404_for_an_unknown_id(api) -> None:
    created = api.create()

    found = api.client.get(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("view_cbc_message"))
    missing = api.client.get("/crm/cbc/999999", headers=api.auth("view_cbc_message"))
    bad = api.client.get("/crm/cbc/abc", headers=api.auth("view_cbc_message"))

    assert found.status_code == 200 and found.json() == created
    assert (missing.status_code, missing.json()["code"]) == (404, "cbc_message_not_found")
    assert bad.status_code == 400


def test_the_list_filters_by_status_and_created_range_newest_first(api_on_each_store) -> None:
    api = api_on_each_store
    first, second = api.create(), api.create()
    api.approve(first["cbc_message_id"])
    view = api.auth("view_cbc_message")

    everything = api.client.get("/crm/cbc/", headers=view).json()
    sent = api.client.get("/crm/cbc/", params={"filters": '{"status": ["sent"]}'}, headers=view).json()
    later = api.client.get("/crm/cbc/", params={"filters": '{"created_from": ["2999-01-01"]}'}, headers=view).json()
    earlier = api.client.get("/crm/cbc/", params={"filters": '{"created_before": ["2999-01-01"]}'}, headers=view)

    assert [m["cbc_message_id"] for m in everything["data"]] == [second["cbc_message_id"], first["cbc_message_id"]]
    assert [m["cbc_message_id"] for m in sent["data"]] == [first["cbc_message_id"]]
    assert later["pagination"]["total_items"] == 0 and earlier.json()["pagination"]["total_items"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"filters": '{"colour": ["red"]}'},
        {"filters": '{"created_from": ["yesterday"]}'},
        {"filters": '{"created_from": ["2025-01-01", "2025-02-01"]}'},
        {"filters": '{"initiating_user": ["me"]}'},
        {"filters": "not json"},
        {"sort": "secret"},
        {"per_page": 0},
    ],
)
def test_bad_list_parameters_are_400(api, params: dict[str, Any]) -> None:
    response = api.client.get("/crm/cbc/", params=params, headers=api.auth("view_cbc_message"))

    assert response.status_code == 400, response.text


def test_the_list_pages_sorts_and_searches(api, a_message) -> None:
    for category in ("emergency", "test", "weather"):
        api.create(a_message(category=category))
    view = api.auth("view_cbc_message")

    page = api.client.get("/crm/cbc/", params={"per_page": 2, "sort": "cbc_message_id", "order": "asc"}, headers=view)
    found = api.client.get("/crm/cbc/", params={"search": "WEATH"}, headers=view).json()

    assert [m["category"] for m in page.json()["data"]] == ["emergency", "test"]
    assert page.json()["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert [m["category"] for m in found["data"]] == ["weather"]


def test_patch_changes_content_and_clears_an_approval(api_on_each_store) -> None:
    api = api_on_each_store
    created = api.create()
    api.approve(created["cbc_message_id"])
    change = {
        "numberOfBroadcasts": 500,
        "localized_messages": [{"language": "en", "messageBody": "UPDATED: Earthquake warning still in effect"}],
    }

    response = api.client.patch(
        f"/crm/cbc/{created['cbc_message_id']}", json=change, headers=api.auth("update_cbc_message")
    )

    record = response.json()
    assert response.status_code == 200, response.text
    assert (record["status"], record["approving_user"], record["numberOfBroadcasts"]) == ("pending_approval", None, 500)
    assert record["localized_messages"] == change["localized_messages"] and record["sent_at"] is not None
    assert api.history(created["cbc_message_id"])[-1] == "CbcMessageUpdated"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"numberOfBroadcasts": None}, 400),
        ({"numberOfBroadcasts": -5}, 400),
        ({"cbc_unique_id": "x"}, 400),
        ({"localized_messages": [{"language": "en", "messageBody": "€" * 691}]}, 400),
    ],
)
def test_a_bad_patch_is_400_and_changes_nothing(api, body, status) -> None:
    created = api.create()

    response = api.client.patch(
        f"/crm/cbc/{created['cbc_message_id']}", json=body, headers=api.auth("update_cbc_message")
    )

    assert response.status_code == status, response.text
    assert api.get(created["cbc_message_id"]) == created


def test_patch_of_an_unknown_message_is_404_and_of_a_cancelled_one_409(api) -> None:
    created = api.create()
    api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))
    update = api.auth("update_cbc_message")

    missing = api.client.patch("/crm/cbc/999999", json={"numberOfBroadcasts": 5}, headers=update)
    cancelled = api.client.patch(
        f"/crm/cbc/{created['cbc_message_id']}", json={"numberOfBroadcasts": 5}, headers=update
    )

    assert missing.status_code == 404
    assert (cancelled.status_code, cancelled.json()["code"]) == (409, "cbc_message_cancelled")


def test_delete_cancels_keeps_the_record_and_repeating_it_changes_nothing(api_on_each_store) -> None:
    api = api_on_each_store
    created = api.create()
    delete = api.auth("delete_cbc_message", sub=11)

    first = api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=delete)
    again = api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=delete)
    missing = api.client.delete("/crm/cbc/999999", headers=delete)

    assert first.status_code == 200 and first.json()["result"] == "success"
    assert (first.json()["status"], first.json()["cancel_status"]) == ("cancelled", None)  # never at the CBC
    assert again.status_code == 200 and missing.status_code == 404
    assert api.get(created["cbc_message_id"])["deleted_at"] is not None
    assert api.history(created["cbc_message_id"]) == ["CbcMessageCreated", "CbcMessageCancelled"]


def test_the_history_names_each_step_and_who_took_it(api) -> None:
    created = api.create()
    api.approve(created["cbc_message_id"])

    history = api.client.get(f"/crm/cbc/{created['cbc_message_id']}/history", headers=api.auth("view_cbc_message"))

    entries = history.json()
    assert [e["event"] for e in entries] == [
        "CbcMessageCreated",
        "CbcMessageApproved",
        "CbcSubmissionAttempted",
        "CbcMessageSubmittedToCbc",
    ]
    assert [e["version"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["actor"]["user_id"] == 11 and entries[1]["actor"]["user_id"] == 22
    assert entries[0]["details"]["messageIdentifier"] == "4380"
    assert entries[1]["details"]["second_factor"] == "step_up_token" and entries[1]["details"]["approving_user"] == 22
    assert entries[3]["details"]["confirmed_by"] == "send" and entries[3]["details"]["http_status"] == 201
    assert api.client.get("/crm/cbc/999999/history", headers=api.auth("view_cbc_message")).status_code == 404


def test_validate_measures_texts_as_they_would_be_broadcast(api) -> None:
    body = {
        "localized_messages": [
            {"language": "en", "messageBody": "Flood {warning}"},
            {"language": "zh", "messageBody": "震" * 616},
        ]
    }

    response = api.client.post("/crm/cbc/validate", json=body, headers=api.auth("create_cbc_message"))

    english, chinese = response.json()["localized_messages"]
    assert response.status_code == 200 and response.json()["ok"] is False
    assert (english["encoding"], english["characters"], english["units"], english["pages"], english["ok"]) == (
        "GSM7",
        15,
        17,
        1,
        True,
    )
    assert (chinese["encoding"], chinese["pages"], chinese["units_per_page"], chinese["ok"]) == ("UCS2", 16, 41, False)
    assert len(chinese["problems"]) == 2  # 16 pages, and over the 500-character policy
    assert api.client.post("/crm/cbc/validate", json={}, headers=api.auth("create_cbc_message")).status_code == 400


def test_message_identifiers_lists_the_table_with_the_test_ones_marked(api) -> None:
    response = api.client.get("/crm/cbc/message_identifiers", headers=api.auth("view_cbc_message"))

    table = {row["messageIdentifier"]: row for row in response.json()}
    assert response.status_code == 200
    assert table["4370"] == {
        "messageIdentifier": "4370",
        "system": "CMAS",
        "label": "Presidential Level Alert",
        "test": False,
    }
    assert table["4380"]["test"] is True and table["4379"]["test"] is False and table["4352"]["system"] == "ETWS"


ENDPOINTS = [
    ("PUT", "/crm/cbc/", "create_cbc_message"),
    ("POST", "/crm/cbc/", "create_cbc_message"),
    ("GET", "/crm/cbc/", "view_cbc_message"),
    ("GET", "/crm/cbc/message_identifiers", "view_cbc_message"),
    ("POST", "/crm/cbc/validate", "create_cbc_message"),
    ("GET", "/crm/cbc/{id}", "view_cbc_message"),
    ("GET", "/crm/cbc/{id}/history", "view_cbc_message"),
    ("PATCH", "/crm/cbc/{id}", "update_cbc_message"),
    ("DELETE", "/crm/cbc/{id}", "delete_cbc_message"),
    ("POST", "/crm/cbc/{id}/approve", "approve_cbc_message"),
    ("POST", "/crm/cbc/{id}/retry", "approve_cbc_message"),
]


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS)
def test_every_endpoint_needs_its_permission(api, method: str, path: str, permission: str) -> None:
    created = api.create()
    url = path.replace("{id}", str(created["cbc_message_id"]))
    others = [p for _, _, p in ENDPOINTS if p != permission] + ["view_customer"]
    body = None if method in ("GET", "DELETE") else {}

    anonymous = api.client.request(method, url, json=body)
    without = api.client.request(method, url, json=body, headers=api.auth(*others, sub=OTHER_USER))
    step_up = {"X-Step-Up-Token": api.step_up(OTHER_USER)} if path.endswith("/approve") else {}
    with_it = api.client.request(method, url, json=body, headers=api.auth(permission, sub=OTHER_USER) | step_up)

    assert anonymous.status_code == 401
    assert without.status_code == 403 and "requires " + permission in without.json()["message"]
    assert with_it.status_code not in (401, 403), with_it.text


OTHER_USER = 33


def test_the_uppercase_permission_names_of_the_reference_resolve(api, a_message) -> None:
    response = api.client.put("/crm/cbc/", json=a_message(), headers=api.auth("CREATE_CBC_MESSAGE"))

    assert response.status_code == 200
