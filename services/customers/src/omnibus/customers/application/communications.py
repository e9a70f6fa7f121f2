"""The customers application: the records' use cases plus customer communications (customers.md §4.8, §2.8).

Exactly once per trigger: a communication caused by one of this context's own events (a new customer's welcome,
a service found expiring) is saved in the same transaction as that event; one caused by another context's event
claims a ``UniqueKey`` named after that event's id in the same transaction as the communication, so a redelivered
or re-published event finds the key and records nothing. Sending is the dispatcher's (``integration.delivery``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid5

from omnibus.customers.application import messages
from omnibus.customers.application.messages import Links, ServiceFacts
from omnibus.customers.application.notices import CommunicationRequest, ContactInfo, Notice, Notices
from omnibus.customers.application.records import UNIQUE_KEYS, CustomerRecords
from omnibus.customers.domain import Communication, CommunicationNotFoundError, Contact, Customer, UniqueKey
from omnibus.platform.eventstore import aggregate_uuid, event_id, retry_on_conflict

INACTIVE_CUSTOMERS = ("Closed", "Archived")  # told only what is mandatory (invoices, staff's own messages)


class CustomersApp(CustomerRecords):
    """Customers, their records, and the messages sent to them."""

    name = "customers"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        notices: Notices | None = None,
        links: Links | None = None,
        reminder_days: Sequence[int] = (7, 3, 1),
    ) -> None:
        super().__init__(env)
        self.notices = notices or Notices({})
        self.links = links or Links()
        self.reminder_days = tuple(reminder_days)

    def _on_customer_created(self, customer: Customer, contacts: list[Contact]) -> list[Any]:
        infos = [_contact_info(c) for c in contacts]
        email = next((c.email for c in infos if c.email), None)
        notices = messages.welcome(customer.customer_name, customer.customer_account_type, email, self.links)
        trigger = {"event_type": "customers.CustomerCreated", "event_id": str(event_id(customer.id, 1))}
        return self._communications(customer, infos, notices, trigger)

    def request_communications(
        self,
        trigger: dict[str, Any],
        customer_id: int,
        contacts: Sequence[ContactInfo],
        notices: Sequence[Notice],
        to: str | None = None,
    ) -> list[Communication]:
        """The communications another context's event asks for, once per event (``trigger["event_id"]``)."""

        def command() -> list[Communication]:
            key_name = f"communication:{trigger['event_id']}"
            if self._key(key_name) is not None:
                return []  # this event was handled before (redelivery, re-publish)
            customer = self.get_customer(customer_id)
            found = self._communications(customer, contacts, notices, trigger, to=to)
            if found:
                key = UniqueKey(id=uuid5(UNIQUE_KEYS, key_name), key=key_name, owner=found[0].communication_id)
                self.save(*found, key)
            return found

        return retry_on_conflict(command)

    def send_communication(self, request: CommunicationRequest) -> Communication:
        """A message staff send themselves (``PUT /crm/communication/``)."""
        communication = self._new(request, trigger=None)
        self.save(communication)
        return communication

    def detect_service_expiring(self, service_id: int, now: datetime, contacts: Sequence[ContactInfo]) -> int | None:
        """Record that a service expires soon (D98: 7, 3, 1 days) with its reminders; the threshold, or None."""

        def command() -> int | None:
            service = self.get_service(service_id)
            threshold = service.detect_expiring(now, self.reminder_days)
            if threshold is None or service.service_deactivate_date is None:
                return None
            facts = ServiceFacts(service.service_id, service.service_uuid, service.service_name)
            notices = messages.service_expiring(facts, service.service_deactivate_date, self.links)
            trigger = {
                "event_type": "customers.ServiceExpiringDetected",
                "event_id": str(event_id(service.id, service.version)),
            }
            customer = self.get_customer(service.customer_id)
            self.save(service, *self._communications(customer, contacts, notices, trigger))
            return threshold

        return retry_on_conflict(command)

    def change_notification_preferences(self, customer_id: int, changes: dict[str, bool]) -> dict[str, bool]:
        def command() -> dict[str, bool]:
            customer = self.get_customer(customer_id)
            if customer.change_notification_preferences(changes):
                self.save(customer)
            return dict(customer.notification_preferences)

        return retry_on_conflict(command)

    def get_communication(self, communication_id: int) -> Communication:
        missing = CommunicationNotFoundError(communication_id)
        found: Communication = self._get(aggregate_uuid("communication", communication_id), Communication, missing)
        return found

    def start_attempt(self, communication_id: int) -> int:
        """Record the next attempt before the provider is called (a concurrent start conflicts: only one wins)."""
        communication = self.get_communication(communication_id)
        attempt = communication.start_attempt()
        self.save(communication)
        return attempt

    def record_sent(self, communication_id: int, attempt: int, provider_message_id: str | None) -> None:
        def command() -> None:
            communication = self.get_communication(communication_id)
            if communication.record_sent(attempt, provider_message_id):
                self.save(communication)

        retry_on_conflict(command)

    def record_failure(self, communication_id: int, attempt: int, error: str, retry_at: datetime | None) -> None:
        def command() -> None:
            communication = self.get_communication(communication_id)
            if communication.record_failure(attempt, error, retry_at):
                self.save(communication)

        retry_on_conflict(command)

    def retry_communication(self, communication_id: int) -> Communication:
        def command() -> Communication:
            communication = self.get_communication(communication_id)
            communication.retry()
            self.save(communication)
            return communication

        return retry_on_conflict(command)

    def _communications(
        self,
        customer: Customer,
        contacts: Sequence[ContactInfo],
        notices: Sequence[Notice],
        trigger: dict[str, Any],
        to: str | None = None,
    ) -> list[Communication]:
        if customer.customer_status in INACTIVE_CUSTOMERS:
            notices = [n for n in notices if n.preference is None]
        requests = self.notices.requests(
            customer_id=customer.customer_id,
            customer_name=customer.customer_name,
            preferences=customer.notification_preferences,
            contacts=contacts,
            notices=notices,
            to=to,
        )
        return [self._new(request, trigger) for request in requests]

    def _new(self, request: CommunicationRequest, trigger: dict[str, Any] | None) -> Communication:
        communication_id = self.ids.next("communication_id")
        return Communication(
            id=aggregate_uuid("communication", communication_id),
            communication_id=communication_id,
            customer_id=request.customer_id,
            channel=request.channel,
            template_key=request.template_key,
            template_id=request.template_id,
            from_email=request.from_email,
            from_name=request.from_name,
            to=request.to,
            to_name=request.to_name,
            subject=request.subject,
            variables=request.variables,
            message=request.message,
            related=request.related,
            trigger=trigger,
            custom_id=f"omnibus-{uuid.uuid4()}",  # Mailjet's CustomID: unique across deployments sharing an account
        )


def _contact_info(contact: Contact) -> ContactInfo:
    name = " ".join(n for n in (contact.contact_firstname, contact.contact_lastname) if n) or None
    return ContactInfo(
        contact.contact_id, name, contact.contact_email, contact.contact_phone, tuple(contact.contact_types or ())
    )
