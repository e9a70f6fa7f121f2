"""Commands from provisioning jobs (``omnibus.commands``, queue ``customers.commands``) -> the application.

A job's play creates its service record with the job's ``service_uuid``; once the rest of the job has succeeded,
``ActivateProvisionedService`` makes it Active, and a rollback's ``DeactivateProvisionedService`` makes it
Deactivated. Both are idempotent by the service's state; a play that created no such service (plays decide what
they create) is answered with ``service_id: null``. A service of another customer is refused.
"""

from collections.abc import Mapping
from typing import Any

from omnibus.contracts import customers as c
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import CustomersError, ServiceNotFoundError
from omnibus.platform.commands import CommandConsumer, CommandHandler, CommandRejected


def on_activate(cmd: c.ActivateProvisionedService, app: CustomersApp) -> dict[str, Any]:
    return {"service_id": _set_status(cmd, app, "Active")}


def on_deactivate(cmd: c.DeactivateProvisionedService, app: CustomersApp) -> dict[str, Any]:
    return {"service_id": _set_status(cmd, app, "Deactivated")}


def _set_status(cmd: c.CustomersCommand, app: CustomersApp, status: str) -> int | None:
    try:
        service = app.get_service_by_uuid(cmd.service_uuid)
    except ServiceNotFoundError:
        return None
    if service.customer_id != cmd.customer_id:
        raise CommandRejected(f"service {cmd.service_uuid} belongs to another customer")
    if service.service_status != status:
        try:
            app.update_service(service.service_id, {}, status=status)
        except CustomersError as refusal:  # e.g. a Deactivated service cannot be activated again
            raise CommandRejected(str(refusal)) from None
    return service.service_id


HANDLERS: Mapping[type[c.CustomersCommand], CommandHandler] = {
    c.ActivateProvisionedService: on_activate,
    c.DeactivateProvisionedService: on_deactivate,
}


def command_consumer(app: CustomersApp) -> CommandConsumer:
    return CommandConsumer(app, c.COMMAND_QUEUE, HANDLERS)
