"""Communications exactly once on PostgreSQL and RabbitMQ: a trigger delivered again (a redelivery, a relay's
re-publish) sends nothing more; the messages reach the Mailjet and SMSC stand-ins over HTTP."""

from typing import Any

import pytest

from omnibus.contracts import billing as b
from omnibus.contracts import charging as ch
from omnibus.testing.helpers import eventually

pytestmark = pytest.mark.integration


def test_a_trigger_delivered_three_times_sends_one_email(api_on_rabbitmq, a_contact, an_invoice) -> None:
    api = api_on_rabbitmq
    customer_id = api.new_customer(contact=a_contact(contact_types=["billing"]))["customer_id"]
    api.deliver(an_invoice(customer_id))

    request = api.deliver(b.InvoiceEmailRequested(invoice_id=77, customer_id=customer_id))
    api.publish(request)
    api.publish(request)
    api.deliver(b.DunningStepReached(invoice_id=77, customer_id=customer_id, day=4, action="reminder"))

    eventually(lambda: _sent(api, customer_id, 3), timeout=30)  # the welcome, the invoice, the reminder
    templates = sorted(m["TemplateID"] for m in api.mailjet.sent_to("john@acme.example"))
    assert templates == [5977509, 6759851, 6759852]


def test_a_low_balance_delivered_twice_sends_one_email_and_one_sms(api_on_rabbitmq, a_contact, a_low_balance) -> None:
    api = api_on_rabbitmq
    customer = api.new_customer(contact=a_contact())
    service = api.new_service(customer["customer_id"])

    signal = api.deliver(a_low_balance(service))
    api.publish(signal)
    depleted = ch.BalanceDepleted(
        service_uuid=service["service_uuid"], balance_type="*data", signal_key="z", source="callback"
    )
    api.deliver(depleted)

    eventually(lambda: _sent(api, customer["customer_id"], 4), timeout=30)  # welcome, low by e-mail and SMS, depleted
    assert len(api.smsc.sent_to("447700900123")) == 2  # the low-balance SMS once, the depleted one once
    assert len(api.mailjet.sent_to("john@acme.example")) == 2  # the welcome, the low balance once


def _sent(api: Any, customer_id: int, count: int) -> None:
    response = api.get(f"/crm/communication/customer_id/{customer_id}")
    statuses = [c["status"] for c in response.json()["data"]]
    assert statuses == ["sent"] * count, statuses
