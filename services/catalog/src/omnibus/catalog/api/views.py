"""Response shapes: the reference product's field names; money as numbers with two decimals (api-conventions
§3), dates ISO-8601 UTC, coordinates as strings (D42), list fields in their documented string form (D56)."""

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from omnibus.catalog.domain import InventoryItem, InventoryTemplate, Product
from omnibus.catalog.domain.item import UPDATABLE
from omnibus.catalog.domain.literals import list_literal, parse_features
from omnibus.catalog.domain.template import FIELDS as TEMPLATE_FIELDS
from omnibus.catalog.domain.template import SECRET_KEYS
from omnibus.platform.http.types import iso_z

PRODUCT_MONEY = ("retail_cost", "wholesale_cost", "retail_setup_cost", "wholesale_setup_cost")


def money(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01")))


def _date(value: Any) -> str | None:
    return iso_z(value) if isinstance(value, datetime) else value


def product_view(state: Mapping[str, Any]) -> dict[str, Any]:
    """A product from a read-model row or an aggregate's state (same field names)."""
    view = dict(state)
    for name in PRODUCT_MONEY:
        view[name] = money(view[name])
    view["tax_percentage"] = float(Decimal(str(view["tax_percentage"])))
    view["inventory_items_list"] = list_literal(view["inventory_items_list"] or [])
    relies_on = list(view["relies_on_list"] or [])
    view["relies_on_list"] = list_literal(relies_on) if relies_on else ""  # "" = none (D57)
    view["features"] = parse_features(view.get("features_list"))  # [new]: product cards' bullets
    for name in ("available_from", "available_until", "created", "last_modified"):
        view[name] = _date(view.get(name))
    return view


def product_state(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.product_id,
        **product.state(),
        "created": product.created_on,
        "last_modified": product.modified_on,
    }


def template_state(template: InventoryTemplate) -> dict[str, Any]:
    return {
        "inventory_template_id": template.inventory_template_id,
        **template.state(),
        "created": template.created_on,
        "last_modified": template.modified_on,
    }


def template_view(state: Mapping[str, Any]) -> dict[str, Any]:
    view = {"inventory_template_id": state["inventory_template_id"]}
    view.update({name: state.get(name) for name in TEMPLATE_FIELDS})
    view["wholesale_cost"] = money(view["wholesale_cost"])
    view["retail_cost"] = money(view["retail_cost"])
    view["created"] = _date(state.get("created"))
    view["last_modified"] = _date(state.get("last_modified"))
    return view


def item_state(item: InventoryItem) -> dict[str, Any]:
    state = {name: getattr(item, name) for name in UPDATABLE}
    password = state.pop("management_password")
    return {
        "inventory_id": item.inventory_id,
        "inventory_template_id": item.inventory_template_id,
        "item": item.item,
        "customer_id": item.customer_id,
        "service_id": item.service_id,
        "item_state": item.item_state,
        **state,
        "management_password_set": bool(password),
        "reserved_for": item.reserved_for,
        "created": item.created_on,
        "last_modified": item.modified_on,
    }


def item_view(
    state: Mapping[str, Any], keys: Mapping[int, str], reveal: Callable[[str | None], str | None] | None
) -> dict[str, Any]:
    """An item with its keyed aliases (D59). Secret slots are shown only when ``reveal`` is given (callers with
    update_inventory); the management password never is (only ``management_password_set``)."""
    view = dict(state)
    for n, key in keys.items():
        slot = f"itemtext{n}"
        if key in SECRET_KEYS:
            view[slot] = reveal(view[slot]) if reveal is not None else None
    for n, key in keys.items():
        view.setdefault(key, view[f"itemtext{n}"])
    view["management_password"] = None
    view["management_url_kind"] = _url_kind(view.get("management_url"))  # [new] §10
    view["wholesale_cost"] = money(view.get("wholesale_cost"))
    view["retail_cost"] = money(view.get("retail_cost"))
    for name in ("latitude", "longitude"):
        view[name] = None if view.get(name) is None else str(view[name])
    for name in ("sold_date", "created", "last_modified"):
        view[name] = _date(view.get(name))
    return view


def _url_kind(url: Any) -> str | None:
    if not url:
        return None
    if str(url).upper().startswith("LPA:"):
        return "lpa"
    if str(url).lower().startswith(("http://", "https://")):
        return "url"
    return "other"


def keys_of(template_row: Mapping[str, Any]) -> dict[int, str]:
    return {n: template_row[f"itemtext{n}_key"] for n in range(1, 21) if template_row.get(f"itemtext{n}_key")}
