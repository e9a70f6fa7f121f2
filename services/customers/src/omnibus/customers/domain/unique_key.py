"""UniqueKey: a uuid5-keyed index aggregate that makes a natural key unique (CONVENTIONS §6.9).

It is saved together with the record that claims it, so two concurrent claims cannot both commit: the second
save conflicts on the key's version. Released keys may be claimed again (a service deleted by a rollback).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class UniqueKey(Aggregate):
    id: UUID  # uuid5 of the natural key, given by the application

    class Claimed(Aggregate.Created):
        key: str
        owner: int

    class Reclaimed(Aggregate.Event):
        owner: int

    class Released(Aggregate.Event):
        owner: int

    @event(Claimed)
    def __init__(self, key: str, owner: int) -> None:
        self.key = key
        self.owner: int | None = owner

    def claim(self, owner: int) -> None:
        self._reclaimed(owner=owner)

    @event(Reclaimed)
    def _reclaimed(self, owner: int) -> None:
        self.owner = owner

    def release(self) -> None:
        if self.owner is not None:
            self._released(owner=self.owner)

    @event(Released)
    def _released(self, owner: int) -> None:
        self.owner = None
