"""Customer communications over HTTP and the bus (customers.md §4.8, §2.8, §2.9): the triggers, the preferences,
the endpoints and their permissions; every message reaches the Mailjet or SMSC stand-in over HTTP."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omnibus.contracts import billing as b
from omnibus.contracts import charging as ch
from omnibus.testing.helpers import eventually

BUSINESS = {"customer_name": "Acme Corporation", "customer_account_type": "Business"}


def comms_of(api, customer_id: int, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/crm/communication/customer_id/{customer_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def sent(api, customer_id: int, count: int) -> list[dict[str, Any]]:
    """The customer's communications once ``count`` of them are sent."""

    def done() -> list[dict[str, Any]]:
        found = [c for c in comms_of(api, customer_id) if c["status"] == "sent"]
        assert len(found) >= count, comms_of(api, customer_id)
        return found

    return eventually(done)


def a_customer_with_contacts(api, a_contact) -> dict[str, Any]:
    customer = api.new_customer(**BUSINESS, contact=a_contact(contact_types=["primary"]))
    api.new_contact(
        customer["customer_id"],
        contact_firstname="Bill",
        contact_email="billing@acme.example",
        contact_phone="+44 7700 900999",
        contact_types=["billing"],
    )
    return customer


def test_a_new_customer_gets_the_welcome_email_at_its_primary_contact(api, a_contact):
    customer = api.new_customer(**BUSINESS, contact=a_contact())

    (welcome,) = sent(api, customer["customer_id"], 1)

    (message,) = api.mailjet.sent_to("john@acme.example")
    assert welcome["template_key"] == "api_crmCommunicationCustomerWelcome" and welcome["to"] == "john@acme.example"
    assert message["TemplateID"] == 5977509 and message["Subject"] == "Welcome to YourCompany"
    assert message["Variables"]["customer_name"] == "Acme Corporation"
    assert message["Variables"]["company_name"] == "Acme Corporation" and "login_url" in message["Variables"]
    assert welcome["provider_message_id"] == str(message["MessageID"])


def test_a_customer_without_an_email_address_gets_no_welcome(api, a_contact):
    customer = api.new_customer(contact=a_contact(contact_email=None))

    assert comms_of(api, customer["customer_id"]) == [] and api.mailjet.messages == []


def test_an_invoice_email_request_sends_the_invoice_to_the_billing_contact_once(api, a_contact, an_invoice):
    customer = a_customer_with_contacts(api, a_contact)
    customer_id = customer["customer_id"]
    api.deliver(an_invoice(customer_id))
    request = api.deliver(b.InvoiceEmailRequested(invoice_id=77, customer_id=customer_id))

    api.publish(request)  # a redelivery: the inbox knows it
    invoice = next(c for c in sent(api, customer_id, 2) if c["template_key"] == "api_crmCommunicationCustomerInvoice")

    (message,) = api.mailjet.sent_to("billing@acme.example")
    assert invoice["related"] == {"invoice_id": 77} and invoice["trigger_event_id"] == request.message_id
    assert message["Subject"] == "Your Invoice - INV-77"
    variables = message["Variables"]
    assert (variables["invoice_number"], variables["total_amount"], variables["invoice_amount"]) == (
        "INV-77",
        "44.00",
        "44.00",
    )
    assert (variables["due_date"], variables["invoice_date"], variables["currency"]) == (
        "2026-02-15",
        "2026-02-01",
        "GBP",
    )


def test_the_same_event_requested_twice_by_a_reaction_records_one_communication(api, a_contact, an_invoice):
    customer = a_customer_with_contacts(api, a_contact)
    api.deliver(an_invoice(customer["customer_id"]))
    reaction = next(r for r in api.runtime.parts.reactions if r.name == "communications")
    request = api.deliver(b.InvoiceEmailRequested(invoice_id=77, customer_id=customer["customer_id"]))
    sent(api, customer["customer_id"], 2)

    from omnibus.platform.consumers import decode
    from omnibus.platform.messaging.bus import Delivery

    event = decode(Delivery("q", request.routing_key, request.body, request.message_id, request.headers))
    reaction.react(event)  # as after a crash between the communication and the inbox row

    assert len(comms_of(api, customer["customer_id"])) == 2 and len(api.mailjet.sent_to("billing@acme.example")) == 1


def test_an_invoice_and_its_email_request_in_one_batch_still_send_it(api, a_contact, an_invoice):
    customer = a_customer_with_contacts(api, a_contact)
    customer_id = customer["customer_id"]
    generated = api.message(an_invoice(customer_id, invoice_id=80))
    request = api.message(b.InvoiceEmailRequested(invoice_id=80, customer_id=customer_id, to="ap@acme.example"))

    api.publish(generated, request)  # one batch: the reaction runs before the batch's rows are written

    eventually(lambda: api.mailjet.sent_to("ap@acme.example")[0])


def test_an_invoice_email_to_a_bad_address_is_dead_lettered_with_the_reason(api, a_contact, an_invoice):
    customer = a_customer_with_contacts(api, a_contact)
    api.deliver(an_invoice(customer["customer_id"]))

    api.deliver(b.InvoiceEmailRequested(invoice_id=77, customer_id=customer["customer_id"], to="not-an-address"))

    dead = eventually(lambda: api.client.portal.call(api.bus.dead_letters, "customers.from.billing")[0])
    assert "not an e-mail address" in dead.error and dead.attempts == 1
    assert all(
        c["template_key"] != "api_crmCommunicationCustomerInvoice" for c in comms_of(api, customer["customer_id"])
    )


def test_dunning_reminders_and_failed_payments_mail_the_billing_contact(api, a_contact, an_invoice):
    customer = a_customer_with_contacts(api, a_contact)
    customer_id = customer["customer_id"]
    api.deliver(an_invoice(customer_id))

    api.deliver(b.DunningStepReached(invoice_id=77, customer_id=customer_id, day=4, action="reminder"))
    api.deliver(b.DunningStepReached(invoice_id=77, customer_id=customer_id, day=1, action="retry"))
    api.deliver(b.InvoicePaymentFailed(invoice_id=77, customer_id=customer_id, reason="card_declined"))

    keys = sorted(c["template_key"] for c in sent(api, customer_id, 3))
    assert keys == [
        "api_crmCommunicationCustomerInvoiceReminder",
        "api_crmCommunicationCustomerWelcome",
        "api_crmCommunicationPaymentFailed",
    ]
    reminder = next(m for m in api.mailjet.sent_to("billing@acme.example") if m["TemplateID"] == 6759852)
    assert reminder["Variables"]["days_overdue"] == 4


def test_a_low_balance_is_told_by_email_and_sms(api, a_contact, a_low_balance):
    customer = api.new_customer(contact=a_contact())
    service = api.new_service(customer["customer_id"])

    api.deliver(a_low_balance(service))

    found = [c for c in sent(api, customer["customer_id"], 3) if c["template_key"] == "api_crmCommunicationsBalanceLow"]
    assert sorted(c["channel"] for c in found) == ["email", "sms"]
    (sms,) = api.smsc.sent_to("447700900123")
    assert "is low (2.00 GB left)" in sms["message_body"] and service["service_uuid"] in sms["message_body"]
    email = next(m for m in api.mailjet.sent_to("john@acme.example") if m["TemplateID"] == 5977516)
    assert (email["Variables"]["balance_type"], email["Variables"]["threshold"]) == ("data", 20)


def test_preferences_turn_off_balance_alerts_and_sms(api, a_contact, a_low_balance):
    customer = api.new_customer(contact=a_contact())
    customer_id = customer["customer_id"]
    service = api.new_service(customer_id)
    path = f"/crm/customer/customer_id/{customer_id}/notification_preferences"
    assert api.patch(path, json={"sms_enabled": False}).json()["sms_enabled"] is False

    api.deliver(a_low_balance(service))
    api.deliver(
        ch.BalanceDepleted(
            service_uuid=service["service_uuid"], balance_type="*data", signal_key="x", source="callback"
        )
    )
    api.deliver(
        ch.BalanceExpired(
            service_uuid=service["service_uuid"], balance_type="*voice", signal_key="y", source="callback"
        )
    )
    sent(api, customer_id, 3)  # welcome, balance low and balance expired by e-mail; the SMS are off
    api.patch(path, json={"balance_alerts": False})
    api.deliver(a_low_balance(service))

    eventually(lambda: _activity_shows(api, customer_id, "preferences_changed", 2))
    assert sorted((c["template_key"], c["channel"]) for c in comms_of(api, customer_id)) == [
        ("api_crmCommunicationCustomerWelcome", "email"),
        ("api_crmCommunicationsBalanceExpired", "email"),
        ("api_crmCommunicationsBalanceLow", "email"),
    ]
    assert api.smsc.messages == []


def _activity_shows(api, customer_id: int, action: str, count: int) -> None:
    log = api.get(f"/crm/activity/customer_id/{customer_id}", params={"filters": json.dumps({"action": [action]})})
    assert log.json()["pagination"]["total_items"] == count


def test_services_about_to_expire_get_one_reminder_per_threshold(api, a_contact):
    customer = api.new_customer(contact=a_contact())
    expiry = (datetime.now(UTC) + timedelta(days=2, hours=12)).isoformat()
    service = api.new_service(customer["customer_id"], service_deactivate_date=expiry)

    first = api.post("/crm/service/expiring/remind").json()
    again = api.post("/crm/service/expiring/remind").json()

    assert first == {"reminders": [{"service_id": service["service_id"], "threshold_days": 3}]}
    assert again == {"reminders": []}
    found = [
        c for c in sent(api, customer["customer_id"], 3) if c["template_key"] == "api_crmCommunicationServiceExpiring"
    ]
    assert sorted(c["channel"] for c in found) == ["email", "sms"]
    expiring = eventually(lambda: _one_expiring_entry(api, customer["customer_id"]))
    assert expiring["summary"].endswith("(3-day reminder)")


def _one_expiring_entry(api, customer_id: int) -> dict[str, Any]:
    log = api.get(f"/crm/activity/customer_id/{customer_id}", params={"filters": json.dumps({"action": ["expiring"]})})
    (entry,) = log.json()["data"]
    return entry


def test_staff_send_a_template_email_and_an_sms(api, a_contact):
    customer = api.new_customer(contact=a_contact())
    customer_id = customer["customer_id"]

    email = api.put(
        "/crm/communication/",
        json={
            "customer_id": customer_id,
            "channel": "email",
            "template_key": "api_crmCommunicationCustomerInvoiceReminder",
            "variables": {"invoice_number": "INV-9", "reset_token": "s3cret"},
        },
    )
    sms = api.post("/crm/communication/", json={"customer_id": customer_id, "channel": "sms", "message": "Hello"})

    assert email.status_code == 200, email.text
    assert email.json()["status"] == "requested" and email.json()["variables"]["reset_token"] == "***"
    assert sms.status_code == 200 and sms.json()["to"] == "+44 7700 900123"
    eventually(lambda: api.smsc.sent_to("447700900123")[0])
    one = eventually(lambda: _sent_one(api, email.json()["communication_id"]))
    assert one["attempts"] == 1 and one["provider_message_id"]


def _sent_one(api, communication_id: int) -> dict[str, Any]:
    body = api.get(f"/crm/communication/communication_id/{communication_id}").json()
    assert body["status"] == "sent"
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"channel": "email", "template_key": "api_crmCommunicationNope"}, "Unknown template"),
        ({"channel": "email"}, "template_key"),
        ({"channel": "sms"}, "message"),
        ({"channel": "sms", "message": "x", "template_key": "api_crmCommunicationCustomerWelcome"}, "not a template"),
        ({"channel": "fax", "message": "x"}, "channel"),
        ({"channel": "sms", "message": "x", "to": "call me"}, "phone number"),
        ({"channel": "email", "template_key": "api_crmCommunicationCustomerWelcome", "to": "nope"}, "e-mail address"),
        ({"channel": "email", "template_key": "api_crmCommunicationCustomerWelcome", "variables": {"a": [1]}}, ""),
        ({"channel": "email", "template_key": "api_crmCommunicationCustomerWelcome", "variables": {"bad name": 1}}, ""),
        ({"channel": "sms", "message": "x" * 1601}, "message"),
        ({"channel": "sms", "message": "x", "cc": "boss"}, "cc"),
    ],
)
def test_bad_sends_are_400_and_send_nothing(api, a_contact, body, expected):
    customer = api.new_customer(contact=a_contact(contact_email=None))

    response = api.put("/crm/communication/", json={"customer_id": customer["customer_id"], **body})

    assert response.status_code == 400 and expected in response.text
    assert comms_of(api, customer["customer_id"]) == []


def test_a_send_to_a_customer_without_such_a_contact_is_400(api, a_contact):
    customer = api.new_customer(contact=a_contact(contact_email=None, contact_phone=None))
    body = {"customer_id": customer["customer_id"], "channel": "sms", "message": "Hello"}

    no_phone = api.put("/crm/communication/", json=body)
    missing = api.put("/crm/communication/", json={**body, "customer_id": 999999})
    given = api.put("/crm/communication/", json={**body, "to": "+61 412 345 678"})

    assert no_phone.status_code == 400 and "no contact with a phone number" in no_phone.text
    assert missing.status_code == 404 and given.status_code == 200


def test_a_failed_communication_can_be_sent_again_and_only_a_failed_one(api, a_contact):
    customer = api.new_customer(contact=a_contact(contact_email=None))
    api.mailjet.fail_next(1, status=400, method="POST")  # refused: failed at once
    body = {"customer_id": customer["customer_id"], "channel": "email", "to": "x@acme.example",
            "template_key": "api_crmCommunicationCustomerWelcome"}  # fmt: skip
    communication_id = api.put("/crm/communication/", json=body).json()["communication_id"]
    path = f"/crm/communication/communication_id/{communication_id}"
    eventually(lambda: _status_is(api, path, "failed"))

    retried = api.post(f"{path}/retry")
    eventually(lambda: _status_is(api, path, "sent"))

    assert retried.status_code == 200 and api.post(f"{path}/retry").status_code == 409
    assert api.post("/crm/communication/communication_id/424242/retry").status_code == 404


def _status_is(api, path: str, status: str) -> None:
    assert api.get(path).json()["status"] == status


def test_communication_permissions(api, a_contact):
    mine = api.new_customer(contact=a_contact())
    other = api.new_customer(contact=a_contact())
    sent(api, mine["customer_id"], 1)
    welcome_id = comms_of(api, mine["customer_id"])[0]["communication_id"]
    body = {"customer_id": mine["customer_id"], "channel": "sms", "message": "Hi"}
    me = api.auth("view_own_communication", customer_id=mine["customer_id"])
    list_mine, list_other = (f"/crm/communication/customer_id/{c['customer_id']}" for c in (mine, other))

    assert api.get(list_mine, headers=api.auth("view_customer")).status_code == 403
    assert api.get(list_mine, headers=api.auth("view_communication")).status_code == 200
    assert api.get(list_mine, headers=me).status_code == 200 and api.get(list_other, headers=me).status_code == 404
    assert api.get(f"/crm/communication/communication_id/{welcome_id}", headers=me).status_code == 200
    other_id = comms_of(api, other["customer_id"])[0]["communication_id"]
    assert api.get(f"/crm/communication/communication_id/{other_id}", headers=me).status_code == 404
    assert api.put("/crm/communication/", json=body, headers=api.auth("view_communication")).status_code == 403
    assert api.put("/crm/communication/", json=body, headers=api.auth("create_communication")).status_code == 200
    assert api.post("/crm/service/expiring/remind", headers=api.auth("view_communication")).status_code == 403
    assert api.get(list_mine, headers={}).status_code == 401


def test_notification_preferences_default_on_and_self_care_changes_its_own(api):
    mine, other = api.new_customer(), api.new_customer()
    path = f"/crm/customer/customer_id/{mine['customer_id']}/notification_preferences"
    me = api.auth("view_own_customer", "update_own_customer", customer_id=mine["customer_id"])

    defaults = api.get(path, headers=me).json()
    changed = api.patch(path, json={"expiry_reminders": False}, headers=me)
    foreign = api.patch(path.replace(str(mine["customer_id"]), str(other["customer_id"])), json={"sms_enabled": False},
                        headers=me)  # fmt: skip

    assert defaults == {"customer_id": mine["customer_id"], "email_enabled": True, "sms_enabled": True,
                        "balance_alerts": True, "expiry_reminders": True}  # fmt: skip
    assert changed.status_code == 200 and changed.json()["expiry_reminders"] is False
    assert foreign.status_code == 404
    assert api.patch(path, json={}, headers=me).status_code == 400
    assert api.patch(path, json={"newsletter": True}).status_code == 400
    assert api.patch(path, json={"sms_enabled": "maybe"}).status_code == 400
    assert api.patch(path, json={"sms_enabled": False}, headers=api.auth("view_customer")).status_code == 403
    assert api.get(path.replace(str(mine["customer_id"]), "999999")).status_code == 404


def test_communications_are_published_and_logged(api, a_contact):
    customer = api.new_customer(contact=a_contact())
    sent(api, customer["customer_id"], 1)

    published = eventually(lambda: _published_sent(api))
    entries = eventually(lambda: _communication_entries(api, customer["customer_id"]))

    requested = json.loads(api.published("customers.CommunicationRequested")[0].body)
    assert requested["template_key"] == "api_crmCommunicationCustomerWelcome" and "variables" not in requested
    assert json.loads(published.body)["channel"] == "email"
    assert [e["action"] for e in entries] == ["sent", "requested"]


def _published_sent(api):
    (message,) = api.published("customers.CommunicationSent")
    return message


def _communication_entries(api, customer_id: int) -> list[dict[str, Any]]:
    filters = json.dumps({"entity_type": ["communication"]})
    data = api.get(f"/crm/activity/customer_id/{customer_id}", params={"filters": filters}).json()["data"]
    assert len(data) == 2
    return data


def test_with_mailjet_configured_the_documented_templates_must_be_too(tmp_path, a_contact):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from omnibus.customers.main import build
    from omnibus.platform.auth.authenticator import Authenticator
    from omnibus.platform.crm_config import ConfigError, parse_crm_config
    from omnibus.platform.messaging.memory import InMemoryBus
    from omnibus.platform.service import Infrastructure
    from omnibus.platform.settings import ServiceSettings

    config = parse_crm_config({"mailjet": {"api_key": "key", "api_secret": "secret"}})
    infra = Infrastructure(
        InMemoryBus(), Authenticator(config=config, public_key=Ed25519PrivateKey.generate().public_key())
    )

    with pytest.raises(ConfigError, match="api_crmCommunicationCustomerWelcome.*api_crmCommunicationsBalanceLow"):
        build(ServiceSettings(database_url=f"sqlite:///{tmp_path}").for_service("customers"), infra)


def test_configured_template_blocks_and_sms_texts_are_the_ones_used(api_with_config, a_contact):
    extra = {
        "api_crmCommunicationCustomerWelcome": {
            "from_email": "hello@acme.example",
            "from_name": "Acme",
            "template_id": 42,
            "subject": "Hi",
        },  # fmt: skip
        "smsc": {
            "source_msisdn": "AcmeTel",
            "messages": {"api_crmCommunicationsBalanceDepleted": "Empty: {{ var:topup_url }}"},
        },
    }
    with api_with_config(extra) as api:
        customer = api.new_customer(contact=a_contact())
        service = api.new_service(customer["customer_id"])
        api.deliver(ch.BalanceDepleted(service_uuid=service["service_uuid"], balance_type="*data", signal_key="k",
                                       source="callback"))  # fmt: skip

        sms = eventually(lambda: api.smsc.sent_to("447700900123")[0])
        welcome = eventually(lambda: api.mailjet.sent_to("john@acme.example")[0])

    assert (welcome["TemplateID"], welcome["Subject"], welcome["From"]) == (42, "Hi", {"Email": "hello@acme.example",
                                                                                      "Name": "Acme"})  # fmt: skip
    assert (
        sms["source_msisdn"] == "AcmeTel"
        and sms["message_body"].startswith("Empty: http")
        and "topup" in sms["message_body"]
    )
