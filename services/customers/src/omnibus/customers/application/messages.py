"""The notices each trigger asks for, with their template variables (customers.md §4.8; D45 aliases; D98).

Pure functions of plain facts: the caller (the bus reaction, or a use case for the customers' own triggers) looks
the facts up. Links point into the CRM (``crm.base_url``); amounts are strings with two decimals.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from omnibus.customers.application.notices import (
    BALANCE_DEPLETED,
    BALANCE_EXPIRED,
    BALANCE_LOW,
    CARD_EXPIRING,
    INVOICE,
    INVOICE_REMINDER,
    PAYMENT_FAILED,
    SERVICE_EXPIRING,
    WELCOME,
    Notice,
    Preference,
)

BALANCE_TYPES = {"*data": "data", "*voice": "voice", "*sms": "SMS", "*mms": "MMS", "*monetary": "credit"}


@dataclass(frozen=True)
class Links:
    """Where the links in messages point (``crm.base_url``; ``support_url`` [new], else the self-care portal)."""

    base_url: str = "http://127.0.0.1:5000"
    support: str | None = None

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_id: int
    invoice_number: str
    invoice_date: date
    due_date: date
    total: Decimal
    currency: str


@dataclass(frozen=True)
class ServiceFacts:
    service_id: int
    service_uuid: str
    service_name: str


def welcome(customer_name: str, account_type: str, email: str | None, links: Links) -> list[Notice]:
    variables = {
        "email": email or "",
        "company_name": customer_name if account_type == "Business" else "",
        "login_url": links.url("/login"),
        "support_url": links.support or links.url("/self-care"),
    }
    return [Notice("email", WELCOME, variables)]


def invoice(facts: InvoiceFacts, links: Links) -> list[Notice]:
    variables = {
        **_invoice_variables(facts, links),
        "invoice_date": facts.invoice_date.isoformat(),
        "invoice_url": links.url(f"/crm/invoice/{facts.invoice_id}/pdf"),
    }
    return [Notice("email", INVOICE, variables, purpose="billing", related={"invoice_id": facts.invoice_id})]


def invoice_reminder(facts: InvoiceFacts, days_overdue: int, links: Links) -> list[Notice]:
    variables = {**_invoice_variables(facts, links), "days_overdue": days_overdue}
    related = {"invoice_id": facts.invoice_id}
    return [Notice("email", INVOICE_REMINDER, variables, purpose="billing", related=related)]


def _invoice_variables(facts: InvoiceFacts, links: Links) -> dict[str, object]:
    total = f"{facts.total:.2f}"
    return {
        "invoice_number": facts.invoice_number,
        "invoice_id": facts.invoice_id,  # D45: the reference templates' names too
        "due_date": facts.due_date.isoformat(),
        "total_amount": total,
        "invoice_amount": total,
        "currency": facts.currency.upper(),
        "pay_url": links.url(f"/self-care/billing/invoices/{facts.invoice_id}"),
    }


def card_expiring(
    brand: str, last4: str, exp_month: int, exp_year: int, days_left: int, automatic: bool, links: Links
) -> list[Notice]:
    variables = {
        "card_brand": brand,
        "last4": last4,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "days_left": days_left,
        "update_url": links.url("/self-care/billing/payment-methods"),
    }
    preference: Preference | None = "expiry_reminders" if automatic else None  # staff's own: sent whatever
    return [Notice("email", CARD_EXPIRING, variables, purpose="billing", preference=preference)]


def payment_failed(amount: Decimal, currency: str, reason: str, invoice_id: int, links: Links) -> list[Notice]:
    variables = {
        "amount": f"{amount:.2f}",
        "currency": currency.upper(),
        "reason": reason,
        "update_url": links.url("/self-care/billing/payment-methods"),
    }
    return [Notice("email", PAYMENT_FAILED, variables, purpose="billing", related={"invoice_id": invoice_id})]


def balance_low(
    service: ServiceFacts, balance_type: str, current: float | None, threshold_percent: int, links: Links
) -> list[Notice]:
    shown = format_balance(balance_type, current)
    variables = {
        **_service_variables(service, links),
        "balance_type": BALANCE_TYPES.get(balance_type, balance_type),
        "current_balance": shown,
        "balance": shown,  # D45
        "threshold": threshold_percent,
    }
    return _both(BALANCE_LOW, variables, service, "balance_alerts")


def balance_depleted(service: ServiceFacts, balance_type: str, links: Links) -> list[Notice]:
    variables = {**_service_variables(service, links), "balance_type": BALANCE_TYPES.get(balance_type, balance_type)}
    related = {"service_id": service.service_id}
    return [Notice("sms", BALANCE_DEPLETED, variables, preference="balance_alerts", related=related)]


def balance_expired(service: ServiceFacts, balance_type: str, expiry: str | None, links: Links) -> list[Notice]:
    variables = {
        **_service_variables(service, links),
        "balance_type": BALANCE_TYPES.get(balance_type, balance_type),
        "expiry_date": _day(expiry),
    }
    return _both(BALANCE_EXPIRED, variables, service, "balance_alerts")


def service_expiring(service: ServiceFacts, expiry: datetime, links: Links) -> list[Notice]:
    variables = {**_service_variables(service, links), "expiry_date": expiry.date().isoformat()}
    return _both(SERVICE_EXPIRING, variables, service, "expiry_reminders")


def _service_variables(service: ServiceFacts, links: Links) -> dict[str, object]:
    return {
        "service_name": service.service_name,
        "service_uuid": service.service_uuid,
        "topup_url": links.url(f"/topup?service_uuid={service.service_uuid}"),
        "renewal_url": links.url(f"/self-care/services/{service.service_id}"),
    }


def _both(key: str, variables: dict[str, object], service: ServiceFacts, preference: Preference) -> list[Notice]:
    related = {"service_id": service.service_id}
    return [
        Notice("email", key, variables, preference=preference, related=related),
        Notice("sms", key, variables, preference=preference, related=related),
    ]


def format_balance(balance_type: str, value: float | None, monetary_divisor: int = 100) -> str:
    """An OCS amount as a person reads it (charging.md §5.2: bytes, nanoseconds, counts, minor units, D78)."""
    if value is None:
        return ""
    if balance_type == "*data":
        return f"{value / 1024**3:.2f} GB"
    if balance_type == "*voice":
        return f"{value / 60e9:.0f} min"
    if balance_type in ("*sms", "*mms"):
        return f"{value:.0f}"
    if balance_type == "*monetary":
        return f"{value / monetary_divisor:.2f}"
    return f"{value:g}"


def _day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return value
