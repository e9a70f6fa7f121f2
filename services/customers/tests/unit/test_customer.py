"""The Customer aggregate (customers.md §2.1): creation, updates, status changes and contract dates."""

from datetime import UTC, datetime
from typing import Any

import pytest

from omnibus.customers.domain import Customer
from omnibus.customers.domain.errors import InvalidCustomerError, UnknownFieldError
from omnibus.platform.eventstore import aggregate_uuid

JAN_1 = datetime(2025, 1, 1, tzinfo=UTC)
DEC_31 = datetime(2025, 12, 31, tzinfo=UTC)


def a_customer(**overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "customer_id": 12,
        "customer_name": "Acme Corporation",
        "customer_account_type": "Business",
        "customer_status": "Open",
        "customer_payment_type": "postpaid",
        "customer_enabled": True,
        "tax_identifier": "GB123456789",
        "contract_start_date": JAN_1,
        "contract_end_date": DEC_31,
        **overrides,
    }
    return Customer(id=aggregate_uuid("customer", fields["customer_id"]), **fields)


def a_saved_customer(**overrides: Any) -> Customer:
    """A customer whose creation event was already collected (as after a save)."""
    customer = a_customer(**overrides)
    customer.collect_events()
    return customer


def test_a_new_customer_holds_the_given_fields():
    customer = a_customer()

    assert (customer.customer_id, customer.customer_name) == (12, "Acme Corporation")
    assert customer.customer_account_type == "Business"
    assert customer.customer_status == "Open"
    assert customer.customer_payment_type == "postpaid"
    assert customer.customer_enabled is True
    assert customer.tax_identifier == "GB123456789"
    assert (customer.contract_start_date, customer.contract_end_date) == (JAN_1, DEC_31)


def test_a_new_customer_records_one_created_event_with_its_fields():
    customer = a_customer()

    events = customer.collect_events()

    assert [type(e) for e in events] == [Customer.Created]
    assert events[0].customer_id == 12
    assert events[0].customer_name == "Acme Corporation"
    assert events[0].customer_status == "Open"


def test_a_customer_id_derives_its_aggregate_uuid():
    customer = a_customer(customer_id=99)

    assert customer.id == aggregate_uuid("customer", 99)


def test_a_contract_ending_before_it_starts_is_refused_at_creation():
    with pytest.raises(InvalidCustomerError):
        a_customer(contract_start_date=DEC_31, contract_end_date=JAN_1)


def test_a_contract_without_dates_is_accepted():
    customer = a_customer(contract_start_date=None, contract_end_date=None)

    assert customer.contract_end_date is None


def test_update_records_only_the_fields_that_really_change():
    customer = a_saved_customer()

    changed = customer.update({"customer_name": "Acme Ltd", "customer_enabled": True, "tax_identifier": "GB123456789"})

    events = customer.collect_events()
    assert changed == ["customer_name"]
    assert [type(e) for e in events] == [Customer.Updated]
    assert events[0].changes == {"customer_name": "Acme Ltd"}
    assert customer.customer_name == "Acme Ltd"


def test_update_returns_the_changed_names_sorted():
    customer = a_saved_customer()

    changed = customer.update({"tax_identifier": "X1", "customer_name": "B", "customer_payment_type": "prepaid"})

    assert changed == ["customer_name", "customer_payment_type", "tax_identifier"]


def test_update_without_real_changes_records_no_event():
    customer = a_saved_customer()

    changed = customer.update({"customer_name": "Acme Corporation", "customer_enabled": True})

    assert changed == []
    assert customer.collect_events() == []


def test_update_refuses_unknown_fields_and_changes_nothing():
    customer = a_saved_customer()

    with pytest.raises(UnknownFieldError, match="favourite_colour"):
        customer.update({"customer_name": "Other", "favourite_colour": "red"})

    assert customer.customer_name == "Acme Corporation"
    assert customer.collect_events() == []


def test_update_refuses_the_status_which_has_its_own_command():
    customer = a_saved_customer()

    with pytest.raises(UnknownFieldError):
        customer.update({"customer_status": "Closed"})


def test_update_refuses_a_contract_end_before_the_current_start():
    customer = a_saved_customer()

    with pytest.raises(InvalidCustomerError):
        customer.update({"contract_end_date": datetime(2024, 6, 1, tzinfo=UTC)})

    assert customer.contract_end_date == DEC_31
    assert customer.collect_events() == []


def test_update_accepts_moving_both_contract_dates_together():
    customer = a_saved_customer()

    changed = customer.update(
        {
            "contract_start_date": datetime(2026, 1, 1, tzinfo=UTC),
            "contract_end_date": datetime(2026, 12, 31, tzinfo=UTC),
        }
    )

    assert changed == ["contract_end_date", "contract_start_date"]


def test_change_status_records_the_old_and_new_status():
    customer = a_saved_customer()

    moved = customer.change_status("Suspended")

    events = customer.collect_events()
    assert moved is True
    assert customer.customer_status == "Suspended"
    assert [type(e) for e in events] == [Customer.StatusChanged]
    assert (events[0].from_status, events[0].to_status) == ("Open", "Suspended")


def test_change_status_to_the_current_status_is_a_no_op():
    customer = a_saved_customer()

    moved = customer.change_status("Open")

    assert moved is False
    assert customer.collect_events() == []


def test_change_status_refuses_an_unknown_status():
    customer = a_saved_customer()

    with pytest.raises(InvalidCustomerError):
        customer.change_status("Deleted")

    assert customer.customer_status == "Open"
