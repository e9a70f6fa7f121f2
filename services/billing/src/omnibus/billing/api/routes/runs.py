"""Batch jobs over HTTP: the billing run (invoice every customer for a period) and the dunning sweep (D99, D100)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from omnibus.billing.api.deps import BillingAppDep, ReadDep
from omnibus.billing.api.schemas import BillingRunRequest, DunningRunRequest, PathId
from omnibus.billing.jobs.billing_run import BillingRuns
from omnibus.billing.readmodel.ledger import overdue_invoice_ids
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import iso_z

router = APIRouter(tags=["billing runs"])


def _runs(request: Request) -> BillingRuns:
    runs: BillingRuns = request.app.state.billing_runs
    return runs


RunsDep = Annotated[BillingRuns, Depends(_runs)]


@router.post("/crm/invoice/billing_run", status_code=202)
def start_billing_run(
    body: BillingRunRequest, runs: RunsDep, _: Annotated[Access, Depends(require("create_customer_invoice"))]
) -> JSONResponse:
    """Start invoicing every customer's uninvoiced lines of the period; poll the returned run for progress.

    Safe to repeat: a customer already invoiced for exactly this period is skipped."""
    if body.end_date < body.start_date:
        raise ApiError(400, "validation_error", "end_date is before start_date")
    run_id = runs.start(body.start_date, body.end_date, due=body.due_date, title=body.title)
    status = runs.status(run_id)
    assert status is not None
    return JSONResponse(_view(status), status_code=202)


@router.get("/crm/invoice/billing_run/{run_id}")
def billing_run(
    run_id: PathId, runs: RunsDep, _: Annotated[Access, Depends(require("view_customer_invoice"))]
) -> dict[str, Any]:
    """Progress of a billing run: ``status`` (running, completed, failed), ``total``, ``done``, counts, errors."""
    status = runs.status(run_id)
    if status is None:
        raise ApiError(404, "not_found", f"Billing run {run_id} not found")
    return _view(status)


@router.post("/crm/invoice/dunning/run")
def run_dunning(
    app: BillingAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("update_customer_invoice"))],
    body: DunningRunRequest | None = None,
) -> dict[str, Any]:
    """Advance every overdue invoice along the dunning timeline (normally daily; ``today`` may be given)."""
    today = (body.today if body else None) or datetime.now(UTC).date()
    steps = []
    for invoice_id in overdue_invoice_ids(read, today):
        for step in app.advance_dunning(invoice_id, today):
            steps.append({"invoice_id": invoice_id, "day": step.day, "action": step.action})
    return {"today": today.isoformat(), "steps": steps}


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "started": iso_z(row["started"]),
        "finished": iso_z(row["finished"]),
    }
