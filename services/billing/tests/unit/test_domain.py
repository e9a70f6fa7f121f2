"""The billing domain without I/O: transaction rules, invoice state machine, dunning, cards (billing.md §4, §5)."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from omnibus.billing.domain import (
    DEFAULT_SCHEDULE,
    ConflictError,
    InvalidInvoiceError,
    InvalidTransactionError,
    Invoice,
    PaymentMethod,
    Transaction,
)
from omnibus.billing.domain.dunning import parse_schedule
from omnibus.billing.domain.money import line_tax, total


def a_line(**fields):
    base = {"title": "Mobile", "retail_cost": Decimal("30.00")}
    return Transaction(
        id=uuid4(), transaction_id=1, customer_id=1, fields=Transaction.new_fields({**base, **fields}, "usd")
    )


def an_invoice(total_amount="33.00", due="2025-01-31", service_ids=(5,)):
    fields = {
        "title": "January",
        "start_date": "2025-01-01",
        "end_date": "2025-01-31",
        "due_date": due,
        "transaction_ids": [1],
        "service_ids": list(service_ids),
        "retail_cost": Decimal("30.00"),
        "total_tax": Decimal("3.00"),
        "total": Decimal(total_amount),
        "currency": "usd",
        "invoice_number": "1",
    }
    return Invoice(id=uuid4(), invoice_id=1, customer_id=1, fields=fields)


def payment(amount="33.00"):
    return {"payment_id": 1, "amount": Decimal(amount), "method": "cash", "reference": "R", "paid_date": "2025-02-01"}


@pytest.mark.parametrize(
    "retail, pct, tax",
    [
        ("9.99", "17.5", "1.75"),
        ("0.05", "10", "0.01"),
        ("-0.05", "10", "-0.01"),
        ("100", "0", "0.00"),
        ("0.01", "49.9999", "0.00"),
        ("0.01", "50", "0.01"),
    ],
)
def test_line_tax_rounds_half_up_to_the_cent(retail, pct, tax):
    assert line_tax(Decimal(retail), Decimal(pct)) == Decimal(tax)


def test_totals_are_exact():
    assert total([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")


def test_credit_and_payment_are_stored_negative_and_a_negative_charge_is_refused():
    assert a_line(transaction_type="credit", retail_cost=Decimal("10")).retail_cost == Decimal("-10")
    assert a_line(transaction_type="payment", payment_method="cash").retail_cost == Decimal("-30.00")
    with pytest.raises(InvalidTransactionError):
        a_line(transaction_type="charge", retail_cost=Decimal("-1"))
    with pytest.raises(InvalidTransactionError):
        a_line(payment_method="cash")


def test_only_uninvoiced_non_void_charges_and_credits_are_invoiceable():
    line = a_line()
    line.invoice(9)

    with pytest.raises(ConflictError):
        line.invoice(10)
    with pytest.raises(ConflictError):
        line.edit({"title": "x"})
    line.release(9)
    line.void_line()
    with pytest.raises(ConflictError):
        line.invoice(11)
    assert not a_line(transaction_type="payment", payment_method="cash").invoiceable


def test_editing_recomputes_tax_and_records_only_real_changes():
    line = a_line(tax_percentage=Decimal("10"))

    assert line.edit({"retail_cost": Decimal("50.00")}) == ["retail_cost", "tax_amount"]
    assert line.tax_amount == Decimal("5.00")
    assert line.edit({"title": "Mobile"}) == []


def test_invoice_states_unpaid_paid_partially_refunded_refunded():
    invoice = an_invoice()
    assert invoice.status == "Unpaid"

    invoice.pay(payment())
    assert invoice.status == "Paid"
    invoice.refund(Decimal("10.00"), "re_1", "stripe")
    assert invoice.status == "Partially Refunded"
    invoice.refund_up_to(Decimal("33.00"), "re_2", "stripe")
    assert (invoice.status, invoice.refunded_amount) == ("Refunded", Decimal("33.00"))
    invoice.refund_up_to(Decimal("33.00"), "re_2", "stripe")  # the webhook of the same refund: no-op
    assert invoice.refunded_amount == Decimal("33.00")


def test_paid_invoices_cannot_be_voided_or_paid_again_and_payments_must_be_the_total():
    with pytest.raises(InvalidInvoiceError):
        an_invoice().pay(payment("30.00"))
    invoice = an_invoice()
    invoice.pay(payment())

    with pytest.raises(ConflictError):
        invoice.void_invoice()
    with pytest.raises(ConflictError):
        invoice.pay(payment())


def test_refund_checks():
    invoice = an_invoice()
    with pytest.raises(ConflictError):
        invoice.check_refund(None)
    invoice.pay(payment())

    with pytest.raises(Exception, match="exceeds"):
        invoice.check_refund(Decimal("33.01"))
    assert invoice.check_refund(None) == Decimal("33.00")


def test_dunning_steps_are_recorded_once_and_suspension_then_restoration():
    invoice = an_invoice(due="2025-01-31")

    due_day16 = invoice.dunning_steps_due(date(2025, 2, 16), DEFAULT_SCHEDULE)
    for step in due_day16:
        invoice.reach_dunning_step(step)
    assert [s.day for s in due_day16] == [1, 2, 3, 4, 7, 8, 15]
    assert invoice.suspended and invoice.dunning_steps_due(date(2025, 2, 16), DEFAULT_SCHEDULE) == []
    invoice.pay(payment())
    assert not invoice.suspended
    assert [type(e).__name__ for e in invoice.collect_events()][-2:] == ["Paid", "ServiceRestorationRequested"]


def test_a_dunning_schedule_from_configuration_is_checked():
    assert [s.day for s in parse_schedule([{"day": 10, "action": "suspend"}, {"day": 2, "action": "reminder"}])] == [
        2,
        10,
    ]
    with pytest.raises(ValueError):
        parse_schedule([{"day": 0, "action": "reminder"}])
    with pytest.raises(ValueError):
        parse_schedule([{"day": 3, "action": "terminate"}])


def test_card_expiry_and_reminders_once_per_threshold():
    card = PaymentMethod(
        id=uuid4(),
        card_id=1,
        customer_id=1,
        customer_stripe_id="pm_1",
        stripe_customer_id="cus_1",
        card={"brand": "visa", "last4": "4242", "exp_month": 2, "exp_year": 2028, "name": None},
        nickname=None,
        is_default=True,
    )

    assert card.expires_on() == date(2028, 2, 29)
    assert card.remind_expiry(30, "automatic") is True
    assert card.remind_expiry(30, "automatic") is False
    assert card.remind_expiry(30, "manual") is True
