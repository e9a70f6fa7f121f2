"""The Customer aggregate (customers.md §2.1): its fields, updates and status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import InvalidCustomerError, check_fields

STATUSES = ("Open", "Closed", "Suspended", "Archived")
ACCOUNT_TYPES = ("Individual", "Business")
PAYMENT_TYPES = ("prepaid", "postpaid")
UPDATABLE = (
    "customer_name",
    "customer_account_type",
    "customer_payment_type",
    "customer_enabled",
    "tax_identifier",
    "contract_start_date",
    "contract_end_date",
)
# customers.md §2.9 (inferred): e-mail and SMS on/off, and the two kinds of notices a customer may turn off.
DEFAULT_PREFERENCES = {"email_enabled": True, "sms_enabled": True, "balance_alerts": True, "expiry_reminders": True}


class Customer(Aggregate):
    """A customer account; contacts and sites are aggregates of their own that name it."""

    id: UUID  # given by the application: derived from the public integer id

    class Created(Aggregate.Created):
        customer_id: int
        customer_name: str
        customer_account_type: str
        customer_status: str
        customer_payment_type: str
        customer_enabled: bool
        tax_identifier: str | None
        contract_start_date: datetime | None
        contract_end_date: datetime | None

    class Updated(Aggregate.Event):
        customer_id: int
        changes: dict[str, Any]

    class StatusChanged(Aggregate.Event):
        customer_id: int
        from_status: str
        to_status: str

    class NotificationPreferencesChanged(Aggregate.Event):
        customer_id: int
        preferences: dict[str, bool]  # all of them, after the change

    @event(Created)
    def __init__(
        self,
        customer_id: int,
        customer_name: str,
        customer_account_type: str,
        customer_status: str,
        customer_payment_type: str,
        customer_enabled: bool,
        tax_identifier: str | None,
        contract_start_date: datetime | None,
        contract_end_date: datetime | None,
    ) -> None:
        _check_contract_dates(contract_start_date, contract_end_date)
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.customer_account_type = customer_account_type
        self.customer_status = customer_status
        self.customer_payment_type = customer_payment_type
        self.customer_enabled = customer_enabled
        self.tax_identifier = tax_identifier
        self.contract_start_date = contract_start_date
        self.contract_end_date = contract_end_date
        self.notification_preferences = dict(DEFAULT_PREFERENCES)

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply the given field values; records an event only for real changes. Returns the changed names."""
        check_fields(changes, UPDATABLE)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        start = real.get("contract_start_date", self.contract_start_date)
        end = real.get("contract_end_date", self.contract_end_date)
        _check_contract_dates(start, end)
        if real:
            self._updated(customer_id=self.customer_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def change_status(self, status: str) -> bool:
        """Move to ``status``; False (and no event) when already there."""
        if status not in STATUSES:
            raise InvalidCustomerError(f"unknown customer_status {status!r}")
        if status == self.customer_status:
            return False
        self._status_changed(customer_id=self.customer_id, from_status=self.customer_status, to_status=status)
        return True

    @event(StatusChanged)
    def _status_changed(self, customer_id: int, from_status: str, to_status: str) -> None:
        self.customer_status = to_status

    def change_notification_preferences(self, changes: dict[str, bool]) -> bool:
        """Set some of the preferences; False (and no event) when nothing changes."""
        check_fields(changes, tuple(DEFAULT_PREFERENCES))
        if any(not isinstance(v, bool) for v in changes.values()):
            raise InvalidCustomerError("notification preferences are true or false")
        wanted = {**self.notification_preferences, **changes}
        if wanted == self.notification_preferences:
            return False
        self._preferences_changed(customer_id=self.customer_id, preferences=wanted)
        return True

    @event(NotificationPreferencesChanged)
    def _preferences_changed(self, customer_id: int, preferences: dict[str, bool]) -> None:
        self.notification_preferences = dict(preferences)


def _check_contract_dates(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidCustomerError("contract_end_date is before contract_start_date")
