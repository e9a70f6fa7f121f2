"""The Contact and Site aggregates (customers.md §2.2, §2.3): creation, real-change updates, idempotent removal."""

from decimal import Decimal
from typing import Any

import pytest

from omnibus.customers.domain import Contact, Site
from omnibus.customers.domain.errors import UnknownFieldError
from omnibus.platform.eventstore import aggregate_uuid


def a_contact(**fields: Any) -> Contact:
    contact = Contact(
        id=aggregate_uuid("contact", 5),
        contact_id=5,
        customer_id=12,
        fields={
            "contact_firstname": "John",
            "contact_lastname": "Smith",
            "contact_email": "john@acme.example",
            "contact_phone": "+44 7700 900123",
            "contact_types": ["primary", "billing"],
            **fields,
        },
    )
    contact.collect_events()
    return contact


def a_site(**fields: Any) -> Site:
    site = Site(
        id=aggregate_uuid("site", 8),
        site_id=8,
        customer_id=12,
        fields={
            "site_name": "Head office",
            "address_line_1": "10 Downing Street",
            "city": "London",
            "zip_code": "SW1A 2AA",
            "country": "United Kingdom",
            "latitude": Decimal("51.5034"),
            "longitude": Decimal("-0.1276"),
            "plus_code": "9C3XGV3C+CW",
            "address_source": "google",
            **fields,
        },
    )
    site.collect_events()
    return site


def test_a_new_contact_records_an_added_event_with_its_fields():
    contact = Contact(
        id=aggregate_uuid("contact", 1), contact_id=1, customer_id=3, fields={"contact_firstname": "Jane"}
    )

    events = contact.collect_events()

    assert [type(e) for e in events] == [Contact.Added]
    assert (events[0].contact_id, events[0].customer_id) == (1, 3)
    assert events[0].fields == {"contact_firstname": "Jane"}


def test_a_new_contact_defaults_missing_fields_to_empty():
    contact = Contact(id=aggregate_uuid("contact", 1), contact_id=1, customer_id=3, fields={})

    assert contact.public_fields() == {
        "contact_firstname": None,
        "contact_lastname": None,
        "contact_email": None,
        "contact_phone": None,
        "contact_types": [],
        "user_id": None,
    }
    assert contact.removed is False


def test_contact_update_records_only_real_changes():
    contact = a_contact()

    changed = contact.update({"contact_email": "john.smith@acme.example", "contact_firstname": "John"})

    events = contact.collect_events()
    assert changed == ["contact_email"]
    assert [type(e) for e in events] == [Contact.Updated]
    assert events[0].changes == {"contact_email": "john.smith@acme.example"}
    assert contact.contact_email == "john.smith@acme.example"


def test_contact_update_without_real_changes_records_no_event():
    contact = a_contact()

    changed = contact.update({"contact_types": ["primary", "billing"]})

    assert changed == []
    assert contact.collect_events() == []


def test_contact_update_refuses_unknown_fields():
    contact = a_contact()

    with pytest.raises(UnknownFieldError, match="customer_id"):
        contact.update({"customer_id": 99})

    assert contact.customer_id == 12
    assert contact.collect_events() == []


def test_contact_removal_records_one_event_and_is_idempotent():
    contact = a_contact()

    contact.remove()
    contact.remove()

    events = contact.collect_events()
    assert contact.removed is True
    assert [type(e) for e in events] == [Contact.Removed]
    assert (events[0].contact_id, events[0].customer_id) == (5, 12)


def test_a_new_site_holds_every_site_field_missing_ones_as_none():
    site = Site(id=aggregate_uuid("site", 2), site_id=2, customer_id=3, fields={"site_name": "Home"})

    fields = site.public_fields()

    assert fields["site_name"] == "Home"
    assert fields["latitude"] is None
    assert set(fields) >= {"address_line_1", "address_line_2", "plus_code", "google_maps_place_id", "address_source"}


def test_a_new_site_records_an_added_event():
    site = Site(id=aggregate_uuid("site", 2), site_id=2, customer_id=3, fields={"site_name": "Home"})

    events = site.collect_events()

    assert [type(e) for e in events] == [Site.Added]
    assert (events[0].site_id, events[0].customer_id) == (2, 3)


def test_site_update_records_only_real_changes():
    site = a_site()

    changed = site.update({"latitude": Decimal("51.5034"), "address_line_2": "Flat 2", "city": "London"})

    events = site.collect_events()
    assert changed == ["address_line_2"]
    assert events[0].changes == {"address_line_2": "Flat 2"}


def test_site_update_without_real_changes_records_no_event():
    site = a_site()

    assert site.update({"site_name": "Head office"}) == []
    assert site.collect_events() == []


def test_site_update_refuses_unknown_fields():
    site = a_site()

    with pytest.raises(UnknownFieldError, match="site_id"):
        site.update({"site_id": 1})

    assert site.collect_events() == []


def test_site_removal_records_one_event_and_is_idempotent():
    site = a_site()

    site.remove()
    site.remove()

    assert site.removed is True
    assert [type(e) for e in site.collect_events()] == [Site.Removed]
