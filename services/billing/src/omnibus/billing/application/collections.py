"""Collections: Stripe webhook reconciliation (D101) and the dunning timeline (D99), both idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from omnibus.billing.application.base import BillingBase, utc_today
from omnibus.billing.domain import ConflictError, DunningStep, Invoice, PaymentDeclinedError
from omnibus.billing.domain.dunning import RETRY
from omnibus.platform.eventstore import retry_on_conflict


class CollectionUseCases(BillingBase):
    def stripe_payment_succeeded(self, invoice_id: int, payment_intent_id: str, amount_cents: int) -> bool:
        """A PaymentIntent for this invoice succeeded in Stripe: mark the invoice paid unless it already is."""
        invoice = self.get_invoice(invoice_id)
        if invoice.paid or invoice.void or int(invoice.total * 100) != amount_cents:
            return False
        try:
            self.pay_invoice(invoice_id, method="stripe", stripe_payment_id=payment_intent_id, channel="auto")
        except ConflictError:  # paid meanwhile by the request that charged the card
            return False
        return True

    def stripe_payment_failed(self, invoice_id: int, payment_intent_id: str, pm: str | None, reason: str) -> None:
        invoice = self.get_invoice(invoice_id)
        if not invoice.paid and not invoice.void:
            self._change(
                lambda: self.get_invoice(invoice_id), lambda i: i.payment_failed(pm, reason, payment_intent_id)
            )

    def stripe_charge_refunded(self, invoice_id: int, payment_intent_id: str, refunded_cents: int) -> None:
        """Stripe's cumulative refunded amount of the invoice's charge (refunds made in the Dashboard too)."""

        def command() -> Invoice:
            current = self.get_invoice(invoice_id)
            if not current.paid or current.payment_reference != payment_intent_id:
                return current
            before = current.refunded_amount
            current.refund_up_to(Decimal(refunded_cents) / 100, f"stripe:{payment_intent_id}", "stripe")
            if current.refunded_amount == before:
                return current
            row = self._new_line(
                current.customer_id,
                {
                    "title": f"Refund for Invoice #{current.invoice_number}",
                    "description": "Refunded in Stripe",
                    "retail_cost": current.refunded_amount - before,
                    "transaction_type": "refund",
                    "payment_method": "stripe",
                    "invoice_id": invoice_id,
                    "source": "billing",
                },
            )
            self.save(current, row)
            return current

        retry_on_conflict(command)

    def advance_dunning(self, invoice_id: int, today: date | None = None) -> list[DunningStep]:
        """Record the dunning steps an overdue invoice has reached; a retry step tries the default card once."""
        today = today or utc_today()
        invoice = self.get_invoice(invoice_id)
        steps = invoice.dunning_steps_due(today, self.config.dunning)
        profile = self.lookups.billing_profile(invoice.customer_id) or {}
        if not steps or profile.get("customer_status") == "Closed":  # no dunning of closed accounts (§9)
            return []
        if any(s.action == RETRY for s in steps) and self._try_automatic_payment(invoice):
            return []

        def command() -> list[DunningStep]:
            current = self.get_invoice(invoice_id)
            due = current.dunning_steps_due(today, self.config.dunning)
            for step in due:
                current.reach_dunning_step(step)
            self.save(current)
            return due

        return retry_on_conflict(command)

    def _try_automatic_payment(self, invoice: Invoice) -> bool:
        if not any(c["is_default"] for c in self.lookups.cards_of(invoice.customer_id)):
            return False
        try:
            self.pay_invoice(invoice.invoice_id, method="stripe", channel="auto")
        except (PaymentDeclinedError, ConflictError):
            return False
        return True
