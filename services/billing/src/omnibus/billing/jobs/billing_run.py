"""The billing run: invoice every customer's uninvoiced lines of a period, as a batch job with progress.

Safe to re-run and to run twice at once: each customer's invoice claims the (customer, period) index in the same
atomic save (``BillingApp.generate_invoice(once_per_period=True)``), so a customer already invoiced for exactly this
period is skipped, and of two concurrent attempts one conflicts, re-reads and skips. Progress is kept in the
``billing_runs`` table (operational state, not events) so any API process can answer ``GET .../billing_run/{id}``.
Several customers are invoiced in parallel: their saves share group commits.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from omnibus.billing.application import BillingApp
from omnibus.billing.domain import BillingError
from omnibus.billing.readmodel.ledger import uninvoiced_by_customer
from omnibus.billing.readmodel.tables import billing_runs

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.5  # seconds between progress writes
MAX_ERRORS = 100


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    invoiced: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class BillingRuns:
    def __init__(self, app: BillingApp, engine: Engine, workers: int = 8) -> None:
        self.app = app
        self.engine = engine
        self.workers = workers

    def start(self, start: date, end: date, *, due: date | None = None, title: str | None = None) -> int:
        """Record a new run and carry it out in a background thread; returns its id at once."""
        run_id = self._create(start, end)
        threading.Thread(
            target=self._run_logged, args=(run_id, start, end, due, title), name=f"billing-run-{run_id}", daemon=True
        ).start()
        return run_id

    def run(self, start: date, end: date, *, due: date | None = None, title: str | None = None) -> dict[str, Any]:
        """Carry out a run in this thread (CLI, benchmarks); returns its final status."""
        run_id = self._create(start, end)
        self._run(run_id, start, end, due, title)
        return self.status(run_id) or {}

    def status(self, run_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(billing_runs).where(billing_runs.c.run_id == run_id)).mappings().first()
        return dict(row) if row else None

    def _create(self, start: date, end: date) -> int:
        run_id = self.app.ids.next("billing_run_id")
        with self.engine.begin() as conn:
            conn.execute(
                billing_runs.insert().values(
                    run_id=run_id,
                    start_date=start,
                    end_date=end,
                    status="running",
                    total=0,
                    done=0,
                    invoiced=0,
                    skipped=0,
                    failed=0,
                    errors=[],
                    started=datetime.now(UTC),
                )
            )
        return run_id

    def _run_logged(self, run_id: int, start: date, end: date, due: date | None, title: str | None) -> None:
        try:
            self._run(run_id, start, end, due, title)
        except Exception as error:
            log.exception("billing run %d failed", run_id)
            self._save(run_id, status="failed", errors=[{"error": str(error)}], finished=datetime.now(UTC))

    def _run(self, run_id: int, start: date, end: date, due: date | None, title: str | None) -> None:
        with self.engine.connect() as conn:
            work = uninvoiced_by_customer(conn, start, end)
        progress = Progress(total=len(work))
        self._save(run_id, total=progress.total)
        stop = threading.Event()
        reporter = threading.Thread(target=self._report, args=(run_id, progress, stop), daemon=True)
        reporter.start()

        def invoice(item: tuple[int, list[int]]) -> None:
            customer_id, lines = item
            outcome, error = "skipped", None
            try:
                made = self.app.generate_invoice(
                    customer_id,
                    start=start,
                    end=end,
                    due=due,
                    title=title,
                    transaction_ids=lines,
                    once_per_period=True,
                )
                outcome = "invoiced" if made is not None else "skipped"
            except BillingError as refused:  # lines invoiced or voided meanwhile: nothing left to bill here
                error = str(refused) if refused.http_status >= 500 else None
            except Exception as crash:
                outcome, error = "failed", f"{type(crash).__name__}: {crash}"
            with progress.lock:
                progress.done += 1
                setattr(progress, outcome, getattr(progress, outcome) + 1)
                if error and len(progress.errors) < MAX_ERRORS:
                    progress.errors.append({"customer_id": customer_id, "error": error})

        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix=f"billing-run-{run_id}") as pool:
                list(pool.map(invoice, work.items()))
        finally:
            stop.set()
            reporter.join()
        self._save(run_id, **self._counts(progress), status="completed", finished=datetime.now(UTC))

    def _report(self, run_id: int, progress: Progress, stop: threading.Event) -> None:
        while not stop.wait(PROGRESS_INTERVAL):
            self._save(run_id, **self._counts(progress))

    @staticmethod
    def _counts(progress: Progress) -> dict[str, Any]:
        with progress.lock:
            return {
                "done": progress.done,
                "invoiced": progress.invoiced,
                "skipped": progress.skipped,
                "failed": progress.failed,
                "errors": list(progress.errors),
            }

    def _save(self, run_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(billing_runs).where(billing_runs.c.run_id == run_id).values(**values))


def wait_for(runs: BillingRuns, run_id: int, timeout: float = 600.0) -> dict[str, Any]:
    """Block until a run started in the background has finished (tests, CLI)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = runs.status(run_id)
        if status and status["status"] != "running":
            return status
        time.sleep(0.05)
    raise TimeoutError(f"billing run {run_id} still running after {timeout} s")
