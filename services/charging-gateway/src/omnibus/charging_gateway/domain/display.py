"""Service-view enrichment of live CGRateS data (charging.md §2.2, §2.3, §4.1, §5.2, §10; D77-D80).

Pure: the live Account JSON and plan list in, the ``cgrates`` block of ``GET /crm/service/{id}`` out. CGRateS
fields pass through unchanged; ``custom_*`` fields, ``remaining_percent``/``band`` and ``totals`` are added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from omnibus.charging_gateway.domain.naming import parse_action_plan_id
from omnibus.charging_gateway.domain.signals import ZERO, parse_time

GIB = 1024**3
VOICE_MINUTE_NS = 60 * 10**9
GROUPS = {"*data": "Data", "*voice": "Voice", "*sms": "SMS", "*mms": "MMS", "*monetary": "Credit", "*generic": "Other"}


def human_name(balance_id: str) -> str:
    """``DATA_20GB_Monthly`` -> ``Data 20GB Monthly``."""
    words = [w for w in balance_id.replace("-", "_").split("_") if w]
    return " ".join(w if any(c.isdigit() for c in w) or w.isupper() and len(w) <= 3 else w.capitalize() for w in words)


def relative(when: datetime, now: datetime) -> str:
    """ "today", "tomorrow", "in 11 days" (within 30 days), else "15 Jan 2025"; past: "expired"/"N days ago"."""
    days = (when.date() - now.date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if 1 < days <= 30:
        return f"in {days} days"
    if -30 <= days < 0:
        return "yesterday" if days == -1 else f"{-days} days ago"
    return f"{when.day} {when.strftime('%b %Y')}"


def amount(balance_type: str, value: float, divisor: int) -> str:
    if balance_type == "*data":
        gb = value / GIB
        return f"{gb / 1024:g} TB" if gb >= 1024 else f"{round(gb, 2):g} GB"
    if balance_type == "*voice":
        return f"{round(value / VOICE_MINUTE_NS, 2):g} minutes"
    if balance_type in ("*sms", "*mms"):
        return f"{value:g} {balance_type[1:].upper()}"
    if balance_type == "*monetary":
        return f"${value / divisor:,.2f}"
    return f"{value:g} units"


def _initial(balance_id: str, balance_type: str) -> float | None:
    """The bundle size read from the balance ID ("DATA_20GB" -> 20 GiB, "monthly_voice_500min", "sms_250")."""
    import re

    text = balance_id.lower()
    if balance_type == "*data":
        m = re.search(r"(\d+(?:\.\d+)?)\s*(tb|gb|mb)", text)
        if m:
            scale = {"tb": 1024**4, "gb": GIB, "mb": 1024**2}[m.group(2)]
            return float(m.group(1)) * scale
    if balance_type == "*voice":
        m = re.search(r"(\d+)\s*min", text)
        if m:
            return float(m.group(1)) * VOICE_MINUTE_NS
    if balance_type in ("*sms", "*mms"):
        m = re.search(r"(?:sms|mms)_?(\d+)|(\d+)_?(?:sms|mms)", text)
        if m:
            return float(m.group(1) or m.group(2))
    return None


def band(percent: float | None) -> str | None:
    if percent is None:
        return None
    return "high" if percent > 50 else "medium" if percent >= 20 else "low"


def enrich_balance(b: dict[str, Any], balance_type: str, now: datetime, divisor: int) -> dict[str, Any]:
    out = dict(b)
    expiry_text = b.get("ExpirationDate") or b.get("ExpiryTime")
    out.setdefault("ExpiryTime", expiry_text)  # D79: both names
    out.setdefault("ExpirationDate", expiry_text)
    value = float(b.get("Value") or 0)
    expiry = parse_time(expiry_text)
    unlimited = value == 999999999 or "unlimited" in str(b.get("ID") or "").lower()  # VOICE_Unlimited (§2.2)
    out["custom_Name_hr"] = human_name(str(b.get("ID") or balance_type))
    out["custom_Expiration"] = "never" if expiry is None else relative(expiry, now)
    out["custom_Expired"] = expiry is not None and expiry < now
    out["display_group"] = GROUPS.get(balance_type, balance_type)
    initial = _initial(str(b.get("ID") or ""), balance_type)
    percent = None if not initial else max(0.0, min(100.0, round(100 * value / initial, 1)))
    if unlimited:
        out["custom_Description_String"] = "Unlimited"
    elif initial:
        out["custom_Description_String"] = (
            f"{amount(balance_type, value, divisor)} remaining of {amount(balance_type, initial, divisor)}"
        )
    else:
        word = " credit" if balance_type == "*monetary" else " remaining"
        out["custom_Description_String"] = amount(balance_type, value, divisor) + word
    out["remaining_percent"] = percent
    out["band"] = band(percent)
    return out


def balance_view(account: dict[str, Any], now: datetime, divisor: int) -> dict[str, Any]:
    """``{BalanceMap, totals}``: each type's balances sorted by Weight desc then expiry asc (D80); totals count
    live balances only (expired ones stay listed until CGRateS next changes the account)."""
    balance_map: dict[str, list[dict[str, Any]]] = {}
    totals: dict[str, dict[str, Any]] = {}
    for balance_type, balances in (account.get("BalanceMap") or {}).items():
        rows = [enrich_balance(b, balance_type, now, divisor) for b in balances or [] if isinstance(b, dict)]
        rows.sort(key=lambda r: (-float(r.get("Weight") or 0), _expiry_key(r.get("ExpirationDate"))))
        balance_map[balance_type] = rows
        live = sum(float(r.get("Value") or 0) for r in rows if not r["custom_Expired"])
        totals[balance_type] = {
            "display_group": GROUPS.get(balance_type, balance_type),
            "value": live,
            "display": amount(balance_type, live, divisor),
            "balances": len(rows),
        }
    return {"BalanceMap": balance_map, "totals": totals}


def _expiry_key(text: Any) -> str:
    return "9999" if not text or str(text).startswith("0001") else str(text)


def plan_view(plans: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """ActionPlan entries (§2.3) from ``GetAccountActionPlan`` rows."""
    out = []
    for p in plans:
        plan_id = str(p.get("ActionPlanId") or "")
        next_exec = p.get("NextExecTime")
        when = parse_time(next_exec)
        parts = parse_action_plan_id(plan_id)
        out.append(
            {
                **p,
                "NextExecTime": next_exec if next_exec != ZERO else None,
                "custom_NextExecTime_hr": None if when is None else relative(when, now),
                "ActionPlanId_split_dict": parts,
                "ActionName_hr": human_name(str(p.get("ActionsId") or "")),
                "PlanName": human_name(str(parts.get("Suffix") or parts.get("ProductName") or plan_id)),
                "ActionFrequency_hr": "Monthly" if "month" in plan_id.lower() else None,
                "product_id": parts.get("ProductID") if isinstance(parts.get("ProductID"), int) else None,
            }
        )
    return out
