"""The local Stripe stand-in: stripe-python talks to it over HTTP, and its webhooks verify like Stripe's."""

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from omnibus.billing.domain import PaymentDeclinedError
from omnibus.billing.payments.standin import StripeStandIn
from omnibus.billing.payments.stripe_gateway import CardNotFoundError, StripeGateway
from omnibus.testing.helpers import eventually


@pytest.fixture
def receiver():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/crm/stripe/webhook", received
    server.shutdown()


@pytest.fixture
def standin(receiver):
    running = StripeStandIn(webhook_url=receiver[0]).start()
    yield running
    running.stop()


def charge(gateway, customer, card, key="k1", amount="12.34"):
    return gateway.charge(
        amount=Decimal(amount),
        currency="gbp",
        stripe_customer_id=customer,
        customer_stripe_id=card.customer_stripe_id,
        description="Test",
        idempotency_key=key,
        metadata={"invoice_id": "7"},
    )


def test_webhook_deliveries_are_signed_exactly_like_stripes(standin, receiver):
    gateway = StripeGateway(standin.secret_key, standin.url)
    customer = gateway.create_customer(1, "a@example.com", "Acme")
    card = gateway.attach_card("pm_card_visa", customer)

    intent_id = charge(gateway, customer, card)

    body, signature = eventually(lambda: receiver[1][0])
    event = stripe.Webhook.construct_event(body, signature, standin.webhook_secret, tolerance=300)
    assert (event.type, event.data.object.id, event.data.object.amount) == ("payment_intent.succeeded", intent_id, 1234)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_other")


def test_the_same_idempotency_key_replays_the_same_payment_intent(standin):
    gateway = StripeGateway(standin.secret_key, standin.url)
    customer = gateway.create_customer(1, None, None)
    card = gateway.attach_card("pm_card_mastercard", customer)

    first, again, other = (
        charge(gateway, customer, card),
        charge(gateway, customer, card),
        charge(gateway, customer, card, "k2"),
    )

    assert first == again != other


@pytest.mark.parametrize(
    "test_card, reason",
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
    ],
)
def test_declining_test_cards(standin, test_card, reason):
    gateway = StripeGateway(standin.secret_key, standin.url)
    customer = gateway.create_customer(1, None, None)
    card = gateway.attach_card(test_card, customer)

    with pytest.raises(PaymentDeclinedError) as declined:
        charge(gateway, customer, card)

    assert reason in str(declined.value)
    assert declined.value.details["payment_intent_id"].startswith("pi_")


def test_unknown_payment_methods_and_wrong_keys_are_refused(standin):
    gateway = StripeGateway(standin.secret_key, standin.url)
    customer = gateway.create_customer(1, None, None)

    with pytest.raises(CardNotFoundError):
        gateway.attach_card("pm_unknown", customer)
    with pytest.raises(Exception, match="Invalid API Key"):
        StripeGateway("sk_test_wrong", standin.url).create_customer(1, None, None)


def test_refunds_cannot_exceed_the_charge(standin):
    gateway = StripeGateway(standin.secret_key, standin.url)
    customer = gateway.create_customer(1, None, None)
    card = gateway.attach_card("pm_card_visa", customer)
    intent_id = charge(gateway, customer, card, amount="10.00")

    gateway.refund(payment_intent_id=intent_id, amount=Decimal("6.00"), currency="gbp", idempotency_key="r1")

    with pytest.raises(Exception, match="greater than unrefunded"):
        gateway.refund(payment_intent_id=intent_id, amount=Decimal("4.01"), currency="gbp", idempotency_key="r2")
    assert json.loads(json.dumps(standin.objects[intent_id]))["amount_refunded"] == 600
