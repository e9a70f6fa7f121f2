"""Published events (customers.md §8; api-conventions.md §9): order, envelope headers and contract payloads."""

import json

from omnibus.contracts import Actor
from omnibus.contracts import customers as contracts
from omnibus.contracts.envelope import Envelope
from omnibus.platform.eventstore import aggregate_uuid


def request_headers(api, request_id):
    return {**api.auth("admin"), "X-Request-ID": request_id}


def payload(message):
    return json.loads(message.body)


def test_creating_a_customer_with_a_contact_and_a_site_publishes_three_events_in_order(api_on_each_store):
    api = api_on_each_store
    api.new_customer(contact={"contact_firstname": "Ann"}, site={"city": "Leeds"})

    messages = api.all_published()

    assert [m.routing_key for m in messages] == [
        "customers.CustomerCreated",
        "customers.ContactAdded",
        "customers.SiteAdded",
    ]


def test_update_and_archive_publish_customer_updated_then_status_changed(api):
    customer = api.new_customer(customer_name="Acme")
    api.patch(f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_name": "Acme Ltd"})
    api.delete(f"/crm/customer/customer_id/{customer['customer_id']}")

    messages = api.all_published()

    assert [m.routing_key for m in messages] == [
        "customers.CustomerCreated",
        "customers.CustomerUpdated",
        "customers.CustomerStatusChanged",
    ]


def test_the_whole_flow_publishes_every_event_in_the_order_it_happened(api):
    customer = api.new_customer(customer_name="Acme")
    cid = customer["customer_id"]
    api.patch(f"/crm/customer/customer_id/{cid}", json={"tax_identifier": "GB9"})
    contact = api.new_contact(cid)
    site = api.new_site(cid)
    api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_lastname": "Jones"})
    api.patch(f"/crm/site/site_id/{site['site_id']}", json={"city": "Bath"})
    api.delete(f"/crm/contact/contact_id/{contact['contact_id']}")
    api.delete(f"/crm/site/site_id/{site['site_id']}")
    api.delete(f"/crm/customer/customer_id/{cid}")

    messages = api.all_published()

    assert [m.routing_key.removeprefix("customers.") for m in messages] == [
        "CustomerCreated",
        "CustomerUpdated",
        "ContactAdded",
        "SiteAdded",
        "ContactUpdated",
        "SiteUpdated",
        "ContactRemoved",
        "SiteRemoved",
        "CustomerStatusChanged",
    ]


def test_every_message_carries_the_envelope_headers(api):
    api.put("/crm/customer/", json={"customer_name": "Acme"}, headers=request_headers(api, "req-create-1"))

    [message] = api.all_published()

    headers = message.headers
    assert headers["event_type"] == "customers.CustomerCreated.v1"
    assert headers["source"] == "customers"
    assert headers["event_id"] == message.message_id
    assert headers["aggregate_type"] == "Customer"
    assert headers["aggregate_id"] == str(aggregate_uuid("customer", payload(message)["customer_id"]))
    assert headers["aggregate_version"] == 1
    assert Envelope.from_headers(headers).position == headers["position"]


def test_positions_increase_and_event_ids_are_unique(api):
    customer = api.new_customer(contact={"contact_firstname": "Ann"}, site={"city": "Leeds"})
    api.patch(f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_name": "Renamed"})

    messages = api.all_published()

    positions = [m.headers["position"] for m in messages]
    assert positions == sorted(positions) and len(set(positions)) == len(positions) == 4
    assert len({m.headers["event_id"] for m in messages}) == 4


def test_the_correlation_id_is_the_request_id_sent(api):
    customer = api.new_customer()
    api.patch(
        f"/crm/customer/customer_id/{customer['customer_id']}",
        json={"customer_name": "Renamed"},
        headers=request_headers(api, "req-patch-42"),
    )

    [update] = [m for m in api.all_published() if m.routing_key == "customers.CustomerUpdated"]

    assert update.headers["correlation_id"] == "req-patch-42"


def test_the_actor_header_names_the_token_user(api):
    api.put("/crm/customer/", json={"customer_name": "Acme"}, headers=request_headers(api, "req-actor"))

    [message] = api.all_published()

    actor = Actor.model_validate_json(message.headers["actor"])
    assert actor.user_id == 7
    assert actor.auth_method == "jwt"


def test_customer_created_names_the_creating_user(api):
    api.new_customer()

    [message] = api.all_published()

    assert payload(message)["created_by"] == 7


def test_a_customer_created_with_an_api_key_names_the_key(api):
    api.client.put("/crm/customer/", json={"customer_name": "Acme"}, headers={"X-API-KEY": api.admin_key})

    [message] = api.all_published()

    assert Actor.model_validate_json(message.headers["actor"]).api_key_id == "automation"
    assert payload(message)["created_by"] == "automation"


def test_customer_created_payload_validates_against_its_contract(api):
    api.new_customer(customer_name="Acme", customer_account_type="Business", customer_payment_type="postpaid")

    [message] = api.all_published()

    event = contracts.CustomerCreated.model_validate_json(message.body)
    assert (event.customer_name, event.customer_account_type, event.customer_payment_type) == (
        "Acme",
        "Business",
        "postpaid",
    )
    assert event.customer_status == "Open"


def test_customer_updated_payload_names_the_changed_fields(api):
    customer = api.new_customer(customer_name="Acme", tax_identifier="GB1")
    api.patch(
        f"/crm/customer/customer_id/{customer['customer_id']}",
        json={"customer_name": "Acme Ltd", "tax_identifier": "GB1", "customer_enabled": False},
    )

    [message] = [m for m in api.all_published() if m.routing_key == "customers.CustomerUpdated"]

    event = contracts.CustomerUpdated.model_validate_json(message.body)
    assert event.changed_fields == ["customer_enabled", "customer_name"]
    assert (event.customer_name, event.customer_enabled) == ("Acme Ltd", False)


def test_customer_status_changed_payload_has_from_and_to(api):
    customer = api.new_customer()
    api.delete(f"/crm/customer/customer_id/{customer['customer_id']}")

    [message] = [m for m in api.all_published() if m.routing_key == "customers.CustomerStatusChanged"]

    assert payload(message) == {"customer_id": customer["customer_id"], "from": "Open", "to": "Archived"}
    event = contracts.CustomerStatusChanged.model_validate_json(message.body)
    assert (event.from_status, event.to_status) == ("Open", "Archived")


def test_contact_added_payload_validates_against_its_contract(api):
    customer = api.new_customer()
    contact = api.new_contact(customer["customer_id"], contact_types="billing,primary")

    [message] = [m for m in api.all_published() if m.routing_key == "customers.ContactAdded"]

    event = contracts.ContactAdded.model_validate_json(message.body)
    assert (event.contact_id, event.customer_id) == (contact["contact_id"], customer["customer_id"])
    assert event.contact_email == "john@acme.example"
    assert event.contact_types == ["billing", "primary"]


def test_site_added_payload_carries_coordinates_as_strings(api):
    customer = api.new_customer()
    site = api.new_site(customer["customer_id"], latitude=51.5074, longitude=-0.1278)

    [message] = [m for m in api.all_published() if m.routing_key == "customers.SiteAdded"]

    assert (payload(message)["latitude"], payload(message)["longitude"]) == ("51.5074", "-0.1278")
    event = contracts.SiteAdded.model_validate_json(message.body)
    assert (event.site_id, event.plus_code, event.address_source) == (site["site_id"], "9C3XGV3C+CW", "google")


def test_a_patch_without_real_changes_records_and_publishes_nothing(api):
    customer = api.new_customer(customer_name="Acme")
    before = api.all_published()
    recorded = api.app.max_notification_id()

    response = api.patch(f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_name": "Acme"})

    assert response.status_code == 200
    assert api.app.max_notification_id() == recorded
    assert api.all_published() == before


def test_a_refused_request_publishes_nothing(api):
    api.new_customer()
    before = api.all_published()

    api.put("/crm/customer/", json={"customer_name": "Acme"}, headers=api.auth("view_customer"))
    api.put("/crm/contact/", json={"customer_id": 999, "contact_firstname": "Ann"})

    assert api.all_published() == before


def test_a_service_lifecycle_publishes_what_other_contexts_need(api_on_each_store):
    api = api_on_each_store
    customer = api.new_customer()
    service = api.new_service(customer["customer_id"], service_uuid="Lifecycle_1", service_status="Suspended")
    path = f"/crm/service/{service['service_id']}"
    api.patch(path, json={"service_status": "Active", "service_deactivate_date": "2030-01-01T00:00:00Z"})
    api.patch(path, json={"service_status": "Deactivated"})
    api.delete(f"/crm/service/service_id/{service['service_id']}")

    messages = [m for m in api.all_published() if m.routing_key.startswith("customers.Service")]

    assert [m.routing_key.removeprefix("customers.") for m in messages] == [
        "ServiceCreated",
        "ServiceUpdated",
        "ServiceExpiryExtended",
        "ServiceStatusChanged",
        "ServiceStatusChanged",
        "ServiceDeactivated",
        "ServiceDeleted",
    ]
    created, updated, extended, activated = (payload(m) for m in messages[:4])
    assert (created["service_uuid"], created["service_status"], created["retail_cost"]) == (
        "Lifecycle_1",
        "Suspended",
        "30.00",
    )
    assert "provisioning_json_vars" not in created
    assert updated["changed_fields"] == ["service_deactivate_date"]
    assert extended["service_deactivate_date"] == "2030-01-01T00:00:00Z"
    assert (activated["from"], activated["to"], activated["service_uuid"]) == ("Suspended", "Active", "Lifecycle_1")
    assert messages[0].headers["aggregate_id"] == str(aggregate_uuid("service", service["service_id"]))


def test_attribute_and_tag_changes_are_published_with_the_actor(api):
    customer = api.new_customer()
    attribute = api.put("/crm/attribute/", json={"customer_id": customer["customer_id"], "attribute_name": "tier",
                                                 "attribute_value": "gold"}).json()  # fmt: skip
    api.patch(f"/crm/attribute/attribute_id/{attribute['attribute_id']}", json={"attribute_value": "platinum"})
    api.put("/crm/tag/", json={"customer_id": customer["customer_id"], "tag_text": "VIP", "tag_hex_color": "FFD700"})

    messages = {m.routing_key: payload(m) for m in api.all_published()}

    assert messages["customers.CustomerAttributeSet"]["attribute_value"] == "gold"
    changed = messages["customers.CustomerAttributeValueChanged"]
    assert (changed["old_value"], changed["new_value"], changed["by"]) == ("gold", "platinum", 7)
    assert (messages["customers.CustomerTagAdded"]["tag_text"], messages["customers.CustomerTagAdded"]["actor"]) == (
        "VIP",
        7,
    )
