"""Security facts that belong to no user: failed logins (the e-mail may name nobody) and impersonation sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.identity.domain.errors import ConflictError


class LoginAttempt(Aggregate):
    """One failed login: recorded once, never changed (a random id)."""

    class Failed(Aggregate.Created):
        email: str
        reason: str
        ip: str | None

    @event(Failed)
    def __init__(self, email: str, reason: str, ip: str | None) -> None:
        self.email = email
        self.reason = reason
        self.ip = ip


class Impersonation(Aggregate):
    """A staff user acting as another user (identity.md §2.10, §4.8; D32)."""

    id: UUID

    class Started(Aggregate.Created):
        impersonation_id: int
        impersonating_user_id: int
        target_user_id: int
        impersonation_start: datetime

    class Ended(Aggregate.Event):
        impersonation_id: int
        impersonating_user_id: int
        target_user_id: int
        impersonation_end: datetime
        duration_seconds: int

    @event(Started)
    def __init__(
        self, impersonation_id: int, impersonating_user_id: int, target_user_id: int, impersonation_start: datetime
    ) -> None:
        self.impersonation_id = impersonation_id
        self.impersonating_user_id = impersonating_user_id
        self.target_user_id = target_user_id
        self.impersonation_start = impersonation_start
        self.impersonation_end: datetime | None = None

    def end(self, now: datetime) -> int:
        if self.impersonation_end is not None:
            raise ConflictError("Not impersonating")
        duration = max(0, int((now - self.impersonation_start).total_seconds()))
        self._ended(
            impersonation_id=self.impersonation_id,
            impersonating_user_id=self.impersonating_user_id,
            target_user_id=self.target_user_id,
            impersonation_end=now,
            duration_seconds=duration,
        )
        return duration

    @event(Ended)
    def _ended(
        self,
        impersonation_id: int,
        impersonating_user_id: int,
        target_user_id: int,
        impersonation_end: datetime,
        duration_seconds: int,
    ) -> None:
        self.impersonation_end = impersonation_end
