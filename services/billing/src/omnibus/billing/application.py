"""The billing application: transactions, invoices, payments, cards and dunning (billing.md §3-§5).

Money moves before it is recorded only where it must (a card charge), and then always under a Stripe idempotency key
derived from the aggregate's version: a retried or concurrent request reuses the same key, so Stripe answers with
the same charge instead of charging twice, and only one of the concurrent saves wins (the other answers 409).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.billing.config import BillingConfig
from omnibus.billing.domain import (
    BillingError,
    ConflictError,
    DunningStep,
    IdempotencyKey,
    InvalidInvoiceError,
    InvalidTransactionError,
    Invoice,
    InvoicedPeriod,
    NotFoundError,
    PaymentDeclinedError,
    PaymentMethod,
    Transaction,
)
from omnibus.billing.domain.dunning import RETRY
from omnibus.billing.domain.money import total
from omnibus.billing.ports import LedgerLookups, PaymentGateway
from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict

T = TypeVar("T")


class CardNotOwnedError(BillingError):
    http_status = 403
    code = "card_not_owned"


def _today() -> date:
    return datetime.now(UTC).date()


class BillingApp(ServiceApplication):
    """Transactions, invoices, payments, saved cards and the dunning timeline of one operator."""

    name = "billing"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        config: BillingConfig | None = None,
        lookups: LedgerLookups | None = None,
        gateway: PaymentGateway | None = None,
    ) -> None:
        super().__init__(env)
        self.config = config or BillingConfig()
        self.lookups: LedgerLookups = lookups  # type: ignore[assignment]  # wired by main.build
        self.gateway: PaymentGateway = gateway  # type: ignore[assignment]

    # --- transactions -------------------------------------------------------------------------------------------

    def record_transaction(self, customer_id: int, fields: dict[str, Any]) -> Transaction:
        """A new ledger line (charge, credit, payment or refund). 404 unknown customer; 409 reused idempotency key."""
        if not self.lookups.customer_exists(customer_id):
            raise NotFoundError(f"Customer {customer_id} not found")
        invoice_id = fields.get("invoice_id")
        if invoice_id is not None:
            if fields.get("transaction_type") not in ("payment", "refund"):
                raise InvalidTransactionError("invoice_id is set by generating an invoice; create the line uninvoiced")
            try:
                invoice = self.get_invoice(invoice_id)
            except NotFoundError:
                raise InvalidTransactionError(f"Invoice {invoice_id} not found") from None
            if invoice.customer_id != customer_id:
                raise InvalidTransactionError(f"Invoice {invoice_id} belongs to another customer")
        complete = Transaction.new_fields(fields, self.config.currency)
        transaction_id = self.ids.next("transaction_id")
        line = Transaction(
            id=aggregate_uuid("transaction", transaction_id),
            transaction_id=transaction_id,
            customer_id=customer_id,
            fields=complete,
        )
        key = complete.get("idempotency_key")
        if key is None:
            self.save(line)
            return line
        try:
            self.save(line, IdempotencyKey(id=self._key_id(key), key=key, transaction_id=transaction_id))
        except IntegrityError:
            existing = self.transaction_for_key(key)
            raise ConflictError(
                f"Duplicate idempotency_key: transaction {existing} already recorded it",
                {"transaction_id": existing},
            ) from None
        return line

    def transaction_for_key(self, key: str) -> int | None:
        try:
            index: IdempotencyKey = self.repository.get(self._key_id(key))
        except AggregateNotFoundError:
            return None
        return index.transaction_id

    def edit_transaction(self, transaction_id: int, changes: dict[str, Any]) -> Transaction:
        return self._change(lambda: self.get_transaction(transaction_id), lambda t: t.edit(changes))

    def void_transaction(self, transaction_id: int) -> Transaction:
        return self._change(lambda: self.get_transaction(transaction_id), lambda t: t.void_line())

    def get_transaction(self, transaction_id: int) -> Transaction:
        return self._get(aggregate_uuid("transaction", transaction_id), Transaction, f"Transaction {transaction_id}")

    # --- invoices -----------------------------------------------------------------------------------------------

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
                "paid_date": (paid_date or _today()).isoformat(),
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

    # --- Stripe webhooks (D101): reconcile what happened in Stripe, idempotently ---------------------------------

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

    # --- dunning (D99) ------------------------------------------------------------------------------------------

    def advance_dunning(self, invoice_id: int, today: date | None = None) -> list[DunningStep]:
        """Record the dunning steps an overdue invoice has reached; a retry step tries the default card once."""
        today = today or _today()
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

    # --- cards --------------------------------------------------------------------------------------------------

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
            today = _today()
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

    # --- helpers ------------------------------------------------------------------------------------------------

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

    def _new_line(self, customer_id: int, fields: dict[str, Any]) -> Transaction:
        transaction_id = self.ids.next("transaction_id")
        return Transaction(
            id=aggregate_uuid("transaction", transaction_id),
            transaction_id=transaction_id,
            customer_id=customer_id,
            fields=Transaction.new_fields(fields, self.config.currency),
        )

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
        today = _today()
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

    def _period(self, customer_id: int, start: date, end: date) -> InvoicedPeriod:
        period_id = uuid.uuid5(aggregate_uuid("customer", customer_id), f"period:{start}:{end}")
        try:
            period: InvoicedPeriod = self.repository.get(period_id)
            return period
        except AggregateNotFoundError:
            return InvoicedPeriod(
                id=period_id, customer_id=customer_id, start_date=start.isoformat(), end_date=end.isoformat()
            )

    def _key_id(self, key: str) -> UUID:
        return uuid.uuid5(aggregate_uuid("idempotency", 0), key)

    def _change(self, load: Callable[[], T], change: Callable[[T], Any]) -> T:
        def command() -> T:
            aggregate = load()
            change(aggregate)
            self.save(aggregate)
            return aggregate

        return retry_on_conflict(command)

    def _get(self, aggregate_id: UUID, kind: type[T], what: str) -> T:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"{what} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(f"{what} not found")
        return aggregate


def _totals(lines: list[Transaction]) -> dict[str, Decimal]:
    retail = total(line.retail_cost for line in lines)
    tax = total(line.tax_amount for line in lines)
    return {"retail_cost": retail, "total_tax": tax, "total": retail + tax}
