"""Offer rules (catalog.md §5.1, D39, D55, D57): which products may be offered to a customer or a service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

NEW_SERVICE_CATEGORIES = ("standalone", "bundle", "promo")  # promo is sold on its own (D55)


@dataclass(frozen=True)
class OfferContext:
    """Who is buying and for what: a new service (``service_product_id`` None) or an add-on to a service."""

    customer_type: str  # "Individual" or "Business"
    now: datetime
    self_care: bool = False
    service_product_id: int | None = None  # the product of the service an add-on would attach to
    service_type: str | None = None  # that service's type
    active_product_ids: frozenset[int] = frozenset()  # products of the customer's active services (D57)


def is_offered(product: Mapping[str, Any], ctx: OfferContext) -> bool:
    """One product (a row or a state dict with the spec's field names) against the rules."""
    if not product["enabled"]:
        return False
    start, end = _utc(product["available_from"]), _utc(product["available_until"])
    if (start is not None and ctx.now < start) or (end is not None and ctx.now >= end):
        return False
    if ctx.self_care and not product["customer_can_purchase"]:
        return False
    if not product["business" if ctx.customer_type == "Business" else "residential"]:
        return False
    relies_on = list(product["relies_on_list"] or [])
    if ctx.service_product_id is None:
        if product["category"] not in NEW_SERVICE_CATEGORIES:
            return False
        return not relies_on or any(p in ctx.active_product_ids for p in relies_on)
    if product["category"] != "addon":
        return False
    if ctx.service_type is not None and product["service_type"] != ctx.service_type:
        return False
    return not relies_on or ctx.service_product_id in relies_on


def _utc(value: datetime | None) -> datetime | None:
    """Rows from SQLite come back without a zone; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def offered(products: Iterable[Mapping[str, Any]], ctx: OfferContext) -> list[Mapping[str, Any]]:
    return [p for p in products if is_offered(p, ctx)]
