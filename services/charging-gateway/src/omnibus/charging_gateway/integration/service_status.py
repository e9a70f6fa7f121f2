"""Suspend and resume (charging.md §4.9, D84): customers' service status drives the OCS account.

Suspended -> the account is disabled (reversible, balances kept; rating debits fail); back to Active -> enabled.
Deactivated is left to the deprovision play, which disables or removes the account and its plans. A service
without an OCS account (not every product has one) is left alone. Disabling twice is harmless (CGRateS's
SetAccount is an upsert and the aggregate records the change once), as a redelivery requires.
"""

import logging

from omnibus.charging_gateway.application import ChargingApp
from omnibus.contracts.customers import ServiceStatusChanged
from omnibus.platform.consumers import Reaction, ReceivedEvent

log = logging.getLogger(__name__)


class ServiceStatusReaction(Reaction):
    name = "service_status"
    handles = (ServiceStatusChanged,)

    def __init__(self, app: ChargingApp) -> None:
        self.app = app

    def react(self, event: ReceivedEvent) -> None:
        change = event.payload
        assert isinstance(change, ServiceStatusChanged)
        if change.to_status == "Suspended":
            command, reason = self.app.disable_account, f"service {change.service_id} suspended"
        elif change.from_status == "Suspended" and change.to_status == "Active":
            command, reason = self.app.enable_account, f"service {change.service_id} resumed"
        else:
            return
        account = self.app.find(change.service_uuid)
        if account is None or account.removed:
            log.info("service %s has no live OCS account: nothing to %s", change.service_uuid, reason)
            return
        command(change.service_uuid, reason)
