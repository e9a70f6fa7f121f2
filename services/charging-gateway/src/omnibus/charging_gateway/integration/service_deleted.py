"""A deleted service must leave no OCS account behind (charging.md §9 [new]).

customers ``ServiceDeleted`` is the rollback of a failed provisioning, whose play removes the account it created.
The gateway checks CGRateS: gone -> recorded as removed (if the gateway still had it live); still there -> an
``OcsAccountLeftBehind`` alert, once per service. At least once (a platform ``Reaction``): the check is read-only
in CGRateS and the alert's id is derived from the service, so a redelivery records nothing new.
"""

from omnibus.charging_gateway.application import ChargingApp
from omnibus.contracts.customers import ServiceDeleted
from omnibus.platform.consumers import Reaction, ReceivedEvent


class ServiceDeletedCheck(Reaction):
    name = "service_deleted_check"
    handles = (ServiceDeleted,)

    def __init__(self, app: ChargingApp) -> None:
        self.app = app

    def react(self, event: ReceivedEvent) -> None:
        deleted = event.payload
        assert isinstance(deleted, ServiceDeleted)
        self.app.check_account_removed(deleted.service_uuid, deleted.service_id)
