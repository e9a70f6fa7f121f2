"""The JSON-RPC relay for playbooks (charging.md §4.6 [new]): ``crm_config.ocs.cgrates`` points the provisioning
runner at the gateway's ``/jsonrpc``; calls are forwarded unchanged to CGRateS (a missing ``Tenant`` is filled from
``ocs.ocsTenant``, D76) and answered in CGRateS's own envelope, so playbooks work as before, while the gateway records
the facts of the mutating calls it saw and stays the single writer of OCS facts.

Facts recorded after CGRateS answered OK: ``SetAccount`` (account created, disabled/enabled, plans attached),
``RemoveAccount``, ``AddBalance``/``SetBalance``/``ExecuteAction`` (under a ``relay:<request id>`` key: playbooks
carry no idempotency key of their own), ``RemoveActionPlan`` (followed by a scheduler reload, which the method
lacks). Bookkeeping failures are logged; they never change the answer the playbook gets from CGRateS.

``RemoveActionPlan {Id: "ServiceID_<uuid>__*"}`` (the deprovision play, D73) is not forwarded as such: CGRateS has
no wildcard and would remove nothing, so the gateway removes each of that account's plans whose id matches.
"""

from __future__ import annotations

import logging
from typing import Any

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSError
from omnibus.charging_gateway.domain import ChargingError
from omnibus.charging_gateway.domain.naming import check_service_uuid, service_uuid_of_plan
from omnibus.charging_gateway.proxy import with_tenant

log = logging.getLogger(__name__)

READ_PREFIXES = ("Get", "Ping", "Status", "Count")


def relay(app: ChargingApp, body: Any, request_id: str, by_user: str | None) -> dict[str, Any]:
    """One JSON-RPC request in, CGRateS's reply out (``{id, result, error}``)."""
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return {"id": None, "result": None, "error": "rpc: service/method request ill-formed: "}
    method, request_id_in = body["method"], body.get("id")
    params = body.get("params")
    if not isinstance(params, list):
        return {"id": request_id_in, "result": None, "error": "jsonrpc: request body missing params"}
    params = with_tenant(params, app.ocs.tenant)
    arg = params[0] if params else None
    name = method.rpartition(".")[2]
    plan_id = _get(arg, "Id") if isinstance(arg, dict) else None
    if name == "RemoveActionPlan" and isinstance(plan_id, str) and "*" in plan_id and _wildcard_owner(plan_id):
        try:  # D73: the deprovision play's ServiceID_{uuid}__* (CGRateS would match nothing and answer OK)
            app.remove_matching_action_plans(plan_id, by_user)
        except CGRateSError as error:
            return {"id": request_id_in, "result": None, "error": error.message}
        return {"id": request_id_in, "result": "OK", "error": None}
    try:
        result = app.ocs.call(method, arg, safe=name.startswith(READ_PREFIXES))
    except CGRateSError as error:
        return {"id": request_id_in, "result": None, "error": error.message}
    if result == "OK" and isinstance(arg, dict):
        try:
            _record(app, name, arg, request_id, by_user)
        except (ChargingError, CGRateSError, KeyError, TypeError, ValueError) as error:
            log.warning("relay: %s succeeded in CGRateS but its fact was not recorded: %s", method, error)
    return {"id": request_id_in, "result": result, "error": None}


def touched_accounts(body: Any) -> list[str]:
    """The accounts a relayed call may have changed: its ``Account``, or the service an ActionPlan id names."""
    params = body.get("params") if isinstance(body, dict) else None
    arg = params[0] if isinstance(params, list) and params else None
    if not isinstance(arg, dict):
        return []
    account, plan_id = _get(arg, "Account"), _get(arg, "Id") or _get(arg, "ActionPlanId")
    owner = service_uuid_of_plan(plan_id) if isinstance(plan_id, str) else None
    return [name for name in (account, owner) if isinstance(name, str) and name]


def _wildcard_owner(plan_id: str) -> str | None:
    owner = service_uuid_of_plan(plan_id)
    try:
        return check_service_uuid(owner) if owner and "*" not in owner else None
    except ChargingError:
        return None


def _get(arg: dict[str, Any], key: str, default: Any = None) -> Any:
    """Go decodes struct fields case-insensitively (cgrates-reference.md §1.4); so do we."""
    for k, v in arg.items():
        if k.lower() == key.lower():
            return v
    return default


def _record(app: ChargingApp, name: str, arg: dict[str, Any], request_id: str, by_user: str | None) -> None:
    account = _get(arg, "Account")
    if name == "SetAccount" and isinstance(account, str):
        _set_account(app, account, arg)
    elif name == "RemoveAccount" and isinstance(account, str) and app.find(account) is not None:
        app._change(account, lambda a: a.remove())
    elif name in ("AddBalance", "SetBalance") and isinstance(account, str) and app.find(account) is not None:
        balance = _get(arg, "Balance") or {}
        request = {
            "operation": "add" if name == "AddBalance" else "set",
            "balance_type": str(_get(arg, "BalanceType", "")),
            "value": float(_get(arg, "Value", 0) or balance.get("Value") or 0),
            "balance_id": str(balance.get("ID") or ""),
            "expiry": balance.get("ExpiryTime"),
            "weight": balance.get("Weight") if isinstance(balance.get("Weight"), int | float) else None,
            "blocker": bool(balance.get("Blocker")),
            "via": "relay",
        }
        _applied(app, account, f"relay:{request_id}", request)
    elif name == "ExecuteAction" and isinstance(account, str) and app.find(account) is not None:
        request = {"operation": "action", "actions_id": str(_get(arg, "ActionsId", "")), "via": "relay"}
        _applied(app, account, f"relay:{request_id}", request)
    elif name == "RemoveActionPlan":
        app.ocs.reload_scheduler()  # RemoveActionPlan has no ReloadScheduler: the old plan would keep firing (§5.6)
        plan_id = _get(arg, "Id")
        owner = service_uuid_of_plan(plan_id) if isinstance(plan_id, str) else None
        if owner and isinstance(plan_id, str):
            app._detached(owner, [plan_id], by_user)


def _set_account(app: ChargingApp, account: str, arg: dict[str, Any]) -> None:
    from omnibus.charging_gateway.domain import OcsAccount, account_uuid
    from omnibus.platform.eventstore import retry_on_conflict

    options = _get(arg, "ExtraOptions") or {}
    disabled, allow_negative = options.get("Disabled"), options.get("AllowNegative")

    def command() -> None:
        existing = app.find(account)
        if existing is None:
            existing = OcsAccount(
                id=account_uuid(account),
                service_uuid=account,
                tenant=app.ocs.tenant,
                allow_negative=bool(allow_negative),
                disabled=bool(disabled),
            )
        else:
            existing.reopen(app.ocs.tenant, bool(allow_negative), bool(disabled))
            if disabled is True:
                existing.disable("relay")
            elif disabled is False:
                existing.enable("relay")
        app.save(existing)

    retry_on_conflict(command)
    plans = _get(arg, "ActionPlanIDs") or ([_get(arg, "ActionPlanID")] if _get(arg, "ActionPlanID") else [])
    if plans:
        app._record_plans(account, [p for p in plans if isinstance(p, str)])


def _applied(app: ChargingApp, account: str, key: str, request: dict[str, Any]) -> None:
    now = app.clock()

    def change(a: Any) -> None:
        if a.request_topup(key, request, now, app.stale_after) == "send":
            a.topup_applied(key, "relay")

    app._change(account, change)
