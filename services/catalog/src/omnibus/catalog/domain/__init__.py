"""The catalog domain: products, inventory templates, inventory items, reservations and imports (catalog.md)."""

from omnibus.catalog.domain.errors import (
    AlreadyAssignedError,
    CatalogError,
    ConflictError,
    DuplicateError,
    ImportNotFoundError,
    InUseError,
    InvalidItemError,
    InvalidProductError,
    InvalidTransitionError,
    ItemNotFoundError,
    NoStockError,
    ProductNotFoundError,
    TemplateNotFoundError,
)
from omnibus.catalog.domain.imports import InventoryImport
from omnibus.catalog.domain.item import InventoryItem
from omnibus.catalog.domain.product import Product
from omnibus.catalog.domain.reservation import Reservation
from omnibus.catalog.domain.template import InventoryTemplate
from omnibus.catalog.domain.unique_key import UniqueKey

# Every event the read model and the relay follow.
PRODUCT_EVENTS = (
    Product.Created,
    Product.Updated,
    Product.Enabled,
    Product.Disabled,
    Product.Deleted,
)
TEMPLATE_EVENTS = (InventoryTemplate.Defined, InventoryTemplate.Updated, InventoryTemplate.Deleted)
ITEM_EVENTS = (
    InventoryItem.Created,
    InventoryItem.Updated,
    InventoryItem.LocationUpdated,
    InventoryItem.ManagementUpdated,
    InventoryItem.StateChanged,
    InventoryItem.Assigned,
    InventoryItem.Released,
    InventoryItem.Reserved,
    InventoryItem.ReservationReleased,
    InventoryItem.Deleted,
)
ALL_EVENTS = PRODUCT_EVENTS + TEMPLATE_EVENTS + ITEM_EVENTS + (Reservation.Refused,)

__all__ = [
    "ALL_EVENTS",
    "ITEM_EVENTS",
    "PRODUCT_EVENTS",
    "TEMPLATE_EVENTS",
    "AlreadyAssignedError",
    "CatalogError",
    "ConflictError",
    "DuplicateError",
    "ImportNotFoundError",
    "InUseError",
    "InvalidItemError",
    "InvalidProductError",
    "InvalidTransitionError",
    "InventoryImport",
    "InventoryItem",
    "InventoryTemplate",
    "ItemNotFoundError",
    "NoStockError",
    "Product",
    "ProductNotFoundError",
    "Reservation",
    "TemplateNotFoundError",
    "UniqueKey",
]
