"""Cards, card payments, refunds and webhooks against the local Stripe stand-in over real HTTP (billing.md §3.3)."""

import json
import time

from omnibus.billing.payments.standin import sign
from omnibus.testing.helpers import eventually

PERIOD = {"start_date": "2000-01-01", "end_date": "2100-12-31"}


def an_invoice(api, customer_id, amount="45.00"):
    api.new_transaction(customer_id, retail_cost=amount)
    response = api.put("/crm/invoice/", json={"customer_id": customer_id, **PERIOD})
    assert response.status_code == 200, response.text
    return response.json()


def test_adding_cards_stores_only_stripe_ids_and_metadata_and_the_first_is_default(api):
    customer_id = api.new_customer()

    first = api.new_card(customer_id, "pm_card_visa", nickname="Personal Visa")
    second = api.new_card(customer_id, "pm_card_mastercard")
    listed = api.get(f"/crm/stripe/customer_id/{customer_id}").json()["data"]

    assert first["customer_stripe_id"].startswith("pm_") and first["customer_stripe_id"] != "pm_card_visa"
    assert first["stripe_customer_id"].startswith("cus_")
    assert (first["brand"], first["last4"], first["nickname"]) == ("visa", "4242", "Personal Visa")
    assert (first["is_default"], first["default_payment_method"]) == (True, True)
    assert second["is_default"] is False and second["stripe_customer_id"] == first["stripe_customer_id"]
    assert [c["brand"] for c in listed] == ["visa", "mastercard"]
    assert api.stripe.objects[first["customer_stripe_id"]]["customer"] == first["stripe_customer_id"]
    assert not {"number", "cvc", "card_number"} & set(first)


def test_an_invalid_stripe_id_is_400_and_saves_nothing(api):
    customer_id = api.new_customer()

    unknown = api.put("/crm/stripe/", json={"customer_id": customer_id, "customer_stripe_id": "pm_doesnotexist"})
    malformed = api.put("/crm/stripe/", json={"customer_id": customer_id, "customer_stripe_id": "4242424242424242"})

    assert (unknown.status_code, malformed.status_code) == (400, 400)
    assert api.get(f"/crm/stripe/customer_id/{customer_id}").json()["data"] == []


def test_set_default_moves_the_flag_and_deleting_the_default_promotes_the_newest(api):
    customer_id = api.new_customer()
    visa = api.new_card(customer_id, "pm_card_visa")
    master = api.new_card(customer_id, "pm_card_mastercard")
    amex = api.new_card(customer_id, "pm_card_amex")

    moved = api.patch(f"/crm/stripe/customer_stripe_id/{master['customer_stripe_id']}", json={"is_default": True})
    deleted = api.delete(f"/crm/stripe/customer_stripe_id/{master['customer_stripe_id']}")
    cards = {
        c["customer_stripe_id"]: c["is_default"]
        for c in api.get(f"/crm/stripe/customer_id/{customer_id}").json()["data"]
    }

    assert moved.json()["is_default"] is True
    assert deleted.json()["result"] == "success"
    assert cards == {visa["customer_stripe_id"]: False, amex["customer_stripe_id"]: True}
    assert api.stripe.objects[master["customer_stripe_id"]]["customer"] is None


def test_paying_an_invoice_by_saved_card_charges_the_total_once(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id)
    invoice = an_invoice(api, customer_id, "45.50")

    paid = api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "stripe"})

    body = paid.json()
    assert paid.status_code == 200, body
    assert body["status"] == "Paid" and body["payment_reference"].startswith("pi_")
    intent = api.stripe.objects[body["payment_reference"]]
    assert (intent["amount"], intent["currency"], intent["payment_method"]) == (4550, "usd", card["customer_stripe_id"])
    assert intent["metadata"]["invoice_id"] == str(invoice["invoice_id"])
    assert len([o for o in api.stripe.objects.values() if o["object"] == "payment_intent"]) == 1


def test_a_declined_card_is_402_leaves_the_invoice_unpaid_and_publishes_the_failure(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id, "pm_card_chargeDeclinedInsufficientFunds")
    invoice = an_invoice(api, customer_id)

    response = api.post(
        f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay",
        json={"method": "stripe", "customer_stripe_id": card["customer_stripe_id"]},
    )

    assert response.status_code == 402
    assert "insufficient_funds" in response.json()["message"]
    assert api.get(f"/crm/invoice/invoice_id/{invoice['invoice_id']}").json()["paid"] is False
    failed = eventually(lambda: api.published("billing.InvoicePaymentFailed")[0])
    assert "insufficient_funds" in json.loads(failed.body)["reason"]
    assert api.published("billing.CardChargeFailed")


def test_card_declined_generic(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id, "pm_card_chargeDeclined")

    response = api.post(
        f"/crm/stripe/charge_card/{card['customer_stripe_id']}",
        json={"customer_id": customer_id, "retail_cost": 10, "description": "Static IP"},
    )

    assert response.status_code == 402
    assert response.json()["code"] == "card_declined"


def test_charge_card_records_the_charge_and_a_paid_invoice_and_a_retry_never_charges_twice(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id)
    body = {
        "customer_id": customer_id,
        "retail_cost": "20.00",
        "description": "Data Addon - 5GB",
        "service_id": 5,
        "invoice": True,
        "idempotency_key": "addon-order-77",
    }

    first = api.post(f"/crm/stripe/charge_card/{card['customer_stripe_id']}", json=body)
    retry = api.post(f"/crm/stripe/charge_card/{card['customer_stripe_id']}", json=body)

    result = first.json()
    assert first.status_code == 200, result
    assert retry.json() == result
    assert result["stripe_payment_id"].startswith("pi_") and result["invoice_id"] is not None
    invoice = api.get(f"/crm/invoice/invoice_id/{result['invoice_id']}").json()
    assert (invoice["paid"], invoice["payment_reference"], invoice["total"]) == (
        True,
        result["stripe_payment_id"],
        20.0,
    )
    assert len([o for o in api.stripe.objects.values() if o["object"] == "payment_intent"]) == 1
    assert api.published("billing.CardCharged") or eventually(lambda: api.published("billing.CardCharged")[0])


def test_charge_card_refuses_a_card_of_another_customer(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    their_card = api.new_card(theirs)

    response = api.post(
        f"/crm/stripe/charge_card/{their_card['customer_stripe_id']}",
        json={"customer_id": mine, "retail_cost": 5, "description": "x"},
    )

    assert response.status_code == 403
    assert not [o for o in api.stripe.objects.values() if o["object"] == "payment_intent"]


def test_stripe_refund_partial_then_rest(api):
    customer_id = api.new_customer()
    api.new_card(customer_id)
    invoice = an_invoice(api, customer_id, "50.00")
    path = f"/crm/invoice/invoice_id/{invoice['invoice_id']}"
    reference = api.post(f"{path}/pay", json={"method": "stripe"}).json()["payment_reference"]

    partial = api.post(f"{path}/refund", json={"amount": "20.00"}).json()
    rest = api.post(f"{path}/refund", json={}).json()

    assert (partial["status"], partial["refund_reference"][:3]) == ("Partially Refunded", "re_")
    assert (rest["status"], rest["refunded_amount"]) == ("Refunded", 50.0)
    assert api.stripe.objects[reference]["amount_refunded"] == 5000


def post_webhook(api, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return api.client.post("/crm/stripe/webhook", content=payload, headers=headers)


def test_webhooks_with_bad_or_stale_or_missing_signatures_are_refused(api):
    payload = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "object": "payment_intent", "metadata": {}}},
        }
    ).encode()
    secret = api.stripe.webhook_secret

    wrong_secret = post_webhook(api, payload, sign(payload, "whsec_wrong"))
    tampered = post_webhook(api, payload + b" ", sign(payload, secret))
    stale = post_webhook(api, payload, sign(payload, secret, timestamp=int(time.time()) - 3600))
    missing = post_webhook(api, payload, None)
    good = post_webhook(api, payload, sign(payload, secret))

    assert [r.status_code for r in (wrong_secret, tampered, stale, missing)] == [400, 400, 400, 400]
    assert good.status_code == 200


def test_a_payment_made_in_stripe_is_reconciled_once_from_its_webhook(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id)
    invoice = an_invoice(api, customer_id, "45.00")
    intent = api.stripe.handle(
        "POST",
        "/v1/payment_intents",
        f"amount=4500&currency=usd&customer={card['stripe_customer_id']}&payment_method={card['customer_stripe_id']}"
        f"&confirm=true&off_session=true&metadata[invoice_id]={invoice['invoice_id']}",
        f"Bearer {api.stripe.secret_key}",
        None,
    )[1]
    delivery = next(d for d in api.stripe.deliveries if d.event["type"] == "payment_intent.succeeded")

    first = post_webhook(api, delivery.payload, delivery.signature)
    duplicate = post_webhook(api, delivery.payload, delivery.signature)

    assert first.json() == {"received": True}
    assert duplicate.json() == {"received": True, "duplicate": True}
    paid = api.get(f"/crm/invoice/invoice_id/{invoice['invoice_id']}").json()
    assert (paid["paid"], paid["payment_reference"]) == (True, intent["id"])
    assert len(eventually(lambda: api.published("billing.InvoicePaid"))) == 1


def test_a_refund_made_in_the_stripe_dashboard_is_reconciled_and_our_own_is_not_counted_twice(api):
    customer_id = api.new_customer()
    api.new_card(customer_id)
    invoice = an_invoice(api, customer_id, "30.00")
    path = f"/crm/invoice/invoice_id/{invoice['invoice_id']}"
    reference = api.post(f"{path}/pay", json={"method": "stripe"}).json()["payment_reference"]
    api.post(f"{path}/refund", json={"amount": "10.00"})
    api.stripe.handle(
        "POST", "/v1/refunds", f"payment_intent={reference}&amount=500", f"Bearer {api.stripe.secret_key}", None
    )

    for delivery in [d for d in api.stripe.deliveries if d.event["type"] == "charge.refunded"]:
        assert post_webhook(api, delivery.payload, delivery.signature).status_code == 200

    refreshed = api.get(path).json()
    assert (refreshed["refunded_amount"], refreshed["status"]) == (15.0, "Partially Refunded")


def test_expiring_cards_and_reminders(api):
    customer_id = api.new_customer()
    card = api.new_card(customer_id)
    api.stripe.objects[card["customer_stripe_id"]]["card"]["exp_year"] = 2000

    within_5_years = api.get("/crm/stripe/expiring", params={"within_days": 366}).json()["data"]
    reminded = api.post("/crm/stripe/expiring/remind", json={"card_ids": [card["id"]]})
    unknown = api.post("/crm/stripe/expiring/remind", json={"card_ids": [999]})

    # the stand-in's test cards expire 12/<this year + 3>: not within a year
    assert within_5_years == []
    assert reminded.json() == {"status": "queued", "queued": 1}
    assert unknown.status_code == 404
    message = eventually(lambda: api.published("billing.CardExpiryReminderRequested")[0])
    assert (json.loads(message.body)["trigger"], json.loads(message.body)["last4"]) == ("manual", "4242")


def test_self_care_manages_only_its_own_cards(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    their_card = api.new_card(theirs)
    me = api.auth(
        "view_own_customer_stripe_card",
        "create_own_customer_stripe_card",
        "update_own_customer_stripe_card",
        "delete_own_customer_stripe_card",
        customer_id=mine,
    )

    own = api.put("/crm/stripe/", json={"customer_id": mine, "customer_stripe_id": "pm_card_visa"}, headers=me)
    other = api.put("/crm/stripe/", json={"customer_id": theirs, "customer_stripe_id": "pm_card_visa"}, headers=me)

    assert own.status_code == 200
    assert other.status_code == 404
    assert api.get(f"/crm/stripe/customer_id/{theirs}", headers=me).status_code == 404
    assert (
        api.delete(f"/crm/stripe/customer_stripe_id/{their_card['customer_stripe_id']}", headers=me).status_code == 404
    )
    assert (
        api.post(
            f"/crm/stripe/charge_card/{their_card['customer_stripe_id']}",
            headers=me,
            json={"customer_id": theirs, "retail_cost": 1, "description": "x"},
        ).status_code
        == 403
    )


def test_automatic_expiry_reminders_are_sent_once_per_threshold(api):
    from datetime import UTC, datetime, timedelta

    customer_id = api.new_customer()
    card = api.new_card(customer_id)
    soon = datetime.now(UTC).date() + timedelta(days=20)
    from sqlalchemy import update

    from omnibus.billing.readmodel.tables import cards

    with api.runtime.engine.begin() as conn:  # a card expiring in about 20 days (Stripe would say so)
        conn.execute(
            update(cards).where(cards.c.card_id == card["id"]).values(exp_month=soon.month, exp_year=soon.year)
        )

    first = api.post("/crm/stripe/expiring/sweep").json()
    second = api.post("/crm/stripe/expiring/sweep").json()

    assert (first["queued"], second["queued"]) == (1, 0)
