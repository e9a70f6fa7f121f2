"""Domain events -> public contracts (customers.md §8): each event maps to its contract with the right fields."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omnibus.contracts import customers as contracts
from omnibus.customers.domain import Contact, Customer, Site
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
    mapped = (
        Customer.Created,
        Customer.Updated,
        Customer.StatusChanged,
        Contact.Added,
        Contact.Updated,
        Contact.Removed,
        Site.Added,
        Site.Updated,
        Site.Removed,
    )

    assert OUTBOUND.source == "customers"
    assert set(OUTBOUND.topics) == set(topics_of(*mapped))


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

    events = customer.collect_events() + contact.collect_events() + site.collect_events()

    assert {type(to_integration(e)) for e in events} == set(contracts.PUBLISHED)
