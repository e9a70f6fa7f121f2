"""Customers contracts: wire names, decimals, immutability, tolerant reading."""

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.contracts.customers import (
    PUBLISHED,
    ContactAdded,
    ContactRemoved,
    ContactUpdated,
    CustomerCreated,
    CustomerStatusChanged,
    CustomerUpdated,
    SiteAdded,
    SiteRemoved,
    SiteUpdated,
)


def test_customer_status_changed_serialises_as_from_and_to() -> None:
    event = CustomerStatusChanged(customer_id=1, from_status="Open", to_status="Suspended")

    body = json.loads(event.model_dump_json())

    assert body == {"customer_id": 1, "from": "Open", "to": "Suspended"}


def test_customer_status_changed_parses_the_wire_aliases() -> None:
    event = CustomerStatusChanged.model_validate_json('{"customer_id": 1, "from": "Open", "to": "Closed"}')

    assert (event.from_status, event.to_status) == ("Open", "Closed")


def test_customer_status_changed_parses_the_field_names() -> None:
    body = {"customer_id": 1, "from_status": "Closed", "to_status": "Open"}

    event = CustomerStatusChanged.model_validate(body)

    assert (event.from_status, event.to_status) == ("Closed", "Open")


def test_customer_status_changed_survives_a_json_round_trip() -> None:
    event = CustomerStatusChanged(customer_id=3, from_status="Open", to_status="Archived")

    assert CustomerStatusChanged.model_validate_json(event.model_dump_json()) == event


def test_customer_status_changed_rejects_an_unknown_status() -> None:
    with pytest.raises(ValidationError):
        CustomerStatusChanged.model_validate({"customer_id": 1, "from": "Open", "to": "Gone"})


def test_site_latitude_serialises_as_a_string() -> None:
    event = SiteAdded(site_id=1, customer_id=2, latitude=Decimal("-33.8688"), longitude=Decimal("151.2093"))

    body = json.loads(event.model_dump_json())

    assert (body["latitude"], body["longitude"]) == ("-33.8688", "151.2093")


def test_site_latitude_keeps_exact_decimals_through_the_wire() -> None:
    exact = "-33.868820123456789012"
    event = SiteAdded(site_id=1, customer_id=2, latitude=Decimal(exact))

    parsed = SiteAdded.model_validate_json(event.model_dump_json())

    assert json.loads(event.model_dump_json())["latitude"] == exact
    assert parsed.latitude == Decimal(exact)


def test_site_without_coordinates_serialises_null() -> None:
    body = json.loads(SiteAdded(site_id=1, customer_id=2).model_dump_json())

    assert (body["latitude"], body["longitude"]) == (None, None)


MINIMAL = {
    CustomerCreated: {
        "customer_id": 1,
        "customer_name": "Acme",
        "customer_account_type": "Business",
        "customer_status": "Open",
        "customer_payment_type": "postpaid",
        "customer_enabled": True,
        "created": "2025-01-04T10:30:00Z",
    },
    CustomerUpdated: {"customer_id": 1, "changed_fields": ["customer_name"], "customer_name": "Acme Ltd"},
    CustomerStatusChanged: {"customer_id": 1, "from": "Open", "to": "Closed"},
    ContactAdded: {"contact_id": 2, "customer_id": 1},
    ContactUpdated: {"contact_id": 2, "customer_id": 1, "changed_fields": []},
    ContactRemoved: {"contact_id": 2, "customer_id": 1},
    SiteAdded: {"site_id": 3, "customer_id": 1},
    SiteUpdated: {"site_id": 3, "customer_id": 1, "changed_fields": ["city"], "city": "Sydney"},
    SiteRemoved: {"site_id": 3, "customer_id": 1},
    c.ServiceCreated: {
        "service_id": 4,
        "customer_id": 1,
        "service_uuid": "Mobile_a3f2c1d8",
        "service_status": "Active",
        "created": "2025-01-04T10:30:00Z",
    },
    c.ServiceUpdated: {"service_id": 4, "customer_id": 1, "changed_fields": ["retail_cost"], "retail_cost": "30.00"},
    c.ServiceStatusChanged: {
        "service_id": 4,
        "customer_id": 1,
        "service_uuid": "S_1",
        "from": "Active",
        "to": "Suspended",
    },
    c.ServiceDeactivated: {"service_id": 4, "customer_id": 1, "service_uuid": "S_1"},
    c.ServiceExpiryExtended: {
        "service_id": 4,
        "customer_id": 1,
        "service_uuid": "S_1",
        "service_deactivate_date": "2025-02-04T10:30:00Z",
    },
    c.ServiceVisibilityChanged: {
        "service_id": 4,
        "customer_id": 1,
        "service_visible_to_customer": False,
        "service_usage_visible_to_customer": True,
    },
    c.ServiceDeleted: {"service_id": 4, "customer_id": 1, "service_uuid": "S_1"},
    c.CustomerAttributeSet: {
        "attribute_id": 5,
        "customer_id": 1,
        "attribute_name": "vlan_id",
        "attribute_value": "100",
    },
    c.CustomerAttributeValueChanged: {
        "attribute_id": 5,
        "customer_id": 1,
        "attribute_name": "vlan_id",
        "old_value": "100",
        "new_value": "200",
    },
    c.CustomerAttributeRemoved: {"attribute_id": 5, "customer_id": 1, "attribute_name": "vlan_id"},
    c.CustomerTagAdded: {"tag_id": 6, "customer_id": 1, "tag_text": "VIP", "tag_hex_color": "FFD700"},
    c.CustomerTagUpdated: {"tag_id": 6, "customer_id": 1, "changed_fields": ["tag_text"], "tag_text": "VIP+"},
    c.CustomerTagRemoved: {"tag_id": 6, "customer_id": 1},
    c.ActivityNoteAdded: {"customer_id": 1, "activity_id": "0b5d3c1e-1b1e-5c8e-9d5e-1a2b3c4d5e6f"},
    c.CustomersCommandReplied: {
        "command_id": "provision-1/activate_service/do/0",
        "command_type": "customers.ActivateProvisionedService.v1",
        "issuer": "provisioning",
        "outcome": "completed",
    },
    c.ServiceExpiringDetected: {
        "service_id": 9,
        "customer_id": 1,
        "service_uuid": "Mobile_1",
        "expiry": "2026-01-08T00:00:00Z",
        "threshold_days": 7,
    },
    c.NotificationPreferencesChanged: {
        "customer_id": 1,
        "preferences": {"email_enabled": True, "sms_enabled": False, "balance_alerts": True, "expiry_reminders": True},
    },
    c.CommunicationRequested: {"communication_id": 3, "customer_id": 1, "channel": "email", "to": "jo@acme.example"},
    c.CommunicationSent: {"communication_id": 3, "customer_id": 1, "channel": "sms", "attempt": 1},
    c.CommunicationFailed: {"communication_id": 3, "customer_id": 1, "channel": "sms", "attempt": 2, "error": "x"},
}


def test_service_status_changed_serialises_as_from_and_to() -> None:
    event = c.ServiceStatusChanged(
        service_id=4, customer_id=1, service_uuid="S_1", from_status="Active", to_status="Deactivated"
    )

    body = json.loads(event.model_dump_json())

    assert (body["from"], body["to"]) == ("Active", "Deactivated")


def test_service_costs_serialise_as_decimal_strings() -> None:
    event = c.ServiceUpdated(service_id=4, customer_id=1, changed_fields=["retail_cost"], retail_cost=Decimal("30.50"))

    assert json.loads(event.model_dump_json())["retail_cost"] == "30.50"


def test_every_published_event_has_a_minimal_sample_here() -> None:
    assert set(MINIMAL) == set(PUBLISHED)


@pytest.mark.parametrize("cls", PUBLISHED, ids=lambda c: c.__name__)
def test_integration_events_are_frozen(cls: type[IntegrationEvent]) -> None:
    event = cls.model_validate(MINIMAL[cls])

    with pytest.raises(ValidationError):
        event.customer_id = 99  # type: ignore[attr-defined]


def test_changing_a_field_of_an_event_raises() -> None:
    event = SiteAdded(site_id=1, customer_id=2)

    with pytest.raises(ValidationError):
        event.site_id = 5  # type: ignore[misc]


@pytest.mark.parametrize("cls", PUBLISHED, ids=lambda c: c.__name__)
def test_integration_events_ignore_unknown_fields(cls: type[IntegrationEvent]) -> None:
    plain = cls.model_validate(MINIMAL[cls])

    tolerant = cls.model_validate({**MINIMAL[cls], "added_in_a_later_release": {"x": 1}})

    assert tolerant == plain


def test_a_reader_ignores_fields_added_by_a_newer_producer() -> None:
    body = '{"customer_id": 1, "from": "Open", "to": "Closed", "reason": "non-payment", "extra": {"a": 1}}'

    event = CustomerStatusChanged.model_validate_json(body)

    assert event == CustomerStatusChanged(customer_id=1, from_status="Open", to_status="Closed")
    assert "reason" not in event.model_dump()
