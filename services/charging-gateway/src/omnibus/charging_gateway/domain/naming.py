"""OCS naming conventions (charging.md §4.7): service_uuid (D75), ActionPlan ids (D73), profile ids (D72)."""

from __future__ import annotations

import re
from typing import Any

from omnibus.charging_gateway.domain.errors import InvalidRequestError

SERVICE_UUID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def check_service_uuid(value: str) -> str:
    """D75: opaque, ``^[A-Za-z0-9_.:-]{1,64}$``, no ``__`` (it breaks ActionPlan parsing). ``:`` is refused too:
    CGRateS keys accounts as ``tenant:account`` (cgrates-reference.md §1.7)."""
    if not isinstance(value, str) or not SERVICE_UUID.match(value) or "__" in value or ":" in value:
        raise InvalidRequestError(f"invalid service_uuid {value!r}: letters, digits, _ . - only, no '__', 1-64 chars")
    return value


def parse_action_plan_id(plan_id: str) -> dict[str, Any]:
    """D73: split on ``__``, each segment at its first ``_``; ``ProductID``/``CustomerID`` cast to int.
    The last segment without a value is the suffix. Unknown formats give ``{}``."""
    if "__" not in plan_id:
        return {}
    parts: dict[str, Any] = {}
    for segment in plan_id.split("__"):
        key, sep, value = segment.partition("_")
        if not sep:
            parts.setdefault("Suffix", segment)
            continue
        if key in ("ProductID", "CustomerID"):
            try:
                parts[key] = int(value)
            except ValueError:
                parts[key] = value
        else:
            parts[key] = value
    return parts


def service_uuid_of_plan(plan_id: str) -> str | None:
    return parse_action_plan_id(plan_id).get("ServiceID")


def action_plan_id(service_uuid: str, product_id: int, customer_id: int | None, suffix: str) -> str:
    """The canonical id: ``ServiceID_{uuid}__ProductID_{id}__CustomerID_{id}__{Suffix}``."""
    parts = [f"ServiceID_{service_uuid}", f"ProductID_{product_id}"]
    if customer_id is not None:
        parts.append(f"CustomerID_{customer_id}")
    parts.append(suffix)
    return "__".join(parts)


def attribute_profile_id(service_uuid: str) -> str:
    return f"ATTR_ACCOUNT_{service_uuid}"


def filter_id(service_uuid: str) -> str:
    return f"FLTR_ACCOUNT_{service_uuid}"


def trigger_group_id(service_uuid: str) -> str:
    return f"TRG_{service_uuid}"
