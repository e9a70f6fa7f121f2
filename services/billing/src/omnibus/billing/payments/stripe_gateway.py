"""The Stripe adapter (stripe-python): the application's ``PaymentGateway`` (billing.md §7; D97, D101, D102).

Amounts go to Stripe in the currency's minor unit (cents). A decline (``CardError``) becomes
``PaymentDeclinedError`` (402); anything else Stripe or the network answers becomes ``PaymentGatewayError`` (502).
Card data never passes here: only PaymentMethod ids and the card metadata Stripe returns.
"""

import logging
from decimal import Decimal
from typing import Any

import stripe

from omnibus.billing.domain import BillingError, PaymentDeclinedError, PaymentGatewayError
from omnibus.billing.ports import CardDetails

log = logging.getLogger(__name__)


class CardNotFoundError(BillingError):
    code = "invalid_stripe_id"


class StripeGateway:
    def __init__(
        self, secret_key: str, api_base: str | None = None, statement_descriptor_suffix: str | None = None
    ) -> None:
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else None, max_network_retries=2
        )
        self.statement_descriptor_suffix = statement_descriptor_suffix

    def create_customer(self, customer_id: int, email: str | None, name: str | None) -> str:
        params: dict[str, Any] = {"metadata": {"customer_id": str(customer_id)}}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        customer = self._call(lambda: self.client.v1.customers.create(params=params))  # type: ignore[arg-type]
        return str(customer.id)

    def attach_card(self, customer_stripe_id: str, stripe_customer_id: str) -> CardDetails:
        try:
            pm = self.client.v1.payment_methods.attach(customer_stripe_id, params={"customer": stripe_customer_id})
        except stripe.InvalidRequestError as error:
            raise CardNotFoundError(
                f"Invalid Stripe PaymentMethod {customer_stripe_id}: {error.user_message}"
            ) from None
        except stripe.StripeError as error:
            raise _gateway_error(error) from None
        card = pm.card
        if card is None:
            raise CardNotFoundError(f"{customer_stripe_id} is not a card")
        return CardDetails(
            customer_stripe_id=str(pm.id),
            brand=str(card.brand).lower(),
            last4=str(card.last4),
            exp_month=int(card.exp_month),
            exp_year=int(card.exp_year),
            name=pm.billing_details.name if pm.billing_details else None,
        )

    def detach_card(self, customer_stripe_id: str) -> bool:
        try:
            self.client.v1.payment_methods.detach(customer_stripe_id)
        except stripe.InvalidRequestError as error:  # already detached or unknown in Stripe: forget it here anyway
            log.warning("detach of %s refused by Stripe: %s", customer_stripe_id, error.user_message)
            return False
        except stripe.StripeError as error:
            raise _gateway_error(error) from None
        return True

    def setup_intent(self, stripe_customer_id: str) -> str:
        intent = self._call(
            lambda: self.client.v1.setup_intents.create(
                params={"customer": stripe_customer_id, "usage": "off_session", "payment_method_types": ["card"]}
            )
        )
        return str(intent.client_secret)

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
        params: dict[str, Any] = {
            "amount": _minor_units(amount),
            "currency": currency,
            "customer": stripe_customer_id,
            "payment_method": customer_stripe_id,
            "off_session": True,
            "confirm": True,
            "description": description,
            "metadata": metadata,
        }
        if self.statement_descriptor_suffix:
            params["statement_descriptor_suffix"] = self.statement_descriptor_suffix
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            code = error.code or "card_declined"
            decline = getattr(error.error, "decline_code", None) if error.error else None
            reason = f"{decline or code}: {error.user_message or 'Your card was declined.'}"
            intent = getattr(error.error, "payment_intent", None) if error.error else None
            details = {"code": code, "decline_code": decline, "payment_intent_id": getattr(intent, "id", None)}
            raise PaymentDeclinedError(reason, details) from None
        except stripe.StripeError as error:
            raise _gateway_error(error) from None
        if intent.status != "succeeded":
            raise PaymentDeclinedError(f"Payment not completed (status {intent.status}); the customer must confirm it")
        return str(intent.id)

    def refund(self, *, payment_intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> str:
        refund = self._call(
            lambda: self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": _minor_units(amount),
                    "reason": "requested_by_customer",
                },
                options={"idempotency_key": idempotency_key},
            )
        )
        return str(refund.id)

    def _call(self, request: Any) -> Any:
        try:
            return request()
        except stripe.StripeError as error:
            raise _gateway_error(error) from None


def _minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _gateway_error(error: stripe.StripeError) -> PaymentGatewayError:
    log.warning("Stripe error %s: %s", type(error).__name__, error.user_message)
    return PaymentGatewayError(f"Stripe: {error.user_message or type(error).__name__}")
