"""Service, Attribute and Tag aggregates (customers.md §2.4-§2.6, §4.5): rules, real-change events, idempotence."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omnibus.customers.domain import Attribute, Service, Tag, UniqueKey
from omnibus.customers.domain.errors import InvalidStatusTransitionError, InvalidTagError, UnknownFieldError
from omnibus.customers.domain.service import with_defaults
from omnibus.platform.eventstore import aggregate_uuid

START = datetime(2025, 1, 1, tzinfo=UTC)


def a_service(status: str = "Active", **fields: Any) -> Service:
    service = Service(
        id=aggregate_uuid("service", 9),
        service_id=9,
        customer_id=12,
        service_status=status,
        fields=with_defaults({"service_name": "Mobile", "service_uuid": "Mobile_a3f2c1d8", **fields}),
    )
    service.collect_events()
    return service


def a_tag(**fields: Any) -> Tag:
    tag = Tag(
        id=aggregate_uuid("tag", 4),
        tag_id=4,
        customer_id=12,
        fields={
            "tag_text": "Late invoice",
            "tag_hex_color": "FF0000",
            "tag_link": None,
            "tag_active_date": START,
            "tag_deactivate_date": datetime(2099, 1, 1, tzinfo=UTC),
            **fields,
        },
    )
    tag.collect_events()
    return tag


def test_a_new_service_is_billed_taxable_and_visible_unless_told_otherwise():
    service = a_service()

    assert (service.service_billed, service.service_taxable) == (True, True)
    assert (service.service_visible_to_customer, service.service_usage_visible_to_customer) == (True, True)
    assert service.retail_cost == Decimal("0.00")
    assert service.invoiced is False


@pytest.mark.parametrize(
    "start, target",
    [
        ("Active", "Suspended"),
        ("Suspended", "Active"),
        ("Active", "Inactive"),
        ("Inactive", "Active"),
        ("Active", "Deactivated"),
        ("Suspended", "Deactivated"),
        ("Inactive", "Deactivated"),
    ],
)
def test_allowed_status_transitions_record_a_status_change(start, target):
    service = a_service(start)

    changed = service.change_status(target)

    assert changed and service.service_status == target
    assert isinstance(service.collect_events()[0], Service.StatusChanged)


@pytest.mark.parametrize("start, target", [("Suspended", "Inactive"), ("Inactive", "Suspended")])
def test_transitions_outside_the_state_machine_are_refused(start, target):
    service = a_service(start)

    with pytest.raises(InvalidStatusTransitionError):
        service.change_status(target)


def test_a_deactivated_service_is_terminal():
    service = a_service()
    service.change_status("Deactivated")

    with pytest.raises(InvalidStatusTransitionError):
        service.change_status("Active")


def test_setting_the_current_status_again_records_nothing():
    service = a_service()

    assert service.change_status("Active") is False
    assert service.collect_events() == []


def test_read_only_fields_cannot_be_updated():
    service = a_service()

    with pytest.raises(UnknownFieldError):
        service.update({"service_uuid": "Other_1"})


def test_an_update_with_the_current_values_records_nothing():
    service = a_service(service_notes="n")

    assert service.update({"service_notes": "n"}) == []
    assert service.collect_events() == []


def test_an_earlier_expiry_is_an_update_but_not_an_extension():
    service = a_service(service_deactivate_date=datetime(2025, 3, 1, tzinfo=UTC))

    service.update({"service_deactivate_date": START})

    assert [type(e) for e in service.collect_events()] == [Service.Updated]


def test_changing_a_visibility_flag_records_the_visibility_change():
    service = a_service()

    service.update({"service_usage_visible_to_customer": False})

    events = service.collect_events()
    assert [type(e) for e in events] == [Service.Updated, Service.VisibilityChanged]
    assert events[1].service_usage_visible_to_customer is False


def test_deleting_twice_records_one_event():
    service = a_service()

    service.delete()
    service.delete()

    assert [type(e) for e in service.collect_events()] == [Service.Deleted]


def test_a_service_cannot_be_created_deactivated():
    with pytest.raises(InvalidStatusTransitionError):
        a_service("Deactivated")


def test_an_attribute_value_change_records_old_and_new_values_once():
    attribute = Attribute(
        id=aggregate_uuid("attribute", 1), attribute_id=1, customer_id=12, attribute_name="tier", attribute_value="a"
    )
    attribute.collect_events()

    assert attribute.change_value("b") is True
    assert attribute.change_value("b") is False

    (changed,) = attribute.collect_events()
    assert (changed.old_value, changed.new_value) == ("a", "b")


def test_a_tag_window_must_end_after_it_starts():
    with pytest.raises(InvalidTagError):
        a_tag(tag_deactivate_date=START)


def test_moving_a_tag_start_past_its_end_is_refused():
    tag = a_tag()

    with pytest.raises(InvalidTagError):
        tag.update({"tag_active_date": datetime(2100, 1, 1, tzinfo=UTC)})


def test_a_tag_shows_only_inside_its_window():
    tag = a_tag(tag_deactivate_date=datetime(2025, 2, 1, tzinfo=UTC))

    assert not tag.is_shown_at(datetime(2024, 12, 31, tzinfo=UTC))
    assert tag.is_shown_at(START)
    assert not tag.is_shown_at(datetime(2025, 2, 1, tzinfo=UTC))


def test_a_released_unique_key_can_be_claimed_again():
    key = UniqueKey(id=aggregate_uuid("unique_key", 1), key="service_uuid:S_1", owner=5)

    key.release()
    key.claim(6)

    assert key.owner == 6
