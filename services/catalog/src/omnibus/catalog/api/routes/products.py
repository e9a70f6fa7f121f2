"""Product endpoints (catalog.md §3): lists, read, offers, create, update, delete, clone."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from omnibus.catalog.api.deps import CatalogAppDep, ReadDep
from omnibus.catalog.api.schemas import PRODUCT_READ_ONLY, ProductFields, parse_body
from omnibus.catalog.api.views import product_state, product_view
from omnibus.catalog.domain.offers import OfferContext, offered
from omnibus.catalog.readmodel.queries import (
    active_product_ids,
    all_products,
    customer_account_type,
    list_products,
    service_of,
    services_using,
)
from omnibus.platform.auth import Access, PermissionDenied, require
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["products"])

ViewProduct = Annotated[Access, Depends(require("view_product", own="view_own_customer"))]


@router.get("/crm/product/")
def list_all_products(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: ViewProduct,
    include_disabled: bool = False,
) -> list[dict[str, Any]]:
    """Products as a bare array; ``search``, ``filters``. Self-care callers get what they may buy (§5.1)."""
    if access.scoped:
        return _offers_for(read, access.own_customer_id)
    _check_include_disabled(access, include_disabled)
    rows, _ = list_products(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending if paging.sort else False,
        offset=0,
        limit=None,
        include_disabled=include_disabled,
    )
    return [product_view(r) for r in rows]


@router.get("/crm/product/paginated")
def list_products_paginated(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: Annotated[Access, Depends(require("view_product"))],
    include_disabled: bool = False,
) -> dict[str, Any]:
    """Products as ``{data, pagination}``; disabled ones only with ``include_disabled=true`` (admins)."""
    _check_include_disabled(access, include_disabled)
    rows, total = list_products(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        include_disabled=include_disabled,
    )
    return paging.envelope([product_view(r) for r in rows], total)


@router.get("/crm/product/available")
def available_products(
    read: ReadDep,
    access: ViewProduct,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    customer_type: Annotated[str | None, Query(pattern="^(Individual|Business)$")] = None,
    service_id: Annotated[int | None, Query(ge=1, description="Add-ons for this service")] = None,
    service_product_id: Annotated[int | None, Query(ge=1, description="Add-ons for a service of this product")] = None,
    service_type: Annotated[str | None, Query(max_length=50)] = None,
) -> list[dict[str, Any]]:
    """[new] What may be offered: new services for a customer, or add-ons to a service (``service_id``, or
    ``service_product_id`` and ``service_type``).

    Customers, their type and their services come from the customers context's events. Self-care callers see only
    their own customer and only ``customer_can_purchase`` products.
    """
    if access.scoped:
        customer_id = access.own_customer_id
    if service_id is not None:
        service = service_of(read, service_id)
        if service is None or (customer_id is not None and service["customer_id"] != customer_id):
            raise ApiError(404, "service_not_found", f"Service {service_id} not found")
        customer_id = service["customer_id"]
        service_product_id = service["product_id"]
        service_type = service["service_type"]
        if service_product_id is None:
            raise ApiError(400, "no_product", f"Service {service_id} did not come from a product")
    if customer_id is not None:
        customer_type = customer_account_type(read, customer_id)
        if customer_type is None:
            raise ApiError(404, "customer_not_found", f"Customer {customer_id} not found")
    if customer_type is None:
        raise ApiError(400, "validation_error", "customer_id or customer_type is required", ["customer_id"])
    products = all_products(read)
    if service_product_id is not None and service_type is None:
        target = next((p for p in products if p["product_id"] == service_product_id), None)
        service_type = None if target is None else target["service_type"]
    context = OfferContext(
        customer_type=customer_type,
        now=datetime.now(UTC),
        self_care=access.scoped,
        service_product_id=service_product_id,
        service_type=service_type,
        active_product_ids=active_product_ids(read, customer_id) if customer_id is not None else frozenset(),
    )
    return [product_view(p) for p in offered(products, context)]


@router.get("/crm/product/product_id/{product_id}")
def get_product(product_id: int, app: CatalogAppDep, _: ViewProduct) -> dict[str, Any]:
    """One product (playbooks read its name, costs, slug and comment)."""
    return product_view(product_state(app.get_product(product_id)))


@router.put("/crm/product/")
@router.post("/crm/product/", include_in_schema=False)
def create_product(
    app: CatalogAppDep,
    _: Annotated[Access, Depends(require("create_product"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Create a product. 400 for bad lists, duplicate inventory types (D60), unknown service_type, bad JSON vars;
    409 when the slug is taken."""
    fields = parse_body(body, ProductFields, PRODUCT_READ_ONLY, partial=False)
    return product_view(product_state(app.create_product(fields)))


@router.patch("/crm/product/product_id/{product_id}")
def update_product(
    product_id: int,
    app: CatalogAppDep,
    _: Annotated[Access, Depends(require("update_product"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change some fields (``enabled: false`` retires a product from new orders)."""
    changes = parse_body(body, ProductFields, PRODUCT_READ_ONLY, partial=True)
    return product_view(product_state(app.update_product(product_id, changes)))


@router.delete("/crm/product/product_id/{product_id}")
def delete_product(
    product_id: int, app: CatalogAppDep, read: ReadDep, _: Annotated[Access, Depends(require("delete_product"))]
) -> dict[str, str]:
    """Delete a product; 409 while services use it (retire it with ``enabled: false`` instead)."""
    app.delete_product(product_id, services_using=services_using(read, product_id))
    return {"result": "success"}


@router.post("/crm/product/product_id/{product_id}/clone")
def clone_product(
    product_id: int, app: CatalogAppDep, _: Annotated[Access, Depends(require("create_product"))]
) -> dict[str, Any]:
    """[new] A copy named and slugged with the ``_clone`` suffix."""
    return product_view(product_state(app.clone_product(product_id)))


def _check_include_disabled(access: Access, include_disabled: bool) -> None:
    if include_disabled and not access.principal.has("update_product"):
        raise PermissionDenied("Permission denied: include_disabled requires update_product")


def _offers_for(read: ReadDep, customer_id: int | None) -> list[dict[str, Any]]:
    """A self-care caller's list: new services it may buy."""
    customer_type = customer_account_type(read, customer_id) if customer_id is not None else None
    if customer_id is None or customer_type is None:
        return []
    ctx = OfferContext(
        customer_type=customer_type,
        now=datetime.now(UTC),
        self_care=True,
        active_product_ids=active_product_ids(read, customer_id),
    )
    return [product_view(p) for p in offered(all_products(read), ctx)]
