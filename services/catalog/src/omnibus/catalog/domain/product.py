"""The Product aggregate (catalog.md §2.1): what can be sold and how it is provisioned."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.catalog.domain.errors import InvalidProductError, check_fields

CATEGORIES = ("standalone", "addon", "bundle", "promo")
AUTO_RENEW = ("prompt", "true", "false")
COSTS = ("retail_cost", "wholesale_cost", "retail_setup_cost", "wholesale_setup_cost", "tax_percentage")
FIELDS = (
    "product_name",
    "product_slug",
    "category",
    "service_type",
    "comment",
    "icon",
    *COSTS,
    "enabled",
    "residential",
    "business",
    "customer_can_purchase",
    "available_from",
    "available_until",
    "contract_days",
    "auto_renew",
    "allow_auto_renew",
    "terms",
    "features_list",
    "provisioning_play",
    "provisioning_json_vars",
    "deprovisioning_play",
    "deprovisioning_json_vars",
    "inventory_items_list",
    "relies_on_list",
)
DEFAULTS: dict[str, Any] = {
    "category": "standalone",
    "service_type": None,
    "comment": None,
    "icon": None,
    **{name: Decimal("0") for name in COSTS},
    "enabled": True,
    "residential": True,
    "business": True,
    "customer_can_purchase": True,
    "available_from": None,
    "available_until": None,
    "contract_days": 0,
    "auto_renew": "false",
    "allow_auto_renew": False,
    "terms": None,
    "features_list": None,
    "provisioning_play": None,
    "provisioning_json_vars": None,
    "deprovisioning_play": None,
    "deprovisioning_json_vars": None,
    "inventory_items_list": [],
    "relies_on_list": [],
}


def check_product(state: dict[str, Any]) -> None:
    """Rules that span fields or are not mere types (§5.2, D55, D58, D60)."""
    if state["category"] not in CATEGORIES:
        raise InvalidProductError(f"category must be one of {', '.join(CATEGORIES)}")
    if state["auto_renew"] not in AUTO_RENEW:
        raise InvalidProductError(f"auto_renew must be one of {', '.join(AUTO_RENEW)}")
    types = state["inventory_items_list"]
    duplicates = sorted({t for t in types if types.count(t) > 1})
    if duplicates:
        raise InvalidProductError(
            f"inventory_items_list names a type twice ({', '.join(duplicates)}); use distinct types (D60)"
        )
    start, end = state["available_from"], state["available_until"]
    if start is not None and end is not None and end <= start:
        raise InvalidProductError("available_until must be after available_from")
    if any(state[name] < 0 for name in COSTS):
        raise InvalidProductError("costs and tax_percentage cannot be negative")
    if state["contract_days"] < 0:
        raise InvalidProductError("contract_days cannot be negative")


class Product(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Created(Aggregate.Created):
        product_id: int
        fields: dict[str, Any]
        source_product_id: int | None  # set when the product is a clone (published as ProductCloned)

    class Updated(Aggregate.Event):
        product_id: int
        changes: dict[str, Any]

    class Enabled(Aggregate.Event):
        product_id: int

    class Disabled(Aggregate.Event):
        product_id: int

    class Deleted(Aggregate.Event):
        product_id: int

    @event(Created)
    def __init__(self, product_id: int, fields: dict[str, Any], source_product_id: int | None = None) -> None:
        check_fields(fields, FIELDS)
        state = {**DEFAULTS, **fields}
        check_product(state)
        self.product_id = product_id
        self.source_product_id = source_product_id
        self.deleted = False
        for name in FIELDS:
            setattr(self, name, state.get(name))

    product_name: str
    product_slug: str
    enabled: bool
    available_from: datetime | None
    available_until: datetime | None

    def clone_fields(self) -> dict[str, Any]:
        """The fields of a copy: name and slug with the ``_clone`` suffix (catalog.md §3)."""
        fields = self.state()
        fields["product_name"] = f"{self.product_name}_clone"
        fields["product_slug"] = f"{self.product_slug}_clone"
        return fields

    def state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply field values; ``enabled`` changes are their own events. Returns the changed names."""
        check_fields(changes, FIELDS)
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        check_product({**self.state(), **real})
        enabled = real.pop("enabled", None)
        if real:
            self._updated(product_id=self.product_id, changes=real)
        if enabled is True:
            self._enabled(product_id=self.product_id)
        elif enabled is False:
            self._disabled(product_id=self.product_id)
        return sorted([*real, *(["enabled"] if enabled is not None else [])])

    @event(Updated)
    def _updated(self, product_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    @event(Enabled)
    def _enabled(self, product_id: int) -> None:
        self.enabled = True

    @event(Disabled)
    def _disabled(self, product_id: int) -> None:
        self.enabled = False

    def delete(self) -> None:
        if not self.deleted:
            self._deleted(product_id=self.product_id)

    @event(Deleted)
    def _deleted(self, product_id: int) -> None:
        self.deleted = True
