"""Every version of every billing event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from omnibus.billing.application import BillingApp
from omnibus.billing.config import BillingConfig
from omnibus.billing.domain import ALL_EVENTS, IdempotencyKey, InvoicedPeriod, PaymentDeclinedError
from omnibus.billing.payments.standin import StripeStandIn
from omnibus.billing.payments.stripe_gateway import StripeGateway
from omnibus.contracts import Actor
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"


class Lookups:
    """Read-model answers for a scenario without a read model: every customer exists, cards as the test says."""

    def __init__(self) -> None:
        self.cards: list[dict[str, Any]] = []

    def customer_exists(self, customer_id: int) -> bool:
        return True

    def uninvoiced_lines(self, customer_id: int, start: date, end: date) -> list[int]:
        return []

    def cards_of(self, customer_id: int) -> list[dict[str, Any]]:
        return [c for c in self.cards if c["customer_id"] == customer_id]

    def billing_profile(self, customer_id: int) -> dict[str, Any]:
        return {"customer_name": "Sample Ltd", "billing_email": "ap@sample.example", "customer_status": "Open"}

    def saw(self, card: Any) -> None:
        self.cards = [c for c in self.cards if c["card_id"] != card.card_id]
        if not card.deleted:
            self.cards.append(
                {
                    "card_id": card.card_id,
                    "customer_id": card.customer_id,
                    "created": card.created_on,
                    "customer_stripe_id": card.customer_stripe_id,
                    "is_default": card.is_default,
                    "stripe_customer_id": card.stripe_customer_id,
                }
            )


@pytest.fixture
def standin():
    running = StripeStandIn().start()
    yield running
    running.stop()


def test_every_stored_event_version_still_loads(standin) -> None:
    lookups = Lookups()
    app = BillingApp(
        env=eventstore_env(ServiceSettings(database_url="memory://").for_service("billing"), "b"),
        config=BillingConfig(),
        lookups=lookups,
        gateway=StripeGateway(standin.secret_key, standin.url),
    )
    actor = Actor(user_id=7, auth_method="jwt", client_ip="192.0.2.1")
    with command_context(CommandContext(actor=actor, correlation_id="sample", causation_id="sample")):
        scenario(app, lookups)
    recorded = app.store.select_notifications(1, 1000)

    wanted = {get_topic(cls) for cls in ALL_EVENTS} | {
        get_topic(IdempotencyKey.Claimed),
        get_topic(InvoicedPeriod.Opened),
        get_topic(InvoicedPeriod.InvoiceAdded),
        get_topic(InvoicedPeriod.InvoiceRemoved),
    }
    assert {n.topic for n in recorded} >= wanted, "the scenario misses an event"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []


def scenario(app: BillingApp, lookups: Lookups) -> None:
    fee = {"title": "Mobile", "retail_cost": Decimal("30.00"), "tax_percentage": Decimal("10")}
    line = app.record_transaction(1, {**fee, "service_id": 5, "idempotency_key": "sample-1"})
    app.edit_transaction(line.transaction_id, {"description": "January"})
    app.void_transaction(app.record_transaction(1, fee).transaction_id)
    first = app.generate_invoice(
        1, start=date(2025, 1, 1), end=date(2025, 1, 31), transaction_ids=[line.transaction_id]
    )
    assert first is not None
    app.update_invoice(first.invoice_id, {"title": "January 2025"})
    app.request_invoice_email(first.invoice_id, "ap@sample.example")
    app.void_invoice(first.invoice_id)
    invoice = app.generate_invoice(
        1, start=date(2025, 1, 1), end=date(2025, 1, 31), due=date(2025, 1, 31), transaction_ids=[line.transaction_id]
    )
    assert invoice is not None
    for day in (1, 16):
        app.advance_dunning(invoice.invoice_id, date(2025, 2, day))
    declining = app.add_card(1, "pm_card_chargeDeclined")
    lookups.saw(declining)
    with pytest.raises(PaymentDeclinedError):
        app.pay_invoice(invoice.invoice_id, method="stripe", customer_stripe_id=declining.customer_stripe_id)
    visa = app.add_card(1, "pm_card_visa", nickname="Visa", set_default=True)
    lookups.saw(visa)
    lookups.saw(app.get_card(declining.card_id))
    app.update_card(visa, {"nickname": "Company Visa"})
    app.pay_invoice(invoice.invoice_id, method="stripe")
    app.refund_invoice(invoice.invoice_id, amount=Decimal("5.00"))
    app.charge_card(visa, retail_cost=Decimal("20.00"), description="Data Addon", idempotency_key="sample-2")
    app.remind_card_expiry(visa.card_id, 30, "manual")
    app.delete_card(app.get_card(declining.card_id))
