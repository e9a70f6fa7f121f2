"""Commands from provisioning jobs (``omnibus.commands``, queue ``billing.commands``) -> the billing application.

``RecordSetupCharge`` records the product's setup cost once per job; ``VoidProvisionCharges`` undoes a failed
job's charges (its setup charge and the card charges its play made with ``provision_id``, D71). Both are
idempotent by ``provision_id``. A customer billing has not heard of yet (its directory comes from customers'
events) is retried by the bus, not refused; an invalid line is refused.
"""

from collections.abc import Mapping
from typing import Any

from omnibus.billing.application import BillingApp
from omnibus.billing.domain import ConflictError, InvalidTransactionError
from omnibus.contracts import billing as b
from omnibus.platform.commands import CommandConsumer, CommandHandler, CommandRejected


def on_record_setup_charge(cmd: b.RecordSetupCharge, app: BillingApp) -> dict[str, Any]:
    fields = {
        "service_id": cmd.service_id,
        "title": cmd.title,
        "description": f"Setup of provisioning job {cmd.provision_id}",
        "retail_cost": cmd.retail_cost,
        "wholesale_cost": cmd.wholesale_cost,
        "source": "provisioning",
    }
    try:
        transaction_id = app.record_setup_charge(cmd.provision_id, cmd.customer_id, fields)
    except (InvalidTransactionError, ConflictError) as refusal:
        raise CommandRejected(str(refusal)) from None
    return {"transaction_id": transaction_id}


def on_void_provision_charges(cmd: b.VoidProvisionCharges, app: BillingApp) -> dict[str, Any]:
    return dict(app.undo_provision_charges(cmd.provision_id, cmd.customer_id))


HANDLERS: Mapping[type[b.BillingCommand], CommandHandler] = {
    b.RecordSetupCharge: on_record_setup_charge,
    b.VoidProvisionCharges: on_void_provision_charges,
}


def command_consumer(app: BillingApp) -> CommandConsumer:
    return CommandConsumer(app, b.COMMAND_QUEUE, HANDLERS)
