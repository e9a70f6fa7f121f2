"""Activity log over HTTP (customers.md §2.7, §3; D49): who did what and when, paging, filters, notes, rebuild."""

import json

import jwt
import pytest
from sqlalchemy import select

from omnibus.customers.projections.activity_log import ActivityLogProjection
from omnibus.customers.readmodel.tables import activity
from omnibus.platform.projections import rebuild


def log_of(api, customer_id, headers=None, **params):
    response = api.get(f"/crm/activity/customer_id/{customer_id}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_each_change_to_a_customer_is_logged_newest_first_with_the_actor(api_on_each_store, a_contact):
    customer = api_on_each_store.new_customer(contact=a_contact())
    customer_id = customer["customer_id"]
    service = api_on_each_store.new_service(customer_id)
    api_on_each_store.patch(f"/crm/service/{service['service_id']}", json={"service_status": "Suspended"})
    api_on_each_store.put("/crm/tag/", json={"customer_id": customer_id, "tag_text": "VIP", "tag_hex_color": "FFD700"})

    records = json.dumps({"entity_type": ["customer", "contact", "service", "tag"]})  # not the welcome e-mail
    body = log_of(api_on_each_store, customer_id, filters=records)

    actions = [(e["entity_type"], e["action"]) for e in body["data"]]
    assert actions == [
        ("tag", "added"),
        ("service", "status_changed"),
        ("service", "created"),
        ("contact", "added"),
        ("customer", "created"),
    ]
    suspended = body["data"][1]
    assert suspended["summary"] == "Service status Active -> Suspended"
    assert suspended["entity_id"] == str(service["service_id"])
    assert (suspended["actor_user_id"], suspended["channel"], suspended["source"]) == (7, "jwt", "customers")
    assert suspended["at"].endswith("Z") and suspended["activity_id"] == suspended["source_event_id"]
    assert body["pagination"]["total_items"] == 5


def test_api_key_actions_name_the_key(api):
    customer = api.new_customer()
    key_headers = {"X-API-KEY": api.admin_key}
    api.put("/crm/attribute/", json={"customer_id": customer["customer_id"], "attribute_name": "vlan_id",
                                    "attribute_value": "100"}, headers=key_headers)  # fmt: skip

    (entry,) = log_of(api, customer["customer_id"], filters=json.dumps({"entity_type": ["attribute"]}))["data"]

    assert (entry["channel"], entry["api_key_id"], entry["actor_user_id"]) == ("api_key", "automation", None)
    assert entry["summary"] == "Attribute vlan_id set to '100'"


def test_impersonated_actions_record_the_impersonator(api):
    customer = api.new_customer()
    claims = jwt.decode(api.token("update_customer", sub="42"), options={"verify_signature": False})
    impersonated = jwt.encode({**claims, "impersonating_user_id": 7}, api.signing_key, algorithm="EdDSA")
    headers = {"Authorization": f"Bearer {impersonated}"}
    api.patch(
        f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_name": "Renamed"}, headers=headers
    )

    newest = log_of(api, customer["customer_id"])["data"][0]

    assert newest["action"] == "updated" and newest["summary"] == "Customer changed: customer_name"
    assert (newest["actor_user_id"], newest["impersonating_user_id"]) == (42, 7)


def test_the_log_pages_and_filters(api):
    customer = api.new_customer()
    for n in range(4):
        api.put("/crm/attribute/", json={"customer_id": customer["customer_id"], "attribute_name": f"k{n}",
                                        "attribute_value": "v"})  # fmt: skip
    only_attributes = json.dumps({"entity_type": ["attribute"]})

    second = log_of(api, customer["customer_id"], filters=only_attributes, per_page=3, page=2)
    oldest_first = log_of(api, customer["customer_id"], order="asc", per_page=1)

    assert second["pagination"] == {"current_page": 2, "per_page": 3, "total_pages": 2, "total_items": 4}
    assert [e["summary"] for e in second["data"]] == ["Attribute k0 set to 'v'"]
    assert oldest_first["data"][0]["action"] == "created" and oldest_first["data"][0]["entity_type"] == "customer"


@pytest.mark.parametrize("filters", ['{"colour": ["red"]}', '{"actor_user_id": ["x"]}', "not json"])
def test_bad_filters_are_400(api, filters):
    customer = api.new_customer()

    assert (
        api.get(f"/crm/activity/customer_id/{customer['customer_id']}", params={"filters": filters}).status_code == 400
    )


def test_a_manual_note_is_answered_and_listed_the_same(api_on_each_store):
    customer = api_on_each_store.new_customer()

    response = api_on_each_store.put(
        "/crm/activity/", json={"customer_id": customer["customer_id"], "note": "Called about the invoice"}
    )

    assert response.status_code == 200
    assert response.json()["note"] == "Called about the invoice"
    assert log_of(api_on_each_store, customer["customer_id"])["data"][0] == response.json()


@pytest.mark.parametrize(
    "body", [{"customer_id": 1}, {"note": "x"}, {"customer_id": 1, "note": ""}, {"customer_id": 1, "note": "x" * 5001}]
)
def test_bad_notes_are_400(api, body):
    assert api.put("/crm/activity/", json=body).status_code == 400


def test_a_note_on_an_unknown_customer_is_404(api):
    assert api.put("/crm/activity/", json={"customer_id": 999999, "note": "x"}).status_code == 404


def test_the_log_needs_its_permissions(api):
    customer = api.new_customer()
    path = f"/crm/activity/customer_id/{customer['customer_id']}"
    note = {"customer_id": customer["customer_id"], "note": "x"}

    assert api.get(path, headers=api.auth("view_customer")).status_code == 403
    assert api.get(path, headers=api.auth("view_customer_activity")).status_code == 200
    assert api.put("/crm/activity/", json=note, headers=api.auth("view_customer_activity")).status_code == 403
    assert api.put("/crm/activity/", json=note, headers=api.auth("create_customer_activity")).status_code == 200


def test_self_care_users_see_only_their_own_log(api):
    mine, other = api.new_customer(), api.new_customer(customer_name="Other")
    me = api.auth("view_own_customer_activity", customer_id=mine["customer_id"])

    assert log_of(api, mine["customer_id"], headers=me)["pagination"]["total_items"] == 1
    assert api.get(f"/crm/activity/customer_id/{other['customer_id']}", headers=me).status_code == 404


def test_rebuilding_the_activity_log_from_zero_gives_the_same_entries(api_on_each_store, a_contact, a_site):
    quiet = a_contact(contact_email=None)  # no welcome e-mail, whose sending would race with the rebuild
    customer = api_on_each_store.new_customer(contact=quiet, site=a_site())
    service = api_on_each_store.new_service(customer["customer_id"])
    api_on_each_store.patch(f"/crm/service/{service['service_id']}", json={"service_deactivate_date": "2030-01-01"})
    api_on_each_store.delete(f"/crm/service/service_id/{service['service_id']}")
    api_on_each_store.put("/crm/activity/", json={"customer_id": customer["customer_id"], "note": "hello"})
    runtime = api_on_each_store.runtime
    runner = runtime.runners["activity_log"]
    before = _entries(runtime.engine)

    runner.stop()
    rebuild(api_on_each_store.app, runtime.engine, ActivityLogProjection(), batch_size=3)

    assert len(before) == 7
    assert _entries(runtime.engine) == before


def _entries(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(activity).order_by(activity.c.activity_id)).mappings()]
