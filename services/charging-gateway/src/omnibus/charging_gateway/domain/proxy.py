"""The staff OCS proxy's audit record (charging.md §2.9, D82): one aggregate per call."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class ProxyCall(Aggregate):
    """A JSON-RPC call a user made through ``POST /crm/ocs/proxy``, with its params as sent and its outcome."""

    id: UUID

    class Made(Aggregate.Created):
        user_id: str | None
        method: str
        params: list[Any]
        customer_id: int | None
        service_id: int | None
        tenant: str
        result_status: str

    @event(Made)
    def __init__(
        self,
        user_id: str | None,
        method: str,
        params: list[Any],
        customer_id: int | None,
        service_id: int | None,
        tenant: str,
        result_status: str,
    ) -> None:
        self.method = method
        self.result_status = result_status
