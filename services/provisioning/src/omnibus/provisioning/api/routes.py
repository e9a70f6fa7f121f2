"""Provision endpoints (provisioning.md §3; D8 progress stream, D14, D34 own scope, D64 deprovision, D66)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import StreamingResponse

from omnibus.platform.auth import Access, PermissionDenied, require
from omnibus.platform.http.types import Paging
from omnibus.provisioning.api.bulk import bulk_rows
from omnibus.provisioning.api.deps import JobRequestsDep, ProvisioningAppDep, ReadDep
from omnibus.provisioning.api.views import event_view, job_view, saga_view
from omnibus.provisioning.domain import RUNNING, ProvisionNotFoundError
from omnibus.provisioning.readmodel.queries import get_job, job_events, job_saga, list_jobs

router = APIRouter(tags=["provisioning"])

ViewAccess = Annotated[Access, Depends(require("view_provision", own="view_own_provision"))]
CreateAccess = Annotated[Access, Depends(require("create_provision", own="create_own_provision"))]
PositiveId = Annotated[int, Path(ge=1, le=2**62)]
STREAM_INTERVAL = 0.25  # seconds between read-model looks of a progress stream


@router.put("/crm/provision/")
@router.post("/crm/provision/", include_in_schema=False)
def create_provision(
    body: Annotated[dict[str, Any], Body(description="product_id, customer_id, picks, vars (§2.4)")],
    requests: JobRequestsDep,
    access: CreateAccess,
) -> dict[str, Any]:
    """Start a provision (or, with ``action: "deprovision"``, a deprovision) job; answers at once with status 1."""
    job = requests.submit(body, access)
    return _accepted(job.provision_id)


@router.post("/crm/provision/bulk")
async def bulk_provision(
    request: Request,
    requests: JobRequestsDep,
    access: Annotated[Access, Depends(require("create_provision"))],
) -> dict[str, Any]:
    """D68 [new]: ``{rows: [{product_id, customer_id, service_id?, "<type>": id, vars?}]}`` or a CSV with one row
    per job (a header row; other columns are vars). Every row is validated first: a bad row answers 400 with each
    row's error and starts nothing; else one job per row, all recorded together."""
    rows = bulk_rows(request.headers.get("content-type", ""), await request.body())
    jobs = await asyncio.to_thread(requests.submit_many, rows, access)
    return {"provision_ids": [job.provision_id for job in jobs], "provisioning_status": RUNNING}


@router.post("/crm/provision/simple_provision_addon/service_id/{service_id}/product_id/{product_id}")
def simple_provision_addon(
    service_id: PositiveId, product_id: PositiveId, requests: JobRequestsDep, access: CreateAccess
) -> dict[str, Any]:
    """OCS ``*http_post`` callback: run the product's play for the service (D66, ``simple_provision: addon``)."""
    _machine_caller(access)
    job = requests.submit({"service_id": service_id, "product_id": product_id}, access, simple_provision="addon")
    return _accepted(job.provision_id)


@router.post("/crm/provision/simple_provision_addon_recharge/service_id/{service_id}/product_id/{product_id}")
def simple_provision_addon_recharge(
    service_id: PositiveId, product_id: PositiveId, requests: JobRequestsDep, access: CreateAccess
) -> dict[str, Any]:
    """As ``simple_provision_addon``, with ``simple_provision: addon_recharge`` (D66)."""
    _machine_caller(access)
    body = {"service_id": service_id, "product_id": product_id}
    job = requests.submit(body, access, simple_provision="addon_recharge")
    return _accepted(job.provision_id)


@router.get("/crm/provision/provision_id/{provision_id}")
def get_provision(provision_id: PositiveId, read: ReadDep, access: ViewAccess) -> dict[str, Any]:
    """The job with its task events, in order (polled by the UI every 3 s, D8)."""
    row = _visible_job(read, provision_id, access)
    return {**job_view(row, job_events(read, provision_id)), "saga": saga_view(job_saga(read, provision_id))}


@router.get("/crm/provision/provision_id/{provision_id}/stream")
async def stream_provision(provision_id: PositiveId, request: Request, access: ViewAccess) -> StreamingResponse:
    """Server-sent events of the job's progress [new] (D8): ``task`` for each new or changed task event, ``job``
    for each change of the job's status or progress; the stream ends when the job has ended."""
    engine = request.app.state.runtime.engine

    def read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with engine.connect() as conn:
            return _visible_job(conn, provision_id, access), job_events(conn, provision_id)

    await asyncio.to_thread(read)  # 404 before the stream starts
    return StreamingResponse(_progress(read, request), media_type="text/event-stream")


async def _progress(read: Any, request: Request) -> AsyncIterator[str]:
    sent_tasks: dict[int, tuple[int, str]] = {}
    sent_job: tuple[int, int] | None = None
    while True:
        row, events = await asyncio.to_thread(read)
        for event in events:
            state = (event["provisioning_status"], event["provisioning_result_json"])
            if sent_tasks.get(event["event_number"]) != state:
                sent_tasks[event["event_number"]] = state
                yield _sse("task", event_view(event))
        job_state = (row["provisioning_status"], row["completed_tasks"])
        if job_state != sent_job:
            sent_job = job_state
            yield _sse("job", job_view(row))
        if row["provisioning_status"] != RUNNING or await request.is_disconnected():
            return
        await asyncio.sleep(STREAM_INTERVAL)


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


@router.post("/crm/provision/provision_id/{provision_id}/cancel")
def cancel_provision(
    provision_id: PositiveId,
    read: ReadDep,
    app: ProvisioningAppDep,
    access: Annotated[Access, Depends(require("update_provision", own="create_own_provision"))],
) -> dict[str, Any]:
    """Stop the job's play [new]; the job ends failed with the reason ``cancelled``. 409 once it has ended."""
    _visible_job(read, provision_id, access)
    app.request_cancel(provision_id, access.principal.user_id)
    return {"provision_id": provision_id, "message": "Cancellation requested"}


@router.post("/crm/provision/provision_id/{provision_id}/retry")
def retry_provision(
    provision_id: PositiveId, read: ReadDep, requests: JobRequestsDep, access: CreateAccess
) -> dict[str, Any]:
    """A new job with the ended job's play and vars and a fresh token [new] (§10); 409 while it still runs."""
    _visible_job(read, provision_id, access)
    job = requests.retry(provision_id, access)
    return _accepted(job.provision_id)


@router.get("/crm/provision/")
def list_provisions(read: ReadDep, paging: Annotated[Paging, Depends()], access: ViewAccess) -> dict[str, Any]:
    """Jobs as ``{data, pagination}``: ``filters`` (e.g. ``{"provisioning_status":[2]}``), ``search``, ``sort``."""
    rows, total = list_jobs(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        only_customer_id=access.own_customer_id,
    )
    return paging.envelope([job_view(r) for r in rows], total)


@router.get("/crm/provision_event/provision_id/{provision_id}")
def list_provision_events(
    provision_id: PositiveId,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_provision_event", own="view_own_provision"))],
) -> list[dict[str, Any]]:
    """The job's task events, in order."""
    _visible_job(read, provision_id, access)
    return [event_view(e) for e in job_events(read, provision_id)]


def _visible_job(read: Any, provision_id: int, access: Access) -> dict[str, Any]:
    row = get_job(read, provision_id)
    if row is None:
        raise ProvisionNotFoundError(provision_id)
    access.check_customer(row["customer_id"], "Provision")
    return row


def _machine_caller(access: Access) -> None:
    """Simple provisioning is for machines (OCS callbacks): an API key or a whitelisted address (§3)."""
    if access.principal.auth_method not in ("api_key", "ip_whitelist") and not access.principal.is_admin:
        raise PermissionDenied("Permission denied: simple provisioning is for API keys and whitelisted hosts")


def _accepted(provision_id: int) -> dict[str, Any]:
    return {"provision_id": provision_id, "provisioning_status": RUNNING, "message": "Provisioning job started"}
