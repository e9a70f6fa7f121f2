"""Invoices (billing.md §2.2, §4.5; D86-D90): proforma, generation, edit, void, payment, refund, e-mail request.

A card payment charges Stripe under an idempotency key derived from the invoice's version, then records the payment:
a retried or concurrent request replays the same PaymentIntent instead of charging twice, and only one save wins.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from omnibus.billing.application.base import BillingBase, CardNotOwnedError, utc_today
from omnibus.billing.domain import (
    InvalidInvoiceError,
    Invoice,
    NotFoundError,
    PaymentDeclinedError,
    PaymentMethod,
    Transaction,
)
from omnibus.billing.domain.money import total
from omnibus.platform.eventstore import aggregate_uuid, retry_on_conflict


class InvoiceUseCases(BillingBase):
    def preview_invoice(
        self, customer_id: int, start: date, end: date, transaction_ids: list[int] | None = None
    ) -> dict[str, Any]:
        """Proforma: the lines and totals an invoice would have now. Changes nothing."""
        lines = self._lines_for(customer_id, start, end, transaction_ids)
        return {"customer_id": customer_id, "start_date": start, "end_date": end, "lines": lines, **_totals(lines)}

    def generate_invoice(
        self,
        customer_id: int,
        *,
        start: date,
        end: date,
        title: str | None = None,
        due: date | None = None,
        transaction_ids: list[int] | None = None,
        once_per_period: bool = False,
    ) -> Invoice | None:
        """Invoice the chosen (default: all) uninvoiced lines of the period, stamping each line with the invoice.

        ``once_per_period`` (the billing run): None when the customer already has a live invoice for exactly this
        period. Concurrent generations conflict on the lines and on the period index; the loser re-reads.
        """
        if end < start:
            raise InvalidInvoiceError("end_date is before start_date")

        def command() -> Invoice | None:
            period = self._period(customer_id, start, end)
            if once_per_period and period.invoice_ids:
                return None
            lines = self._lines_for(customer_id, start, end, transaction_ids)
            invoice_id = self.ids.next("invoice_id")
            invoice = Invoice(
                id=aggregate_uuid("invoice", invoice_id),
                invoice_id=invoice_id,
                customer_id=customer_id,
                fields=self._invoice_fields(invoice_id, start, end, title, due, lines),
            )
            for line in lines:
                line.invoice(invoice_id)
            period.add(invoice_id)
            self.save(invoice, period, *lines)
            return invoice

        return retry_on_conflict(command)

    def update_invoice(self, invoice_id: int, changes: dict[str, Any]) -> Invoice:
        return self._change(lambda: self.get_invoice(invoice_id), lambda i: i.update(changes))

    def void_invoice(self, invoice_id: int) -> Invoice:
        """Void an unpaid invoice and release its lines (409 when paid, D89)."""

        def command() -> Invoice:
            invoice = self.get_invoice(invoice_id)
            if not invoice.void_invoice():
                return invoice
            lines = [self.get_transaction(t) for t in invoice.transaction_ids]
            for line in lines:
                line.release(invoice_id)
            period = self._period(
                invoice.customer_id, date.fromisoformat(invoice.start_date), date.fromisoformat(invoice.end_date)
            )
            period.remove(invoice_id)
            self.save(invoice, period, *lines)
            return invoice

        return retry_on_conflict(command)

    def request_invoice_email(self, invoice_id: int, to: str | None) -> Invoice:
        """Record ``InvoiceEmailRequested``; the customers context's communications sends the mail (not built yet)."""
        return self._change(lambda: self.get_invoice(invoice_id), lambda i: i.request_email(to))

    def get_invoice(self, invoice_id: int) -> Invoice:
        return self._get(aggregate_uuid("invoice", invoice_id), Invoice, f"Invoice {invoice_id}")

    def pay_invoice(
        self,
        invoice_id: int,
        *,
        method: str,
        reference: str | None = None,
        paid_date: date | None = None,
        customer_stripe_id: str | None = None,
        stripe_payment_id: str | None = None,
        recorded_by: int | str | None = None,
        channel: str = "staff",
    ) -> Invoice:
        """Pay the whole invoice by saved card (Stripe) or record a manual payment (cash, bank transfer, POS, other).

        Records the Payment on the invoice and a negative ``payment`` transaction carrying the invoice id (D87).
        """
        invoice = self.get_invoice(invoice_id)
        invoice.check_payable()
        if method == "stripe" and stripe_payment_id is not None:  # charged already (charge_card with an invoice)
            reference = stripe_payment_id
        elif method == "stripe":
            card = self._card_for_payment(invoice.customer_id, customer_stripe_id)
            stripe_payment_id = self._charge_invoice(invoice, card)
            reference = stripe_payment_id
            customer_stripe_id = card.customer_stripe_id
        elif not reference:
            raise InvalidInvoiceError("A manual payment needs a reference (e.g. 'Cash 2025-02-10 - Receipt #001')")
        payment_id = self.ids.next("payment_id")

        def command() -> Invoice:
            current = self.get_invoice(invoice_id)
            if stripe_payment_id is not None and current.paid and current.payment_reference == stripe_payment_id:
                return current  # the Stripe webhook of this very charge recorded it first
            payment = {
                "payment_id": payment_id,
                "invoice_id": invoice_id,
                "customer_id": current.customer_id,
                "amount": current.total,
                "currency": current.currency,
                "method": method,
                "reference": reference,
                "paid_date": (paid_date or utc_today()).isoformat(),
                "stripe_payment_id": stripe_payment_id,
                "customer_stripe_id": customer_stripe_id,
                "recorded_by": recorded_by,
                "channel": channel,
            }
            current.pay(payment)
            row = self._new_line(
                current.customer_id,
                {
                    "title": f"Payment for Invoice #{current.invoice_number}",
                    "description": reference,
                    "retail_cost": current.total,
                    "transaction_type": "payment",
                    "payment_method": method,
                    "invoice_id": invoice_id,
                    "source": "billing",
                },
            )
            self.save(current, row)
            return current

        return retry_on_conflict(command)

    def refund_invoice(
        self, invoice_id: int, *, amount: Decimal | None = None, method: str | None = None, reference: str | None = None
    ) -> Invoice:
        """Refund all or part of a paid invoice (D90): through Stripe when it was paid by card, else recorded."""
        invoice = self.get_invoice(invoice_id)
        wanted = invoice.check_refund(amount)
        paid_by = (invoice.payment or {}).get("method")
        if paid_by == "stripe":
            reference = self.gateway.refund(
                payment_intent_id=invoice.payment_reference or "",
                amount=wanted,
                currency=invoice.currency,
                idempotency_key=f"omnibus-invoice-{invoice_id}-refund-v{invoice.version}",
            )
            method = "stripe"
        elif not reference:
            raise InvalidInvoiceError("A refund outside Stripe needs a reference")

        target = invoice.refunded_amount + wanted

        def command() -> Invoice:
            current = self.get_invoice(invoice_id)
            before = current.refunded_amount
            current.refund_up_to(target, reference, method or paid_by or "other")
            if current.refunded_amount == before:  # the Stripe webhook recorded this refund first
                return current
            row = self._new_line(
                current.customer_id,
                {
                    "title": f"Refund for Invoice #{current.invoice_number}",
                    "description": reference,
                    "retail_cost": current.refunded_amount - before,
                    "transaction_type": "refund",
                    "payment_method": method or paid_by or "other",
                    "invoice_id": invoice_id,
                    "source": "billing",
                },
            )
            self.save(current, row)
            return current

        return retry_on_conflict(command)

    def _charge_invoice(self, invoice: Invoice, card: PaymentMethod) -> str:
        try:
            return self.gateway.charge(
                amount=invoice.total,
                currency=invoice.currency,
                stripe_customer_id=card.stripe_customer_id,
                customer_stripe_id=card.customer_stripe_id,
                description=f"Invoice #{invoice.invoice_number}",
                idempotency_key=f"omnibus-invoice-{invoice.invoice_id}-pay-v{invoice.version}",
                metadata={"invoice_id": str(invoice.invoice_id), "customer_id": str(invoice.customer_id)},
            )
        except PaymentDeclinedError as declined:
            reason = str(declined)
            intent = (declined.details or {}).get("payment_intent_id")
            self._change(
                lambda: self.get_invoice(invoice.invoice_id),
                lambda i: i.payment_failed(card.customer_stripe_id, reason, intent),
            )
            self._card_charge_failed(card, invoice.total, reason)
            raise

    def _card_for_payment(self, customer_id: int, customer_stripe_id: str | None) -> PaymentMethod:
        if customer_stripe_id:
            try:
                return self.card_by_stripe_id(customer_stripe_id, customer_id)
            except NotFoundError:
                raise CardNotOwnedError(f"Card {customer_stripe_id} is not a saved card of this customer") from None
        for row in self.lookups.cards_of(customer_id):
            if row["is_default"]:
                return self.get_card(row["card_id"])
        raise InvalidInvoiceError("The customer has no default card; give customer_stripe_id or pay manually")

    def _lines_for(
        self, customer_id: int, start: date, end: date, transaction_ids: list[int] | None
    ) -> list[Transaction]:
        ids = self.lookups.uninvoiced_lines(customer_id, start, end) if transaction_ids is None else transaction_ids
        lines = []
        for transaction_id in dict.fromkeys(ids):
            try:
                line = self.get_transaction(transaction_id)
            except NotFoundError:
                raise InvalidInvoiceError(f"Transaction {transaction_id} not found") from None
            if line.customer_id != customer_id:
                raise InvalidInvoiceError(f"Transaction {transaction_id} belongs to another customer")
            if not line.invoiceable:
                line.invoice(-1)  # raises the precise 409 (void, invoiced) or states why it is not billable
            lines.append(line)
        if not lines:
            raise InvalidInvoiceError("No eligible lines: nothing uninvoiced for this customer and period")
        return lines

    def _invoice_fields(
        self, invoice_id: int, start: date, end: date, title: str | None, due: date | None, lines: list[Transaction]
    ) -> dict[str, Any]:
        today = utc_today()
        return {
            "title": title or f"Invoice {start:%B %Y}",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "due_date": (due or today + timedelta(days=self.config.default_due_days)).isoformat(),
            "transaction_ids": [line.transaction_id for line in lines],
            "service_ids": sorted({line.service_id for line in lines if line.service_id is not None}),
            **_totals(lines),
            "currency": self.config.currency,
            "invoice_number": self.config.number_format.format(
                invoice_id=invoice_id, year=today.year, month=today.month
            ),
        }


def _totals(lines: list[Transaction]) -> dict[str, Decimal]:
    retail = total(line.retail_cost for line in lines)
    tax = total(line.tax_amount for line in lines)
    return {"retail_cost": retail, "total_tax": tax, "total": retail + tax}
