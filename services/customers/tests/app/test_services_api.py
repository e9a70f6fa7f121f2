"""Service record endpoints over HTTP (customers.md §2.6, §3, §4.4-§4.6; D2, D3, D37, D50, D51, D52, D75)."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from omnibus.customers.domain.errors import ServiceUuidTakenError

FULL_PERMS = ("view_customer_service", "create_customer_service", "update_customer_service", "delete_customer_service")


def test_a_playbook_creates_a_service_and_gets_200_with_the_stored_record(api_on_each_store, a_service):
    customer = api_on_each_store.new_customer()
    body = a_service(customer_id=customer["customer_id"], service_uuid="Local_Mobile_SIM_a3f2c1d8")

    response = api_on_each_store.put("/crm/service/", json=body)

    record = response.json()
    assert response.status_code == 200
    assert isinstance(record["service_id"], int)
    assert record["customer_id"] == customer["customer_id"]
    assert (record["service_uuid"], record["service_status"], record["service_type"]) == (
        "Local_Mobile_SIM_a3f2c1d8",
        "Active",
        "mobile",
    )
    assert (record["retail_cost"], record["wholesale_cost"]) == (30.0, 5.0)
    assert (record["service_billed"], record["service_taxable"], record["invoiced"]) == (True, True, False)
    assert record["service_visible_to_customer"] is True
    assert record["service_usage_visible_to_customer"] is True
    assert record["service_provisioned_date"] == "2025-01-04T10:30:00Z"
    assert record["provisioning_play"] == "play_psim_only"
    assert json.loads(record["provisioning_json_vars"]) == {"imsi": "001010000000001"}
    assert record["created"].endswith("Z")


def test_the_record_has_every_field_of_the_spec(api, a_service):
    customer = api.new_customer()

    record = api.new_service(customer["customer_id"])

    expected = {
        "service_id", "customer_id", "product_id", "site_id", "service_name", "service_type", "service_uuid", "icon",
        "service_status", "service_provisioned_date", "service_active_date", "service_deactivate_date",
        "contract_end_date", "retail_cost", "wholesale_cost", "service_billed", "service_taxable", "invoiced",
        "promo_code", "service_visible_to_customer", "service_usage_visible_to_customer", "provisioning_play",
        "provisioning_json_vars", "deprovisioning_play", "deprovisioning_json_vars", "bundled_parent",
        "service_notes", "created", "last_modified",
    }  # fmt: skip
    assert set(record) == expected


def test_post_is_an_alias_of_put_for_creating_a_service(api, a_service):
    customer = api.new_customer()

    response = api.post("/crm/service/", json=a_service(customer_id=customer["customer_id"]))

    assert response.status_code == 200


def test_numbers_and_booleans_rendered_as_strings_by_templates_are_accepted(api, a_service):
    customer = api.new_customer()
    body = a_service(
        customer_id=str(customer["customer_id"]), retail_cost="45.5", wholesale_cost="12", service_billed="false"
    )

    record = api.put("/crm/service/", json=body).json()

    assert (record["retail_cost"], record["wholesale_cost"], record["service_billed"]) == (45.5, 12.0, False)


def test_a_duplicate_service_uuid_is_refused_with_409_and_changes_nothing(api_on_each_store, a_service):
    customer = api_on_each_store.new_customer()
    api_on_each_store.new_service(customer["customer_id"], service_uuid="Service_abc123")

    response = api_on_each_store.put(
        "/crm/service/", json=a_service(customer_id=customer["customer_id"], service_uuid="Service_abc123")
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_service_uuid"
    listed = api_on_each_store.get(
        "/crm/service/", params={"filters": json.dumps({"customer_id": [customer["customer_id"]]})}
    )
    assert listed.json()["pagination"]["total_items"] == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"customer_id": None}, "customer_id"),
        ({"service_name": ""}, "service_name"),
        ({"service_uuid": "has space"}, "service_uuid"),
        ({"service_uuid": "Service__double"}, "service_uuid"),
        ({"service_uuid": "x" * 65}, "service_uuid"),
        ({"service_status": "Deactivated"}, "service_status"),
        ({"service_status": "Running"}, "service_status"),
        ({"retail_cost": "thirty"}, "retail_cost"),
        ({"retail_cost": -1}, "retail_cost"),
        ({"wholesale_cost": True}, "wholesale_cost"),
        ({"service_billed": "maybe"}, "service_billed"),
        ({"service_deactivate_date": "next week"}, "service_deactivate_date"),
        ({"invoiced": True}, "invoiced"),
        ({"service_id": 5}, "service_id"),
        ({"provisioning_json_vars": 42}, "provisioning_json_vars"),
    ],
)
def test_bad_service_bodies_are_refused_with_400(api, a_service, change, field):
    customer = api.new_customer()

    response = api.put("/crm/service/", json=a_service(**{"customer_id": customer["customer_id"], **change}))

    assert response.status_code == 400, response.text
    assert field in response.text


def test_an_unknown_service_type_is_refused_with_400(api, a_service):
    customer = api.new_customer()

    response = api.put("/crm/service/", json=a_service(customer_id=customer["customer_id"], service_type="teleport"))

    assert response.status_code == 400
    assert "service_type" in response.json()["message"]


def test_a_service_of_an_unknown_customer_is_404(api, a_service):
    response = api.put("/crm/service/", json=a_service(customer_id=999999))

    assert response.status_code == 404


def test_a_site_or_bundle_parent_of_another_customer_is_refused(api, a_service):
    mine, other = api.new_customer(), api.new_customer(customer_name="Other")
    other_site = api.new_site(other["customer_id"])
    other_service = api.new_service(other["customer_id"])

    by_site = api.put("/crm/service/", json=a_service(customer_id=mine["customer_id"], site_id=other_site["site_id"]))
    by_parent = api.put(
        "/crm/service/", json=a_service(customer_id=mine["customer_id"], bundled_parent=other_service["service_id"])
    )

    assert (by_site.status_code, by_parent.status_code) == (400, 400)


def test_a_bundle_child_names_its_parent(api):
    customer = api.new_customer()
    parent = api.new_service(customer["customer_id"])
    site = api.new_site(customer["customer_id"])

    child = api.new_service(customer["customer_id"], bundled_parent=parent["service_id"], site_id=site["site_id"])

    assert (child["bundled_parent"], child["site_id"]) == (parent["service_id"], site["site_id"])


def test_access_tokens_are_not_stored_with_the_play_variables(api):
    customer = api.new_customer()
    play_vars = {"imsi": "001", "access_token": "eyJsecret", "refresh_token": "r"}

    record = api.new_service(customer["customer_id"], provisioning_json_vars=json.dumps(play_vars))

    assert json.loads(record["provisioning_json_vars"]) == {"imsi": "001"}


def test_both_read_paths_return_the_record(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.new_service(customer["customer_id"])

    stored = api_on_each_store.get(f"/crm/service/service_id/{created['service_id']}")
    live = api_on_each_store.get(f"/crm/service/{created['service_id']}")

    assert stored.status_code == live.status_code == 200
    assert stored.json() == created
    assert "cgrates" not in stored.json()
    assert {k: v for k, v in live.json().items() if not k.startswith("cgrates")} == created
    assert live.json()["cgrates"] is None and live.json()["cgrates_error"]


def test_the_uuid_lookup_finds_the_service_and_answers_404_when_none(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.new_service(customer["customer_id"], service_uuid="Service_9f8e7d6c")

    found = api_on_each_store.get("/crm/service/service_uuid/Service_9f8e7d6c")
    missing = api_on_each_store.get("/crm/service/service_uuid/Service_00000000")

    assert (found.status_code, found.json()["service_id"]) == (200, created["service_id"])
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/crm/service/999999", "/crm/service/service_id/999999"])
def test_an_unknown_service_is_404(api, path):
    assert api.get(path).status_code == 404
    assert api.patch(path, json={"service_notes": "x"}).status_code == 404
    assert api.delete(path).status_code == 404


def test_a_top_up_extends_the_expiry_and_reactivates(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.new_service(customer["customer_id"], service_status="Suspended")
    new_expiry = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+0000")

    response = api_on_each_store.patch(
        f"/crm/service/{created['service_id']}",
        json={"service_deactivate_date": new_expiry, "service_status": "Active"},
    )

    assert response.status_code == 200
    assert response.json()["service_status"] == "Active"
    assert response.json()["service_deactivate_date"] == new_expiry.replace("+0000", "Z")
    assert api_on_each_store.get(f"/crm/service/service_id/{created['service_id']}").json() == response.json()


def test_deprovisioning_deactivates_through_the_service_id_path(api):
    customer = api.new_customer()
    created = api.new_service(customer["customer_id"])

    response = api.patch(
        f"/crm/service/service_id/{created['service_id']}",
        json={"service_status": "Deactivated", "service_deactivate_date": "2025-06-01 00:00:00"},
    )

    assert response.status_code == 200
    assert response.json()["service_status"] == "Deactivated"
    assert response.json()["service_deactivate_date"] == "2025-06-01T00:00:00Z"


def test_a_deactivated_service_cannot_be_reactivated(api):
    customer = api.new_customer()
    created = api.new_service(customer["customer_id"])
    api.patch(f"/crm/service/{created['service_id']}", json={"service_status": "Deactivated"})

    response = api.patch(f"/crm/service/{created['service_id']}", json={"service_status": "Active"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_status_transition"


@pytest.mark.parametrize(
    "field, value",
    [
        ("service_uuid", "Other_1"),
        ("customer_id", 2),
        ("product_id", 3),
        ("invoiced", True),
        ("provisioning_play", "x"),
        ("provisioning_json_vars", "{}"),
        ("deprovisioning_play", "x"),
        ("bundled_parent", 1),
        ("service_provisioned_date", "2025-01-01"),
        ("created", "2025-01-01"),
        ("service_id", 1),
    ],
)
def test_patching_a_read_only_field_is_400_and_changes_nothing(api, field, value):
    customer = api.new_customer()
    created = api.new_service(customer["customer_id"])

    response = api.patch(f"/crm/service/{created['service_id']}", json={field: value, "service_notes": "changed"})

    assert response.status_code == 400
    assert response.json()["code"] == "read_only_field"
    assert api.get(f"/crm/service/service_id/{created['service_id']}").json() == created


def test_every_editable_field_can_be_patched(api):
    customer = api.new_customer()
    site = api.new_site(customer["customer_id"])
    created = api.new_service(customer["customer_id"])
    changes = {
        "site_id": site["site_id"],
        "service_name": "Mobile - +44 7700 900123",
        "service_type": "voip",
        "icon": "fa-solid fa-sim-card",
        "service_active_date": "2025-01-05T00:00:00Z",
        "service_deactivate_date": "2025-02-05T00:00:00Z",
        "contract_end_date": "2026-01-05T00:00:00Z",
        "retail_cost": 45.5,
        "wholesale_cost": 10,
        "service_billed": False,
        "service_taxable": False,
        "promo_code": "WINTER",
        "service_visible_to_customer": False,
        "service_usage_visible_to_customer": False,
        "service_notes": "moved to VoIP",
    }

    updated = api.patch(f"/crm/service/{created['service_id']}", json=changes).json()

    assert {k: updated[k] for k in changes} == changes


@pytest.mark.parametrize(
    "body", [{}, [], {"service_name": None}, {"retail_cost": "x"}, {"service_type": "teleport"}, {"colour": "red"}]
)
def test_bad_patches_are_400(api, body):
    customer = api.new_customer()
    created = api.new_service(customer["customer_id"])

    response = api.patch(f"/crm/service/{created['service_id']}", json=body)

    assert response.status_code == 400


def test_delete_removes_the_service_and_frees_its_uuid(api_on_each_store):
    customer = api_on_each_store.new_customer()
    created = api_on_each_store.new_service(customer["customer_id"], service_uuid="Rollback_1")

    response = api_on_each_store.delete(f"/crm/service/service_id/{created['service_id']}")

    assert (response.status_code, response.json()) == (200, {"result": "success"})
    assert api_on_each_store.get(f"/crm/service/service_id/{created['service_id']}").status_code == 404
    assert api_on_each_store.get("/crm/service/service_uuid/Rollback_1").status_code == 404
    assert (
        api_on_each_store.new_service(customer["customer_id"], service_uuid="Rollback_1")["service_id"]
        != created["service_id"]
    )


def test_delete_on_the_short_path_works_too(api):
    customer = api.new_customer()
    created = api.new_service(customer["customer_id"])

    assert api.delete(f"/crm/service/{created['service_id']}").json() == {"result": "success"}


def test_the_service_list_pages_filters_and_names_the_customer(api_on_each_store):
    customer = api_on_each_store.new_customer(customer_name="Paging Ltd")
    ids = [api_on_each_store.new_service(customer["customer_id"])["service_id"] for _ in range(3)]
    api_on_each_store.new_service(customer["customer_id"], service_type="iptv", service_status="Suspended")
    filters = json.dumps({"customer_id": [customer["customer_id"]], "service_type": ["mobile"]})

    page = api_on_each_store.get(
        "/crm/service/", params={"filters": filters, "per_page": 2, "page": 2, "sort": "service_id", "order": "asc"}
    ).json()

    assert page["pagination"] == {"current_page": 2, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert [s["service_id"] for s in page["data"]] == ids[2:]
    assert page["data"][0]["customer_name"] == "Paging Ltd"


def test_the_inactive_tab_shows_inactive_and_deactivated_services(api):
    customer = api.new_customer()
    inactive = api.new_service(customer["customer_id"], service_status="Inactive")
    gone = api.new_service(customer["customer_id"])
    api.patch(f"/crm/service/{gone['service_id']}", json={"service_status": "Deactivated"})
    api.new_service(customer["customer_id"])
    filters = json.dumps({"customer_id": [customer["customer_id"]], "service_status": ["Inactive"]})

    listed = api.get("/crm/service/", params={"filters": filters}).json()["data"]

    assert {s["service_id"] for s in listed} == {inactive["service_id"], gone["service_id"]}


@pytest.mark.parametrize("term", ["0770", "SVC_77", "Searchable Cust", "searchable"])
def test_the_service_list_searches_name_uuid_and_customer_name(api, term):
    customer = api.new_customer(customer_name="Searchable Customer")
    wanted = api.new_service(customer["customer_id"], service_name="Mobile - 07700 900123", service_uuid="SVC_77aa")
    filters = json.dumps({"customer_id": [customer["customer_id"]]})

    found = api.get("/crm/service/", params={"search": term, "filters": filters}).json()["data"]

    assert [s["service_id"] for s in found] == [wanted["service_id"]]


@pytest.mark.parametrize(
    "params", [{"filters": '{"colour": ["red"]}'}, {"sort": "colour"}, {"filters": '{"customer_id": ["x"]}'}]
)
def test_bad_list_parameters_are_400(api, params):
    assert api.get("/crm/service/", params=params).status_code == 400


def test_expiring_lists_services_ending_within_the_threshold(api_on_each_store):
    customer = api_on_each_store.new_customer()
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    expiring = api_on_each_store.new_service(customer["customer_id"], service_deactivate_date=soon)
    api_on_each_store.new_service(customer["customer_id"], service_deactivate_date=later)

    week = api_on_each_store.get("/crm/service/expiring", params={"threshold": 7}).json()
    month = api_on_each_store.get("/crm/service/expiring", params={"threshold": 30}).json()

    assert expiring["service_id"] in [s["service_id"] for s in week["data"]]
    assert week["pagination"]["total_items"] == 1
    assert month["pagination"]["total_items"] == 2


@pytest.mark.parametrize("threshold", ["-1", "soon", "100000"])
def test_a_bad_threshold_is_400(api, threshold):
    assert api.get("/crm/service/expiring", params={"threshold": threshold}).status_code == 400


def test_stats_count_services_per_status(api):
    customer = api.new_customer()
    api.new_service(customer["customer_id"])
    api.new_service(customer["customer_id"], service_status="Suspended")

    stats = api.get("/crm/service/stats").json()

    assert stats == {"total": 2, "by_status": {"Active": 1, "Suspended": 1}}


@pytest.mark.parametrize(
    "method, path, needed",
    [
        ("PUT", "/crm/service/", "create_customer_service"),
        ("GET", "/crm/service/", "view_customer_service"),
        ("GET", "/crm/service/expiring", "view_customer_service"),
        ("GET", "/crm/service/{id}", "view_customer_service"),
        ("GET", "/crm/service/service_id/{id}", "view_customer_service"),
        ("GET", "/crm/service/service_uuid/{uuid}", "view_customer_service"),
        ("PATCH", "/crm/service/{id}", "update_customer_service"),
        ("DELETE", "/crm/service/service_id/{id}", "delete_customer_service"),
    ],
)
def test_each_endpoint_needs_its_permission(api, a_service, method, path, needed):
    customer = api.new_customer()
    service = api.new_service(customer["customer_id"])
    url = path.format(id=service["service_id"], uuid=service["service_uuid"])
    body = {"service_notes": "x"} if method == "PATCH" else a_service(customer_id=customer["customer_id"])
    others = [p for p in FULL_PERMS if p != needed]

    denied = api.request(method, url, json=body, headers=api.auth(*others))
    allowed = api.request(method, url, json=body, headers=api.auth(needed))

    assert denied.status_code == 403
    assert allowed.status_code == 200, allowed.text


def test_without_credentials_the_service_api_is_401(api):
    assert api.client.get("/crm/service/").status_code == 401


def test_self_care_users_see_only_their_visible_services(api):
    mine, other = api.new_customer(), api.new_customer(customer_name="Other")
    shown = api.new_service(mine["customer_id"])
    hidden = api.new_service(mine["customer_id"], service_visible_to_customer=False)
    foreign = api.new_service(other["customer_id"])
    me = api.auth("view_own_customer_service", customer_id=mine["customer_id"])

    listed = api.get("/crm/service/", headers=me).json()["data"]

    assert [s["service_id"] for s in listed] == [shown["service_id"]]
    assert api.get(f"/crm/service/service_id/{shown['service_id']}", headers=me).status_code == 200
    assert api.get(f"/crm/service/service_id/{hidden['service_id']}", headers=me).status_code == 404
    assert api.get(f"/crm/service/{foreign['service_id']}", headers=me).status_code == 404
    assert api.get(f"/crm/service/service_uuid/{foreign['service_uuid']}", headers=me).status_code == 404


def test_self_care_users_cannot_change_services(api):
    customer = api.new_customer()
    service = api.new_service(customer["customer_id"])
    me = api.auth("view_own_customer_service", customer_id=customer["customer_id"])

    response = api.patch(f"/crm/service/{service['service_id']}", json={"service_notes": "x"}, headers=me)

    assert response.status_code == 403


def test_service_types_come_from_the_configuration_when_set(api_with_config, a_service):
    with api_with_config({"service_types": ["fibre"]}) as api:
        customer = api.new_customer()
        ok = api.put("/crm/service/", json=a_service(customer_id=customer["customer_id"], service_type="fibre"))
        refused = api.put("/crm/service/", json=a_service(customer_id=customer["customer_id"], service_type="mobile"))

    assert (ok.status_code, refused.status_code) == (200, 400)


def test_empty_play_variables_are_stored_as_null(api):
    customer = api.new_customer()

    record = api.new_service(customer["customer_id"], provisioning_json_vars="", deprovisioning_json_vars=None)

    assert (record["provisioning_json_vars"], record["deprovisioning_json_vars"]) == (None, None)


def test_concurrent_creates_with_one_service_uuid_make_exactly_one_service(api_on_each_store):
    customer = api_on_each_store.new_customer()
    fields = {"service_name": "Race", "service_uuid": "Race_1"}

    def create(_):
        try:
            return api_on_each_store.app.create_service(customer["customer_id"], "Active", fields).service_id
        except ServiceUuidTakenError:
            return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(create, range(6)))

    winners = [o for o in outcomes if o is not None]
    assert len(winners) == 1
    assert api_on_each_store.app.get_service_by_uuid("Race_1").service_id == winners[0]
