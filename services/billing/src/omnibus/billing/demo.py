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
    money = Decimal
    app.record_transaction(
        ACME,
        {
            "title": "Mobile Service - Monthly Fee",
            "retail_cost": money("30.00"),
            "wholesale_cost": money("10.00"),
            "tax_percentage": money("10"),
        },
    )
    app.record_transaction(
        ACME,
        {
            "title": "Data Addon - 5GB",
            "retail_cost": money("15.00"),
            "wholesale_cost": money("5.00"),
            "tax_percentage": money("10"),
        },
    )
    today = datetime.now(UTC).date()
    lines = [monthly.transaction_id, addon.transaction_id]  # by id: the read model may not have them yet
    invoice = app.generate_invoice(
        ACME, start=today.replace(day=1), end=today, title=f"{today:%B %Y}", transaction_ids=lines
    )
    app.add_card(ACME, "pm_card_visa", nickname="Company Visa")
    app.record_transaction(
        JANE, {"title": "Installation", "retail_cost": money("75.00"), "wholesale_cost": money("45.00")}
    )
    app.record_transaction(
        JANE,
        {
            "title": "Credit for outage 8-9",
            "retail_cost": money("10.00"),
            "transaction_type": "credit",
            "description": "Service down two days",
        },
    )
    log.info("billing demo data: invoice %s for customer %d", invoice.invoice_id if invoice else None, ACME)
