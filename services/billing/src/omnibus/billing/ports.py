"""What the billing application needs from outside, as interfaces: read-model lookups and the card processor.

``main.py`` wires the implementations (``readmodel.queries`` and ``payments.stripe_gateway``); tests may pass others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol


class LedgerLookups(Protocol):
    def customer_exists(self, customer_id: int) -> bool: ...

    def uninvoiced_lines(self, customer_id: int, start: date, end: date) -> list[int]:
        """Ids of the customer's uninvoiced, non-void charge/credit lines created in the period (inclusive)."""
        ...

    def cards_of(self, customer_id: int) -> list[dict[str, Any]]:
        """The customer's saved cards (rows with customer_stripe_id, stripe_customer_id, is_default, created)."""
        ...

    def billing_profile(self, customer_id: int) -> dict[str, Any] | None: ...

    def provision_lines(self, provision_id: int) -> list[int]:
        """Ids of the lines recorded for a provisioning job (``provision_id``), voided ones included."""
        ...


@dataclass(frozen=True)
class CardDetails:
    """What Stripe tells about a card: never its number or CVC."""

    customer_stripe_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    name: str | None


class PaymentGateway(Protocol):
    def create_customer(self, customer_id: int, email: str | None, name: str | None) -> str: ...

    def attach_card(self, customer_stripe_id: str, stripe_customer_id: str) -> CardDetails: ...

    def detach_card(self, customer_stripe_id: str) -> bool: ...

    def setup_intent(self, stripe_customer_id: str) -> str: ...

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        stripe_customer_id: str,
        customer_stripe_id: str,
        description: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        """Charge off-session; returns the PaymentIntent id. Raises PaymentDeclinedError or PaymentGatewayError."""
        ...

    def refund(self, *, payment_intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> str: ...
