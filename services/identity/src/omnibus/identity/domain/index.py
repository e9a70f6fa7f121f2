"""Uniqueness of names (user e-mail and username, role and permission names): one aggregate per name, keyed by
uuid5 of the name and saved atomically with its owner, so a second claim fails on the store's version check."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def index_id(kind: str, name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"omnibus-identity:{kind}:{name.strip().lower()}")


class NameIndex(Aggregate):
    """``owner_id`` is the public id of what holds the name; None once released (a rename, a deleted role)."""

    id: UUID

    class Claimed(Aggregate.Created):
        kind: str
        name: str
        owner_id: int | None

    class Reassigned(Aggregate.Event):
        owner_id: int | None

    @event(Claimed)
    def __init__(self, kind: str, name: str, owner_id: int | None) -> None:
        self.kind = kind
        self.name = name
        self.owner_id = owner_id

    @classmethod
    def claim(cls, kind: str, name: str, owner_id: int) -> NameIndex:
        return cls(id=index_id(kind, name), kind=kind, name=name, owner_id=owner_id)

    def reassign(self, owner_id: int | None) -> None:
        if owner_id != self.owner_id:
            self._reassigned(owner_id=owner_id)

    @event(Reassigned)
    def _reassigned(self, owner_id: int | None) -> None:
        self.owner_id = owner_id
