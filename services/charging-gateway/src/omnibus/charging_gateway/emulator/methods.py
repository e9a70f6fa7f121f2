"""The JSON-RPC methods the emulator answers (cgrates-reference.md §11 items 1-11), by service name.

``APIerSv2`` inherits every ``APIerSv1`` method; ``ApierV1``/``ApierV2`` are aliases; ``CDRsV2`` inherits
``CDRsV1``. Emulator-only controls live under ``Emulator.*`` (never under an APIerS name).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from omnibus.charging_gateway.emulator.args import RpcError, Struct, StructList, map_bool, map_float, missing
from omnibus.charging_gateway.emulator.engine import (
    Action,
    Engine,
    Plan,
    _Run,
    action_from_v1,
    action_from_v2,
    parse_time_arg,
)
from omnibus.charging_gateway.emulator.model import BalanceFilter, Trigger
from omnibus.charging_gateway.emulator.scheduler import next_run, timing_from_args
from omnibus.charging_gateway.emulator.timeutil import (
    format_time,
    number,
    parse_go_duration,
    parse_usage,
    round_value,
)

Handler = Callable[[Engine, Any], Any]
S, L = Struct, StructList

SET_ACCOUNT_V2 = S(
    "AttrSetAccount",
    {
        "Tenant": "str",
        "Account": "str",
        "ActionPlanIDs": "strlist",
        "ActionPlansOverwrite": "bool",
        "ActionTriggerIDs": "strlist",
        "ActionTriggerOverwrite": "bool",
        "ExtraOptions": "map",
        "ReloadScheduler": "bool",
    },
)
SET_ACCOUNT_V1 = S(
    "AttrSetAccount",
    {
        "Tenant": "str",
        "Account": "str",
        "ActionPlanID": "str",
        "ActionTriggersID": "str",
        "ExtraOptions": "map",
        "ReloadScheduler": "bool",
    },
)
ACCOUNT = S("AttrGetAccount", {"Tenant": "str", "Account": "str"})
ACCOUNTS = S(
    "AttrGetAccounts",
    {"Tenant": "str", "AccountIDs": "strlist", "Offset": "int", "Limit": "int", "Filter": "boolmap"},
)
REMOVE_ACCOUNT = S("AttrRemoveAccount", {"Tenant": "str", "Account": "str", "ReloadScheduler": "bool"})
ADD_BALANCE = S(
    "AttrAddBalance",
    {
        "Tenant": "str",
        "Account": "str",
        "BalanceType": "str",
        "Value": "float",
        "Balance": "map",
        "ActionExtraData": "map",
        "Overwrite": "bool",
        "Cdrlog": "bool",
    },
)
SET_BALANCE = S(
    "AttrSetBalance",
    {
        "Tenant": "str",
        "Account": "str",
        "BalanceType": "str",
        "Value": "float",
        "Balance": "map",
        "ActionExtraData": "map",
        "Cdrlog": "bool",
    },
)
_ACTION_COMMON = {
    "Identifier": "str",
    "BalanceId": "str",
    "BalanceUuid": "str",
    "BalanceType": "str",
    "ExpiryTime": "str",
    "TimingTags": "str",
    "DestinationIds": "str",
    "RatingSubject": "str",
    "Categories": "str",
    "SharedGroups": "str",
    "ExtraParameters": "str",
    "BalanceBlocker": "str",
    "BalanceDisabled": "str",
    "Weight": "float",
}
V1_ACTION = S("V1TPAction", {**_ACTION_COMMON, "Units": "float", "Filters": "strlist", "BalanceWeight": "optfloat"})
V2_ACTION = S("TPAction", {**_ACTION_COMMON, "Units": "str", "Filters": "str", "BalanceWeight": "str"})
SET_ACTIONS_V1 = S("V1AttrSetActions", {"ActionsId": "str", "Overwrite": "bool", "Actions": L(V1_ACTION)})
SET_ACTIONS_V2 = S("AttrSetActions", {"ActionsId": "str", "Overwrite": "bool", "Actions": L(V2_ACTION)})
GET_ACTIONS_V2 = S("AttrGetActions", {"ActionIDs": "strlist", "Offset": "int", "Limit": "int"})
REMOVE_ACTIONS = S("AttrRemoveActions", {"ActionIDs": "strlist"})
EXECUTE_ACTION = S("AttrExecuteAction", {"Tenant": "str", "Account": "str", "ActionsId": "str"})
PLAN_ITEM = S(
    "AttrActionPlan",
    {
        "ActionsId": "str",
        "TimingID": "str",
        "Years": "str",
        "Months": "str",
        "MonthDays": "str",
        "WeekDays": "str",
        "Time": "str",
        "Weight": "float",
    },
)
SET_ACTION_PLAN = S(
    "AttrSetActionPlan",
    {"Id": "str", "ActionPlan": L(PLAN_ITEM), "Overwrite": "bool", "ReloadScheduler": "bool"},
)
GET_ACTION_PLAN = S("AttrGetActionPlan", {"ID": "str"})
PLAN_IDS = S("AttrGetActionPlanIDs", {"Tenant": "str", "Search": "str", "Limit": "int", "Offset": "int"})
REMOVE_TIMING = S(
    "AttrRemoveActionTiming",
    {
        "ActionPlanId": "str",
        "ActionTimingId": "str",
        "Tenant": "str",
        "Account": "str",
        "ReloadScheduler": "bool",
    },
)
SCHEDULED = S(
    "AttrsGetScheduledActions",
    {"Tenant": "str", "Account": "str", "TimeStart": "str", "TimeEnd": "str", "Limit": "int", "Offset": "int"},
)
EXTERNAL_CDR = S(
    "ExternalCDR",
    {
        "CGRID": "str",
        "RunID": "str",
        "OrderID": "int",
        "OriginHost": "str",
        "Source": "str",
        "OriginID": "str",
        "ToR": "str",
        "RequestType": "str",
        "Tenant": "str",
        "Category": "str",
        "Account": "str",
        "Subject": "str",
        "Destination": "str",
        "SetupTime": "str",
        "AnswerTime": "str",
        "Usage": "str",
        "ExtraFields": "strmap",
        "CostSource": "str",
        "Cost": "float",
        "CostDetails": "str",
        "ExtraInfo": "str",
        "PreRated": "bool",
    },
)
USAGE_RECORD = S(
    "UsageRecordWithAPIOpts",
    {
        "ToR": "str",
        "RequestType": "str",
        "Tenant": "str",
        "Category": "str",
        "Account": "str",
        "Subject": "str",
        "Destination": "str",
        "SetupTime": "str",
        "AnswerTime": "str",
        "Usage": "str",
        "ExtraFields": "strmap",
    },
)
_LISTS = (
    "CGRIDs",
    "RunIDs",
    "OriginIDs",
    "OriginHosts",
    "Sources",
    "ToRs",
    "RequestTypes",
    "Tenants",
    "Categories",
    "Accounts",
    "Subjects",
    "DestinationPrefixes",
)
CDR_FILTER = S(
    "RPCCDRsFilterWithAPIOpts",
    {
        **dict.fromkeys(_LISTS, "strlist"),
        **{f"Not{name}": "strlist" for name in _LISTS},
        "ExtraFields": "strmap",
        "NotExtraFields": "strmap",
        "SetupTimeStart": "str",
        "SetupTimeEnd": "str",
        "AnswerTimeStart": "str",
        "AnswerTimeEnd": "str",
        "MinUsage": "str",
        "MaxUsage": "str",
        "OrderBy": "str",
        "Limit": "int",
        "Offset": "int",
        "Tenant": "str",
    },
)
SET_TRIGGER = S("AttrSetActionTrigger", {"GroupID": "str", "UniqueID": "str", "ActionTrigger": "map"})
GET_TRIGGERS = S("AttrGetActionTriggers", {"GroupIDs": "strlist"})
REMOVE_TRIGGER = S("AttrRemoveActionTrigger", {"GroupID": "str", "UniqueID": "str"})
ADD_ACCOUNT_TRIGGERS = S(
    "AttrAddAccountActionTriggers",
    {
        "Tenant": "str",
        "Account": "str",
        "ActionTriggerIDs": "strlist",
        "ActionTriggerOverwrite": "bool",
        "ActivationDate": "str",
        "Executed": "bool",
    },
)
SET_ACCOUNT_TRIGGERS = S(
    "AttrSetAccountActionTriggers",
    {"Tenant": "str", "Account": "str", "GroupID": "str", "UniqueID": "str", "ActionTrigger": "map"},
)
RESET_ACCOUNT_TRIGGERS = S(
    "AttrResetAccountActionTriggers",
    {"Tenant": "str", "Account": "str", "GroupID": "str", "UniqueID": "str", "Executed": "bool"},
)
REMOVE_ACCOUNT_TRIGGERS = S(
    "AttrRemoveAccountActionTriggers", {"Tenant": "str", "Account": "str", "GroupID": "str", "UniqueID": "str"}
)
SET_DESTINATION = S("AttrSetDestination", {"Id": "str", "Prefixes": "strlist", "Overwrite": "bool"})
ADVANCE = S("AttrAdvanceClock", {"Duration": "str", "To": "str"})
SET_CLOCK = S("AttrSetClock", {"Time": "str"})
SET_PRICE = S("AttrSetPrice", {"ToR": "str", "Price": "float"})
SET_POSTER = S("AttrSetPoster", {"Mode": "str"})


# ----- accounts ---------------------------------------------------------------------------------------------


def set_account_v2(e: Engine, raw: Any) -> str:
    args = SET_ACCOUNT_V2.decode(raw)
    missing(args, "Account")
    return e.set_account_v2(args)


def set_account_v1(e: Engine, raw: Any) -> str:
    args = SET_ACCOUNT_V1.decode(raw)
    missing(args, "Account")
    return e.set_account_v1(args)


def get_account_v2(e: Engine, raw: Any) -> dict[str, Any]:
    args = ACCOUNT.decode(raw)
    missing(args, "Account")
    return dict(e.locked(lambda: e.get_account(e.tenant(args), args["Account"]).to_json()))


def get_account_v1(e: Engine, raw: Any) -> dict[str, Any]:
    args = ACCOUNT.decode(raw)
    missing(args, "Account")
    return dict(e.locked(lambda: e.get_account(e.tenant(args), args["Account"]).to_v1_json()))


def _accounts(e: Engine, raw: Any, *, v2: bool) -> list[dict[str, Any]] | None:
    args = ACCOUNTS.decode(raw)
    tenant = e.tenant(args)

    def run() -> list[dict[str, Any]] | None:
        if args["AccountIDs"]:
            ids = [i for i in args["AccountIDs"] if i]
            if not ids:
                return None
            found = [e.accounts[f"{tenant}:{i}"] for i in ids if f"{tenant}:{i}" in e.accounts]
        else:
            found = [a for a in e.accounts.values() if a.tenant == tenant]
            if not found:
                return None
        for name, attr in (("AllowNegative", "allow_negative"), ("Disabled", "disabled")):
            if name in args["Filter"]:
                found = [a for a in found if getattr(a, attr) == args["Filter"][name]]
        offset, limit = args["Offset"], args["Limit"]
        if v2:
            offset = min(max(offset, 0), len(found))
        found = found[offset:]
        if limit:
            found = found[:limit]
        return [a.to_json() if v2 else a.to_v1_json() for a in found]

    result: list[dict[str, Any]] | None = e.locked(run)
    return result


def get_accounts_v2(e: Engine, raw: Any) -> list[dict[str, Any]] | None:
    return _accounts(e, raw, v2=True)


def get_accounts_v1(e: Engine, raw: Any) -> list[dict[str, Any]] | None:
    return _accounts(e, raw, v2=False)


def accounts_count_v1(e: Engine, raw: Any) -> int:
    tenant = e.tenant(ACCOUNTS.decode(raw))
    return int(e.locked(lambda: sum(1 for a in e.accounts.values() if a.tenant == tenant)))


def accounts_count_v2(e: Engine, raw: Any) -> int:
    count = accounts_count_v1(e, raw)
    if count == 0:
        raise RpcError("NOT_FOUND")
    return count


def remove_account(e: Engine, raw: Any) -> str:
    args = REMOVE_ACCOUNT.decode(raw)
    missing(args, "Account")
    return e.remove_account(args)


# ----- balances ---------------------------------------------------------------------------------------------


def _balance_call(e: Engine, args: dict[str, Any], kind: str, *, create: bool = True) -> str:
    tenant = e.tenant(args)
    missing(args, "Account", "BalanceType")
    value = args["Value"]
    balance = dict(args["Balance"])
    now = e.now()
    BalanceFilter.from_map(balance, args["BalanceType"], now)  # validates times and numbers first
    actions = [Action(type=kind, weight=0, balance=balance, balance_type=args["BalanceType"], units=value or None)]
    if args.get("Cdrlog"):
        actions.append(Action(type="*cdrlog", weight=-1))

    def run() -> str:
        key = f"{tenant}:{args['Account']}"
        if not create and key not in e.accounts:
            raise RpcError("NOT_FOUND")
        e.run_actions(key, actions, _Run(extra_data=dict(args.get("ActionExtraData") or {})))
        return "OK"

    return str(e.locked(run))


def add_balance(e: Engine, raw: Any) -> str:
    args = ADD_BALANCE.decode(raw)
    return _balance_call(e, args, "*topup_reset" if args["Overwrite"] else "*topup")


def debit_balance(e: Engine, raw: Any) -> str:
    args = ADD_BALANCE.decode(raw)
    return _balance_call(e, args, "*debit_reset" if args["Overwrite"] else "*debit")


def set_balance(e: Engine, raw: Any) -> str:
    args = SET_BALANCE.decode(raw)
    balance = args["Balance"]
    if not balance.get("ID") and not balance.get("UUID"):
        missing(args, "Account", "BalanceType")
        raise RpcError("MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]")
    return _balance_call(e, args, "*set_balance")


def remove_balances(e: Engine, raw: Any) -> str:
    args = SET_BALANCE.decode(raw)
    missing(args, "Tenant", "Account", "BalanceType")
    return _balance_call(e, {**args, "Cdrlog": False}, "*remove_balance", create=False)


# ----- actions ----------------------------------------------------------------------------------------------


def _set_actions(e: Engine, raw: Any, *, v2: bool) -> str:
    args = (SET_ACTIONS_V2 if v2 else SET_ACTIONS_V1).decode(raw)
    missing(args, "ActionsId", "Actions")
    now = e.now()
    actions = []
    for item in args["Actions"]:
        if item is None or not item["Identifier"]:
            raise RpcError(f"MANDATORY_IE_MISSING:Action:{(item or {}).get('Identifier', '')}:[Identifier]")
        if v2 and item["BalanceType"] and not item["Units"]:
            raise RpcError(f"MANDATORY_IE_MISSING:Action:{item['Identifier']}:[Units]")
        if item["ExpiryTime"]:
            parse_time_arg(item["ExpiryTime"], now)
        actions.append(action_from_v2(item, now) if v2 else action_from_v1(item, now))

    def run() -> str:
        if args["ActionsId"] in e.actions and not args["Overwrite"]:
            raise RpcError("EXISTS")
        e.actions[args["ActionsId"]] = actions
        return "OK"

    return str(e.locked(run))


def set_actions_v1(e: Engine, raw: Any) -> str:
    return _set_actions(e, raw, v2=False)


def set_actions_v2(e: Engine, raw: Any) -> str:
    return _set_actions(e, raw, v2=True)


def _tp_action(a: Action) -> dict[str, Any]:
    raw = a.raw
    units = raw.get("Units", a.units or 0)
    weight = raw.get("BalanceWeight")
    return {
        "Identifier": a.type,
        "BalanceId": raw.get("BalanceId", ""),
        "BalanceUuid": raw.get("BalanceUuid", ""),
        "BalanceType": raw.get("BalanceType", ""),
        "Units": str(number(units)) if not isinstance(units, str) else units,
        "ExpiryTime": raw.get("ExpiryTime", ""),
        "Filters": ";".join(a.filters),
        "TimingTags": raw.get("TimingTags", ""),
        "DestinationIds": raw.get("DestinationIds", ""),
        "RatingSubject": raw.get("RatingSubject", ""),
        "Categories": raw.get("Categories", ""),
        "SharedGroups": raw.get("SharedGroups", ""),
        "BalanceWeight": "" if weight in (None, "") else str(number(float(weight))),
        "ExtraParameters": a.extra_parameters,
        "BalanceBlocker": raw.get("BalanceBlocker", ""),
        "BalanceDisabled": raw.get("BalanceDisabled", ""),
        "Weight": number(a.weight),
    }


def get_actions_v1(e: Engine, raw: Any) -> list[dict[str, Any]]:
    if raw is not None and not isinstance(raw, str):
        raise RpcError(f"json: cannot unmarshal {type(raw).__name__} into Go value of type string")
    if not raw:
        raise RpcError("MANDATORY_IE_MISSING ActionsId: ")
    actions = e.actions.get(raw)
    if actions is None:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return [_tp_action(a) for a in actions]


def _engine_action(actions_id: str, a: Action) -> dict[str, Any]:
    b = a.balance
    units = a.units
    return {
        "Id": actions_id,
        "ActionType": a.type,
        "ExtraParameters": a.extra_parameters,
        "Filters": a.filters or None,
        "ExpirationString": b.get("ExpiryTime", ""),
        "Weight": number(a.weight),
        "Balance": {
            "Uuid": b.get("UUID"),
            "ID": b.get("ID"),
            "Type": a.balance_type,
            "Value": None if units is None else {"Method": "", "Params": None, "Static": number(units)},
            "ExpirationDate": None,
            "Weight": None if b.get("Weight") is None else number(float(b["Weight"])),
            "DestinationIDs": None,
            "RatingSubject": b.get("RatingSubject"),
            "Categories": None,
            "SharedGroups": None,
            "TimingIDs": None,
            "Timings": None,
            "Disabled": map_bool(b, "Disabled"),
            "Factors": None,
            "Blocker": map_bool(b, "Blocker"),
        },
    }


def get_actions_v2(e: Engine, raw: Any) -> dict[str, list[dict[str, Any]]]:
    args = GET_ACTIONS_V2.decode(raw)
    ids = args["ActionIDs"] or sorted(e.actions)
    out = {}
    for actions_id in ids:
        if actions_id not in e.actions:
            raise RpcError("NOT_FOUND")
        out[actions_id] = [_engine_action(actions_id, a) for a in e.actions[actions_id]]
    ids_page = list(out)[args["Offset"] :]
    if args["Limit"]:
        ids_page = ids_page[: args["Limit"]]
    return {k: out[k] for k in ids_page}


def remove_actions(e: Engine, raw: Any) -> str:
    args = REMOVE_ACTIONS.decode(raw)
    if not args["ActionIDs"]:
        raise RpcError("NOT_FOUND")
    for actions_id in args["ActionIDs"]:
        e.actions.pop(actions_id, None)
    return "OK"


def execute_action(e: Engine, raw: Any) -> str:
    args = EXECUTE_ACTION.decode(raw)
    missing(args, "ActionsId")
    tenant = e.tenant(args) if args["Account"] else (args["Tenant"] or "cgrates.org")

    def run() -> str:
        actions = e.actions.get(args["ActionsId"])
        if actions is None:
            raise RpcError("NOT_FOUND")
        key = f"{tenant}:{args['Account']}" if args["Account"] else None
        e.run_actions(key, actions, _Run())
        return "OK"

    return str(e.locked(run))


# ----- action plans -----------------------------------------------------------------------------------------


def set_action_plan(e: Engine, raw: Any) -> str:
    args = SET_ACTION_PLAN.decode(raw)
    missing(args, "Id", "ActionPlan")
    now = e.now()

    def run() -> str:
        timings = []
        for item in args["ActionPlan"]:
            item = item or PLAN_ITEM.decode({})
            if not item["ActionsId"]:
                raise RpcError("MANDATORY_IE_MISSING: [ActionsId]")
            if item["ActionsId"] not in e.actions:
                raise RpcError(f"BROKEN_REFERENCE:{item['ActionsId']}")
            timings.append(timing_from_args(item, now))
        if args["Id"] in e.plans and not args["Overwrite"]:
            raise RpcError("EXISTS")
        e.plans[args["Id"]] = Plan(args["Id"], timings)  # Overwrite rebuilds it without accounts
        if args["ReloadScheduler"]:
            e._reload()
        return "OK"

    return str(e.locked(run))


def get_action_plan(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = GET_ACTION_PLAN.decode(raw)

    def run() -> list[dict[str, Any]]:
        if args["ID"] in ("", "*"):
            plans = list(e.plans.values())
        elif args["ID"] in e.plans:
            plans = [e.plans[args["ID"]]]
        else:
            raise RpcError("NOT_FOUND")
        return [
            {
                "Id": p.id,
                "AccountIDs": dict(p.account_ids) or None,
                "ActionTimings": [t.to_json() for t in p.timings],
            }
            for p in plans
        ]

    return list(e.locked(run))


def get_action_plan_ids(e: Engine, raw: Any) -> list[str]:
    args = PLAN_IDS.decode(raw)
    ids = sorted(i for i in e.plans if args["Search"] in i)
    ids = ids[args["Offset"] :]
    if args["Limit"]:
        ids = ids[: args["Limit"]]
    if not ids:
        raise RpcError("NOT_FOUND")
    return ids


def remove_action_plan(e: Engine, raw: Any) -> str:
    args = GET_ACTION_PLAN.decode(raw)
    missing(args, "ID")
    e.locked(lambda: e.plans.pop(args["ID"], None))  # no ReloadScheduler: the old plan keeps firing until reload
    return "OK"


def get_account_action_plan(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = ACCOUNT.decode(raw)
    missing(args, "Account")
    key = f"{e.tenant(args)}:{args['Account']}"

    def run() -> list[dict[str, Any]]:
        now, out = e.now(), []
        for plan in e.plans.values():
            if key not in plan.account_ids:
                continue
            for timing in plan.timings:
                at = next_run(timing, now, inclusive=False, loaded_at=now)
                out.append(
                    {
                        "ActionPlanId": plan.id,
                        "Uuid": timing.uuid,
                        "ActionsId": timing.actions_id,
                        "NextExecTime": format_time(at),
                    }
                )
        return out

    return list(e.locked(run))


def remove_action_timing(e: Engine, raw: Any) -> str:
    args = REMOVE_TIMING.decode(raw)
    missing(args, "ActionPlanId")

    def run() -> str:
        plan = e.plans.get(args["ActionPlanId"])
        if plan is None:
            raise RpcError("SERVER_ERROR: NOT_FOUND")
        if args["Account"]:
            plan.account_ids.pop(f"{e.tenant(args)}:{args['Account']}", None)
        elif args["ActionTimingId"]:
            plan.timings = [t for t in plan.timings if t.uuid != args["ActionTimingId"]]
        else:
            del e.plans[plan.id]
        if args["ReloadScheduler"]:
            e._reload()
        return "OK"

    return str(e.locked(run))


def scheduler_reload(e: Engine, raw: Any) -> str:
    return e.reload()


def get_scheduled_actions(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = SCHEDULED.decode(raw)
    now = e.now()
    start = parse_time_arg(args["TimeStart"], now) if args["TimeStart"] else None
    end = parse_time_arg(args["TimeEnd"], now) if args["TimeEnd"] else None
    key = f"{args['Tenant'] or 'cgrates.org'}:{args['Account']}" if args["Account"] else None
    rows = []
    for entry in sorted(e.queue, key=lambda q: (q.at, -q.timing.weight)):
        if key and key not in entry.accounts:
            continue
        if (start and entry.at < start) or (end and entry.at >= end):
            continue
        rows.append(
            {
                "NextRunTime": format_time(entry.at),
                "Accounts": len(entry.accounts),
                "ActionPlanID": entry.plan_id,
                "ActionTimingUUID": entry.timing.uuid,
                "ActionsID": entry.timing.actions_id,
            }
        )
    rows = rows[args["Offset"] :]
    if args["Limit"]:
        rows = rows[: args["Limit"]]
    if not rows:
        raise RpcError("NOT_FOUND")
    return rows


# ----- triggers ---------------------------------------------------------------------------------------------


def _trigger_from_map(group_id: str, unique_id: str, m: dict[str, Any], now: datetime, base: Trigger | None) -> Trigger:
    t = base.copy() if base else Trigger(group_id, unique_id or str(uuid.uuid4()), "", 0.0, "", BalanceFilter())
    if "ThresholdType" in m:
        t.threshold_type = str(m["ThresholdType"])
    if "ThresholdValue" in m:
        t.threshold_value = map_float(m, "ThresholdValue") or 0.0
    if "Recurrent" in m:
        t.recurrent = bool(map_bool(m, "Recurrent"))
    if "Executed" in m:
        t.executed = bool(map_bool(m, "Executed"))
    if "MinSleep" in m:
        sleep = m["MinSleep"]
        t.min_sleep = parse_go_duration(sleep) if isinstance(sleep, str) and sleep else int(sleep or 0)
    if "ExpirationDate" in m:
        t.expiration = parse_time_arg(str(m["ExpirationDate"]), now)
    if "ActivationDate" in m:
        t.activation = parse_time_arg(str(m["ActivationDate"]), now)
    if "ActionsID" in m:
        t.actions_id = str(m["ActionsID"])
    if "Weight" in m:
        t.weight = map_float(m, "Weight") or 0.0
    if "MinQueuedItems" in m:
        t.min_queued_items = int(m["MinQueuedItems"] or 0)
    balance_map = {
        name: m[key]
        for key, name in (
            ("BalanceID", "ID"),
            ("BalanceDestinationIds", "DestinationIDs"),
            ("BalanceWeight", "Weight"),
            ("BalanceExpirationDate", "ExpiryTime"),
            ("BalanceTimingTags", "TimingIDs"),
            ("BalanceRatingSubject", "RatingSubject"),
            ("BalanceCategories", "Categories"),
            ("BalanceSharedGroups", "SharedGroups"),
            ("BalanceBlocker", "Blocker"),
            ("BalanceDisabled", "Disabled"),
        )
        if key in m
    }
    if balance_map or "BalanceType" in m:
        old = t.balance
        fresh = BalanceFilter.from_map(balance_map, m.get("BalanceType", old.type), now)
        for name, value in vars(fresh).items():
            if value is not None and value is not False:
                setattr(old, name, value)
        t.balance = old
    t.id, t.unique_id = group_id, t.unique_id or unique_id
    return t


def set_action_trigger(e: Engine, raw: Any) -> str:
    args = SET_TRIGGER.decode(raw)
    missing(args, "GroupID")
    now = e.now()

    def run() -> str:
        group = e.trigger_groups.setdefault(args["GroupID"], [])
        existing = next((t for t in group if args["UniqueID"] and t.unique_id == args["UniqueID"]), None)
        trigger = _trigger_from_map(args["GroupID"], args["UniqueID"], args["ActionTrigger"], now, existing)
        if existing is not None:
            group[group.index(existing)] = trigger
        else:
            group.append(trigger)
        return "OK"

    return str(e.locked(run))


def get_action_triggers(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = GET_TRIGGERS.decode(raw)
    if not e.trigger_groups:
        raise RpcError("NOT_FOUND")
    ids = args["GroupIDs"] or list(e.trigger_groups)
    out = []
    for group_id in ids:
        if group_id not in e.trigger_groups:
            raise RpcError("NOT_FOUND")
        out.extend(t.to_json() for t in e.trigger_groups[group_id])
    return out


def remove_action_trigger(e: Engine, raw: Any) -> str:
    args = REMOVE_TRIGGER.decode(raw)
    missing(args, "GroupID")
    if args["UniqueID"]:
        group = e.trigger_groups.get(args["GroupID"], [])
        e.trigger_groups[args["GroupID"]] = [t for t in group if t.unique_id != args["UniqueID"]]
    else:
        e.trigger_groups.pop(args["GroupID"], None)
    return "OK"


def _mutate(e: Engine, args: dict[str, Any], change: Callable[[Any, datetime], bool], *, missing_error: str) -> str:
    """Change an account's triggers (copy, change, maybe evaluate, store) under the lock."""
    tenant = e.tenant(args)
    missing(args, "Account")

    def run() -> str:
        key = f"{tenant}:{args['Account']}"
        existing = e.accounts.get(key)
        if existing is None:
            raise RpcError(missing_error)
        acc = copy.deepcopy(existing)
        run_state = _Run()
        if change(acc, e.now()):
            for balances in acc.balance_map.values():
                for balance in balances:
                    balance.dirty = True
            e._evaluate_triggers(acc, run_state, 0)
        e.store(acc, run_state)
        return "OK"

    return str(e.locked(run))


def add_account_action_triggers(e: Engine, raw: Any) -> str:
    args = ADD_ACCOUNT_TRIGGERS.decode(raw)

    def change(acc: Any, now: datetime) -> bool:
        copies = e._trigger_copies(args["ActionTriggerIDs"])
        if args["ActionTriggerOverwrite"]:
            acc.triggers = []
        for t in copies:
            t.executed = args["Executed"]
            if args["ActivationDate"]:
                t.activation = parse_time_arg(args["ActivationDate"], now)
        e._append_triggers(acc, copies)
        return False

    return _mutate(e, args, change, missing_error="NOT_FOUND")


def set_account_action_triggers(e: Engine, raw: Any) -> str:
    args = SET_ACCOUNT_TRIGGERS.decode(raw)

    def change(acc: Any, now: datetime) -> bool:
        found = False
        for index, t in enumerate(acc.triggers):
            if (args["GroupID"] and t.id != args["GroupID"]) or (args["UniqueID"] and t.unique_id != args["UniqueID"]):
                continue
            acc.triggers[index] = _trigger_from_map(t.id, t.unique_id, args["ActionTrigger"], now, t)
            found = True
        if not found:
            m = args["ActionTrigger"]
            if not args["GroupID"] or "ThresholdType" not in m or "ThresholdValue" not in m:
                raise RpcError("MANDATORY_IE_MISSING: [GroupID ThresholdType ThresholdValue]")
            acc.triggers.append(_trigger_from_map(args["GroupID"], args["UniqueID"], m, now, None))
        return True

    return _mutate(e, args, change, missing_error="NOT_FOUND")


def reset_account_action_triggers(e: Engine, raw: Any) -> str:
    args = RESET_ACCOUNT_TRIGGERS.decode(raw)

    def change(acc: Any, now: datetime) -> bool:
        for t in acc.triggers:
            if (args["GroupID"] and t.id != args["GroupID"]) or (args["UniqueID"] and t.unique_id != args["UniqueID"]):
                continue
            t.executed = args["Executed"]
        return not args["Executed"]

    return _mutate(e, args, change, missing_error="NOT_FOUND")


def remove_account_action_triggers(e: Engine, raw: Any) -> str:
    args = REMOVE_ACCOUNT_TRIGGERS.decode(raw)

    def change(acc: Any, now: datetime) -> bool:
        acc.triggers = [
            t
            for t in acc.triggers
            if not (
                (not args["GroupID"] or t.id == args["GroupID"])
                and (not args["UniqueID"] or t.unique_id == args["UniqueID"])
            )
        ]
        return False

    return _mutate(e, args, change, missing_error="NOT_FOUND")


def get_account_action_triggers(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = ACCOUNT.decode(raw)
    missing(args, "Account")
    key = f"{e.tenant(args)}:{args['Account']}"
    acc = e.accounts.get(key)
    if acc is None:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return [t.to_json() for t in acc.triggers]


# ----- CDRs and usage ---------------------------------------------------------------------------------------


def _usage_text(tor: str, usage: int) -> str:
    if tor == "*voice":
        return _go_duration(usage)
    return str(usage)


def _go_duration(ns: int) -> str:
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = rest / 10**9
    text = ""
    if hours:
        text += f"{hours}h"
    if hours or minutes:
        text += f"{minutes}m"
    text += f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"
    return sign + text


def process_external_cdr(e: Engine, raw: Any) -> str:
    args = EXTERNAL_CDR.decode(raw)
    now = e.now()
    tenant = args["Tenant"] or "cgrates.org"
    tor = args["ToR"] or "*voice"
    request_type = args["RequestType"] or "*rated"
    setup = parse_time_arg(args["SetupTime"], now) if args["SetupTime"] else None
    answer = parse_time_arg(args["AnswerTime"], now) if args["AnswerTime"] else None
    try:
        usage = parse_usage(args["Usage"])
    except ValueError as error:
        raise RpcError(str(error)) from None
    cgrid = args["CGRID"] or hashlib.sha1((args["OriginID"] + args["OriginHost"]).encode()).hexdigest()
    run_id = args["RunID"] or "*default"

    def run() -> str:
        if any(c["CGRID"] == cgrid and c["RunID"] == run_id for c in e.cdrs):
            raise RpcError("EXISTS")
        cdr: dict[str, Any] = {
            "CGRID": cgrid,
            "RunID": run_id,
            "OrderID": 0,
            "OriginHost": args["OriginHost"],
            "Source": args["Source"],
            "OriginID": args["OriginID"],
            "ToR": tor,
            "RequestType": request_type,
            "Tenant": tenant,
            "Category": args["Category"] or "call",
            "Account": args["Account"],
            "Subject": args["Subject"] or args["Account"],
            "Destination": args["Destination"],
            "SetupTime": format_time(setup),
            "AnswerTime": format_time(answer),
            "Usage": usage,
            "ExtraFields": dict(args["ExtraFields"]),
            "ExtraInfo": "",
            "Partial": False,
            "PreRated": args["PreRated"],
            "CostSource": "*cdrs",
            "Cost": -1,
            "CostDetails": None,
        }
        if request_type in ("*prepaid", "*pseudoprepaid", "*postpaid", "*dynaprepaid"):
            try:
                cost, acc = e.debit_usage(
                    f"{tenant}:{args['Account']}", tor, usage, cdr["Category"], args["Destination"], answer or now
                )
                run_state = _Run()
                e._evaluate_triggers(acc, run_state, 0)
                acc.clean_expired(e.now())
                e.store(acc, run_state)
                cdr["Cost"] = number(round_value(cost))
            except RpcError as error:  # stored with Cost -1 and the error; the call still answers OK
                cdr["ExtraInfo"] = str(error)
        elif request_type == "*rated":
            price = e.prices.get(tor)
            cdr["Cost"] = number(round_value(usage * price)) if price is not None else -1
            if price is None:
                cdr["ExtraInfo"] = "RATING_PLAN_NOT_FOUND"
        e.store_cdr(cdr)
        return "OK"

    return str(e.locked(run))


def debit_usage(e: Engine, raw: Any) -> str:
    args = USAGE_RECORD.decode(raw)
    missing(args, "Account", "Destination", "Usage")
    now = e.now()
    tenant = e.tenant(args)
    try:
        usage = parse_usage(args["Usage"])
    except ValueError as error:
        raise RpcError(str(error)) from None
    answer = parse_time_arg(args["AnswerTime"], now) if args["AnswerTime"] else now

    def run() -> str:
        try:
            _, acc = e.debit_usage(
                f"{tenant}:{args['Account']}",
                args["ToR"] or "*voice",
                usage,
                args["Category"] or "call",
                args["Destination"],
                answer or now,
            )
        except RpcError as error:
            raise RpcError(f"SERVER_ERROR: {error}") from None
        run_state = _Run()
        e._evaluate_triggers(acc, run_state, 0)
        acc.clean_expired(e.now())
        e.store(acc, run_state)
        return "OK"

    return str(e.locked(run))


def _cdr_rows(e: Engine, raw: Any) -> list[dict[str, Any]]:
    args = CDR_FILTER.decode(raw)
    now = e.now()
    rows = list(e.cdrs)
    fields = {
        "CGRIDs": "CGRID",
        "RunIDs": "RunID",
        "OriginIDs": "OriginID",
        "OriginHosts": "OriginHost",
        "Sources": "Source",
        "ToRs": "ToR",
        "RequestTypes": "RequestType",
        "Tenants": "Tenant",
        "Categories": "Category",
        "Accounts": "Account",
        "Subjects": "Subject",
    }
    for arg, name in fields.items():
        if args[arg]:
            rows = [r for r in rows if r[name] in args[arg]]
        if args[f"Not{arg}"]:
            rows = [r for r in rows if r[name] not in args[f"Not{arg}"]]
    if args["DestinationPrefixes"]:
        rows = [r for r in rows if any(r["Destination"].startswith(p) for p in args["DestinationPrefixes"])]
    for key, value in args["ExtraFields"].items():
        rows = [r for r in rows if r["ExtraFields"].get(key) == value]
    for key, value in args["NotExtraFields"].items():
        rows = [r for r in rows if r["ExtraFields"].get(key) != value]
    for name, column in (("SetupTime", "SetupTime"), ("AnswerTime", "AnswerTime")):
        start, end = args[f"{name}Start"], args[f"{name}End"]
        if start:
            since = format_time(parse_time_arg(start, now))
            rows = [r for r in rows if r[column] >= since]
        if end:
            until = format_time(parse_time_arg(end, now))
            rows = [r for r in rows if r[column] < until]
    if args["MinUsage"]:
        rows = [r for r in rows if r["Usage"] >= parse_usage(args["MinUsage"])]
    if args["MaxUsage"]:
        rows = [r for r in rows if r["Usage"] < parse_usage(args["MaxUsage"])]
    if args["OrderBy"]:
        column, _, direction = args["OrderBy"].partition(";")
        if column not in ("OrderID", "AnswerTime", "SetupTime", "Usage", "Cost"):
            raise RpcError(f"SERVER_ERROR: invalid OrderBy {column}")
        rows.sort(key=lambda r: r[column], reverse=direction == "desc")
    rows = rows[args["Offset"] :]
    if args["Limit"]:
        rows = rows[: args["Limit"]]
    return [dict(r, ExtraFields=dict(r["ExtraFields"])) for r in rows]


def get_cdrs_v1(e: Engine, raw: Any) -> list[dict[str, Any]]:
    rows = e.locked(lambda: _cdr_rows(e, raw))
    if not rows:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return list(rows)


def get_cdrs_count(e: Engine, raw: Any) -> int:
    return len(e.locked(lambda: _cdr_rows(e, {**(raw or {}), "Limit": 0, "Offset": 0})))


def get_cdrs_external(e: Engine, raw: Any) -> list[dict[str, Any]]:
    rows = e.locked(lambda: _cdr_rows(e, raw))
    if not rows:
        raise RpcError("NOT_FOUND")
    out = []
    for r in rows:
        ext = {k: v for k, v in r.items() if k != "Partial"}
        ext["Usage"] = _usage_text(r["ToR"], r["Usage"])
        ext["CostDetails"] = ""
        out.append(ext)
    return out


def set_destination(e: Engine, raw: Any) -> str:
    args = SET_DESTINATION.decode(raw)
    missing(args, "Id", "Prefixes")
    if args["Id"] in e.destinations and not args["Overwrite"]:
        raise RpcError("EXISTS")
    e.destinations[args["Id"]] = list(args["Prefixes"])
    return "OK"


# ----- health and emulator controls -------------------------------------------------------------------------


def ping(e: Engine, raw: Any) -> str:
    return "Pong"


def status(e: Engine, raw: Any) -> dict[str, Any]:
    return {
        "node_id": "omnibus-cgrates-emulator",
        "version": "CGRateS@v0.10.2 (emulated)",
        "goroutines": 1,
        "running_since": format_time(e.now()),
        "go_version": "emulator",
    }


def advance_clock(e: Engine, raw: Any) -> dict[str, Any]:
    args = ADVANCE.decode(raw)
    now = e.now()
    if args["To"]:
        until = parse_time_arg(args["To"], now)
        if until is None:
            raise RpcError("Unsupported time format")
    elif args["Duration"]:
        try:
            until = now + timedelta(microseconds=parse_go_duration(args["Duration"]) / 1000)
        except ValueError as error:
            raise RpcError(str(error)) from None
    else:
        raise RpcError("MANDATORY_IE_MISSING: [Duration]")
    if until < now:
        raise RpcError("SERVER_ERROR: the clock cannot go back")
    runs = e.advance_to(until)
    return {"Now": format_time(e.now()), "Runs": runs}


def set_clock(e: Engine, raw: Any) -> str:
    args = SET_CLOCK.decode(raw)
    missing(args, "Time")
    when = parse_time_arg(args["Time"], e.now())
    if when is None:
        raise RpcError("Unsupported time format")
    e.locked(lambda: e.clock.set(when))
    return "OK"


def emulator_now(e: Engine, raw: Any) -> str:
    return format_time(e.now())


def webhooks(e: Engine, raw: Any) -> list[dict[str, Any]]:
    return [d.to_json() for d in e.deliveries_view()]


def executions(e: Engine, raw: Any) -> list[dict[str, Any]]:
    return list(e.executions)


def reset(e: Engine, raw: Any) -> str:
    e.reset()
    return "OK"


def set_price(e: Engine, raw: Any) -> str:
    args = SET_PRICE.decode(raw)
    missing(args, "ToR")
    e.prices[args["ToR"]] = args["Price"]
    return "OK"


def set_poster(e: Engine, raw: Any) -> str:
    """``{"Mode": "deliver"|"fail"}``: make every ``*http_post`` fail (a CRM that missed its callbacks)."""
    args = SET_POSTER.decode(raw)
    if args["Mode"] not in ("deliver", "fail"):
        raise RpcError("SERVER_ERROR: Mode must be deliver or fail")
    e.failing_posts = args["Mode"] == "fail"
    return "OK"


APIER_V1: dict[str, Handler] = {
    "SetAccount": set_account_v1,
    "GetAccount": get_account_v1,
    "GetAccounts": get_accounts_v1,
    "GetAccountsCount": accounts_count_v1,
    "RemoveAccount": remove_account,
    "AddBalance": add_balance,
    "DebitBalance": debit_balance,
    "SetBalance": set_balance,
    "RemoveBalances": remove_balances,
    "SetActions": set_actions_v1,
    "GetActions": get_actions_v1,
    "RemoveActions": remove_actions,
    "ExecuteAction": execute_action,
    "SetActionPlan": set_action_plan,
    "GetActionPlan": get_action_plan,
    "GetActionPlanIDs": get_action_plan_ids,
    "RemoveActionPlan": remove_action_plan,
    "GetAccountActionPlan": get_account_action_plan,
    "RemoveActionTiming": remove_action_timing,
    "GetScheduledActions": get_scheduled_actions,
    "SetActionTrigger": set_action_trigger,
    "GetActionTriggers": get_action_triggers,
    "RemoveActionTrigger": remove_action_trigger,
    "AddAccountActionTriggers": add_account_action_triggers,
    "SetAccountActionTriggers": set_account_action_triggers,
    "ResetAccountActionTriggers": reset_account_action_triggers,
    "RemoveAccountActionTriggers": remove_account_action_triggers,
    "GetAccountActionTriggers": get_account_action_triggers,
    "DebitUsage": debit_usage,
    "GetCDRs": get_cdrs_external,
    "SetDestination": set_destination,
    "Ping": ping,
}
APIER_V2: dict[str, Handler] = {
    **APIER_V1,
    "SetAccount": set_account_v2,
    "GetAccount": get_account_v2,
    "GetAccounts": get_accounts_v2,
    "GetAccountsCount": accounts_count_v2,
    "SetActions": set_actions_v2,
    "GetActions": get_actions_v2,
    "GetCDRs": get_cdrs_external,
    "CountCDRs": get_cdrs_count,
}
CDRS_V1: dict[str, Handler] = {
    "ProcessExternalCDR": process_external_cdr,
    "GetCDRs": get_cdrs_v1,
    "GetCDRsCount": get_cdrs_count,
    "Ping": ping,
}
SERVICES: dict[str, dict[str, Handler]] = {
    "APIerSv1": APIER_V1,
    "APIerSv2": APIER_V2,
    "CDRsV1": CDRS_V1,
    "CDRsV2": CDRS_V1,
    "SchedulerSv1": {"Reload": scheduler_reload, "Ping": ping},
    "CoreSv1": {"Ping": ping, "Status": status},
    "Responder": {"Ping": ping},
    "Emulator": {
        "AdvanceClock": advance_clock,
        "SetClock": set_clock,
        "Now": emulator_now,
        "Webhooks": webhooks,
        "Executions": executions,
        "Reset": reset,
        "SetPrice": set_price,
        "SetPoster": set_poster,
        "Ping": ping,
    },
    **{name: {"Ping": ping} for name in ("ThresholdSv1", "AttributeSv1", "ChargerSv1", "CacheSv1", "SessionSv1")},
}
ALIASES = {"ApierV1": "APIerSv1", "ApierV2": "APIerSv2"}


def resolve(method: str) -> Handler:
    """The handler of ``"Service.Method"``, or the net/rpc error string."""
    service, dot, name = method.rpartition(".")
    if not dot or not service or not name:
        raise RpcError(f"rpc: service/method request ill-formed: {method}")
    table = SERVICES.get(ALIASES.get(service, service))
    if table is None:
        raise RpcError(f"rpc: can't find service {method}")
    handler = table.get(name)
    if handler is None:
        raise RpcError(f"rpc: can't find method {method}")
    return handler
