"""Commands from provisioning jobs over the bus (``omnibus.commands``, queue ``catalog.commands``) -> application.

Every command is idempotent by its job id, so a redelivery (a crash before the ack, a re-publish) changes
nothing. The answers are the events the commands record, published by the relay with the job id as correlation
id. A command that cannot be understood, or that the catalog refuses for good (e.g. assigning an item the job
does not hold), is dead-lettered with the reason; anything else (database down) is retried with back-off.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from omnibus.catalog.application import CatalogApp
from omnibus.catalog.domain import CatalogError
from omnibus.contracts import Actor
from omnibus.contracts import catalog as c
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.messaging.bus import Delivery, Outcome, PermanentError, Subscription

log = logging.getLogger(__name__)


def on_reserve(cmd: c.ReserveInventoryItem, app: CatalogApp) -> None:
    app.reserve_or_refuse(cmd.job_id, cmd.item, inventory_id=cmd.inventory_id, location=cmd.item_location)


def on_release(cmd: c.ReleaseInventoryReservation, app: CatalogApp) -> None:
    app.release_reservation(cmd.job_id, cmd.inventory_id)


def on_assign(cmd: c.AssignReservedInventoryItem, app: CatalogApp) -> None:
    app.assign_reserved(cmd.job_id, cmd.inventory_id, customer_id=cmd.customer_id, service_id=cmd.service_id)


HANDLERS: dict[type[c.CatalogCommand], Callable[[Any, CatalogApp], None]] = {
    c.ReserveInventoryItem: on_reserve,
    c.ReleaseInventoryReservation: on_release,
    c.AssignReservedInventoryItem: on_assign,
}
BY_ROUTING_KEY = {cls.routing_key(): cls for cls in HANDLERS}


class CommandConsumer:
    def __init__(self, app: CatalogApp) -> None:
        self.app = app

    def subscription(self) -> Subscription:
        return Subscription(
            c.COMMAND_QUEUE, tuple(sorted(BY_ROUTING_KEY)), self.handle, exchange=COMMANDS_EXCHANGE, max_batch=32
        )

    async def handle(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        return [await asyncio.to_thread(self._handle_one, delivery) for delivery in deliveries]

    def _handle_one(self, delivery: Delivery) -> Outcome:
        command_class = BY_ROUTING_KEY.get(delivery.routing_key)
        if command_class is None:
            return PermanentError(f"unknown command {delivery.routing_key!r}")
        try:
            command = command_class.model_validate_json(delivery.body)
        except ValidationError as error:
            return PermanentError(f"invalid {command_class.name}: {error}")
        context = CommandContext(
            actor=Actor(auth_method="system"),
            correlation_id=command.job_id,
            causation_id=delivery.message_id,
            traceparent=delivery.headers.get("traceparent"),
        )
        try:
            with command_context(context):
                HANDLERS[command_class](command, self.app)
        except CatalogError as refusal:
            log.warning("catalog refused %s of job %s: %s", command_class.name, command.job_id, refusal)
            return PermanentError(f"{type(refusal).__name__}: {refusal}")
        except Exception as error:  # transient (database, broker): retried with back-off
            return error
        return None
