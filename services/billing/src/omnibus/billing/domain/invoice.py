"""The Invoice aggregate (billing.md §2.2, §2.3, §4.5, §5; D86-D90, D99).

States: Unpaid -> Paid -> Partially Refunded -> Refunded; Unpaid -> Void (terminal). Overdue is derived (unpaid and
past ``due_date``). Totals are fixed at generation: ``retail_cost`` = Σ line retail (pre-tax), ``total_tax`` = Σ line
tax, ``total`` = both. Payments are kept on the invoice (one full payment; refunds reduce what remains refundable).
Dunning steps (D99) are recorded once each; a payment after a suspension asks for the services to be restored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.billing.domain.dunning import SUSPEND, DunningStep
from omnibus.billing.domain.errors import BillingError, ConflictError, InvalidInvoiceError
from omnibus.billing.domain.money import cents

EDITABLE = ("title", "start_date", "end_date", "due_date")


class Invoice(Aggregate):
    id: UUID

    class Generated(Aggregate.Created):
        invoice_id: int
        customer_id: int
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        invoice_id: int
        customer_id: int
        changes: dict[str, Any]

    class Voided(Aggregate.Event):
        invoice_id: int
        customer_id: int
        released_transaction_ids: list[int]

    class Paid(Aggregate.Event):
        invoice_id: int
        customer_id: int
        payment: dict[str, Any]

    class PaymentFailed(Aggregate.Event):
        invoice_id: int
        customer_id: int
        customer_stripe_id: str | None
        reason: str
        payment_intent_id: str | None

    class Refunded(Aggregate.Event):
        invoice_id: int
        customer_id: int
        amount: Decimal
        refund_reference: str | None
        method: str
        full: bool

    class DunningStepReached(Aggregate.Event):
        invoice_id: int
        customer_id: int
        day: int
        action: str

    class ServiceSuspensionRequested(Aggregate.Event):
        invoice_id: int
        customer_id: int
        service_ids: list[int]

    class ServiceRestorationRequested(Aggregate.Event):
        invoice_id: int
        customer_id: int
        service_ids: list[int]

    class EmailRequested(Aggregate.Event):
        invoice_id: int
        customer_id: int
        to: str | None

    @event(Generated)
    def __init__(self, invoice_id: int, customer_id: int, fields: dict[str, Any]) -> None:
        self.invoice_id = invoice_id
        self.customer_id = customer_id
        self.title: str = fields["title"]
        self.start_date: str = fields["start_date"]
        self.end_date: str = fields["end_date"]
        self.due_date: str = fields["due_date"]
        self.transaction_ids: list[int] = list(fields["transaction_ids"])
        self.service_ids: list[int] = list(fields.get("service_ids") or [])
        self.retail_cost: Decimal = fields["retail_cost"]
        self.total_tax: Decimal = fields["total_tax"]
        self.total: Decimal = fields["total"]
        self.currency: str = fields["currency"]
        self.invoice_number: str = fields["invoice_number"]
        self.paid = False
        self.paid_date: str | None = None
        self.void = False
        self.payment_reference: str | None = None
        self.refund_reference: str | None = None
        self.refunded_amount = Decimal("0.00")
        self.payment: dict[str, Any] | None = None
        self.dunning_days: list[int] = []
        self.suspended = False
        self.emailed = False
        self.failed_payment_intents: list[str] = []

    @property
    def status(self) -> str:
        if self.void:
            return "Void"
        if not self.paid:
            return "Unpaid"
        if self.refunded_amount <= 0:
            return "Paid"
        return "Refunded" if self.refunded_amount >= self.total else "Partially Refunded"

    def days_overdue(self, today: date) -> int:
        if self.paid or self.void:
            return 0
        return max(0, (today - date.fromisoformat(self.due_date)).days)

    def update(self, changes: dict[str, Any]) -> list[str]:
        self._check_unpaid("edited")
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInvoiceError(f"Field(s) cannot be edited: {', '.join(unknown)}", unknown)
        merged = {name: changes.get(name, getattr(self, name)) for name in ("start_date", "end_date")}
        if merged["end_date"] < merged["start_date"]:
            raise InvalidInvoiceError("end_date is before start_date")
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if real:
            self._updated(invoice_id=self.invoice_id, customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, invoice_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def void_invoice(self) -> bool:
        """Void an unpaid invoice (paid ones are refunded instead, D89). False when already void."""
        if self.void:
            return False
        if self.paid:
            raise ConflictError(f"Invoice {self.invoice_id} is paid; refund it instead of voiding (D89)")
        self._voided(
            invoice_id=self.invoice_id, customer_id=self.customer_id, released_transaction_ids=self.transaction_ids
        )
        return True

    @event(Voided)
    def _voided(self, invoice_id: int, customer_id: int, released_transaction_ids: list[int]) -> None:
        self.void = True

    def check_payable(self) -> None:
        self._check_unpaid("paid")

    def pay(self, payment: dict[str, Any]) -> None:
        """Record the full payment (D87): ``payment_id, amount, method, reference, paid_date, ...``."""
        self.check_payable()
        if cents(payment["amount"]) != self.total:
            raise InvalidInvoiceError(f"A payment must be the invoice total {self.total}")
        self._paid(invoice_id=self.invoice_id, customer_id=self.customer_id, payment=payment)
        if self.suspended:
            self._restoration_requested(
                invoice_id=self.invoice_id, customer_id=self.customer_id, service_ids=self.service_ids
            )

    @event(Paid)
    def _paid(self, invoice_id: int, customer_id: int, payment: dict[str, Any]) -> None:
        self.paid = True
        self.paid_date = payment["paid_date"]
        self.payment_reference = payment["reference"]
        self.payment = dict(payment)

    @event(ServiceRestorationRequested)
    def _restoration_requested(self, invoice_id: int, customer_id: int, service_ids: list[int]) -> None:
        self.suspended = False

    def payment_failed(self, customer_stripe_id: str | None, reason: str, payment_intent_id: str | None) -> None:
        """Record a declined card payment once per PaymentIntent (the charge and its webhook both report it)."""
        if payment_intent_id is not None and payment_intent_id in self.failed_payment_intents:
            return
        self._payment_failed(
            invoice_id=self.invoice_id,
            customer_id=self.customer_id,
            customer_stripe_id=customer_stripe_id,
            reason=reason,
            payment_intent_id=payment_intent_id,
        )

    @event(PaymentFailed)
    def _payment_failed(
        self,
        invoice_id: int,
        customer_id: int,
        customer_stripe_id: str | None,
        reason: str,
        payment_intent_id: str | None,
    ) -> None:
        if payment_intent_id is not None:
            self.failed_payment_intents.append(payment_intent_id)

    @property
    def refundable(self) -> Decimal:
        return self.total - self.refunded_amount if self.paid else Decimal("0.00")

    def check_refund(self, amount: Decimal | None) -> Decimal:
        """The amount to refund (default: all that remains, D90); 409 unpaid, 400 too high."""
        if not self.paid:
            raise ConflictError(f"Invoice {self.invoice_id} is not paid; nothing to refund")
        wanted = self.refundable if amount is None else cents(amount)
        if wanted <= 0:
            raise BillingError("Refund amount must be positive" if amount is not None else "Already fully refunded")
        if wanted > self.refundable:
            raise BillingError(f"Refund amount {wanted} exceeds the refundable {self.refundable}")
        return wanted

    def refund_up_to(self, refunded_total: Decimal, refund_reference: str | None, method: str) -> None:
        """Bring the refunded total up to ``refunded_total`` (Stripe's cumulative figure): a refund recorded by the
        API and the same refund reported by a webhook converge instead of counting twice."""
        missing = cents(refunded_total) - self.refunded_amount
        if missing > 0:
            self.refund(min(missing, self.refundable), refund_reference, method)

    def refund(self, amount: Decimal, refund_reference: str | None, method: str) -> None:
        amount = self.check_refund(amount)
        full = amount == self.refundable
        self._refunded(
            invoice_id=self.invoice_id,
            customer_id=self.customer_id,
            amount=amount,
            refund_reference=refund_reference,
            method=method,
            full=full,
        )

    @event(Refunded)
    def _refunded(
        self, invoice_id: int, customer_id: int, amount: Decimal, refund_reference: str | None, method: str, full: bool
    ) -> None:
        self.refunded_amount += amount
        self.refund_reference = refund_reference or self.refund_reference

    def dunning_steps_due(self, today: date, schedule: tuple[DunningStep, ...]) -> list[DunningStep]:
        """Steps of the timeline reached by ``today`` and not yet recorded."""
        overdue = self.days_overdue(today)
        return [s for s in schedule if s.day <= overdue and s.day not in self.dunning_days]

    def reach_dunning_step(self, step: DunningStep) -> None:
        if step.day in self.dunning_days or self.paid or self.void:
            return
        self._dunning_step_reached(
            invoice_id=self.invoice_id, customer_id=self.customer_id, day=step.day, action=step.action
        )
        if step.action == SUSPEND and not self.suspended:
            self._suspension_requested(
                invoice_id=self.invoice_id, customer_id=self.customer_id, service_ids=self.service_ids
            )

    @event(DunningStepReached)
    def _dunning_step_reached(self, invoice_id: int, customer_id: int, day: int, action: str) -> None:
        self.dunning_days.append(day)

    @event(ServiceSuspensionRequested)
    def _suspension_requested(self, invoice_id: int, customer_id: int, service_ids: list[int]) -> None:
        self.suspended = True

    def request_email(self, to: str | None) -> None:
        """Ask the customers context (communications) to send the invoice; billing never sends mail itself."""
        if self.void:
            raise ConflictError(f"Invoice {self.invoice_id} is void")
        self._email_requested(invoice_id=self.invoice_id, customer_id=self.customer_id, to=to)

    @event(EmailRequested)
    def _email_requested(self, invoice_id: int, customer_id: int, to: str | None) -> None:
        self.emailed = True

    def _check_unpaid(self, action: str) -> None:
        if self.void:
            raise ConflictError(f"Invoice {self.invoice_id} is void and cannot be {action}")
        if self.paid:
            raise ConflictError(f"Invoice {self.invoice_id} is already paid and cannot be {action}")
