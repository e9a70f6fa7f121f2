"""The Service aggregate (customers.md §2.6, §4.5): a customer's service record, written by provisioning playbooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.customers.domain.errors import InvalidStatusTransitionError, check_fields

STATUSES = ("Active", "Inactive", "Suspended", "Deactivated")  # D37
# customers.md §4.5: Active <-> Suspended, Active <-> Inactive, any -> Deactivated (terminal).
TRANSITIONS = {
    "Active": {"Suspended", "Inactive", "Deactivated"},
    "Suspended": {"Active", "Deactivated"},
    "Inactive": {"Active", "Deactivated"},
    "Deactivated": set(),
}
EDITABLE = (
    "site_id",
    "service_name",
    "service_type",
    "icon",
    "service_active_date",
    "service_deactivate_date",
    "contract_end_date",
    "retail_cost",
    "wholesale_cost",
    "service_billed",
    "service_taxable",
    "promo_code",
    "service_visible_to_customer",
    "service_usage_visible_to_customer",
    "service_notes",
)
# Set once, when the service is created (by the playbook that provisions it).
CREATION_ONLY = (
    "product_id",
    "service_uuid",
    "service_provisioned_date",
    "provisioning_play",
    "provisioning_json_vars",
    "deprovisioning_play",
    "deprovisioning_json_vars",
    "bundled_parent",
)
FIELDS = EDITABLE + CREATION_ONLY
VISIBILITY = ("service_visible_to_customer", "service_usage_visible_to_customer")
DEFAULTS: dict[str, Any] = {
    "service_billed": True,
    "service_taxable": True,
    "service_visible_to_customer": True,
    "service_usage_visible_to_customer": True,
    "retail_cost": Decimal("0.00"),
    "wholesale_cost": Decimal("0.00"),
}


def with_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """Every field of a new service: the given values, the documented defaults, else None (§2.6)."""
    return {name: fields.get(name, DEFAULTS.get(name)) for name in FIELDS} | {
        k: v for k, v in fields.items() if k not in FIELDS
    }


class Service(Aggregate):
    """A service a customer has; its OCS account is ``service_uuid``."""

    id: UUID  # given by the application: derived from the public integer id
    # The record's fields (set from ``fields`` in __init__), declared for type checkers.
    product_id: int | None
    site_id: int | None
    service_name: str
    service_type: str | None
    service_uuid: str
    service_deactivate_date: datetime | None
    service_visible_to_customer: bool
    service_usage_visible_to_customer: bool

    class Created(Aggregate.Created):
        service_id: int
        customer_id: int
        service_status: str
        fields: dict[str, Any]

    class Updated(Aggregate.Event):
        service_id: int
        customer_id: int
        changes: dict[str, Any]

    class StatusChanged(Aggregate.Event):
        service_id: int
        customer_id: int
        service_uuid: str
        from_status: str
        to_status: str

    class Deactivated(Aggregate.Event):
        service_id: int
        customer_id: int
        service_uuid: str
        service_deactivate_date: datetime | None

    class ExpiryExtended(Aggregate.Event):
        service_id: int
        customer_id: int
        service_uuid: str
        service_deactivate_date: datetime

    class VisibilityChanged(Aggregate.Event):
        service_id: int
        customer_id: int
        service_visible_to_customer: bool
        service_usage_visible_to_customer: bool

    class Deleted(Aggregate.Event):
        service_id: int
        customer_id: int
        service_uuid: str

    class ExpiringDetected(Aggregate.Event):
        service_id: int
        customer_id: int
        service_uuid: str
        service_deactivate_date: datetime
        threshold_days: int

    @event(Created)
    def __init__(self, service_id: int, customer_id: int, service_status: str, fields: dict[str, Any]) -> None:
        check_fields(fields, FIELDS)
        if service_status == "Deactivated":
            raise InvalidStatusTransitionError("a service cannot be created Deactivated")
        self.service_id = service_id
        self.customer_id = customer_id
        self.service_status = service_status
        self.invoiced = False
        self.deleted = False
        self.expiry_notices: list[str] = []  # "<expiry>@<days>": reminders already recorded (D98)
        for name in FIELDS:
            setattr(self, name, fields.get(name))

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply editable field values; records an event only for real changes. Returns the changed names."""
        check_fields(changes, EDITABLE)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not real:
            return []
        old_expiry = self.service_deactivate_date
        self._updated(service_id=self.service_id, customer_id=self.customer_id, changes=real)
        new_expiry = self.service_deactivate_date
        if new_expiry is not None and (old_expiry is None or new_expiry > old_expiry):  # top-ups extend (§2.6)
            self._expiry_extended(
                service_id=self.service_id,
                customer_id=self.customer_id,
                service_uuid=self.service_uuid,
                service_deactivate_date=new_expiry,
            )
        if set(real) & set(VISIBILITY):
            self._visibility_changed(
                service_id=self.service_id,
                customer_id=self.customer_id,
                service_visible_to_customer=self.service_visible_to_customer,
                service_usage_visible_to_customer=self.service_usage_visible_to_customer,
            )
        return sorted(real)

    @event(Updated)
    def _updated(self, service_id: int, customer_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    @event(ExpiryExtended)
    def _expiry_extended(
        self, service_id: int, customer_id: int, service_uuid: str, service_deactivate_date: datetime
    ) -> None:
        pass

    @event(VisibilityChanged)
    def _visibility_changed(
        self,
        service_id: int,
        customer_id: int,
        service_visible_to_customer: bool,
        service_usage_visible_to_customer: bool,
    ) -> None:
        pass

    def change_status(self, status: str) -> bool:
        """Move to ``status`` along §4.5's transitions; False (and no event) when already there."""
        if status not in STATUSES:
            raise InvalidStatusTransitionError(f"unknown service_status {status!r}; use {', '.join(STATUSES)}")
        if status == self.service_status:
            return False
        if status not in TRANSITIONS[self.service_status]:
            raise InvalidStatusTransitionError(f"a service cannot go from {self.service_status} to {status}")
        self._status_changed(
            service_id=self.service_id,
            customer_id=self.customer_id,
            service_uuid=self.service_uuid,
            from_status=self.service_status,
            to_status=status,
        )
        if status == "Deactivated":
            self._deactivated(
                service_id=self.service_id,
                customer_id=self.customer_id,
                service_uuid=self.service_uuid,
                service_deactivate_date=self.service_deactivate_date,
            )
        return True

    @event(StatusChanged)
    def _status_changed(
        self, service_id: int, customer_id: int, service_uuid: str, from_status: str, to_status: str
    ) -> None:
        self.service_status = to_status

    @event(Deactivated)
    def _deactivated(
        self, service_id: int, customer_id: int, service_uuid: str, service_deactivate_date: datetime | None
    ) -> None:
        pass

    def delete(self) -> None:
        """Rollback of a failed provisioning removes the record (customers.md §4.4)."""
        if not self.deleted:
            self._deleted(service_id=self.service_id, customer_id=self.customer_id, service_uuid=self.service_uuid)

    @event(Deleted)
    def _deleted(self, service_id: int, customer_id: int, service_uuid: str) -> None:
        self.deleted = True

    def detect_expiring(self, now: datetime, reminder_days: Sequence[int]) -> int | None:
        """Record that an Active service expires within one of ``reminder_days`` (7, 3, 1): the smallest threshold
        its expiry is within, once per expiry date and threshold (a later expiry, after a top-up, starts again).
        Returns the threshold recorded, or None."""
        expiry = self.service_deactivate_date
        if self.deleted or self.service_status != "Active" or expiry is None or expiry <= now:
            return None
        within = [days for days in reminder_days if expiry - now <= timedelta(days=days)]
        if not within or f"{expiry.isoformat()}@{min(within)}" in self.expiry_notices:
            return None
        self._expiring_detected(
            service_id=self.service_id,
            customer_id=self.customer_id,
            service_uuid=self.service_uuid,
            service_deactivate_date=expiry,
            threshold_days=min(within),
        )
        return min(within)

    @event(ExpiringDetected)
    def _expiring_detected(
        self,
        service_id: int,
        customer_id: int,
        service_uuid: str,
        service_deactivate_date: datetime,
        threshold_days: int,
    ) -> None:
        self.expiry_notices = [*self.expiry_notices, f"{service_deactivate_date.isoformat()}@{threshold_days}"]

    def public_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}
