"""Transactions (billing.md §2.1, §4.4): record, edit, void; one line per idempotency key (D70)."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.billing.application.base import BillingBase
from omnibus.billing.domain import ConflictError, IdempotencyKey, InvalidTransactionError, NotFoundError, Transaction
from omnibus.platform.eventstore import aggregate_uuid


class TransactionUseCases(BillingBase):
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
