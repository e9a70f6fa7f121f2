"""Domain events -> public contracts (catalog.md §8). Keys, reservations' index records and imports stay private.

Secrets never leave: an encrypted slot or password becomes a name in ``secrets_changed`` / ``password_changed``.
"""

import hashlib
from decimal import Decimal
from functools import singledispatch
from typing import Any

from omnibus.catalog.domain import ALL_EVENTS, InventoryItem, InventoryTemplate, Product, Reservation
from omnibus.catalog.domain.product import DEFAULTS
from omnibus.catalog.domain.template import KEYS, LABELS
from omnibus.catalog.secrets import PREFIX
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import catalog as c
from omnibus.platform.eventstore import topics_of
from omnibus.platform.relay import Outbound

PRODUCT_STATE_FIELDS = tuple(name for name in c.ProductCreated.model_fields if name != "product_id")


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: Product.Created) -> IntegrationEvent:
    state = {**DEFAULTS, **e.fields}
    fields = {name: state.get(name) for name in PRODUCT_STATE_FIELDS}
    if e.source_product_id is not None:
        return c.ProductCloned(
            product_id=e.product_id,
            **fields,
            source_product_id=e.source_product_id,
            new_product_id=e.product_id,
            new_slug=state["product_slug"],
        )
    return c.ProductCreated(product_id=e.product_id, **fields)


@to_integration.register
def _(e: Product.Updated) -> IntegrationEvent:
    return c.ProductUpdated(product_id=e.product_id, changed_fields=sorted(e.changes), changes=e.changes)


@to_integration.register
def _(e: Product.Enabled) -> IntegrationEvent:
    return c.ProductEnabled(product_id=e.product_id)


@to_integration.register
def _(e: Product.Disabled) -> IntegrationEvent:
    return c.ProductDisabled(product_id=e.product_id)


@to_integration.register
def _(e: Product.Deleted) -> IntegrationEvent:
    return c.ProductDeleted(product_id=e.product_id)


def _template_state(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "item": state["item"],
        "icon": state.get("icon"),
        "labels": {name: state[name] for name in LABELS if state.get(name)},
        "keys": {name: state[name] for name in KEYS if state.get(name)},
        "wholesale_cost": state.get("wholesale_cost") or Decimal("0"),
        "retail_cost": state.get("retail_cost") or Decimal("0"),
    }


@to_integration.register
def _(e: InventoryTemplate.Defined) -> IntegrationEvent:
    return c.InventoryTemplateDefined(inventory_template_id=e.inventory_template_id, **_template_state(e.fields))


@to_integration.register
def _(e: InventoryTemplate.Updated) -> IntegrationEvent:
    return c.InventoryTemplateUpdated(
        inventory_template_id=e.inventory_template_id, changed_fields=sorted(e.changes), **_template_state(e.state)
    )


@to_integration.register
def _(e: InventoryTemplate.Deleted) -> IntegrationEvent:
    return c.InventoryTemplateDeleted(inventory_template_id=e.inventory_template_id, item=e.item)


def _is_secret(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


@to_integration.register
def _(e: InventoryItem.Created) -> IntegrationEvent:
    f = e.fields
    return c.InventoryItemCreated(
        inventory_id=e.inventory_id,
        inventory_template_id=e.inventory_template_id,
        item=e.item,
        itemtext1=None if _is_secret(f.get("itemtext1")) else f.get("itemtext1"),
        itemtext2=None if _is_secret(f.get("itemtext2")) else f.get("itemtext2"),
        item_location=f.get("item_location"),
        item_state=f.get("item_state", "New"),
        wholesale_cost=f.get("wholesale_cost") or Decimal("0"),
        retail_cost=f.get("retail_cost") or Decimal("0"),
    )


@to_integration.register
def _(e: InventoryItem.Updated) -> IntegrationEvent:
    return c.InventoryItemUpdated(
        inventory_id=e.inventory_id,
        changed_fields=sorted(e.changes),
        changes={k: v for k, v in e.changes.items() if not _is_secret(v)},
        secrets_changed=sorted(k for k, v in e.changes.items() if _is_secret(v)),
    )


@to_integration.register
def _(e: InventoryItem.LocationUpdated) -> IntegrationEvent:
    changes = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in e.changes.items()}
    return c.InventoryItemLocationUpdated(inventory_id=e.inventory_id, changed_fields=sorted(changes), **changes)


@to_integration.register
def _(e: InventoryItem.ManagementUpdated) -> IntegrationEvent:
    ch = e.changes
    config = ch.get("config_content")
    return c.InventoryItemManagementUpdated(
        inventory_id=e.inventory_id,
        changed_fields=sorted(ch),
        management_url=ch.get("management_url"),
        management_username=ch.get("management_username"),
        password_changed="management_password" in ch,
        config_sha256=hashlib.sha256(config.encode()).hexdigest() if config else None,
        config_file_path=ch.get("config_file_path"),
    )


@to_integration.register
def _(e: InventoryItem.StateChanged) -> IntegrationEvent:
    return c.InventoryItemStateChanged(
        inventory_id=e.inventory_id,
        from_state=e.from_state,  # type: ignore[arg-type]
        to_state=e.to_state,  # type: ignore[arg-type]
        reason=e.reason,
    )


@to_integration.register
def _(e: InventoryItem.Assigned) -> IntegrationEvent:
    return c.InventoryItemAssigned(
        inventory_id=e.inventory_id,
        item=e.item,
        customer_id=e.customer_id,
        service_id=e.service_id,
        sold_date=e.sold_date,
        retail_cost=e.retail_cost or Decimal("0"),
        provision_job_id=e.job_id,
    )


@to_integration.register
def _(e: InventoryItem.Released) -> IntegrationEvent:
    return c.InventoryItemReleased(
        inventory_id=e.inventory_id,
        from_customer_id=e.from_customer_id,
        from_service_id=e.from_service_id,
        new_state=e.new_state,  # type: ignore[arg-type]
        reason=e.reason,
    )


@to_integration.register
def _(e: InventoryItem.Reserved) -> IntegrationEvent:
    return c.InventoryItemReserved(inventory_id=e.inventory_id, item=e.item, provision_job_id=e.job_id)


@to_integration.register
def _(e: InventoryItem.ReservationReleased) -> IntegrationEvent:
    return c.InventoryItemReservationReleased(inventory_id=e.inventory_id, provision_job_id=e.job_id)


@to_integration.register
def _(e: Reservation.Refused) -> IntegrationEvent:
    return c.InventoryReservationFailed(provision_job_id=e.job_id, item=e.item, reason=e.reason)


@to_integration.register
def _(e: InventoryItem.Deleted) -> IntegrationEvent:
    return c.InventoryItemDeleted(inventory_id=e.inventory_id)


OUTBOUND = Outbound(
    source="catalog", to_integration=to_integration, topics=topics_of(*ALL_EVENTS), replies=c.CatalogCommandReplied
)
