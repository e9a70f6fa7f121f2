"""HTTP endpoints of the charging gateway (charging.md §3): the reference product's OCS endpoints, the commands other
contexts use, the verified OCS webhook and the live balance query for service views."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy import Connection

from omnibus.charging_gateway.api.schemas import (
    AccountCreate,
    ActionPlans,
    BalanceTrigger,
    ExecuteAction,
    ProxyRequest,
    Reason,
    Renew,
    Topup,
    Usage,
    UsageEndpoint,
)
from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSError
from omnibus.charging_gateway.domain import InvalidRequestError, OcsAccount
from omnibus.charging_gateway.domain.naming import check_service_uuid
from omnibus.charging_gateway.live import LiveBalances
from omnibus.charging_gateway.proxy import method_kind, with_tenant
from omnibus.charging_gateway.readmodel.queries import (
    account_row,
    inventory_endpoint,
    put_usage_endpoint,
    service_owner,
    usage_endpoint,
)
from omnibus.charging_gateway.relay import relay, touched_accounts
from omnibus.charging_gateway.settings import ResolvedCharging
from omnibus.platform.auth import Access, PermissionDenied, require
from omnibus.platform.auth.authenticator import AuthenticationError
from omnibus.platform.auth.deps import NotVisible, authenticate
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import iso_z, parse_datetime

router = APIRouter(tags=["charging"])
WRITE = "cgrates_api_write"


def _app(request: Request) -> ChargingApp:
    app: ChargingApp = request.app.state.charging_app
    return app


def _live(request: Request) -> LiveBalances:
    live: LiveBalances = request.app.state.charging_live
    return live


def _config(request: Request) -> ResolvedCharging:
    config: ResolvedCharging = request.app.state.charging_config
    return config


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


AppDep = Annotated[ChargingApp, Depends(_app)]
LiveDep = Annotated[LiveBalances, Depends(_live)]
ConfigDep = Annotated[ResolvedCharging, Depends(_config)]
ReadDep = Annotated[Connection, Depends(_read)]


def _uuid(service_uuid: str) -> str:
    return check_service_uuid(service_uuid)


def _by(access: Access) -> str | None:
    p = access.principal
    return str(p.user_id) if p.user_id is not None else (str(p.api_key_id) if p.api_key_id is not None else None)


def account_view(account: OcsAccount) -> dict[str, Any]:
    return {
        "service_uuid": account.service_uuid,
        "tenant": account.tenant,
        "allow_negative": account.allow_negative,
        "disabled": account.disabled,
        "removed": account.removed,
        "action_plan_ids": sorted(account.plans),
        "trigger_group_ids": list(account.trigger_groups),
    }


# ----- reference product endpoints ------------------------------------------------------------------------------


def _proxy_access(request: Request) -> Access:
    """``cgrates_api_access`` or ``cgrates_api_write`` (the method decides which one is needed)."""
    principal = authenticate(request)
    if not (principal.has("cgrates_api_access") or principal.has(WRITE)):
        raise PermissionDenied("Permission denied: requires cgrates_api_access")
    return Access(principal)


@router.post("/crm/ocs/proxy")
def ocs_proxy(
    request: Request,
    app: AppDep,
    config: ConfigDep,
    access: Annotated[Access, Depends(_proxy_access)],
    body: Annotated[Any, Body()] = None,
) -> Any:
    """Forward one CGRateS JSON-RPC call (staff tabs). Reads need ``cgrates_api_access``; writes ``admin`` or
    ``cgrates_api_write`` (D82). ``tenant`` defaults to ``ocs.ocsTenant``. Every call is audited."""
    try:
        call = ProxyRequest.model_validate(body)
    except ValidationError as error:
        raise ApiError(400, "validation_error", f"Invalid request: {error.errors()[0]['msg']}") from None
    kind = method_kind(call.method, config.proxy_read, config.proxy_write)
    if kind is None:
        raise ApiError(400, "method_not_allowed", f"Method {call.method} is not allowed through the proxy")
    if kind == "write" and not access.principal.has(WRITE):
        raise PermissionDenied(f"Permission denied: {call.method} requires admin or {WRITE}")
    if kind == "read" and not access.principal.has("cgrates_api_access"):
        raise PermissionDenied(f"Permission denied: {call.method} requires cgrates_api_access")
    tenant = call.tenant or config.tenant
    params = with_tenant(call.params, tenant)
    audit = {
        "user_id": _by(access),
        "method": call.method,
        "params": params,
        "customer_id": call.customer_id,
        "service_id": call.service_id,
        "tenant": tenant,
    }
    try:
        result = app.ocs.call(call.method, params[0] if params else None, safe=kind == "read")
    except CGRateSError as error:
        app.record_proxy_call(**audit, result_status=error.message)
        raise ApiError(502, "ocs_error", f"OCS error: {error.message}", {"error": error.message}) from None
    app.record_proxy_call(**audit, result_status="ok")
    return result


@router.delete("/crm/oam/remove_action_plan/{action_plan_id}")
def remove_action_plan(
    action_plan_id: str,
    app: AppDep,
    live: LiveDep,
    access: Annotated[Access, Depends(require("update_customer_service"))],
) -> dict[str, Any]:
    """Remove an ActionPlan (the service will not renew with it); 404 when CGRateS does not have it."""
    if not action_plan_id or len(action_plan_id) > 200:
        raise ApiError(400, "invalid_action_plan_id", "invalid ActionPlan id")
    service = app.remove_action_plan(action_plan_id, _by(access))
    live.forget(service)
    return {"result": "success", "message": f"Removed ActionPlan {action_plan_id} from {service}"}


@router.post("/crm/oam/renew_action_plan/{action_plan_id}")
def renew_action_plan(
    action_plan_id: str,
    app: AppDep,
    access: Annotated[Access, Depends(require("create_provision"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """D83: ask for the product's playbook to run again on the service (``ActionPlanRenewRequested``; the
    provisioning service starts the job). 400 when the id has no ServiceID/ProductID."""
    data = _body(Renew, body)
    result = app.request_renewal(action_plan_id, data.service_id, _by(access))
    return {"result": "success", "provision_id": None, **result}


@router.get("/oam/usage")
def oam_usage(request: Request, app: AppDep, live: LiveDep, read: ReadDep) -> dict[str, Any]:
    """The caller's own usage, identified by its source address (D85); no credentials. The address is looked up in
    the explicit map (``PUT /crm/ocs/usage_endpoint/``), then in catalog's inventory (the IP item assigned to a
    service)."""
    client_ip = request.app.state.authenticator.client_ip(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for")
    )
    endpoint = usage_endpoint(read, client_ip or "") or inventory_endpoint(read, client_ip or "")
    if endpoint is None:
        raise ApiError(404, "service_not_detected", "Service not detected for this address")
    view = live.view(endpoint["service_uuid"])
    expiries = [
        b.get("ExpirationDate")
        for balances in view["BalanceMap"].values()
        for b in balances
        if not b["custom_Expired"] and b.get("ExpirationDate") and not str(b["ExpirationDate"]).startswith("0001")
    ]
    unlimited = any(b.get("custom_Description_String") == "Unlimited" for bs in view["BalanceMap"].values() for b in bs)
    return {
        "imsi": endpoint.get("imsi"),
        "service": {
            "service_uuid": endpoint["service_uuid"],
            "service_name": endpoint.get("service_name"),
            "service_status": endpoint.get("service_status"),
        },
        "balance": {
            "expiry": min(expiries) if expiries else None,
            "unlimited": unlimited,
            "totals": view["totals"],
            "stale": view["stale"],
        },
        "requestingIp": client_ip,
    }


@router.get("/crm/ocs/cdrs")
def ocs_cdrs(
    app: AppDep,
    _: Annotated[Access, Depends(require("cgrates_api_access"))],
    service_uuid: Annotated[str, Query(max_length=64)],
    start: Annotated[str | None, Query(max_length=40)] = None,
    end: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Charging records of a service (default filter ``*string:~*req.Account:{service_uuid}``, §2.8)."""
    filters: dict[str, Any] = {
        "Accounts": [_uuid(service_uuid)],
        "OrderBy": "AnswerTime;desc",
        "Limit": limit,
        "Offset": offset,
    }
    for name, value in (("AnswerTimeStart", start), ("AnswerTimeEnd", end)):
        if value:
            try:
                filters[name] = iso_z(parse_datetime(value))
            except ValueError as error:
                raise ApiError(400, "invalid_time", f"{name}: {error}") from None
    rows = app.ocs.get_cdrs(filters)
    return {"data": rows, "limit": limit, "offset": offset}


@router.post("/crm/ocs/notify")
def ocs_notify(
    request: Request,
    app: AppDep,
    live: LiveDep,
    config: ConfigDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """The OCS's ``*http_post`` callbacks (D81). Verified: the URL's secret token, or a caller holding
    ``cgrates_api_write`` (API key / IP whitelist). Unknown accounts answer 404."""
    if token is None or not hmac.compare_digest(token.encode(), config.webhook_secret.encode()):
        try:
            principal = authenticate(request)
        except AuthenticationError:
            raise AuthenticationError("Invalid or missing webhook token") from None
        if not principal.has(WRITE):
            raise PermissionDenied(f"Permission denied: requires the webhook token or {WRITE}")
    new = app.handle_callback(body)
    if isinstance(body, dict):
        name = str(body.get("ID") or body.get("account") or "").rpartition(":")[2]
        live.forget(name)
    return {"result": "success", "new_events": new}


@router.post("/jsonrpc")
def jsonrpc_relay(
    request: Request,
    app: AppDep,
    live: LiveDep,
    config: ConfigDep,
    access: Annotated[Access, Depends(require(WRITE))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """The CGRateS JSON-RPC relay for playbooks (charging.md §4.6): forwarded unchanged, answered in CGRateS's
    envelope; the facts of mutating calls are recorded. For the provisioning runner (its API key or network)."""
    if not config.relay_enabled:
        raise ApiError(404, "not_found", "The JSON-RPC relay is disabled (ocs.relay_enabled)")
    answer = relay(app, body, str(getattr(request.state, "request_id", "")) or uuid4().hex, _by(access))
    for service_uuid in touched_accounts(body):  # a play changed it: service views read it afresh
        live.forget(service_uuid)
    return answer


# ----- live data for service views ------------------------------------------------------------------------------


@router.get("/crm/ocs/balance/service_uuid/{service_uuid}")
def live_balance(
    service_uuid: str,
    live: LiveDep,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer_service", own="view_own_customer_service"))],
) -> dict[str, Any]:
    """``{cgrates: {BalanceMap, ActionPlans, totals, stale, fetched_at}}`` for ``GET /crm/service/{id}``: read live
    (cached ~2 s); the last known answer, marked ``stale``, when CGRateS is unreachable. A self-care caller sees only
    their own services whose usage is shown to them (404 otherwise)."""
    service_uuid = _uuid(service_uuid)
    if access.scoped:
        owner = service_owner(read, service_uuid)
        if owner is None or not owner["usage_visible_to_customer"]:
            raise NotVisible("Service not found")
        access.check_customer(owner["customer_id"], "Service")
    return {"service_uuid": service_uuid, "cgrates": live.view(service_uuid)}


# ----- commands for other contexts --------------------------------------------------------------------------------


def _body(model: Any, body: Any) -> Any:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidRequestError("the body must be a JSON object")
    return model.model_validate(body)


@router.put("/crm/ocs/account/")
@router.post("/crm/ocs/account/", include_in_schema=False)
def create_account(
    app: AppDep, _: Annotated[Access, Depends(require(WRITE))], body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Create (or re-create) the OCS account of a service: ``APIerSv2.SetAccount``."""
    data = _body(AccountCreate, body)
    account = app.create_account(
        data.service_uuid,
        allow_negative=data.allow_negative,
        disabled=data.disabled,
        action_plan_ids=data.action_plan_ids,
        trigger_ids=data.trigger_ids,
    )
    return account_view(account)


@router.get("/crm/ocs/account/service_uuid/{service_uuid}")
def get_account(
    service_uuid: str, app: AppDep, _: Annotated[Access, Depends(require("view_customer_service"))]
) -> dict[str, Any]:
    return account_view(app.get_account(_uuid(service_uuid)))


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/disable")
def disable_account(
    service_uuid: str, app: AppDep, _: Annotated[Access, Depends(require(WRITE))], body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    changed = app.disable_account(_uuid(service_uuid), _body(Reason, body).reason)
    return {"result": "success", "changed": changed}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/enable")
def enable_account(
    service_uuid: str, app: AppDep, _: Annotated[Access, Depends(require(WRITE))], body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    changed = app.enable_account(_uuid(service_uuid), _body(Reason, body).reason)
    return {"result": "success", "changed": changed}


@router.delete("/crm/ocs/account/service_uuid/{service_uuid}")
def remove_account(
    service_uuid: str, app: AppDep, live: LiveDep, _: Annotated[Access, Depends(require(WRITE))]
) -> dict[str, Any]:
    app.remove_account(_uuid(service_uuid))
    live.forget(service_uuid)
    return {"result": "success"}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/topup")
def top_up(
    service_uuid: str,
    app: AppDep,
    live: LiveDep,
    _: Annotated[Access, Depends(require(WRITE))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Add to (``add``) or set (``set``) a balance, at most once per ``idempotency_key``."""
    data = _body(Topup, body)
    result = app.top_up(_uuid(service_uuid), data.idempotency_key, data.request())
    live.forget(service_uuid)
    return {"result": "success", **result}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/execute_action")
def execute_action(
    service_uuid: str,
    app: AppDep,
    live: LiveDep,
    _: Annotated[Access, Depends(require(WRITE))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Run a named action set (``Action_<product_slug>``) at most once per ``idempotency_key``."""
    data = _body(ExecuteAction, body)
    result = app.top_up(_uuid(service_uuid), data.idempotency_key, data.request())
    live.forget(service_uuid)
    return {"result": "success", **result}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/action_plans")
def attach_action_plans(
    service_uuid: str,
    app: AppDep,
    live: LiveDep,
    _: Annotated[Access, Depends(require(WRITE))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    app.attach_action_plans(_uuid(service_uuid), _body(ActionPlans, body).action_plan_ids)
    live.forget(service_uuid)
    return account_view(app.get_account(service_uuid))


@router.delete("/crm/ocs/account/service_uuid/{service_uuid}/action_plans/{action_plan_id}")
def detach_action_plan(
    service_uuid: str,
    action_plan_id: str,
    app: AppDep,
    live: LiveDep,
    access: Annotated[Access, Depends(require(WRITE))],
) -> dict[str, Any]:
    app.detach_action_plan(_uuid(service_uuid), action_plan_id, _by(access))
    live.forget(service_uuid)
    return {"result": "success"}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/triggers")
def set_trigger(
    service_uuid: str, app: AppDep, _: Annotated[Access, Depends(require(WRITE))], body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """A low-balance (or depleted/expired) trigger that calls back the gateway's webhook."""
    data = _body(BalanceTrigger, body)
    unique = app.set_balance_trigger(
        _uuid(service_uuid),
        kind=data.kind,
        balance_type=data.balance_type,
        threshold=data.threshold,
        balance_id=data.balance_id,
    )
    return {"result": "success", "trigger_id": unique}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/triggers/reset")
def reset_triggers(service_uuid: str, app: AppDep, _: Annotated[Access, Depends(require(WRITE))]) -> dict[str, Any]:
    app.reset_triggers(_uuid(service_uuid))
    return {"result": "success"}


@router.post("/crm/ocs/account/service_uuid/{service_uuid}/usage")
def post_usage(
    service_uuid: str,
    app: AppDep,
    live: LiveDep,
    _: Annotated[Access, Depends(require(WRITE))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Post one usage record (``CDRsV1.ProcessExternalCDR``); ``origin_id`` makes it idempotent."""
    data = _body(Usage, body)
    result = app.post_usage(_uuid(service_uuid), data.model_dump())
    live.forget(service_uuid)
    return {"result": "success", **result}


@router.post("/crm/ocs/reconcile")
def reconcile(request: Request, _: Annotated[Access, Depends(require(WRITE))]) -> dict[str, Any]:
    """Poll every account now and record what the callbacks missed."""
    summary: dict[str, Any] = request.app.state.charging_reconcile()
    return summary


@router.put("/crm/ocs/usage_endpoint/")
def put_endpoint(
    request: Request, read: ReadDep, _: Annotated[Access, Depends(require(WRITE))], body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Map a source IP (or IMSI) to a service for ``GET /oam/usage`` (the default D85 resolver)."""
    data = _body(UsageEndpoint, body)
    if account_row(read, data.service_uuid) is None:
        raise ApiError(404, "ocs_account_not_found", f"No OCS account for service {data.service_uuid}")
    put_usage_endpoint(request.app.state.runtime.engine, data.model_dump())
    return {"result": "success"}
