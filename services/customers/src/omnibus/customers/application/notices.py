"""How a customer is told (customers.md §4.8, §2.9; D43, D98): templates, recipient, preferences.

A trigger (a new customer, an invoice to e-mail, a low balance, ...) becomes ``Notice``s (``messages``); ``Notices``
turns them into communication requests for one customer: it drops what the customer's preferences turn off (for
notices that are not mandatory), picks the contact (billing notices: a ``billing`` contact first, then
``primary``; others: ``primary`` first), and takes the sender, template id and subject from the template block.
An e-mail notice whose template is not configured is skipped and logged (D98).
"""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from omnibus.customers.domain.errors import InvalidCommunicationError
from omnibus.platform.channels.mailjet import Template

log = logging.getLogger(__name__)

WELCOME = "api_crmCommunicationCustomerWelcome"
INVOICE = "api_crmCommunicationCustomerInvoice"
INVOICE_REMINDER = "api_crmCommunicationCustomerInvoiceReminder"
BALANCE_EXPIRED = "api_crmCommunicationsBalanceExpired"  # sic: "Communications" (configuration.md §2)
BALANCE_LOW = "api_crmCommunicationsBalanceLow"
BALANCE_DEPLETED = "api_crmCommunicationsBalanceDepleted"  # [new] SMS only: no Mailjet template
CARD_EXPIRING = "api_crmCommunicationCardExpiring"  # [new] D98
PAYMENT_FAILED = "api_crmCommunicationPaymentFailed"  # [new] D98
SERVICE_EXPIRING = "api_crmCommunicationServiceExpiring"  # [new] D98
REQUIRED_TEMPLATES = (WELCOME, INVOICE, INVOICE_REMINDER, BALANCE_EXPIRED, BALANCE_LOW)  # D43: fail at start
OPTIONAL_TEMPLATES = (CARD_EXPIRING, PAYMENT_FAILED, SERVICE_EXPIRING)  # D98: skipped when not configured
CUSTOMER_TEMPLATES = REQUIRED_TEMPLATES + OPTIONAL_TEMPLATES
BILLING_TEMPLATES = (INVOICE, INVOICE_REMINDER, CARD_EXPIRING, PAYMENT_FAILED)  # to the billing contact first

# The documented example set (configuration.md §2, set A ids, set B subjects), used only with the Mailjet
# stand-in for blocks the configuration lacks, so that the embedded mode shows every message.
EXAMPLE_TEMPLATES = {
    WELCOME: Template("support@yourcompany.com", "Your Company Support", 5977509, "Welcome to YourCompany"),
    INVOICE: Template("billing@yourcompany.com", "Your Company Billing", 6759851, "Your Invoice - "),
    INVOICE_REMINDER: Template("billing@yourcompany.com", "Your Company Billing", 6759852, "Invoice Payment Reminder"),
    BALANCE_EXPIRED: Template("support@yourcompany.com", "Your Company Support", 5977515, "Service Balance Expired"),
    BALANCE_LOW: Template("support@yourcompany.com", "Your Company Support", 5977516, "Low Balance Warning"),
    CARD_EXPIRING: Template("billing@yourcompany.com", "Your Company Billing", 5977517, "Your card expires soon"),
    PAYMENT_FAILED: Template("billing@yourcompany.com", "Your Company Billing", 5977518, "Payment failed"),
    SERVICE_EXPIRING: Template("support@yourcompany.com", "Your Company Support", 5977519, "Your service expires soon"),
}

# SMS texts, in Mailjet's variable syntax; ``smsc.messages.<template key>`` in crm_config.yaml replaces one [new].
SMS_TEXTS = {
    BALANCE_LOW: "{{ var:service_name }}: your {{ var:balance_type }} balance is low ({{ var:current_balance }} "
    "left). Top up: {{ var:topup_url }}",
    BALANCE_DEPLETED: "{{ var:service_name }}: your {{ var:balance_type }} balance has run out. "
    "Top up: {{ var:topup_url }}",
    BALANCE_EXPIRED: "{{ var:service_name }}: your {{ var:balance_type }} balance expired on {{ var:expiry_date }}. "
    "Renew: {{ var:renewal_url }}",
    SERVICE_EXPIRING: "{{ var:service_name }} expires on {{ var:expiry_date }}. Renew: {{ var:renewal_url }}",
}
_VARIABLE = re.compile(r"\{\{\s*var:([A-Za-z0-9_]+)\s*\}\}")

Preference = Literal["balance_alerts", "expiry_reminders"]


@dataclass(frozen=True)
class Notice:
    """One message a trigger asks for, before the customer's preferences and contacts are applied."""

    channel: Literal["email", "sms"]
    template_key: str | None
    variables: dict[str, Any]
    purpose: Literal["billing", "service"] = "service"
    preference: Preference | None = None  # None: mandatory (sent whatever the preferences say)
    related: dict[str, Any] = field(default_factory=dict)
    message: str | None = None  # an SMS's own text (ad-hoc sends)


@dataclass(frozen=True)
class ContactInfo:
    contact_id: int
    name: str | None
    email: str | None
    phone: str | None
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommunicationRequest:
    """Everything a communication needs to be sent, fixed when it is requested."""

    customer_id: int | None
    channel: str
    template_key: str | None
    to: str
    variables: dict[str, Any]
    template_id: int | None = None
    from_email: str | None = None
    from_name: str | None = None
    to_name: str | None = None
    subject: str | None = None
    message: str | None = None
    related: dict[str, Any] = field(default_factory=dict)


def render(text: str, variables: Mapping[str, Any]) -> str:
    """``{{ var:name }}`` replaced by the variable (unknown names by nothing), as Mailjet renders templates."""
    return _VARIABLE.sub(lambda m: str(variables.get(m.group(1), "")), text)


class Notices:
    """The customer-facing templates and SMS texts of one deployment."""

    def __init__(self, templates: Mapping[str, Template], sms_texts: Mapping[str, str] | None = None) -> None:
        self.templates = dict(templates)
        self.sms_texts = {**SMS_TEXTS, **(sms_texts or {})}

    def requests(
        self,
        *,
        customer_id: int,
        customer_name: str,
        preferences: Mapping[str, bool],
        contacts: Sequence[ContactInfo],
        notices: Sequence[Notice],
        to: str | None = None,
    ) -> list[CommunicationRequest]:
        """The communications ``notices`` become for this customer (``to`` overrides the recipient)."""
        found = []
        for notice in notices:
            if notice.preference is not None and not _wanted(notice, preferences):
                log.info("customer %s turned off %s by %s", customer_id, notice.template_key, notice.channel)
                continue
            request = self._request(customer_id, customer_name, contacts, notice, to)
            if request is not None:
                found.append(request)
        return found

    def explicit(
        self,
        *,
        customer_id: int,
        customer_name: str,
        contacts: Sequence[ContactInfo],
        channel: Literal["email", "sms"],
        template_key: str | None,
        variables: Mapping[str, Any],
        message: str | None,
        to: str | None,
    ) -> CommunicationRequest:
        """A message staff send themselves (mandatory: no preference applies); raises saying why it cannot go."""
        if channel == "email":
            template = self.templates.get(template_key or "")
            if template_key not in CUSTOMER_TEMPLATES or template is None or template.template_id is None:
                known = ", ".join(k for k in CUSTOMER_TEMPLATES if k in self.templates)
                raise InvalidCommunicationError(f"Unknown template {template_key!r}; configured: {known}")
        purpose: Literal["billing", "service"] = "billing" if template_key in BILLING_TEMPLATES else "service"
        if to is None and recipient(contacts, channel, purpose) is None:
            what = "an e-mail address" if channel == "email" else "a phone number"
            raise InvalidCommunicationError(f"Customer {customer_id} has no contact with {what}; give 'to'")
        notice = Notice(channel, template_key, dict(variables), purpose=purpose, message=message)
        request = self._request(customer_id, customer_name, contacts, notice, to)
        if request is None:
            raise InvalidCommunicationError("Nothing to send: an SMS needs a message")
        return request

    def _request(
        self, customer_id: int, name: str, contacts: Sequence[ContactInfo], notice: Notice, to: str | None
    ) -> CommunicationRequest | None:
        contact = None if to else recipient(contacts, notice.channel, notice.purpose)
        address = to or (contact and (contact.email if notice.channel == "email" else contact.phone))
        if not address:
            log.info("customer %s has no contact for a %s %s", customer_id, notice.channel, notice.template_key)
            return None
        variables = {"customer_name": name, **notice.variables}
        base = CommunicationRequest(
            customer_id=customer_id,
            channel=notice.channel,
            template_key=notice.template_key,
            to=address,
            to_name=contact.name if contact else None,
            variables=variables,
            related=notice.related,
        )
        if notice.channel == "sms":
            text = notice.message or render(self.sms_texts.get(notice.template_key or "", ""), variables)
            return replace(base, message=text) if text else None
        template = self.templates.get(notice.template_key or "")
        if template is None or template.template_id is None:
            log.warning("template %s is not configured: that notice is not sent (D98)", notice.template_key)
            return None
        subject = template.subject
        if notice.template_key == INVOICE:  # "Your Invoice - " + the number (configuration.md §2, inferred)
            subject += str(variables.get("invoice_number", ""))
        return replace(
            base,
            template_id=template.template_id,
            from_email=template.from_email,
            from_name=template.from_name,
            subject=subject,
        )


def recipient(contacts: Sequence[ContactInfo], channel: str, purpose: str) -> ContactInfo | None:
    """The contact to write to: by role (billing notices: billing, then primary), then the oldest."""

    def rank(contact: ContactInfo) -> tuple[int, int]:
        if purpose == "billing" and "billing" in contact.types:
            return (0, contact.contact_id)
        return (1 if "primary" in contact.types else 2, contact.contact_id)

    usable = [c for c in contacts if (c.email if channel == "email" else c.phone)]
    return min(usable, key=rank, default=None)


def _wanted(notice: Notice, preferences: Mapping[str, bool]) -> bool:
    switch = "email_enabled" if notice.channel == "email" else "sms_enabled"
    return bool(preferences.get(switch, True)) and bool(preferences.get(notice.preference or "", True))
