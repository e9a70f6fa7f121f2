"""Inventory item endpoints (catalog.md §3, §4): CRUD, lists and picker, stock, reservation, bulk import."""

import asyncio
import logging
import threading
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from omnibus.catalog.api.deps import CatalogAppDep, ReadDep
from omnibus.catalog.api.schemas import (
    ITEM_READ_ONLY,
    AssignReservedBody,
    ItemCreate,
    ItemPatch,
    JobBody,
    ReserveBody,
    parse_body,
)
from omnibus.catalog.api.views import item_state, item_view, keys_of
from omnibus.catalog.application import CatalogApp
from omnibus.catalog.domain import CatalogError, InventoryImport, InventoryItem
from omnibus.catalog.importing import ImportFormatError, parse_lines, run_import
from omnibus.catalog.readmodel.queries import items_of_customer, list_items, list_templates, stock_levels
from omnibus.platform.auth import Access, PermissionDenied, require
from omnibus.platform.context import CommandContext, command_context, current_context
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import Paging

log = logging.getLogger(__name__)
router = APIRouter(tags=["inventory"])

ViewInventory = Annotated[Access, Depends(require("view_inventory"))]
UpdateInventory = Annotated[Access, Depends(require("update_inventory"))]
MAX_IMPORT_BYTES = 64 * 1024 * 1024


@router.put("/crm/inventory/")
@router.post("/crm/inventory/", include_in_schema=False)
def create_item(
    app: CatalogAppDep,
    access: Annotated[Access, Depends(require("create_inventory"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Add an item of a template (costs default from the template). 409 if its itemtext1 exists for that type."""
    fields = parse_body(body, ItemCreate, ITEM_READ_ONLY, partial=False)
    template_id = fields.pop("inventory_template_id")
    type_name = fields.pop("item")
    template = app.get_template(template_id)
    if type_name is not None and type_name != template.item:
        raise CatalogError(f"item {type_name!r} does not match template {template_id} ({template.item!r})")
    return _item_view(app, app.create_item(template_id, fields), access)


@router.get("/crm/inventory/inventory_id/{inventory_id}")
def get_item(inventory_id: int, app: CatalogAppDep, access: ViewInventory) -> dict[str, Any]:
    """One item with its slot aliases (D59)."""
    return _item_view(app, app.get_item(inventory_id), access)


@router.patch("/crm/inventory/inventory_id/{inventory_id}")
def update_item(
    inventory_id: int,
    app: CatalogAppDep,
    access: UpdateInventory,
    body: Annotated[Any, Body()] = None,
    force: Annotated[bool, Query(description="admin only: allow an undocumented state transition (D53)")] = False,
) -> dict[str, Any]:
    """Field writes, assignment ``{customer_id, service_id, item_state: "Assigned"}``, release
    ``{customer_id: null, service_id: null, item_state: "In Stock"|"Used"|...}`` and state changes. 400 for a
    forbidden transition, 409 when assigned to another service."""
    if force and not access.principal.is_admin:
        raise PermissionDenied("Permission denied: force requires admin")
    changes = parse_body(body, ItemPatch, ITEM_READ_ONLY, partial=True)
    return _item_view(app, app.patch_item(inventory_id, changes, force=force), access)


@router.delete("/crm/inventory/inventory_id/{inventory_id}")
def delete_item(
    inventory_id: int, app: CatalogAppDep, _: Annotated[Access, Depends(require("delete_inventory"))]
) -> dict[str, str]:
    """Delete an item; 409 while it is assigned or reserved."""
    app.delete_item(inventory_id)
    return {"result": "success"}


@router.get("/crm/inventory/customer_id/{customer_id}")
def items_by_customer(customer_id: int, app: CatalogAppDep, read: ReadDep, access: ViewInventory) -> dict[str, Any]:
    """A customer's items as ``{data: [...]}`` (rollback playbooks read ``data[].inventory_id``)."""
    keys = _template_keys(read)
    return {"data": [_row_view(app, r, keys, access) for r in items_of_customer(read, customer_id)]}


@router.get("/crm/inventory/")
def list_inventory(
    app: CatalogAppDep,
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: ViewInventory,
    available_for: Annotated[str | None, Query(max_length=255, description="Picker: available items of a type")] = None,
) -> dict[str, Any]:
    """Items as ``{data, pagination}``: ``filters`` (item, item_state, item_location, customer_id, ...), ``search``
    (itemtext1/2, id), paging; ``available_for=<type name>`` lists what the provisioning picker offers (§4.4)."""
    rows, total = list_items(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        available_for=available_for,
    )
    keys = _template_keys(read)
    return paging.envelope([_row_view(app, r, keys, access) for r in rows], total)


@router.get("/crm/inventory/stats")
def inventory_stats(read: ReadDep, _: ViewInventory) -> dict[str, Any]:
    """[new] Stock levels: counts per template and state, reserved and available."""
    return {"data": stock_levels(read)}


@router.post("/crm/inventory/reserve")
def reserve_item(body: ReserveBody, app: CatalogAppDep, access: UpdateInventory) -> dict[str, Any]:
    """[new] Hold an available item of a type (or the given one) for a provisioning job. Idempotent by
    ``job_id`` and type; 409 when none is available."""
    item = app.reserve(body.job_id, body.item, inventory_id=body.inventory_id, location=body.item_location)
    return _item_view(app, item, access)


@router.post("/crm/inventory/inventory_id/{inventory_id}/release_reservation")
def release_reservation(
    inventory_id: int, body: JobBody, app: CatalogAppDep, access: UpdateInventory
) -> dict[str, Any]:
    """[new] End a job's hold (failed or cancelled job); a no-op when the job does not hold the item."""
    return _item_view(app, app.release_reservation(body.job_id, inventory_id), access)


@router.post("/crm/inventory/inventory_id/{inventory_id}/assign_reserved")
def assign_reserved(
    inventory_id: int, body: AssignReservedBody, app: CatalogAppDep, access: UpdateInventory
) -> dict[str, Any]:
    """[new] Confirm a job's hold: the item becomes Assigned to the customer's service (idempotent)."""
    item = app.assign_reserved(body.job_id, inventory_id, customer_id=body.customer_id, service_id=body.service_id)
    return _item_view(app, item, access)


@router.post("/crm/inventory/import")
async def import_items(
    request: Request,
    response: Response,
    _: Annotated[Access, Depends(require("create_inventory"))],
    inventory_template_id: Annotated[int, Query(ge=1)],
    wait: Annotated[bool, Query(description="Answer when the import is done (small files)")] = False,
) -> dict[str, Any]:
    """[new] Bulk import (body ``text/csv`` or JSON): validated line by line; 202 with the import to follow at
    ``GET /crm/inventory/import/{import_id}``, or 200 with the final report when ``wait=true``."""
    app: CatalogApp = request.app.state.catalog_app
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/json"):
        raise ApiError(415, "unsupported_media_type", "Send the file as text/csv or application/json")
    payload = await request.body()
    if len(payload) > MAX_IMPORT_BYTES:
        raise ApiError(413, "too_large", f"Import files are limited to {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    source_format = "csv" if content_type == "text/csv" else "json"
    try:
        lines = await asyncio.to_thread(parse_lines, payload, source_format)
    except ImportFormatError as error:
        raise ApiError(400, "bad_import_file", str(error)) from None
    job = await asyncio.to_thread(app.begin_import, inventory_template_id, len(lines), source_format)
    batch_size = request.app.state.catalog_import_batch_size
    # The import's events carry this request's actor and correlation id; its own context keeps its positions, so
    # a 202 answer does not wait for the import's events to be projected (read-your-writes).
    request_context = current_context()
    import_context = replace(request_context, last_position=None) if request_context else CommandContext()
    worker = threading.Thread(
        target=_run_quietly,
        args=(import_context, app, job.import_id, lines, batch_size),
        name=f"import-{job.import_id}",
        daemon=True,
    )
    worker.start()
    if wait:
        while worker.is_alive():
            await asyncio.sleep(0.05)
        if request_context is not None and import_context.last_position is not None:
            request_context.last_position = max(request_context.last_position or 0, import_context.last_position)
        return import_view(await asyncio.to_thread(app.get_import, job.import_id))
    response.status_code = 202
    return import_view(job)


@router.get("/crm/inventory/import/{import_id}")
def get_import(
    import_id: int, app: CatalogAppDep, _: Annotated[Access, Depends(require("view_inventory"))]
) -> dict[str, Any]:
    """[new] An import's progress and report (rejected lines with their reasons). Once it reports an end, lists
    include its items (read-your-writes up to the event store's head)."""
    job = app.get_import(import_id)
    context = current_context()
    if job.status != "running" and context is not None:
        context.last_position = max(context.last_position or 0, app.max_notification_id())
    return import_view(job)


def import_view(job: InventoryImport) -> dict[str, Any]:
    return {
        "import_id": job.import_id,
        "inventory_template_id": job.inventory_template_id,
        "status": job.status,
        "total_lines": job.total_lines,
        "processed": job.processed,
        "imported": job.imported,
        "skipped_existing": job.skipped,
        "rejected": job.rejected_count,
        "rejected_lines": job.rejected,
        "error": job.error,
    }


def _run_quietly(
    context: CommandContext, app: CatalogApp, import_id: int, lines: list[tuple[int, dict[str, Any]]], batch_size: int
) -> None:
    try:
        with command_context(context):
            run_import(app, import_id, lines, batch_size)
    except Exception:  # recorded on the import as its error
        log.exception("inventory import %d failed", import_id)


def _item_view(app: CatalogApp, item: InventoryItem, access: Access) -> dict[str, Any]:
    keys = app.get_template(item.inventory_template_id).slot_keys()
    return item_view(item_state(item), keys, app.reveal if access.principal.has("update_inventory") else None)


def _template_keys(read: ReadDep) -> dict[int, dict[int, str]]:
    return {t["inventory_template_id"]: keys_of(t) for t in list_templates(read)}


def _row_view(app: CatalogApp, row: dict[str, Any], keys: dict[int, dict[int, str]], access: Access) -> dict[str, Any]:
    reveal = app.reveal if access.principal.has("update_inventory") else None
    return item_view(row, keys.get(row["inventory_template_id"], {}), reveal)
