"""The answers to the saga's commands (``<context>.CommandReplied``) -> the job that gave them.

Each context's replies come on its own queue (``provisioning.from.<context>``). A reply to a command another
context issued is ignored; one for this service names its job in the correlation id (``provision:<id>``).
``ProvisioningApp.record_answer`` ignores a reply it does not await (a redelivery, a late answer after a timeout),
so this reaction is idempotent, as a platform ``Reaction`` (at least once) must be.
"""

import logging

from omnibus.contracts.billing import BillingCommandReplied
from omnibus.contracts.catalog import CatalogCommandReplied
from omnibus.contracts.charging import ChargingCommandReplied
from omnibus.contracts.commands import CommandReplied
from omnibus.contracts.customers import CustomersCommandReplied
from omnibus.platform.consumers import Reaction, ReceivedEvent
from omnibus.provisioning.application import ProvisioningApp
from omnibus.provisioning.domain import ProvisionNotFoundError

log = logging.getLogger(__name__)
ISSUER = "provisioning"


def provision_of(correlation_id: str | None) -> int | None:
    prefix, _, number = (correlation_id or "").partition(":")
    return int(number) if prefix == "provision" and number.isdigit() else None


class SagaReplies(Reaction):
    name = "saga_replies"
    handles = (CatalogCommandReplied, ChargingCommandReplied, CustomersCommandReplied, BillingCommandReplied)

    def __init__(self, app: ProvisioningApp) -> None:
        self.app = app

    def react(self, event: ReceivedEvent) -> None:
        reply = event.payload
        assert isinstance(reply, CommandReplied)
        if reply.issuer != ISSUER:
            return
        provision_id = provision_of(reply.correlation_id)
        if provision_id is None:
            log.warning("a reply to %s names no job (correlation id %r)", reply.command_id, reply.correlation_id)
            return
        try:
            self.app.record_answer(provision_id, reply.command_id, reply.outcome, reply.result, reply.reason)
        except ProvisionNotFoundError:
            log.warning("a reply to %s of an unknown job %d", reply.command_id, provision_id)
