"""A refresh session (one login): rotating refresh tokens with reuse detection (D27).

Each refresh replaces the current token. Presenting a token that was already replaced means it was stolen (or
replayed): the whole session ("family") is revoked, so neither the thief nor the user can go on with it.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Rotation(Enum):
    ROTATED = "rotated"
    REUSED = "reused"  # an old token came back: the session is now revoked
    INVALID = "invalid"  # unknown token, expired or revoked session


class RefreshSession(Aggregate):
    id: UUID

    class Started(Aggregate.Created):
        user_id: int
        token_hash: str
        remember_me: bool
        expires_at: datetime
        impersonating_user_id: int | None
        impersonation_id: int | None
        user_epoch: int

    class Rotated(Aggregate.Event):
        token_hash: str

    class Revoked(Aggregate.Event):
        user_id: int
        reason: str

    @event(Started)
    def __init__(
        self,
        user_id: int,
        token_hash: str,
        remember_me: bool,
        expires_at: datetime,
        impersonating_user_id: int | None,
        impersonation_id: int | None,
        user_epoch: int,
    ) -> None:
        self.user_id = user_id
        self.user_epoch = user_epoch
        self.token_hash = token_hash
        self.used_hashes: list[str] = []
        self.remember_me = remember_me
        self.expires_at = expires_at
        self.impersonating_user_id = impersonating_user_id
        self.impersonation_id = impersonation_id
        self.revoked = False

    def rotate(self, presented_hash: str, new_hash: str, now: datetime) -> Rotation:
        if presented_hash in self.used_hashes:
            if not self.revoked:
                self._revoked(user_id=self.user_id, reason="reuse")
            return Rotation.REUSED
        if self.revoked or now >= self.expires_at or presented_hash != self.token_hash:
            return Rotation.INVALID
        self._rotated(token_hash=new_hash)
        return Rotation.ROTATED

    @event(Rotated)
    def _rotated(self, token_hash: str) -> None:
        self.used_hashes.append(self.token_hash)
        self.token_hash = token_hash

    def revoke(self, reason: str) -> None:
        if not self.revoked:
            self._revoked(user_id=self.user_id, reason=reason)

    @event(Revoked)
    def _revoked(self, user_id: int, reason: str) -> None:
        self.revoked = True
