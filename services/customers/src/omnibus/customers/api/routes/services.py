"""Service record endpoints (customers.md §3, §4.4-§4.6; D2 path styles, D3 PUT/POST, D50 expiring, D51)."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

import anyio.from_thread
from fastapi import APIRouter, Body, Depends, Query, Request

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.schemas import patch_fields
from omnibus.customers.api.service_schemas import (
    SERVICE_READ_ONLY,
    ServiceCreate,
    ServicePatch,
    check_service_type,
    money_changes,
)
from omnibus.customers.api.views import service_row_view, service_view
from omnibus.customers.domain import Service, ServiceNotFoundError
from omnibus.customers.readmodel.service_queries import expiring_services, list_services, service_counts
from omnibus.platform.auth import Access, require
from omnibus.platform.http.types import Paging
from omnibus.platform.peers import Peers, PeerUnavailable

router = APIRouter(tags=["services"])

ViewAccess = Annotated[Access, Depends(require("view_customer_service", own="view_own_customer_service"))]


def _service_types(request: Request) -> tuple[str, ...]:
    types: tuple[str, ...] = request.app.state.service_types
    return types


ServiceTypes = Annotated[tuple[str, ...], Depends(_service_types)]


@router.put("/crm/service/")
@router.post("/crm/service/", include_in_schema=False)
def create_service(
    body: ServiceCreate,
    app: CustomersAppDep,
    types: ServiceTypes,
    _: Annotated[Access, Depends(require("create_customer_service"))],
) -> dict[str, Any]:
    """Create a service record (playbooks; 409 when ``service_uuid`` exists)."""
    check_service_type(body.service_type, types)
    service = app.create_service(body.customer_id, body.service_status, body.service_fields())
    return service_view(service)


@router.get("/crm/service/")
def list_services_paginated(read: ReadDep, paging: Annotated[Paging, Depends()], access: ViewAccess) -> dict[str, Any]:
    """Every customer's services as ``{data, pagination}``: ``filters``, ``search``, ``sort``, ``order``, paging."""
    rows, total = list_services(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        only_customer_id=access.own_customer_id,
    )
    return paging.envelope([service_row_view(r) for r in rows], total)


@router.get("/crm/service/expiring")
def list_expiring_services(
    read: ReadDep,
    access: ViewAccess,
    threshold: Annotated[int, Query(ge=0, le=3650, description="Days ahead")] = 7,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Services whose ``service_deactivate_date`` falls within ``threshold`` days (D50)."""
    paging = Paging(page=page, per_page=per_page)
    now = datetime.now(UTC)
    rows, total = expiring_services(
        read,
        now=now,
        until=now + timedelta(days=threshold),
        offset=paging.offset,
        limit=paging.per_page,
        only_customer_id=access.own_customer_id,
    )
    return paging.envelope([service_row_view(r) for r in rows], total)


@router.get("/crm/service/stats")
def service_stats(read: ReadDep, access: ViewAccess) -> dict[str, Any]:
    """Services per status, for the list's tabs [new]."""
    counts = service_counts(read, access.own_customer_id)
    return {"total": sum(counts.values()), "by_status": counts}


@router.get("/crm/service/service_uuid/{service_uuid}")
def get_service_by_uuid(service_uuid: str, app: CustomersAppDep, access: ViewAccess) -> dict[str, Any]:
    """One service by its OCS account id; 404 when none (playbooks check before they create)."""
    return service_view(_visible(app.get_service_by_uuid(service_uuid), access))


@router.get("/crm/service/service_id/{service_id}")
def get_service_record(
    service_id: int,
    request: Request,
    app: CustomersAppDep,
    access: ViewAccess,
    include_cgrates: Annotated[bool, Query(description="Add the live OCS block (D2)")] = False,
) -> dict[str, Any]:
    """The stored service record."""
    service = _visible(app.get_service(service_id), access)
    return _with_cgrates(service, access, request) if include_cgrates else service_view(service)


@router.get("/crm/service/{service_id}")
def get_service(service_id: int, request: Request, app: CustomersAppDep, access: ViewAccess) -> dict[str, Any]:
    """The service record with its live ``cgrates`` block (D2)."""
    return _with_cgrates(_visible(app.get_service(service_id), access), access, request)


@router.patch("/crm/service/service_id/{service_id}", include_in_schema=False)
@router.patch("/crm/service/{service_id}")
def update_service(
    service_id: int,
    app: CustomersAppDep,
    types: ServiceTypes,
    _: Annotated[Access, Depends(require("update_customer_service"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change editable fields; read-only fields are refused with 400 (§2.6)."""
    changes = money_changes(patch_fields(body, ServicePatch, SERVICE_READ_ONLY))
    if "service_type" in changes:
        check_service_type(changes["service_type"], types)
    status = changes.pop("service_status", None)
    app.update_service(service_id, changes, status=status)
    return service_view(app.get_service(service_id))


@router.delete("/crm/service/service_id/{service_id}")
@router.delete("/crm/service/{service_id}", include_in_schema=False)
def delete_service(
    service_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("delete_customer_service"))]
) -> dict[str, str]:
    """Remove a service record (provisioning rollback)."""
    app.delete_service(service_id)
    return {"result": "success"}


def _visible(service: Service, access: Access) -> Service:
    """Self-care callers see their own services, and only those marked visible to them (§2.6, §4.9)."""
    if access.scoped and (service.customer_id != access.own_customer_id or not service.service_visible_to_customer):
        raise ServiceNotFoundError(service.service_id)
    return service


def _with_cgrates(service: Service, access: Access, request: Request) -> dict[str, Any]:
    """The record plus the live ``cgrates`` block, read from the charging gateway with the caller's credentials
    (charging.md §4.1). ``cgrates`` is null for a service without an OCS account, or hidden from a self-care
    caller; when the OCS block cannot be had, ``cgrates_error`` says why and the record is still answered."""
    view = service_view(service)
    if access.scoped and not service.service_usage_visible_to_customer:
        return {**view, "cgrates": None}
    return {**view, **_live_ocs(request, service.service_uuid)}


def _live_ocs(request: Request, service_uuid: str) -> dict[str, Any]:
    peers: Peers = request.app.state.runtime.infra.peers
    authenticator = request.app.state.authenticator
    client_ip = authenticator.client_ip(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for")
    )
    path = f"/crm/ocs/balance/service_uuid/{quote(service_uuid, safe='')}"
    try:
        answer = anyio.from_thread.run(partial(peers.get, path, request.headers, client_ip))
    except PeerUnavailable as error:
        return {"cgrates": None, "cgrates_error": f"OCS balances unavailable: {error}"}
    if answer.status_code == 200:
        return {"cgrates": answer.json().get("cgrates")}
    if answer.status_code == 404:
        return {"cgrates": None}
    message = (
        answer.json().get("message", answer.text)
        if answer.headers.get("content-type", "").startswith("application/json")
        else answer.text
    )
    return {"cgrates": None, "cgrates_error": f"OCS balances unavailable: {message}"}
