"""ProvisionKey: a request key (e.g. the event that asked for a renewal) claimed by the job it started, saved with
the job, so a request seen twice starts one job (CONVENTIONS 6.9: uniqueness by a uuid5-keyed aggregate)."""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid.UUID("7a1c3d62-5b0e-4d1f-9a43-1f2e3d4c5b6a")


def key_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"provision-key:{key}")


class ProvisionKey(Aggregate):
    id: uuid.UUID

    class Claimed(Aggregate.Created):
        key: str
        provision_id: int

    @event(Claimed)
    def __init__(self, key: str, provision_id: int) -> None:
        self.key = key
        self.provision_id = provision_id
