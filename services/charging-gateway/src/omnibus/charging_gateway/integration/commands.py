"""Commands from provisioning jobs (``omnibus.commands``, queue ``charging-gateway.commands``) -> the application.

``PrepareOcsAccount`` creates (or re-opens) a service's CGRateS account before its play runs; ``RemoveOcsAccount``
removes it again when the job rolls back. Both are idempotent by ``service_uuid`` (``SetAccount`` is an upsert,
``RemoveAccount`` of a missing account is a no-op), and their CGRateS calls must happen before their events are
recorded (charging.md §5.1), so they run with ``deferred=False`` (``omnibus.platform.commands``). CGRateS refusing
(an error string) is a rejection; CGRateS unreachable or an unknown outcome is retried by the bus.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSError, Unavailable
from omnibus.charging_gateway.domain import ChargingError
from omnibus.contracts import charging as c
from omnibus.platform.commands import CommandConsumer, CommandHandler, CommandRejected


def on_prepare(cmd: c.PrepareOcsAccount, app: ChargingApp) -> dict[str, Any]:
    with _refusals():
        account = app.create_account(cmd.service_uuid, allow_negative=cmd.allow_negative, disabled=cmd.disabled)
    return {"service_uuid": account.service_uuid, "tenant": account.tenant}


def on_remove(cmd: c.RemoveOcsAccount, app: ChargingApp) -> dict[str, Any]:
    with _refusals():
        removed = app.discard_account(cmd.service_uuid)
    return {"service_uuid": cmd.service_uuid, "removed": removed}


@contextmanager
def _refusals() -> Iterator[None]:
    """CGRateS's or the gateway's "no" -> CommandRejected; Unavailable (and OutcomeUnknown) stay transient."""
    try:
        yield
    except Unavailable:
        raise
    except (ChargingError, CGRateSError) as error:
        raise CommandRejected(str(error)) from error


HANDLERS: Mapping[type[c.ChargingCommand], CommandHandler] = {
    c.PrepareOcsAccount: on_prepare,
    c.RemoveOcsAccount: on_remove,
}


def command_consumer(app: ChargingApp) -> CommandConsumer:
    return CommandConsumer(app, c.COMMAND_QUEUE, HANDLERS, deferred=False)
