"""Other contexts' events that the customer is told about (customers.md §4.8, §9): billing's invoices, reminders,
card expiry and failed payments; charging's low, depleted and expired balances.

Each event becomes notices (``application.messages``) for its customer; ``CustomersApp.request_communications``
records them once per event id, so a redelivery, a re-publish or a crash between the request and the inbox row
records nothing more. A fact the event needs that has not arrived yet (billing's invoice, the service a charging
event names) is retried with back-off and then dead-lettered; an invalid recipient is dead-lettered at once.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import billing as b
from omnibus.contracts import charging as ch
from omnibus.customers.application import CustomersApp, messages
from omnibus.customers.application.notices import Notice
from omnibus.customers.readmodel.communication_queries import customer_contacts, invoice, service_facts
from omnibus.platform.consumers import Reaction, ReceivedEvent
from omnibus.platform.messaging.bus import PermanentError

EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotKnownYet(Exception):
    """A fact this event needs has not reached the customers context yet: retried, then dead-lettered."""


@dataclass(frozen=True)
class Plan:
    customer_id: int
    notices: list[Notice]
    to: str | None = None


@dataclass(frozen=True)
class TriggerSettings:
    balance_low_percent: int = 20  # notifications.balance_low_percent (D81): the ``threshold`` variable
    invoice_auto_email: bool = False  # notifications.invoice_auto_email [new]: e-mail invoices when generated


class CommunicationTriggers(Reaction):
    name = "communications"
    handles = (
        b.InvoiceEmailRequested,
        b.InvoiceGenerated,
        b.DunningStepReached,
        b.CardExpiryReminderRequested,
        b.InvoicePaymentFailed,
        ch.BalanceLow,
        ch.BalanceDepleted,
        ch.BalanceExpired,
    )

    def __init__(self, app: CustomersApp, engine: Engine, settings: TriggerSettings | None = None) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings or TriggerSettings()

    def react(self, event: ReceivedEvent) -> None:
        with self.engine.connect() as conn:
            plan = PLANS[type(event.payload)](self, event.payload, conn)
            contacts = customer_contacts(conn, plan.customer_id) if plan is not None else []
        if plan is None or not plan.notices:
            return
        trigger = {"event_type": event.envelope.event_type, "event_id": str(event.envelope.event_id)}
        self.app.request_communications(trigger, plan.customer_id, contacts, plan.notices, to=plan.to)

    def invoice_email(self, e: b.InvoiceEmailRequested, conn: Connection) -> Plan:
        if e.to is not None and not EMAIL_SHAPE.match(e.to):
            raise PermanentError(f"InvoiceEmailRequested.to {e.to!r} is not an e-mail address")
        facts = self._invoice(conn, e.invoice_id)
        return Plan(e.customer_id, messages.invoice(facts, self.app.links), to=e.to)

    def invoice_generated(self, e: b.InvoiceGenerated, conn: Connection) -> Plan | None:
        if not self.settings.invoice_auto_email:
            return None
        return Plan(e.customer_id, messages.invoice(self._invoice(conn, e.invoice_id), self.app.links))

    def dunning_step(self, e: b.DunningStepReached, conn: Connection) -> Plan | None:
        if e.action not in ("reminder", "final_warning"):  # D99: retries and suspension are not mailed here
            return None
        facts = self._invoice(conn, e.invoice_id)
        return Plan(e.customer_id, messages.invoice_reminder(facts, e.day, self.app.links))

    def card_expiry(self, e: b.CardExpiryReminderRequested, conn: Connection) -> Plan:
        notices = messages.card_expiring(
            e.brand, e.last4, e.exp_month, e.exp_year, e.days_left, e.trigger == "automatic", self.app.links
        )
        return Plan(e.customer_id, notices)

    def payment_failed(self, e: b.InvoicePaymentFailed, conn: Connection) -> Plan:
        facts = self._invoice(conn, e.invoice_id)
        notices = messages.payment_failed(facts.total, facts.currency, e.reason, e.invoice_id, self.app.links)
        return Plan(e.customer_id, notices)

    def balance_low(self, e: ch.BalanceLow, conn: Connection) -> Plan:
        customer_id, service = self._service(conn, e)
        percent = self.settings.balance_low_percent
        notices = messages.balance_low(service, e.balance_type, e.current_balance, percent, self.app.links)
        return Plan(customer_id, notices)

    def balance_depleted(self, e: ch.BalanceDepleted, conn: Connection) -> Plan:
        customer_id, service = self._service(conn, e)
        return Plan(customer_id, messages.balance_depleted(service, e.balance_type, self.app.links))

    def balance_expired(self, e: ch.BalanceExpired, conn: Connection) -> Plan:
        customer_id, service = self._service(conn, e)
        return Plan(customer_id, messages.balance_expired(service, e.balance_type, e.expiry_date, self.app.links))

    def _invoice(self, conn: Connection, invoice_id: int) -> messages.InvoiceFacts:
        found = invoice(conn, invoice_id)
        if found is None:
            raise NotKnownYet(f"invoice {invoice_id} is not known to customers yet (billing's InvoiceGenerated)")
        return found[1]

    def _service(self, conn: Connection, e: Any) -> tuple[int, messages.ServiceFacts]:
        found = service_facts(conn, e.service_id, e.service_uuid)
        if found is None:
            raise NotKnownYet(f"service {e.service_id or e.service_uuid} is not known to customers")
        return found


PLANS: dict[type[IntegrationEvent], Callable[[CommunicationTriggers, Any, Connection], Plan | None]] = {
    b.InvoiceEmailRequested: CommunicationTriggers.invoice_email,
    b.InvoiceGenerated: CommunicationTriggers.invoice_generated,
    b.DunningStepReached: CommunicationTriggers.dunning_step,
    b.CardExpiryReminderRequested: CommunicationTriggers.card_expiry,
    b.InvoicePaymentFailed: CommunicationTriggers.payment_failed,
    ch.BalanceLow: CommunicationTriggers.balance_low,
    ch.BalanceDepleted: CommunicationTriggers.balance_depleted,
    ch.BalanceExpired: CommunicationTriggers.balance_expired,
}
