"""The PaymentMethod aggregate ("card", billing.md §2.5; D96, D97, D103).

Only Stripe ids and card metadata (brand, last 4 digits, expiry, cardholder name) are ever stored: never the card
number, CVC or PIN. ``customer_stripe_id`` is the Stripe PaymentMethod id (``pm_…``); ``stripe_customer_id`` the Stripe
Customer (``cus_…``) it is attached to.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

METADATA = ("brand", "last4", "exp_month", "exp_year", "name")


class PaymentMethod(Aggregate):
    id: UUID  # derived from the pm_ id

    class Added(Aggregate.Created):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        stripe_customer_id: str
        card: dict[str, Any]
        nickname: str | None
        is_default: bool

    class NicknameChanged(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        nickname: str | None

    class DefaultChanged(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        is_default: bool

    class Deleted(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        detached_in_stripe: bool

    class ExpiryReminderSent(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        brand: str
        last4: str
        exp_month: int
        exp_year: int
        days_left: int
        trigger: str

    class Charged(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        amount: Decimal
        description: str
        stripe_payment_id: str
        service_id: int | None
        provision_id: int | None

    class ChargeFailed(Aggregate.Event):
        card_id: int
        customer_id: int
        customer_stripe_id: str
        amount: Decimal
        reason: str

    @event(Added)
    def __init__(
        self,
        card_id: int,
        customer_id: int,
        customer_stripe_id: str,
        stripe_customer_id: str,
        card: dict[str, Any],
        nickname: str | None,
        is_default: bool,
    ) -> None:
        self.card_id = card_id
        self.customer_id = customer_id
        self.customer_stripe_id = customer_stripe_id
        self.stripe_customer_id = stripe_customer_id
        self.brand: str = card["brand"]
        self.last4: str = card["last4"]
        self.exp_month: int = card["exp_month"]
        self.exp_year: int = card["exp_year"]
        self.name: str | None = card.get("name")
        self.nickname = nickname
        self.is_default = is_default
        self.deleted = False
        self.reminded: list[int] = []

    def rename(self, nickname: str | None) -> None:
        if nickname != self.nickname:
            self._renamed(
                card_id=self.card_id,
                customer_id=self.customer_id,
                customer_stripe_id=self.customer_stripe_id,
                nickname=nickname,
            )

    @event(NicknameChanged)
    def _renamed(self, card_id: int, customer_id: int, customer_stripe_id: str, nickname: str | None) -> None:
        self.nickname = nickname

    def set_default(self, is_default: bool) -> None:
        if is_default != self.is_default:
            self._default_changed(
                card_id=self.card_id,
                customer_id=self.customer_id,
                customer_stripe_id=self.customer_stripe_id,
                is_default=is_default,
            )

    @event(DefaultChanged)
    def _default_changed(self, card_id: int, customer_id: int, customer_stripe_id: str, is_default: bool) -> None:
        self.is_default = is_default

    def delete(self, detached_in_stripe: bool) -> None:
        if not self.deleted:
            self._deleted(
                card_id=self.card_id,
                customer_id=self.customer_id,
                customer_stripe_id=self.customer_stripe_id,
                detached_in_stripe=detached_in_stripe,
            )

    @event(Deleted)
    def _deleted(self, card_id: int, customer_id: int, customer_stripe_id: str, detached_in_stripe: bool) -> None:
        self.deleted = True
        self.is_default = False

    def expires_on(self) -> date:
        """A card is valid through the last day of its expiry month."""
        following = date(self.exp_year + self.exp_month // 12, self.exp_month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)

    def remind_expiry(self, days_left: int, trigger: str) -> bool:
        """Record a reminder (60, 30, 7 days, D98) once per threshold; manual reminders always record."""
        if trigger == "automatic" and days_left in self.reminded:
            return False
        self._reminded(
            card_id=self.card_id,
            customer_id=self.customer_id,
            customer_stripe_id=self.customer_stripe_id,
            brand=self.brand,
            last4=self.last4,
            exp_month=self.exp_month,
            exp_year=self.exp_year,
            days_left=days_left,
            trigger=trigger,
        )
        return True

    @event(ExpiryReminderSent)
    def _reminded(
        self,
        card_id: int,
        customer_id: int,
        customer_stripe_id: str,
        brand: str,
        last4: str,
        exp_month: int,
        exp_year: int,
        days_left: int,
        trigger: str,
    ) -> None:
        self.reminded.append(days_left)

    def charged(
        self,
        amount: Decimal,
        description: str,
        stripe_payment_id: str,
        service_id: int | None,
        provision_id: int | None,
    ) -> None:
        self._charged(
            card_id=self.card_id,
            customer_id=self.customer_id,
            customer_stripe_id=self.customer_stripe_id,
            amount=amount,
            description=description,
            stripe_payment_id=stripe_payment_id,
            service_id=service_id,
            provision_id=provision_id,
        )

    @event(Charged)
    def _charged(
        self,
        card_id: int,
        customer_id: int,
        customer_stripe_id: str,
        amount: Decimal,
        description: str,
        stripe_payment_id: str,
        service_id: int | None,
        provision_id: int | None,
    ) -> None:
        pass

    def charge_failed(self, amount: Decimal, reason: str) -> None:
        self._charge_failed(
            card_id=self.card_id,
            customer_id=self.customer_id,
            customer_stripe_id=self.customer_stripe_id,
            amount=amount,
            reason=reason,
        )

    @event(ChargeFailed)
    def _charge_failed(
        self, card_id: int, customer_id: int, customer_stripe_id: str, amount: Decimal, reason: str
    ) -> None:
        pass
