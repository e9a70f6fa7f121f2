"""Domain events -> public contracts (customers.md §8): each event maps to its contract with the right fields."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omnibus.contracts import customers as contracts
from omnibus.customers.domain import ALL_EVENTS, Attribute, Communication, Contact, Customer, Note, Service, Site, Tag
from omnibus.customers.domain.service import with_defaults
from omnibus.customers.integration.outbound import OUTBOUND, to_integration
from omnibus.platform.eventstore import aggregate_uuid, topics_of

START = datetime(2025, 1, 1, tzinfo=UTC)


def a_customer(**overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "customer_id": 12,
        "customer_name": "Acme Corporation",
        "customer_account_type": "Business",
        "customer_status": "Open",
        "customer_payment_type": "postpaid",
        "customer_enabled": True,
        "tax_identifier": "GB123",
        "contract_start_date": START,
        "contract_end_date": None,
        **overrides,
    }
    return Customer(id=aggregate_uuid("customer", fields["customer_id"]), **fields)


def a_contact(**fields: Any) -> Contact:
    return Contact(
        id=aggregate_uuid("contact", 5),
        contact_id=5,
        customer_id=12,
        fields={
            "contact_firstname": "John",
            "contact_lastname": "Smith",
            "contact_email": "john@acme.example",
            "contact_phone": "+44 7700 900123",
            "contact_types": ["primary", "billing"],
            "user_id": None,
            **fields,
        },
    )


def a_site(**fields: Any) -> Site:
    return Site(
        id=aggregate_uuid("site", 8),
        site_id=8,
        customer_id=12,
        fields={
            "site_name": "Head office",
            "city": "London",
            "latitude": Decimal("51.5034"),
            "longitude": Decimal("-0.1276"),
            "plus_code": "9C3XGV3C+CW",
            "google_maps_place_id": "ChIJdd4hrwug2EcRmSrV3Vo6llI",
            "address_source": "google",
            **fields,
        },
    )


def last_event(aggregate: Any) -> Any:
    return aggregate.collect_events()[-1]


def test_customer_created_maps_to_the_full_customer_state():
    customer = a_customer()

    payload = to_integration(last_event(customer))

    assert isinstance(payload, contracts.CustomerCreated)
    assert payload.customer_id == 12
    assert payload.customer_name == "Acme Corporation"
    assert payload.customer_account_type == "Business"
    assert payload.customer_status == "Open"
    assert payload.customer_payment_type == "postpaid"
    assert payload.customer_enabled is True
    assert payload.tax_identifier == "GB123"
    assert payload.contract_start_date == START
    assert payload.created == customer.created_on


def test_customer_updated_names_the_changed_fields_and_carries_only_their_values():
    customer = a_customer()
    customer.collect_events()
    customer.update({"customer_name": "Acme Ltd", "customer_enabled": False})

    payload = to_integration(last_event(customer))

    assert isinstance(payload, contracts.CustomerUpdated)
    assert payload.customer_id == 12
    assert payload.changed_fields == ["customer_enabled", "customer_name"]
    assert (payload.customer_name, payload.customer_enabled) == ("Acme Ltd", False)
    assert payload.tax_identifier is None


def test_customer_status_changed_maps_from_and_to():
    customer = a_customer()
    customer.collect_events()
    customer.change_status("Archived")

    payload = to_integration(last_event(customer))

    assert isinstance(payload, contracts.CustomerStatusChanged)
    assert (payload.customer_id, payload.from_status, payload.to_status) == (12, "Open", "Archived")


def test_customer_status_changed_serialises_with_keys_from_and_to():
    customer = a_customer()
    customer.collect_events()
    customer.change_status("Closed")

    body = json.loads(to_integration(last_event(customer)).model_dump_json())

    assert body == {"customer_id": 12, "from": "Open", "to": "Closed"}


def test_contact_added_maps_every_contact_field():
    payload = to_integration(last_event(a_contact()))

    assert isinstance(payload, contracts.ContactAdded)
    assert (payload.contact_id, payload.customer_id) == (5, 12)
    assert (payload.contact_firstname, payload.contact_lastname) == ("John", "Smith")
    assert payload.contact_email == "john@acme.example"
    assert payload.contact_phone == "+44 7700 900123"
    assert payload.contact_types == ["primary", "billing"]


def test_contact_updated_names_the_changed_fields():
    contact = a_contact()
    contact.collect_events()
    contact.update({"contact_phone": "+44 7700 900999"})

    payload = to_integration(last_event(contact))

    assert isinstance(payload, contracts.ContactUpdated)
    assert payload.changed_fields == ["contact_phone"]
    assert payload.contact_phone == "+44 7700 900999"
    assert (payload.contact_id, payload.customer_id) == (5, 12)


def test_contact_removed_carries_the_ids():
    contact = a_contact()
    contact.collect_events()
    contact.remove()

    payload = to_integration(last_event(contact))

    assert isinstance(payload, contracts.ContactRemoved)
    assert (payload.contact_id, payload.customer_id) == (5, 12)


def test_site_added_maps_the_address_and_coordinates():
    payload = to_integration(last_event(a_site()))

    assert isinstance(payload, contracts.SiteAdded)
    assert (payload.site_id, payload.customer_id) == (8, 12)
    assert payload.latitude == Decimal("51.5034")
    assert payload.plus_code == "9C3XGV3C+CW"
    assert payload.google_maps_place_id == "ChIJdd4hrwug2EcRmSrV3Vo6llI"
    assert payload.address_source == "google"


def test_site_added_serialises_coordinates_as_strings():
    body = json.loads(to_integration(last_event(a_site())).model_dump_json())

    assert (body["latitude"], body["longitude"]) == ("51.5034", "-0.1276")


def test_site_updated_names_the_changed_fields():
    site = a_site()
    site.collect_events()
    site.update({"city": "Westminster"})

    payload = to_integration(last_event(site))

    assert isinstance(payload, contracts.SiteUpdated)
    assert payload.changed_fields == ["city"]
    assert payload.city == "Westminster"


def test_site_removed_carries_the_ids():
    site = a_site()
    site.collect_events()
    site.remove()

    payload = to_integration(last_event(site))

    assert isinstance(payload, contracts.SiteRemoved)
    assert (payload.site_id, payload.customer_id) == (8, 12)


def test_events_of_other_kinds_are_not_published():
    assert to_integration(object()) is None


def test_the_outbound_rules_publish_every_mapped_event_as_the_customers_source():
    assert OUTBOUND.source == "customers"
    assert set(OUTBOUND.topics) == set(topics_of(*ALL_EVENTS))
    assert all(e in ALL_EVENTS for e in (Service.Created, Attribute.Set, Tag.Added, Site.Removed))


def test_every_published_contract_is_reachable_from_a_domain_event():
    customer = a_customer()
    customer.update({"customer_name": "B"})
    customer.change_status("Closed")
    contact = a_contact()
    contact.update({"contact_firstname": "Jim"})
    contact.remove()
    site = a_site()
    site.update({"city": "Leeds"})
    site.remove()

    service = a_service()
    service.update({"service_deactivate_date": START, "service_visible_to_customer": False})
    service.change_status("Deactivated")
    service.delete()
    attribute = Attribute(
        id=aggregate_uuid("attribute", 3), attribute_id=3, customer_id=12, attribute_name="vlan_id", attribute_value="1"
    )
    attribute.change_value("2")
    attribute.remove()
    tag = a_tag()
    tag.update({"tag_text": "Paid"})
    tag.remove()
    note = Note(customer_id=12, note="Called about the invoice")
    customer.change_notification_preferences({"sms_enabled": False})
    expiring = a_service(service_deactivate_date=START)
    expiring.detect_expiring(START - timedelta(days=2), (7, 3, 1))
    sent, failed = a_communication(1), a_communication(2)
    sent.record_sent(sent.start_attempt(), "288230376151711001")
    failed.record_failure(failed.start_attempt(), "Mailjet refused the message", None)

    events = [
        *expiring.collect_events(),
        *sent.collect_events(),
        *failed.collect_events(),
        *note.collect_events(),
        *customer.collect_events(),
        *contact.collect_events(),
        *site.collect_events(),
        *service.collect_events(),
        *attribute.collect_events(),
        *tag.collect_events(),
    ]

    published = [to_integration(e) for e in events]
    # the reply to provisioning's commands comes from the platform's command inbox (Outbound.replies)
    assert {type(p) for p in published if p is not None} | {contracts.CustomersCommandReplied} == set(
        contracts.PUBLISHED
    )


def a_communication(communication_id: int) -> Communication:
    return Communication(
        id=aggregate_uuid("communication", communication_id),
        communication_id=communication_id,
        customer_id=12,
        channel="email",
        template_key="api_crmCommunicationCustomerWelcome",
        template_id=5977509,
        from_email="support@yourcompany.com",
        from_name="Support",
        to="john@acme.example",
        to_name="John Smith",
        subject="Welcome",
        variables={"customer_name": "Acme"},
        message=None,
        related={},
        trigger={"event_type": "customers.CustomerCreated", "event_id": "e-1"},
        custom_id="omnibus-test",
    )


def test_a_communication_is_published_when_requested_sent_or_given_up_but_not_per_attempt():
    communication = a_communication(5)
    attempt = communication.start_attempt()
    communication.record_failure(attempt, "Mailjet answered 503", START)
    communication.record_sent(communication.start_attempt(), "42")

    payloads = [to_integration(e) for e in communication.collect_events()]

    published = [p for p in payloads if p is not None]
    assert [type(p) for p in published] == [contracts.CommunicationRequested, contracts.CommunicationSent]
    assert published[0].trigger_event_id == "e-1" and published[0].to == "john@acme.example"
    assert (published[1].attempt, published[1].provider_message_id, published[1].channel) == (2, "42", "email")
    assert "customer_name" not in published[0].model_dump_json()  # the variables stay in customers


def a_service(**fields: Any) -> Service:
    return Service(
        id=aggregate_uuid("service", 9),
        service_id=9,
        customer_id=12,
        service_status="Active",
        fields=with_defaults(
            {
                "service_name": "Mobile - +44 7700 900123",
                "service_uuid": "Mobile_a3f2c1d8",
                "retail_cost": Decimal("30.00"),
                "provisioning_json_vars": '{"imsi": "001"}',
                **fields,
            }
        ),
    )


def a_tag() -> Tag:
    return Tag(
        id=aggregate_uuid("tag", 4),
        tag_id=4,
        customer_id=12,
        fields={
            "tag_text": "Late invoice",
            "tag_hex_color": "FF0000",
            "tag_link": None,
            "tag_active_date": START,
            "tag_deactivate_date": datetime(2099, 1, 1, tzinfo=UTC),
        },
    )


def test_service_created_carries_the_record_but_not_the_play_variables():
    payload = to_integration(a_service().collect_events()[0])

    assert isinstance(payload, contracts.ServiceCreated)
    assert (payload.service_id, payload.customer_id, payload.service_uuid) == (9, 12, "Mobile_a3f2c1d8")
    assert payload.service_status == "Active"
    assert payload.retail_cost == Decimal("30.00")
    assert "provisioning_json_vars" not in json.loads(payload.model_dump_json())


def test_deactivating_a_service_publishes_the_status_change_and_the_deactivation():
    service = a_service()
    service.collect_events()

    service.change_status("Deactivated")

    payloads = [to_integration(e) for e in service.collect_events()]
    assert [type(p) for p in payloads] == [contracts.ServiceStatusChanged, contracts.ServiceDeactivated]
    assert json.loads(payloads[0].model_dump_json())["to"] == "Deactivated"


def test_a_later_expiry_publishes_service_expiry_extended_with_the_new_date():
    service = a_service(service_deactivate_date=START)
    service.collect_events()
    later = datetime(2025, 2, 1, tzinfo=UTC)

    service.update({"service_deactivate_date": later})

    payloads = [to_integration(e) for e in service.collect_events()]
    assert [type(p) for p in payloads] == [contracts.ServiceUpdated, contracts.ServiceExpiryExtended]
    assert payloads[1].service_deactivate_date == later
    assert payloads[0].changed_fields == ["service_deactivate_date"]


def test_attribute_value_change_carries_old_and_new_values():
    attribute = Attribute(
        id=aggregate_uuid("attribute", 3), attribute_id=3, customer_id=12, attribute_name="tier", attribute_value="a"
    )
    attribute.collect_events()
    attribute.change_value("b")

    payload = to_integration(attribute.collect_events()[0])

    assert isinstance(payload, contracts.CustomerAttributeValueChanged)
    assert (payload.old_value, payload.new_value, payload.attribute_name) == ("a", "b", "tier")


def test_tag_added_carries_the_tag_fields():
    payload = to_integration(a_tag().collect_events()[0])

    assert isinstance(payload, contracts.CustomerTagAdded)
    assert (payload.tag_text, payload.tag_hex_color, payload.tag_active_date) == ("Late invoice", "FF0000", START)
