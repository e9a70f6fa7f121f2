"""UniqueKey: one aggregate per unique value (a product slug, a template name, an item's identifier).

Saved atomically with its owner, so two concurrent commands cannot claim the same value: the second save
conflicts on the key's version (CONVENTIONS.md §6.9). A released key can be claimed again.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic


class UniqueKey(Aggregate):
    id: UUID  # given by the application: uuid5 of the kind and the value

    class Claimed(Aggregate.Created):
        kind: str
        value: str
        owner: int

    class Reclaimed(Aggregate.Event):
        owner: int

    class Released(Aggregate.Event):
        owner: int

    @event(Claimed)
    def __init__(self, kind: str, value: str, owner: int) -> None:
        self.kind = kind
        self.value = value
        self.owner: int | None = owner

    @classmethod
    def claim_event(cls, *, id: UUID, kind: str, value: str, owner: int) -> UniqueKey.Claimed:
        """The event that creates a key, without building the aggregate (bulk imports)."""
        return cls.Claimed(
            originator_id=id,
            originator_version=1,
            timestamp=cls.Claimed.create_timestamp(),
            originator_topic=get_topic(cls),
            kind=kind,
            value=value,
            owner=owner,
        )

    def claim(self, owner: int) -> bool:
        """Claim a released key; False when another owner holds it (True when this owner already does)."""
        if self.owner == owner:
            return True
        if self.owner is not None:
            return False
        self._reclaimed(owner=owner)
        return True

    @event(Reclaimed)
    def _reclaimed(self, owner: int) -> None:
        self.owner = owner

    def release(self, owner: int) -> None:
        if self.owner == owner:
            self._released(owner=owner)

    @event(Released)
    def _released(self, owner: int) -> None:
        self.owner = None
