"""The catalog read model: products, templates and items as rows (lists, pickers, stock levels)."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from omnibus.catalog.domain import InventoryItem, InventoryTemplate, Product
from omnibus.catalog.domain.item import UPDATABLE
from omnibus.catalog.domain.product import DEFAULTS
from omnibus.catalog.domain.template import FIELDS as TEMPLATE_FIELDS
from omnibus.catalog.readmodel.tables import items, products, templates
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Decimals as strings (exact everywhere); the password only as "set or not"."""
    row = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()}
    if "management_password" in row:
        row["management_password_set"] = bool(row.pop("management_password"))
    return row


def on_product_created(e: Product.Created, rows: Rows) -> None:
    row = {"product_id": e.product_id, **_columns({**DEFAULTS, **e.fields})}
    rows(products).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_product_updated(e: Product.Updated, rows: Rows) -> None:
    rows(products).update(e.product_id, **_columns(e.changes), last_modified=e.timestamp)


def on_product_enabled(e: Product.Enabled, rows: Rows) -> None:
    rows(products).update(e.product_id, enabled=True, last_modified=e.timestamp)


def on_product_disabled(e: Product.Disabled, rows: Rows) -> None:
    rows(products).update(e.product_id, enabled=False, last_modified=e.timestamp)


def on_product_deleted(e: Product.Deleted, rows: Rows) -> None:
    rows(products).delete(e.product_id)


def on_template_defined(e: InventoryTemplate.Defined, rows: Rows) -> None:
    state: dict[str, Any] = dict.fromkeys(TEMPLATE_FIELDS)
    state.update(wholesale_cost=Decimal("0"), retail_cost=Decimal("0"))
    state.update(e.fields)
    row = {"inventory_template_id": e.inventory_template_id, **_columns(state)}
    rows(templates).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_template_updated(e: InventoryTemplate.Updated, rows: Rows) -> None:
    rows(templates).update(e.inventory_template_id, **_columns(e.changes), last_modified=e.timestamp)


def on_template_deleted(e: InventoryTemplate.Deleted, rows: Rows) -> None:
    rows(templates).delete(e.inventory_template_id)


def on_item_created(e: InventoryItem.Created, rows: Rows) -> None:
    state = {name: e.fields.get(name) for name in UPDATABLE}
    row = {
        "inventory_id": e.inventory_id,
        "inventory_template_id": e.inventory_template_id,
        "item": e.item,
        "item_state": e.fields.get("item_state", "New"),
        **_columns(state),
    }
    rows(items).put({**row, "created": e.timestamp, "last_modified": e.timestamp})


def on_item_changed(e: Any, rows: Rows) -> None:
    rows(items).update(e.inventory_id, **_columns(e.changes), last_modified=e.timestamp)


def on_item_state_changed(e: InventoryItem.StateChanged, rows: Rows) -> None:
    rows(items).update(e.inventory_id, item_state=e.to_state, last_modified=e.timestamp)


def on_item_assigned(e: InventoryItem.Assigned, rows: Rows) -> None:
    rows(items).update(
        e.inventory_id,
        item_state="Assigned",
        customer_id=e.customer_id,
        service_id=e.service_id,
        sold_date=e.sold_date,
        reserved_for=None,
        last_modified=e.timestamp,
    )


def on_item_released(e: InventoryItem.Released, rows: Rows) -> None:
    rows(items).update(
        e.inventory_id, item_state=e.new_state, customer_id=None, service_id=None, last_modified=e.timestamp
    )


def on_item_reserved(e: InventoryItem.Reserved, rows: Rows) -> None:
    rows(items).update(e.inventory_id, reserved_for=e.job_id, last_modified=e.timestamp)


def on_item_reservation_released(e: InventoryItem.ReservationReleased, rows: Rows) -> None:
    rows(items).update(e.inventory_id, reserved_for=None, last_modified=e.timestamp)


def on_item_deleted(e: InventoryItem.Deleted, rows: Rows) -> None:
    rows(items).delete(e.inventory_id)


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    Product.Created: on_product_created,
    Product.Updated: on_product_updated,
    Product.Enabled: on_product_enabled,
    Product.Disabled: on_product_disabled,
    Product.Deleted: on_product_deleted,
    InventoryTemplate.Defined: on_template_defined,
    InventoryTemplate.Updated: on_template_updated,
    InventoryTemplate.Deleted: on_template_deleted,
    InventoryItem.Created: on_item_created,
    InventoryItem.Updated: on_item_changed,
    InventoryItem.LocationUpdated: on_item_changed,
    InventoryItem.ManagementUpdated: on_item_changed,
    InventoryItem.StateChanged: on_item_state_changed,
    InventoryItem.Assigned: on_item_assigned,
    InventoryItem.Released: on_item_released,
    InventoryItem.Reserved: on_item_reserved,
    InventoryItem.ReservationReleased: on_item_reservation_released,
    InventoryItem.Deleted: on_item_deleted,
}


class CatalogViewProjection(Projection):
    name = "catalog_view"
    tables = (products, templates, items)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:  # unique keys, reservations and imports do not change the view
            handler(event, rows)
