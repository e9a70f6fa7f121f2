"""Shared plumbing of the billing use cases: loading aggregates by public id, load-change-save with retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from omnibus.billing.config import BillingConfig
from omnibus.billing.domain import BillingError, InvoicedPeriod, NotFoundError, Transaction
from omnibus.billing.ports import LedgerLookups, PaymentGateway
from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict

T = TypeVar("T")


class CardNotOwnedError(BillingError):
    http_status = 403
    code = "card_not_owned"


def utc_today() -> date:
    return datetime.now(UTC).date()


class BillingBase(ServiceApplication):
    """What every use-case group shares: configuration, read-model lookups and the card processor (``ports``)."""

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

    def _new_line(self, customer_id: int, fields: dict[str, Any]) -> Transaction:
        transaction_id = self.ids.next("transaction_id")
        return Transaction(
            id=aggregate_uuid("transaction", transaction_id),
            transaction_id=transaction_id,
            customer_id=customer_id,
            fields=Transaction.new_fields(fields, self.config.currency),
        )

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
