"""Billing's keys of crm_config.yaml (configuration.md §3; billing.md §6), checked at startup.

``stripe.api_base`` [new] points stripe-python at another endpoint (the local stand-in); without
``stripe.secret_key`` the service starts the stand-in itself (embedded mode, tests: no internet needed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnibus.billing.domain.dunning import DEFAULT_SCHEDULE, DunningStep, parse_schedule

DEFAULT_TEMPLATE_DIR = Path(__file__).parent / "pdf" / "templates"
DEFAULT_TEMPLATE = "invoice_template.html"
SYMBOLS = {"usd": "$", "aud": "$", "cad": "$", "nzd": "$", "gbp": "£", "eur": "€"}


@dataclass(frozen=True)
class BillingConfig:
    currency: str = "usd"
    currency_symbol: str = "$"
    default_due_days: int = 14
    number_format: str = "{invoice_id}"
    template_dir: Path = DEFAULT_TEMPLATE_DIR
    template_filename: str = DEFAULT_TEMPLATE
    debug_render: bool = False
    pdf_cache_days: int = 30
    statement_descriptor_suffix: str | None = None
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    dunning: tuple[DunningStep, ...] = DEFAULT_SCHEDULE
    webhook_tolerance_seconds: int = 300

    @property
    def template_path(self) -> Path:
        return self.template_dir / self.template_filename

    def pdf_filename(self, invoice_id: int) -> str:
        """D94: ``{statement_descriptor_suffix}_{invoice_id}.pdf``, else ``Invoice_{invoice_id}.pdf``."""
        prefix = self.statement_descriptor_suffix or "Invoice"
        return f"{prefix}_{invoice_id}.pdf"


def billing_config(raw: dict[str, Any]) -> BillingConfig:
    """Read billing's keys; a wrong value raises ValueError naming the key."""
    stripe = raw.get("stripe") or {}
    invoice = raw.get("invoice") or {}
    billing = raw.get("billing") or {}
    currency = str(stripe.get("currency") or "usd").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"stripe.currency must be an ISO 4217 code such as usd or gbp, not {currency!r}")
    template_dir = Path(invoice.get("template_dir") or DEFAULT_TEMPLATE_DIR)
    template_filename = str(invoice.get("template_filename") or DEFAULT_TEMPLATE)
    if not (template_dir / template_filename).is_file():
        raise ValueError(f"invoice.template_filename: {template_dir / template_filename} does not exist")
    due_days = invoice.get("default_due_days", 14)
    if not isinstance(due_days, int) or due_days < 0:
        raise ValueError("invoice.default_due_days must be a whole number of days")
    number_format = str(invoice.get("number_format") or "{invoice_id}")
    try:
        number_format.format(invoice_id=1, year=2025, month=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"invoice.number_format: {error} (use {{invoice_id}}, {{year}}, {{month}})") from None
    suffix = stripe.get("statement_descriptor_suffix")
    if suffix is not None and len(str(suffix)) > 22:
        raise ValueError("stripe.statement_descriptor_suffix is at most 22 characters")
    return BillingConfig(
        currency=currency,
        currency_symbol=str(billing.get("currency_symbol") or SYMBOLS.get(currency, currency.upper() + " ")),
        default_due_days=due_days,
        number_format=number_format,
        template_dir=template_dir,
        template_filename=template_filename,
        debug_render=bool(invoice.get("debug_render", False)),
        pdf_cache_days=int(invoice.get("pdf_cache_days", 30)),
        statement_descriptor_suffix=str(suffix) if suffix else None,
        stripe_secret_key=stripe.get("secret_key"),
        stripe_publishable_key=stripe.get("publishable_key"),
        stripe_webhook_secret=stripe.get("webhook_secret"),
        stripe_api_base=stripe.get("api_base"),
        dunning=parse_schedule(billing["dunning"]) if billing.get("dunning") else DEFAULT_SCHEDULE,
    )
