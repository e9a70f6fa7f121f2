"""The Transaction aggregate (billing.md §2.1, §4.4, §5): one line of a customer's ledger.

Charges are positive, credits and payments negative (D87). ``tax_amount`` is computed here, to the cent. A line is
invoiced iff ``invoice_id`` is set; only uninvoiced, non-void charge/credit lines can be invoiced, edited or voided.
Payment and refund rows never enter invoice totals (D86, D87).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.billing.domain.errors import ConflictError, InvalidTransactionError
from omnibus.billing.domain.money import line_tax

TRANSACTION_TYPES = ("charge", "credit", "payment", "refund")
INVOICEABLE_TYPES = ("charge", "credit")
SOURCES = ("provisioning", "billing", "addon", "topup", "manual")
PAYMENT_METHODS = ("stripe", "cash", "bank_transfer", "pos", "other")
EDITABLE = ("service_id", "title", "description", "retail_cost", "wholesale_cost", "tax_percentage")


def signed_amount(transaction_type: str, retail_cost: Decimal) -> Decimal:
    """Credits and payments are stored negative whatever sign was typed (scenario 3: "10.00" -> -10.00)."""
    if transaction_type in ("credit", "payment"):
        return -abs(retail_cost)
    if transaction_type == "charge" and retail_cost < 0:
        raise InvalidTransactionError("A charge cannot be negative; record a credit instead")
    return retail_cost


def infer_type(retail_cost: Decimal) -> str:
    """Without ``transaction_type``, a negative amount is a credit (the reference product's convention)."""
    return "credit" if retail_cost < 0 else "charge"


class Transaction(Aggregate):
    id: UUID  # derived from the public transaction_id by the application

    class Recorded(Aggregate.Created):
        transaction_id: int
        customer_id: int
        fields: dict[str, Any]

    class Edited(Aggregate.Event):
        transaction_id: int
        customer_id: int
        changes: dict[str, Any]

    class Voided(Aggregate.Event):
        transaction_id: int
        customer_id: int

    class Invoiced(Aggregate.Event):
        transaction_id: int
        invoice_id: int

    class Uninvoiced(Aggregate.Event):
        transaction_id: int
        invoice_id: int

    @event(Recorded)
    def __init__(self, transaction_id: int, customer_id: int, fields: dict[str, Any]) -> None:
        self.transaction_id = transaction_id
        self.customer_id = customer_id
        self.service_id: int | None = fields.get("service_id")
        self.title: str = fields["title"]
        self.description: str | None = fields.get("description")
        self.retail_cost: Decimal = fields["retail_cost"]
        self.wholesale_cost: Decimal = fields["wholesale_cost"]
        self.tax_percentage: Decimal = fields["tax_percentage"]
        self.tax_amount: Decimal = fields["tax_amount"]
        self.transaction_type: str = fields["transaction_type"]
        self.payment_method: str | None = fields.get("payment_method")
        self.currency: str = fields["currency"]
        self.provision_id: int | None = fields.get("provision_id")
        self.idempotency_key: str | None = fields.get("idempotency_key")
        self.source: str = fields["source"]
        self.stripe_payment_id: str | None = fields.get("stripe_payment_id")
        self.invoice_id: int | None = fields.get("invoice_id")
        self.void = False

    @staticmethod
    def new_fields(fields: dict[str, Any], currency: str) -> dict[str, Any]:
        """Complete and check a new line's fields: sign by type, tax to the cent, defaults (billing.md §2.1)."""
        retail = fields["retail_cost"]
        kind = fields.get("transaction_type") or infer_type(retail)
        if kind not in TRANSACTION_TYPES:
            raise InvalidTransactionError(f"transaction_type must be one of {', '.join(TRANSACTION_TYPES)}")
        method = fields.get("payment_method")
        if method is not None and kind not in ("payment", "refund"):
            raise InvalidTransactionError("payment_method is only for payment and refund rows")
        tax_percentage = fields.get("tax_percentage") or Decimal("0")
        retail = signed_amount(kind, retail)
        return {
            **fields,
            "retail_cost": retail,
            "wholesale_cost": fields.get("wholesale_cost") or Decimal("0"),
            "tax_percentage": tax_percentage,
            "tax_amount": line_tax(retail, tax_percentage),
            "transaction_type": kind,
            "currency": currency,
            "source": fields.get("source") or "manual",
        }

    @property
    def invoiceable(self) -> bool:
        return not self.void and self.invoice_id is None and self.transaction_type in INVOICEABLE_TYPES

    def edit(self, changes: dict[str, Any]) -> list[str]:
        """Change editable fields of an uninvoiced line; recomputes the tax. Returns the changed names."""
        self._check_open("edited")
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidTransactionError(f"Field(s) cannot be edited: {', '.join(unknown)}", unknown)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if "retail_cost" in real:
            real["retail_cost"] = signed_amount(self.transaction_type, real["retail_cost"])
        if "retail_cost" in real or "tax_percentage" in real:
            tax = line_tax(real.get("retail_cost", self.retail_cost), real.get("tax_percentage", self.tax_percentage))
            real["tax_amount"] = tax
        real = {k: v for k, v in real.items() if getattr(self, k) != v}
        if real:
            self._edited(transaction_id=self.transaction_id, customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Edited)
    def _edited(self, transaction_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def void_line(self) -> bool:
        """Void (never delete); an invoiced line must be released first by voiding its invoice. False if no-op."""
        if self.void:
            return False
        self._check_open("voided")
        self._voided(transaction_id=self.transaction_id, customer_id=self.customer_id)
        return True

    @event(Voided)
    def _voided(self, transaction_id: int, customer_id: int) -> None:
        self.void = True

    def invoice(self, invoice_id: int) -> None:
        if self.invoice_id == invoice_id:
            return
        if not self.invoiceable:
            state = "void" if self.void else f"on invoice {self.invoice_id}" if self.invoice_id else "not billable"
            raise ConflictError(
                f"Transaction {self.transaction_id} is {state}", {"transaction_id": self.transaction_id}
            )
        self._invoiced(transaction_id=self.transaction_id, invoice_id=invoice_id)

    @event(Invoiced)
    def _invoiced(self, transaction_id: int, invoice_id: int) -> None:
        self.invoice_id = invoice_id

    def release(self, invoice_id: int) -> None:
        if self.invoice_id == invoice_id:
            self._uninvoiced(transaction_id=self.transaction_id, invoice_id=invoice_id)

    @event(Uninvoiced)
    def _uninvoiced(self, transaction_id: int, invoice_id: int) -> None:
        self.invoice_id = None

    def _check_open(self, action: str) -> None:
        if self.void:
            raise ConflictError(f"Transaction {self.transaction_id} is void and cannot be {action}")
        if self.invoice_id is not None:
            raise ConflictError(
                f"Transaction {self.transaction_id} is on invoice {self.invoice_id}; void the invoice first",
                {"invoice_id": self.invoice_id},
            )
