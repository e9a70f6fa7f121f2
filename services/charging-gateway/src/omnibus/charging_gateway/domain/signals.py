"""Balance signals read from a CGRateS Account JSON (cgrates-reference.md §3.1, §6): the same function serves the
``*http_post`` callback and the reconciler's poll, so both name a firing with the same key and never duplicate it.

- A trigger that fired carries ``LastExecutionTime``; its key is ``trigger:<UniqueID>@<LastExecutionTime>``, so a
  re-armed trigger that fires again is a new signal, and the same firing seen twice is one.
- ``*min_balance`` with a threshold above 0 is "low", at or below 0 "depleted"; ``*balance_expired`` is "expired".
- An expired balance still listed (CGRateS keeps it until the next change, §4.7) is "expired", keyed by its Uuid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from omnibus.charging_gateway.domain.errors import InvalidRequestError

ZERO = "0001-01-01T00:00:00Z"


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text or text.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def account_name(account: dict[str, Any]) -> tuple[str, str]:
    """``(tenant, service_uuid)`` from the Account JSON ``ID`` (``"tenant:account"``)."""
    ident = account.get("ID")
    if not isinstance(ident, str) or ":" not in ident:
        raise InvalidRequestError("the account JSON has no ID of the form tenant:account")
    tenant, _, name = ident.rpartition(":")
    if tenant.startswith("*out:"):
        tenant = tenant[len("*out:") :]
    return tenant, name


def check_account_json(account: Any) -> dict[str, Any]:
    """Validate the parts of an Account JSON the gateway reads; anything malformed is refused."""
    if not isinstance(account, dict):
        raise InvalidRequestError("account JSON must be an object")
    account_name(account)
    balance_map = account.get("BalanceMap")
    if balance_map is not None and not isinstance(balance_map, dict):
        raise InvalidRequestError("BalanceMap must be an object or null")
    for balance_type, balances in (balance_map or {}).items():
        if balances is None:
            continue
        if not isinstance(balances, list):
            raise InvalidRequestError(f"BalanceMap[{balance_type}] must be a list")
        for b in balances:
            if not isinstance(b, dict) or not isinstance(b.get("Value", 0), int | float):
                raise InvalidRequestError(f"BalanceMap[{balance_type}] holds a malformed balance")
    triggers = account.get("ActionTriggers")
    if triggers is not None and (not isinstance(triggers, list) or not all(isinstance(t, dict) for t in triggers)):
        raise InvalidRequestError("ActionTriggers must be a list of objects or null")
    return account


def _balances(account: dict[str, Any], balance_type: str) -> list[dict[str, Any]]:
    return [b for b in (account.get("BalanceMap") or {}).get(balance_type) or [] if isinstance(b, dict)]


def trigger_signals(account: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for trigger in account.get("ActionTriggers") or []:
        fired = trigger.get("LastExecutionTime")
        if parse_time(fired) is None:
            continue
        kind_of = trigger.get("ThresholdType")
        threshold = trigger.get("ThresholdValue")
        threshold = float(threshold) if isinstance(threshold, int | float) else None
        if kind_of == "*balance_expired":
            kind = "expired"
        elif kind_of == "*min_balance":
            kind = "depleted" if threshold is not None and threshold <= 0 else "low"
        else:
            continue
        balance_filter = trigger.get("Balance") or {}
        balance_type = str(balance_filter.get("Type") or "")
        balance_id = str(balance_filter.get("ID") or "")
        matching = [b for b in _balances(account, balance_type) if not balance_id or b.get("ID") == balance_id]
        value = sum(float(b.get("Value") or 0) for b in matching) if matching else None
        expiry = next((b.get("ExpirationDate") for b in matching if b.get("ExpirationDate") != ZERO), None)
        out.append(
            {
                "kind": kind,
                "signal_key": f"trigger:{trigger.get('UniqueID') or trigger.get('ID')}@{fired}",
                "balance_type": balance_type,
                "balance_id": balance_id,
                "value": value,
                "threshold": threshold,
                "expiry": expiry,
            }
        )
    return out


def expired_balance_signals(account: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    out = []
    for balance_type, balances in (account.get("BalanceMap") or {}).items():
        for b in balances or []:
            expiry = parse_time(b.get("ExpirationDate"))
            if expiry is None or expiry >= now:
                continue
            out.append(
                {
                    "kind": "expired",
                    "signal_key": f"balance:{b.get('Uuid') or b.get('ID')}@{b.get('ExpirationDate')}",
                    "balance_type": balance_type,
                    "balance_id": str(b.get("ID") or ""),
                    "value": float(b.get("Value") or 0),
                    "threshold": None,
                    "expiry": b.get("ExpirationDate"),
                }
            )
    return out


def simple_signal(body: dict[str, Any]) -> dict[str, Any]:
    """The D81 notify body ``{account, event: low|out|expired, balance_type, value, ...}``; keyed by its
    ``event_id`` when given, else by its content (a repeated identical post is one signal)."""
    kinds = {"low": "low", "out": "depleted", "depleted": "depleted", "expired": "expired"}
    kind = kinds.get(str(body.get("event")))
    if kind is None:
        raise InvalidRequestError("event must be low, out or expired")
    value = body.get("value")
    if value is not None and not isinstance(value, int | float):
        raise InvalidRequestError("value must be a number")
    balance_type = str(body.get("balance_type") or "")
    key = body.get("event_id") or f"{kind}:{balance_type}:{body.get('balance_id') or ''}:{value}:{body.get('at') or ''}"
    return {
        "kind": kind,
        "signal_key": f"notify:{key}",
        "balance_type": balance_type,
        "balance_id": str(body.get("balance_id") or ""),
        "value": None if value is None else float(value),
        "threshold": body.get("threshold") if isinstance(body.get("threshold"), int | float) else None,
        "expiry": body.get("expiry") if isinstance(body.get("expiry"), str) else None,
    }
