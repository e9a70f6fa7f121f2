"""UI-managed API keys (identity.md §2.4, §4.7; D15-D18): stored as a SHA-256 hash and the last 3 characters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.identity.domain.errors import ConflictError, InvalidInputError
from omnibus.identity.domain.values import sha256

EXPIRING_SOON = timedelta(days=30)
UPDATABLE = ("name", "description", "expiry_date", "permissions", "ips")


class ApiKey(Aggregate):
    id: UUID

    class Created(Aggregate.Created):
        api_key_id: int
        name: str
        description: str | None
        key_hash: str
        key_suffix: str
        permissions: list[str]
        ips: list[str]
        expiry_date: datetime | None
        created_by: str | None

    class Updated(Aggregate.Event):
        api_key_id: int
        changes: dict[str, Any]

    class Regenerated(Aggregate.Event):
        api_key_id: int
        key_hash: str
        key_suffix: str

    class Revoked(Aggregate.Event):
        api_key_id: int

    @event(Created)
    def __init__(
        self,
        api_key_id: int,
        name: str,
        description: str | None,
        key_hash: str,
        key_suffix: str,
        permissions: list[str],
        ips: list[str],
        expiry_date: datetime | None,
        created_by: str | None,
    ) -> None:
        self.api_key_id = api_key_id
        self.name = name
        self.description = description
        self.key_hash = key_hash
        self.key_suffix = key_suffix
        self.permissions = list(permissions)
        self.ips = list(ips)
        self.expiry_date = expiry_date
        self.created_by = created_by
        self.revoked = False

    @classmethod
    def issue(cls, aggregate_id: UUID, api_key_id: int, key: str, fields: dict[str, Any], now: datetime) -> ApiKey:
        _check_expiry(fields.get("expiry_date"), now)
        return cls(
            id=aggregate_id,
            api_key_id=api_key_id,
            name=fields["name"],
            description=fields.get("description"),
            key_hash=sha256(key),
            key_suffix=key[-3:],
            permissions=list(fields.get("permissions") or []),
            ips=list(fields.get("ips") or []),
            expiry_date=fields.get("expiry_date"),
            created_by=fields.get("created_by"),
        )

    def status(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        if self.expiry_date is not None and self.expiry_date <= now:
            return "expired"
        return "active"

    def expiring_soon(self, now: datetime) -> bool:
        return self.status(now) == "active" and self.expiry_date is not None and self.expiry_date - now <= EXPIRING_SOON

    def update(self, changes: dict[str, Any], now: datetime) -> list[str]:
        """PATCH: a revoked key is final (409); a future expiry re-activates an expired key (D18)."""
        if self.revoked:
            raise ConflictError("The API key is revoked")
        if "expiry_date" in changes:
            _check_expiry(changes["expiry_date"], now)
        real = {k: v for k, v in changes.items() if k in UPDATABLE and getattr(self, k) != v}
        if real:
            self._updated(api_key_id=self.api_key_id, changes=real)
        return sorted(real)

    @event(Updated)
    def _updated(self, api_key_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def regenerate(self, key: str) -> None:
        if self.revoked:
            raise ConflictError("The API key is revoked")
        self._regenerated(api_key_id=self.api_key_id, key_hash=sha256(key), key_suffix=key[-3:])

    @event(Regenerated)
    def _regenerated(self, api_key_id: int, key_hash: str, key_suffix: str) -> None:
        self.key_hash = key_hash
        self.key_suffix = key_suffix

    def revoke(self) -> None:
        if not self.revoked:
            self._revoked(api_key_id=self.api_key_id)

    @event(Revoked)
    def _revoked(self, api_key_id: int) -> None:
        self.revoked = True


def _check_expiry(expiry: datetime | None, now: datetime) -> None:
    if expiry is not None and expiry <= now:
        raise InvalidInputError("expiry_date must be in the future")
