"""Errors of the catalog context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class CatalogError(Exception):
    http_status = 400
    code = "catalog_error"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        if details is not None:
            self.details = details


class NotFoundError(CatalogError):
    http_status = 404
    code = "not_found"


class ProductNotFoundError(NotFoundError):
    code = "product_not_found"

    def __init__(self, product_id: int) -> None:
        super().__init__(f"Product {product_id} not found")


class TemplateNotFoundError(NotFoundError):
    code = "inventory_template_not_found"

    def __init__(self, template_id: int) -> None:
        super().__init__(f"Inventory template {template_id} not found")


class ItemNotFoundError(NotFoundError):
    code = "inventory_not_found"

    def __init__(self, inventory_id: int) -> None:
        super().__init__(f"Inventory item {inventory_id} not found")


class ImportNotFoundError(NotFoundError):
    code = "import_not_found"

    def __init__(self, import_id: int) -> None:
        super().__init__(f"Inventory import {import_id} not found")


class InvalidProductError(CatalogError):
    code = "invalid_product"


class InvalidItemError(CatalogError):
    code = "invalid_inventory"


class InvalidTransitionError(CatalogError):
    """A forbidden item_state change (catalog.md §4.3): 400 as the spec says."""

    code = "invalid_transition"


class ConflictError(CatalogError):
    http_status = 409
    code = "conflict"


class DuplicateError(ConflictError):
    code = "duplicate"


class AlreadyAssignedError(ConflictError):
    code = "already_assigned"


class NoStockError(ConflictError):
    code = "no_stock"


class InUseError(ConflictError):
    code = "in_use"


def check_fields(fields: dict[str, object], allowed: tuple[str, ...] | frozenset[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise CatalogError(f"Unknown or read-only field(s): {', '.join(sorted(unknown))}", sorted(unknown))
