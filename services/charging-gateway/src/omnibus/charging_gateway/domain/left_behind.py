"""An OCS account left behind by a deleted service (charging.md §9 [new]): customers deleted the service (the
rollback of a failed provisioning) but CGRateS still has its account, with whatever balances and ActionPlans it
holds. Recorded once per service, as an alert for operators; the gateway does not remove the account itself
(removal loses balances for good, and the play may simply not have reached that step yet)."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

NAMESPACE = UUID("6f6d6e69-6275-5300-8000-0000000000c7")


def left_behind_id(service_uuid: str, service_id: int) -> UUID:
    return uuid5(NAMESPACE, f"left_behind:{service_id}:{service_uuid}")


class LeftBehindAccount(Aggregate):
    id: UUID

    class Found(Aggregate.Created):
        service_uuid: str
        service_id: int
        tenant: str
        action_plan_ids: list[str]
        balance_types: list[str]

    @event(Found)
    def __init__(
        self, service_uuid: str, service_id: int, tenant: str, action_plan_ids: list[str], balance_types: list[str]
    ) -> None:
        self.service_uuid = service_uuid
        self.service_id = service_id
