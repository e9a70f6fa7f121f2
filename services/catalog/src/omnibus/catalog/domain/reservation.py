"""Reservation: what a provisioning job holds of one inventory type (the idempotency key of a reserve command).

Its id is derived from (job id, type name), and it is saved atomically with the item: a redelivered reserve
command finds it and answers the same item; two deliveries racing conflict on its version, so a job never ends
up holding two items of one type. A refused reservation (no stock) is recorded too, so that the refusal is
published as the command's answer.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Reservation(Aggregate):
    id: UUID  # given by the application: uuid5 of the job id and the type name

    class Opened(Aggregate.Created):
        job_id: str
        item: str

    class Held(Aggregate.Event):
        job_id: str
        item: str
        inventory_id: int

    class Refused(Aggregate.Event):
        job_id: str
        item: str
        reason: str

    class Ended(Aggregate.Event):
        inventory_id: int
        outcome: str  # "released" or "assigned"

    @event(Opened)
    def __init__(self, job_id: str, item: str) -> None:
        self.job_id = job_id
        self.item = item
        self.inventory_id: int | None = None
        self.active = False

    def hold(self, inventory_id: int) -> None:
        self._held(job_id=self.job_id, item=self.item, inventory_id=inventory_id)

    @event(Held)
    def _held(self, job_id: str, item: str, inventory_id: int) -> None:
        self.inventory_id = inventory_id
        self.active = True

    def refuse(self, reason: str) -> None:
        if not self.active:
            self._refused(job_id=self.job_id, item=self.item, reason=reason)

    @event(Refused)
    def _refused(self, job_id: str, item: str, reason: str) -> None:
        pass

    def end(self, outcome: str) -> None:
        if self.active and self.inventory_id is not None:
            self._ended(inventory_id=self.inventory_id, outcome=outcome)

    @event(Ended)
    def _ended(self, inventory_id: int, outcome: str) -> None:
        self.active = False
