"""Saved cards and direct card charges (billing.md §2.5, §4.7, §4.8; D96-D103).

Only Stripe ids and card metadata are kept. ``charge_card`` answers a retry with the same ``idempotency_key`` with the
first result: Stripe replays the same PaymentIntent and the transaction index already holds the line.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from omnibus.billing.application.base import BillingBase, utc_today
from omnibus.billing.domain import ConflictError, NotFoundError, PaymentDeclinedError, PaymentMethod, Transaction
from omnibus.platform.eventstore import aggregate_uuid, retry_on_conflict


class CardUseCases(BillingBase):
    def add_card(
        self, customer_id: int, customer_stripe_id: str, *, nickname: str | None = None, set_default: bool = False
    ) -> PaymentMethod:
        """Attach a Stripe PaymentMethod to the customer's Stripe Customer (created with the first card, D97) and
        keep its metadata. The first card becomes the default (D103)."""
        if not self.lookups.customer_exists(customer_id):
            raise NotFoundError(f"Customer {customer_id} not found")
        others = self.lookups.cards_of(customer_id)
        stripe_customer_id = others[0]["stripe_customer_id"] if others else self._new_stripe_customer(customer_id)
        details = self.gateway.attach_card(customer_stripe_id, stripe_customer_id)
        card_id = self.ids.next("card_id")
        is_default = set_default or not others
        card = PaymentMethod(
            id=aggregate_uuid("card", card_id),
            card_id=card_id,
            customer_id=customer_id,
            customer_stripe_id=details.customer_stripe_id,
            stripe_customer_id=stripe_customer_id,
            card={
                "brand": details.brand,
                "last4": details.last4,
                "exp_month": details.exp_month,
                "exp_year": details.exp_year,
                "name": details.name,
            },
            nickname=nickname,
            is_default=is_default,
        )
        demoted = self._demote_defaults(others) if is_default else []
        self.save(card, *demoted)
        return card

    def update_card(self, card: PaymentMethod, changes: dict[str, Any]) -> PaymentMethod:
        def command() -> PaymentMethod:
            current = self.get_card(card.card_id)
            if "nickname" in changes:
                current.rename(changes["nickname"])
            demoted = []
            if changes.get("is_default") and not current.is_default:
                demoted = self._demote_defaults(
                    [c for c in self.lookups.cards_of(current.customer_id) if c["card_id"] != current.card_id]
                )
                current.set_default(True)
            self.save(current, *demoted)
            return current

        return retry_on_conflict(command)

    def delete_card(self, card: PaymentMethod) -> PaymentMethod:
        """Detach in Stripe and forget the card; deleting the default promotes the newest remaining card (D103)."""
        detached = self.gateway.detach_card(card.customer_stripe_id)

        def command() -> PaymentMethod:
            current = self.get_card(card.card_id)
            was_default = current.is_default
            current.delete(detached_in_stripe=detached)
            promoted = []
            if was_default:
                rest = [c for c in self.lookups.cards_of(current.customer_id) if c["card_id"] != current.card_id]
                if rest:
                    newest = self.get_card(max(rest, key=lambda c: (c["created"], c["card_id"]))["card_id"])
                    newest.set_default(True)
                    promoted.append(newest)
            self.save(current, *promoted)
            return current

        return retry_on_conflict(command)

    def get_card(self, card_id: int) -> PaymentMethod:
        card = self._get(aggregate_uuid("card", card_id), PaymentMethod, f"Card {card_id}")
        if card.deleted:
            raise NotFoundError(f"Card {card_id} not found")
        return card

    def card_by_stripe_id(self, customer_stripe_id: str, customer_id: int | None = None) -> PaymentMethod:
        """The saved card with this ``pm_…`` id (among one customer's cards when ``customer_id`` is given)."""
        rows = self.lookups.cards_of(customer_id) if customer_id is not None else []
        for row in rows:
            if row["customer_stripe_id"] == customer_stripe_id:
                return self.get_card(row["card_id"])
        raise NotFoundError(f"Card {customer_stripe_id} not found")

    def setup_intent(self, customer_id: int) -> str:
        if not self.lookups.customer_exists(customer_id):
            raise NotFoundError(f"Customer {customer_id} not found")
        cards = self.lookups.cards_of(customer_id)
        stripe_customer_id = cards[0]["stripe_customer_id"] if cards else self._new_stripe_customer(customer_id)
        return self.gateway.setup_intent(stripe_customer_id)

    def charge_card(
        self,
        card: PaymentMethod,
        *,
        retail_cost: Decimal,
        description: str,
        service_id: int | None = None,
        wholesale_cost: Decimal | None = None,
        provision_id: int | None = None,
        with_invoice: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Charge a saved card and record the charge (and a paid invoice when asked, D70).

        A retry with the same ``idempotency_key`` returns the first result: Stripe replays the same PaymentIntent
        and the transaction index already holds the line, so nothing is charged or recorded twice.
        """
        key = idempotency_key or f"omnibus-charge-{uuid.uuid4().hex}"
        recorded = self.transaction_for_key(key)
        if recorded is not None:
            return self._charge_result(self.get_transaction(recorded))
        try:
            payment_intent = self.gateway.charge(
                amount=retail_cost,
                currency=self.config.currency,
                stripe_customer_id=card.stripe_customer_id,
                customer_stripe_id=card.customer_stripe_id,
                description=description,
                idempotency_key=key,
                metadata={"customer_id": str(card.customer_id), "service_id": str(service_id or "")},
            )
        except PaymentDeclinedError as declined:
            self._card_charge_failed(card, retail_cost, str(declined))
            raise
        try:
            line = self.record_transaction(
                card.customer_id,
                {
                    "service_id": service_id,
                    "title": description,
                    "description": f"Card payment {payment_intent}",
                    "retail_cost": retail_cost,
                    "wholesale_cost": wholesale_cost,
                    "transaction_type": "charge",
                    "provision_id": provision_id,
                    "idempotency_key": key,
                    "source": "addon" if provision_id else "billing",
                    "stripe_payment_id": payment_intent,
                },
            )
        except ConflictError:  # the same request is being recorded concurrently
            return self._charge_result(self.get_transaction(self.transaction_for_key(key) or 0))
        self._card_charged(card, line, payment_intent)
        if with_invoice:
            today = utc_today()
            invoice = self.generate_invoice(
                card.customer_id,
                start=today,
                end=today,
                title=description,
                due=today,
                transaction_ids=[line.transaction_id],
            )
            assert invoice is not None
            self.pay_invoice(
                invoice.invoice_id,
                method="stripe",
                stripe_payment_id=payment_intent,
                customer_stripe_id=card.customer_stripe_id,
            )
        return self._charge_result(self.get_transaction(line.transaction_id))

    def remind_card_expiry(self, card_id: int, days_left: int, trigger: str) -> bool:
        """Record an expiry reminder; False when this automatic threshold was already reminded."""
        outcome: list[bool] = []
        self._change(lambda: self.get_card(card_id), lambda c: outcome.append(c.remind_expiry(days_left, trigger)))
        return outcome[-1]

    def _charge_result(self, line: Transaction) -> dict[str, Any]:
        return {
            "stripe_payment_id": line.stripe_payment_id,
            "transaction_id": line.transaction_id,
            "invoice_id": line.invoice_id,
        }

    def _card_charged(self, card: PaymentMethod, line: Transaction, payment_intent: str) -> None:
        self._change(
            lambda: self.get_card(card.card_id),
            lambda c: c.charged(
                amount=line.retail_cost,
                description=line.title,
                stripe_payment_id=payment_intent,
                service_id=line.service_id,
                provision_id=line.provision_id,
            ),
        )

    def _card_charge_failed(self, card: PaymentMethod, amount: Decimal, reason: str) -> None:
        self._change(lambda: self.get_card(card.card_id), lambda c: c.charge_failed(amount=amount, reason=reason))

    def _new_stripe_customer(self, customer_id: int) -> str:
        profile = self.lookups.billing_profile(customer_id) or {}
        return self.gateway.create_customer(customer_id, profile.get("billing_email"), profile.get("customer_name"))

    def _demote_defaults(self, rows: list[dict[str, Any]]) -> list[PaymentMethod]:
        demoted = []
        for row in rows:
            if row["is_default"]:
                card = self.get_card(row["card_id"])
                card.set_default(False)
                demoted.append(card)
        return demoted
