"""billing_run: invoice 10,000 customers for one period (no PDFs) on PostgreSQL; target < 60 s.

Setup (untimed): a fresh database, 10,000 customers in billing's customer directory, two uninvoiced lines each
(20,000 ``record_transaction`` commands), the ledger projection caught up. Timed: ``BillingRuns.run`` for the
period, i.e. per customer: load the period index and the two lines, save the invoice, the index and the two
stamped lines atomically (5 events), in parallel workers sharing group commits. Then a re-run (must invoice
nobody) is timed too.

    uv run python bench/billing_run.py [customers]
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import common as c

from omnibus.billing.application import BillingApp
from omnibus.billing.jobs.billing_run import BillingRuns
from omnibus.billing.main import build
from omnibus.billing.readmodel.tables import directory_customers
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import CrmConfig
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.service import Infrastructure
from omnibus.platform.settings import ServiceSettings

CUSTOMERS = 10_000
LINES_PER_CUSTOMER = 2
TARGET_SECONDS = 60.0


def seed(app: BillingApp, engine: Any, customers: int) -> None:
    rows = [
        {
            "customer_id": n,
            "customer_name": f"Customer {n}",
            "customer_status": "Open",
            "customer_payment_type": "postpaid",
            "tax_identifier": None,
        }
        for n in range(1, customers + 1)
    ]
    with engine.begin() as conn:
        conn.execute(directory_customers.insert(), rows)

    def lines(customer_id: int) -> None:
        app.record_transaction(
            customer_id,
            {
                "title": "Mobile - Monthly Fee",
                "retail_cost": Decimal("30.00"),
                "wholesale_cost": Decimal("10.00"),
                "tax_percentage": Decimal("10"),
            },
        )
        app.record_transaction(
            customer_id,
            {"title": "Data Addon - 5GB", "retail_cost": Decimal("15.00"), "wholesale_cost": Decimal("5.00")},
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lines, range(1, customers + 1)))


def run(customers: int = CUSTOMERS) -> dict[str, Any]:
    with c.fresh_database("omnibus_bench_billing") as url:
        infra = Infrastructure(InMemoryBus(), Authenticator(config=CrmConfig()))
        runtime = build(ServiceSettings(database_url=url).for_service("billing"), infra)
        app = runtime.app
        assert isinstance(app, BillingApp)
        for runner in runtime.runners.values():
            runner.start()
        try:
            started = time.perf_counter()
            seed(app, runtime.engine, customers)
            head = app.max_notification_id()
            while min(r.position for r in runtime.runners.values()) < head:
                time.sleep(0.05)
            c.log(
                f"seeded {customers:,} customers x {LINES_PER_CUSTOMER} lines in {time.perf_counter() - started:.1f} s"
            )
            today = datetime.now(UTC).date()
            runs = BillingRuns(app, runtime.engine)
            started = time.perf_counter()
            first = runs.run(today.replace(day=1), today)
            seconds = time.perf_counter() - started
            c.log(f"billing run: {first['invoiced']:,} invoiced, {first['failed']} failed in {seconds:.1f} s")
            started = time.perf_counter()
            head = app.max_notification_id()
            while min(r.position for r in runtime.runners.values()) < head:
                time.sleep(0.05)
            projected_seconds = time.perf_counter() - started
            c.log(f"ledger projection caught up {projected_seconds:.1f} s later")
            started = time.perf_counter()
            again = runs.run(today.replace(day=1), today)
            rerun_seconds = time.perf_counter() - started
            c.log(f"re-run: {again['invoiced']} invoiced, {again['total']} considered in {rerun_seconds:.2f} s")
        finally:
            for runner in runtime.runners.values():
                runner.stop()
            app.close()
            runtime.engine.dispose()
    rows = [
        c.row(f"billing run, {customers:,} customers", seconds, None, "s"),
        c.row("invoices per second", first["invoiced"] / seconds, None, "inv/s"),
        c.row("read model caught up after the run", projected_seconds, None, "s"),
        c.row("re-run (nothing left to invoice)", rerun_seconds, None, "s"),
    ]
    targets = [
        c.target(
            f"{customers:,} customers invoiced in < {TARGET_SECONDS:.0f} s",
            seconds < TARGET_SECONDS and first["invoiced"] == customers,
        ),
        c.target("a re-run invoices nobody", again["invoiced"] == 0),
    ]
    return c.result("billing_run", rows, targets, first=first, again=again)


if __name__ == "__main__":
    outcome = run(int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS)
    print(c.dumps(outcome))
