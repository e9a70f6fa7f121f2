"""Service expiry reminders (D98; customers.md §4.9: 7, 3 and 1 days before): a sweep over the Active services whose
``service_deactivate_date`` is near. Each finding is ``Service.ExpiringDetected`` (published as
``ServiceExpiringDetected``), recorded once per expiry date and threshold together with its e-mail and SMS, so
sweeping again, or from two processes, sends nothing twice. The dispatcher's thread runs it every
``OMNIBUS_COMMUNICATIONS_EXPIRY_SWEEP_SECONDS``; ``POST /crm/service/expiring/remind`` runs it now.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import ServiceNotFoundError
from omnibus.customers.readmodel.communication_queries import customer_contacts, services_expiring

log = logging.getLogger(__name__)


class ExpiryReminders:
    def __init__(self, app: CustomersApp, engine: Engine, every: float = 3600.0) -> None:
        self.app = app
        self.engine = engine
        self.every = timedelta(seconds=every)
        self._last: datetime | None = None

    def maybe_sweep(self, now: datetime) -> None:
        """Sweep when the interval has passed since the last sweep of this process."""
        if self._last is None or now - self._last >= self.every:
            self._last = now
            self.sweep(now)

    def sweep(self, now: datetime) -> list[tuple[int, int]]:
        """(service_id, threshold days) of the reminders recorded now."""
        days: Sequence[int] = self.app.reminder_days
        if not days:
            return []
        with self.engine.connect() as conn:
            due = services_expiring(conn, now, timedelta(days=max(days)))
            contacts = {customer_id: customer_contacts(conn, customer_id) for _, customer_id in due}
        found = []
        for service_id, customer_id in due:
            try:
                threshold = self.app.detect_service_expiring(service_id, now, contacts[customer_id])
            except ServiceNotFoundError:
                continue  # deleted since the read model saw it
            if threshold is not None:
                found.append((service_id, threshold))
        if found:
            log.info("service expiry reminders: %s", found)
        return found
