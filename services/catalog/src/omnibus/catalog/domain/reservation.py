"""Reservation: which item a provisioning job holds for one inventory type (the idempotency key of a reserve).

Its id is derived from (job id, type name), and it is saved atomically with the item: a redelivered reserve
command finds it and answers the same item; two deliveries racing conflict on its version, so a job never ends
up holding two items of one type.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Reservation(Aggregate):
    id: UUID  # given by the application: uuid5 of the job id and the type name

    class Made(Aggregate.Created):
        job_id: str
        item: str
        inventory_id: int

    class Renewed(Aggregate.Event):
        inventory_id: int

    class Ended(Aggregate.Event):
        inventory_id: int
        outcome: str  # "released" or "assigned"

    @event(Made)
    def __init__(self, job_id: str, item: str, inventory_id: int) -> None:
        self.job_id = job_id
        self.item = item
        self.inventory_id: int = inventory_id
        self.active = True

    def renew(self, inventory_id: int) -> None:
        self._renewed(inventory_id=inventory_id)

    @event(Renewed)
    def _renewed(self, inventory_id: int) -> None:
        self.inventory_id = inventory_id
        self.active = True

    def end(self, outcome: str) -> None:
        if self.active:
            self._ended(inventory_id=self.inventory_id, outcome=outcome)

    @event(Ended)
    def _ended(self, inventory_id: int, outcome: str) -> None:
        self.active = False
