"""Demo data for the embedded mode (``make run``): a few ledger lines, an invoice and a saved card, created once.

Billing learns its customers from the customers context's events, which arrive after the services have started,
so the seed runs in a background thread that waits (up to a minute) for the demo customers to be known.
"""

import logging
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from omnibus.billing.application import BillingApp

log = logging.getLogger(__name__)

ACME, JANE = 1, 2  # the customers context's demo customers


def seed_demo_billing(app: BillingApp) -> None:
    if app.max_notification_id() > 0:
        return
    threading.Thread(target=_seed_when_customers_known, args=(app,), name="billing-demo", daemon=True).start()


def _seed_when_customers_known(app: BillingApp) -> None:
    deadline = time.monotonic() + 60
    while not (app.lookups.customer_exists(ACME) and app.lookups.customer_exists(JANE)):
        if time.monotonic() > deadline:
            log.warning("billing demo data skipped: the demo customers never arrived")
            return
        time.sleep(0.2)
    try:
        _seed(app)
    except Exception:
        log.exception("billing demo data failed")


def _seed(app: BillingApp) -> None:
    monthly = app.record_transaction(ACME, _line("Mobile Service - Monthly Fee", "30.00", "10.00", "10"))
    addon = app.record_transaction(ACME, _line("Data Addon - 5GB", "15.00", "5.00", "10"))
    today = datetime.now(UTC).date()
    lines = [monthly.transaction_id, addon.transaction_id]  # by id: the read model may not have them yet
    invoice = app.generate_invoice(
        ACME, start=today.replace(day=1), end=today, title=f"{today:%B %Y}", transaction_ids=lines
    )
    app.add_card(ACME, "pm_card_visa", nickname="Company Visa")
    app.record_transaction(JANE, _line("Installation", "75.00", "45.00", "0"))
    app.record_transaction(JANE, {**_line("Credit for outage 8-9", "10.00", "0", "0"), "transaction_type": "credit"})
    log.info("billing demo data: invoice %s for customer %d", invoice.invoice_id if invoice else None, ACME)


def _line(title: str, retail: str, wholesale: str, tax: str) -> dict[str, object]:
    return {
        "title": title,
        "retail_cost": Decimal(retail),
        "wholesale_cost": Decimal(wholesale),
        "tax_percentage": Decimal(tax),
    }
