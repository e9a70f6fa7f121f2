"""Uniqueness indexes (uuid5-keyed aggregates saved atomically with their owner; CONVENTIONS §6.9).

- ``IdempotencyKey``: one transaction per ``idempotency_key`` (D70); a second save of the same key conflicts.
- ``InvoicedPeriod``: the live invoices of one customer and billing period. Two concurrent generations for the same
  period both change it, so one of them conflicts and re-reads: a billing run never invoices a customer twice for
  one period, however often or concurrently it runs.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class IdempotencyKey(Aggregate):
    id: UUID

    class Claimed(Aggregate.Created):
        key: str
        transaction_id: int

    @event(Claimed)
    def __init__(self, key: str, transaction_id: int) -> None:
        self.key = key
        self.transaction_id = transaction_id


class InvoicedPeriod(Aggregate):
    id: UUID

    class Opened(Aggregate.Created):
        customer_id: int
        start_date: str
        end_date: str

    class InvoiceAdded(Aggregate.Event):
        invoice_id: int

    class InvoiceRemoved(Aggregate.Event):
        invoice_id: int

    @event(Opened)
    def __init__(self, customer_id: int, start_date: str, end_date: str) -> None:
        self.customer_id = customer_id
        self.start_date = start_date
        self.end_date = end_date
        self.invoice_ids: list[int] = []

    def add(self, invoice_id: int) -> None:
        if invoice_id not in self.invoice_ids:
            self._added(invoice_id=invoice_id)

    @event(InvoiceAdded)
    def _added(self, invoice_id: int) -> None:
        self.invoice_ids.append(invoice_id)

    def remove(self, invoice_id: int) -> None:
        if invoice_id in self.invoice_ids:
            self._removed(invoice_id=invoice_id)

    @event(InvoiceRemoved)
    def _removed(self, invoice_id: int) -> None:
        self.invoice_ids.remove(invoice_id)
