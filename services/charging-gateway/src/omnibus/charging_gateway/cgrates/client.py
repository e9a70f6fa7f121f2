"""CGRateS JSON-RPC client (cgrates-reference.md §1, charging.md §4.6).

- ``POST <url>/jsonrpc`` with ``{"method", "params": [arg], "id"}``; one request per POST; ``Tenant`` always sent.
- Method names are the v0.10 names the reference product uses, overridable per operation (``ocs.method_names``,
  D76).
- Error strings become typed errors (``NOT_FOUND`` and ``SERVER_ERROR: NOT_FOUND`` are both ``NotFound``).
- Timeouts on every call. Retries only where repeating is safe: a request that never reached the server
  (connection refused), or a call that is idempotent (reads, SetAccount, SetBalance, removals, resets). A
  top-up that timed out is never re-sent blindly: the caller reconciles first (``OutcomeUnknown``, §9).
- A ``null`` list result is returned as ``[]`` (§1.3).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from omnibus.platform.metrics import external_call

log = logging.getLogger(__name__)

DEFAULT_METHODS: dict[str, str] = {
    "set_account": "ApierV2.SetAccount",
    "get_account": "ApierV2.GetAccount",
    "get_accounts": "APIerSv2.GetAccounts",
    "remove_account": "ApierV1.RemoveAccount",
    "add_balance": "ApierV1.AddBalance",
    "set_balance": "ApierV1.SetBalance",
    "execute_action": "APIerSv1.ExecuteAction",
    "reset_triggers": "APIerSv1.ResetAccountActionTriggers",
    "add_account_triggers": "APIerSv1.AddAccountActionTriggers",
    "set_action_trigger": "APIerSv1.SetActionTrigger",
    "set_actions": "APIerSv2.SetActions",
    "get_actions": "APIerSv2.GetActions",
    "set_action_plan": "ApierV1.SetActionPlan",
    "get_action_plan": "APIerSv1.GetActionPlan",
    "remove_action_plan": "ApierV1.RemoveActionPlan",
    "get_account_action_plan": "APIerSv1.GetAccountActionPlan",
    "remove_action_timing": "APIerSv1.RemoveActionTiming",
    "reload_scheduler": "SchedulerSv1.Reload",
    "process_cdr": "CDRsV1.ProcessExternalCDR",
    "get_cdrs": "CDRsV1.GetCDRs",
    "ping": "APIerSv1.Ping",
}

# Operations that may be repeated after an uncertain failure: same outcome however often they run.
IDEMPOTENT = {
    "set_account",
    "get_account",
    "get_accounts",
    "remove_account",
    "set_balance",
    "reset_triggers",
    "set_action_trigger",
    "set_actions",
    "get_actions",
    "set_action_plan",
    "get_action_plan",
    "remove_action_plan",
    "get_account_action_plan",
    "remove_action_timing",
    "reload_scheduler",
    "process_cdr",  # a duplicate OriginID answers EXISTS (treated as success by the caller)
    "get_cdrs",
    "ping",
}


class CGRateSError(Exception):
    """CGRateS answered an error (``message`` is its exact string), or could not be reached."""

    http_status = 502
    code = "ocs_error"

    def __init__(self, message: str, method: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method


class NotFound(CGRateSError):
    http_status = 404
    code = "ocs_not_found"


class Exists(CGRateSError):
    http_status = 409
    code = "ocs_exists"


class MandatoryMissing(CGRateSError):
    http_status = 400
    code = "ocs_mandatory_missing"


class BrokenReference(CGRateSError):
    http_status = 400
    code = "ocs_broken_reference"


class PartiallyExecuted(CGRateSError):
    """An action failed: nothing was saved (§4.6)."""

    code = "ocs_partially_executed"


class AccountDisabled(CGRateSError):
    code = "ocs_account_disabled"


class InsufficientCredit(CGRateSError):
    code = "ocs_insufficient_credit"


class UnknownMethod(CGRateSError):
    http_status = 400
    code = "ocs_unknown_method"


class ProtocolError(CGRateSError):
    """An empty or non-JSON-RPC reply (§1.1)."""

    code = "ocs_protocol_error"


class Unauthorized(CGRateSError):
    code = "ocs_unauthorized"


class Unavailable(CGRateSError):
    """The request never reached CGRateS: safe to try again."""

    http_status = 503
    code = "ocs_unavailable"


class OutcomeUnknown(Unavailable):
    """Sent, but no answer (timeout, reset): CGRateS may or may not have applied it."""

    http_status = 504
    code = "ocs_outcome_unknown"


_BY_PREFIX: tuple[tuple[str, type[CGRateSError]], ...] = (
    ("NOT_FOUND", NotFound),
    ("SERVER_ERROR: NOT_FOUND", NotFound),
    ("EXISTS", Exists),
    ("MANDATORY_IE_MISSING", MandatoryMissing),
    ("BROKEN_REFERENCE", BrokenReference),
    ("PARTIALLY_EXECUTED", PartiallyExecuted),
    ("ACCOUNT_DISABLED", AccountDisabled),
    ("SERVER_ERROR: ACCOUNT_DISABLED", AccountDisabled),
    ("INSUFFICIENT_CREDIT_BALANCE_BLOCKER", InsufficientCredit),
    ("SERVER_ERROR: INSUFFICIENT_CREDIT_BALANCE_BLOCKER", InsufficientCredit),
    ("rpc: can't find", UnknownMethod),
    ("rpc: service/method request ill-formed", UnknownMethod),
)


def error_for(message: str, method: str = "") -> CGRateSError:
    """The typed error of a CGRateS error string (split on the first ``:``, §1.6)."""
    for prefix, cls in _BY_PREFIX:
        if message == prefix or message.startswith(prefix + ":") or message.startswith(prefix + " "):
            return cls(message, method)
        if prefix.startswith("rpc:") and message.startswith(prefix):
            return cls(message, method)
    return CGRateSError(message, method)


class CGRateSClient:
    """Synchronous JSON-RPC client; one instance per process (keeps a connection pool)."""

    def __init__(
        self,
        url: str,
        tenant: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.1,
        methods: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = url if "://" in url else f"http://{url}"
        self.url = base.rstrip("/") if base.rstrip("/").endswith("/jsonrpc") else base.rstrip("/") + "/jsonrpc"
        self.tenant = tenant
        self.retries = retries
        self.backoff = backoff
        self.methods = {**DEFAULT_METHODS, **(methods or {})}
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout, auth=auth, transport=transport)

    def close(self) -> None:
        self._http.close()

    # ----- the envelope -------------------------------------------------------------------------------------

    def call(self, method: str, arg: Any, *, safe: bool = False) -> Any:
        """Send one request; retry connection failures always, and uncertain failures only when ``safe``."""
        attempt = 0
        while True:
            try:
                with external_call("cgrates", method, attempt=attempt + 1):
                    return self._once(method, arg)
            except OutcomeUnknown:
                if not safe or attempt >= self.retries:
                    raise
            except Unavailable:
                if attempt >= self.retries:
                    raise
            attempt += 1
            time.sleep(self.backoff * attempt)

    def _once(self, method: str, arg: Any) -> Any:
        request_id = next(self._ids)
        body = {"method": method, "params": [arg], "id": request_id}
        try:
            response = self._http.post(self.url, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise Unavailable(f"CGRateS unreachable at {self.url}: {error}", method) from error
        except httpx.TransportError as error:  # read timeout, reset: it may have been applied
            raise OutcomeUnknown(f"no answer from CGRateS for {method}: {error!r}", method) from error
        if response.status_code == 401:
            raise Unauthorized("Not authorized", method)
        if response.status_code != 200:
            raise ProtocolError(f"HTTP {response.status_code} from CGRateS", method)
        text = response.text.strip()
        if not text:
            raise ProtocolError("empty reply from CGRateS (request not understood)", method)
        try:
            reply = json.loads(text.splitlines()[0])
        except ValueError as error:
            raise ProtocolError(f"reply is not JSON: {text[:200]}", method) from error
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            raise ProtocolError(f"not a JSON-RPC reply: {text[:200]}", method)
        if reply.get("id") != request_id:
            raise ProtocolError(f"reply id {reply.get('id')!r} does not match request id {request_id}", method)
        failure = reply.get("error")
        if failure is not None:
            message = failure if isinstance(failure, str) else str(failure)
            raise error_for(message, method)
        return reply.get("result")

    def op(self, operation: str, arg: Any) -> Any:
        return self.call(self.methods[operation], arg, safe=operation in IDEMPOTENT)

    def _ok(self, operation: str, arg: Any) -> None:
        result = self.op(operation, arg)
        if result != "OK":
            raise ProtocolError(f"{self.methods[operation]} answered {result!r} instead of OK", operation)

    def _t(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {"Tenant": self.tenant, **extra}

    # ----- accounts -----------------------------------------------------------------------------------------

    def set_account(
        self,
        account: str,
        *,
        allow_negative: bool | None = None,
        disabled: bool | None = None,
        action_plan_ids: list[str] | None = None,
        plans_overwrite: bool = False,
        trigger_ids: list[str] | None = None,
        reload_scheduler: bool = True,
    ) -> None:
        options: dict[str, bool] = {}
        if allow_negative is not None:
            options["AllowNegative"] = allow_negative
        if disabled is not None:
            options["Disabled"] = disabled
        arg: dict[str, Any] = {
            "Account": account,
            "ActionPlanIds": action_plan_ids or [],
            "ActionPlansOverwrite": plans_overwrite,
            "ExtraOptions": options,
            "ReloadScheduler": reload_scheduler,
        }
        if trigger_ids:
            arg["ActionTriggerIDs"] = trigger_ids
        self._ok("set_account", self._t(arg))

    def get_account(self, account: str) -> dict[str, Any]:
        result = self.op("get_account", self._t({"Account": account}))
        if not isinstance(result, dict):
            raise ProtocolError(f"GetAccount answered {type(result).__name__}", "get_account")
        return result

    def get_accounts(self, accounts: list[str]) -> list[dict[str, Any]]:
        result = self.op("get_accounts", self._t({"AccountIDs": accounts}))
        if result is None:
            return []
        if not isinstance(result, list):
            raise ProtocolError("GetAccounts answered a non-list", "get_accounts")
        return [a for a in result if isinstance(a, dict)]

    def remove_account(self, account: str) -> None:
        self._ok("remove_account", self._t({"Account": account, "ReloadScheduler": True}))

    # ----- balances -----------------------------------------------------------------------------------------

    def add_balance(
        self,
        account: str,
        balance_type: str,
        value: float,
        balance: dict[str, Any],
        *,
        overwrite: bool = False,
        extra_data: dict[str, str] | None = None,
    ) -> None:
        arg = {
            "Account": account,
            "BalanceType": balance_type,
            "Value": value,
            "Balance": balance,
            "Overwrite": overwrite,
            "Cdrlog": extra_data is not None,
            "ActionExtraData": extra_data,
        }
        self._ok("add_balance", self._t(arg))

    def set_balance(self, account: str, balance_type: str, value: float, balance: dict[str, Any]) -> None:
        arg = {"Account": account, "BalanceType": balance_type, "Value": value, "Balance": balance}
        self._ok("set_balance", self._t(arg))

    def execute_action(self, account: str, actions_id: str) -> None:
        self._ok("execute_action", self._t({"Account": account, "ActionsId": actions_id}))

    # ----- triggers -----------------------------------------------------------------------------------------

    def reset_triggers(self, account: str) -> None:
        self._ok("reset_triggers", self._t({"Account": account, "Executed": False}))

    def set_action_trigger(self, group_id: str, unique_id: str, trigger: dict[str, Any]) -> None:
        self._ok("set_action_trigger", {"GroupID": group_id, "UniqueID": unique_id, "ActionTrigger": trigger})

    def add_account_triggers(self, account: str, group_ids: list[str]) -> None:
        self._ok("add_account_triggers", self._t({"Account": account, "ActionTriggerIDs": group_ids}))

    def set_actions(self, actions_id: str, actions: list[dict[str, Any]], *, overwrite: bool = True) -> None:
        self._ok("set_actions", {"ActionsId": actions_id, "Overwrite": overwrite, "Actions": actions})

    # ----- action plans -------------------------------------------------------------------------------------

    def get_action_plan(self, plan_id: str) -> list[dict[str, Any]]:
        result = self.op("get_action_plan", {"ID": plan_id})
        return result if isinstance(result, list) else []

    def get_account_action_plans(self, account: str) -> list[dict[str, Any]]:
        result = self.op("get_account_action_plan", self._t({"Account": account}))
        if result is not None and not isinstance(result, list):
            raise ProtocolError("GetAccountActionPlan answered a non-list", "get_account_action_plan")
        return [
            p
            for p in result or []
            if isinstance(p, dict)
            and isinstance(p.get("ActionPlanId"), str)
            and isinstance(p.get("NextExecTime"), str | None)
        ]

    def remove_action_plan(self, plan_id: str) -> None:
        self._ok("remove_action_plan", self._t({"ID": plan_id}))
        self.reload_scheduler()  # RemoveActionPlan has no ReloadScheduler (§5.6)

    def detach_action_plan(self, account: str, plan_id: str) -> None:
        arg = {"ActionPlanId": plan_id, "Account": account, "ReloadScheduler": True}
        self._ok("remove_action_timing", self._t(arg))

    def reload_scheduler(self) -> None:
        self._ok("reload_scheduler", {})

    # ----- usage --------------------------------------------------------------------------------------------

    def process_cdr(self, cdr: dict[str, Any]) -> bool:
        """Post one usage record; False when CGRateS already had it (``EXISTS``, §9)."""
        try:
            self._ok("process_cdr", self._t(cdr))
        except Exists:
            return False
        return True

    def get_cdrs(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            result = self.op("get_cdrs", self._t(filters))
        except NotFound:
            return []
        return [c for c in result or [] if isinstance(c, dict)]

    def ping(self) -> bool:
        return bool(self.op("ping", {}) == "Pong")
