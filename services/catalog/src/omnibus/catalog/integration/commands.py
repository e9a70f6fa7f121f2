"""Commands from provisioning jobs (``omnibus.commands``, queue ``catalog.commands``) -> the catalog application.

The platform's command consumer (``omnibus.platform.commands``) runs them exactly once in effect and publishes
each answer as ``catalog.CommandReplied``. Every command is also idempotent by its job id. Refusals (no stock,
an item the job does not hold) are answered ``rejected``; a reserve's refusal is recorded too and published as
``InventoryReservationFailed``. Compensations (release, return) answer ``completed`` when there is nothing to
undo.
"""

from collections.abc import Mapping
from typing import Any

from omnibus.catalog.application import CatalogApp
from omnibus.catalog.domain import CatalogError, ItemNotFoundError
from omnibus.contracts import catalog as c
from omnibus.platform.commands import CommandConsumer, CommandHandler, CommandRejected


def on_reserve(cmd: c.ReserveInventoryItem, app: CatalogApp) -> dict[str, Any]:
    try:
        item = app.reserve(cmd.job_id, cmd.item, inventory_id=cmd.inventory_id, location=cmd.item_location)
    except CatalogError as refusal:
        app.refuse_reservation(cmd.job_id, cmd.item, str(refusal))
        raise CommandRejected(str(refusal)) from None
    return {"inventory_id": item.inventory_id, "item": item.item}


def on_release(cmd: c.ReleaseInventoryReservation, app: CatalogApp) -> dict[str, Any]:
    try:
        item = app.release_reservation(cmd.job_id, cmd.inventory_id)
    except ItemNotFoundError:
        return {"inventory_id": cmd.inventory_id, "released": False}  # deleted meanwhile: nothing to release
    return {"inventory_id": item.inventory_id, "item_state": item.item_state}


def on_assign(cmd: c.AssignReservedInventoryItem, app: CatalogApp) -> dict[str, Any]:
    try:
        app.assign_reserved(cmd.job_id, cmd.inventory_id, customer_id=cmd.customer_id, service_id=cmd.service_id)
    except CatalogError as refusal:
        raise CommandRejected(str(refusal)) from None
    return {"inventory_id": cmd.inventory_id}


def on_return(cmd: c.ReturnAssignedInventoryItem, app: CatalogApp) -> dict[str, Any]:
    try:
        returned = app.return_assigned(cmd.job_id, cmd.inventory_id, cmd.item_state)
    except ItemNotFoundError:
        returned = False
    return {"inventory_id": cmd.inventory_id, "returned": returned}


HANDLERS: Mapping[type[c.CatalogCommand], CommandHandler] = {
    c.ReserveInventoryItem: on_reserve,
    c.ReleaseInventoryReservation: on_release,
    c.AssignReservedInventoryItem: on_assign,
    c.ReturnAssignedInventoryItem: on_return,
}


def command_consumer(app: CatalogApp) -> CommandConsumer:
    return CommandConsumer(app, c.COMMAND_QUEUE, HANDLERS)
