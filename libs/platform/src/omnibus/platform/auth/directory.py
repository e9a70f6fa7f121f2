"""Every service's local copy of identity's roles and API keys (ARCHITECTURE.md §9; identity.md §4.1).

``AccessDirectoryProjection`` keeps two tables in the service's own database from identity's published events
(``RoleCreated`` ... ``ApiKeyRevoked``). ``AccessDirectory`` answers the authenticator from an in-memory snapshot
of those tables: an API-key check is one SHA-256 and one dict lookup, a role lookup one dict lookup, no I/O and no
call to identity. The snapshot is reloaded when the projection in this process applied a change, and at most
``ttl`` seconds after a change applied by another process of the same service (an API-only process).
The projection signals a change before its transaction commits, so the snapshot is read again shortly after.
"""

import hashlib
import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Engine, MetaData, String, Table, select

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import identity as i
from omnibus.platform.auth.authenticator import AuthenticationError, PermissionDenied
from omnibus.platform.auth.principal import Principal
from omnibus.platform.auth.roles import DEFAULT_ROLES, resolve_permissions
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows

metadata = MetaData()

access_roles = Table(
    "access_roles",
    metadata,
    Column("role_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("deleted", Boolean, nullable=False),
)

access_api_keys = Table(
    "access_api_keys",
    metadata,
    Column("api_key_id", BigInteger, primary_key=True, autoincrement=False),
    Column("key_hash", String(64), nullable=False, index=True),
    Column("key_name", String(255), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("ips", JSON, nullable=False),
    Column("expiry_date", DateTime(timezone=True)),
    Column("revoked", Boolean, nullable=False),
)


def key_hash(presented: str) -> str:
    """How API keys are stored and published: SHA-256 hex (D15)."""
    return hashlib.sha256(presented.encode()).hexdigest()


@dataclass(frozen=True)
class _Key:
    api_key_id: int
    name: str
    permissions: frozenset[str]
    ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    expiry_date: datetime | None
    revoked: bool


class AccessDirectory:
    """Roles and UI-managed API keys as published by identity, answered from memory."""

    def __init__(self, engine: Engine, ttl: float = 2.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._roles: Mapping[str, frozenset[str]] = DEFAULT_ROLES
        self._keys: dict[str, _Key] = {}
        self._loaded_at = float("-inf")
        self._changed = False
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._changed = True
        self._loaded_at = float("-inf")

    def roles(self) -> Mapping[str, frozenset[str]]:
        self._fresh()
        return self._roles

    def lookup_api_key(self, presented: str, client_ip: str | None) -> Principal | None:
        """The principal of a UI-managed key; None when identity never issued it (config keys are tried next)."""
        self._fresh()
        key = self._keys.get(key_hash(presented))
        if key is None:
            return None
        if key.revoked:
            raise AuthenticationError("Invalid API key: revoked")
        if key.expiry_date is not None and key.expiry_date <= datetime.now(UTC):
            raise AuthenticationError("Invalid API key: expired")
        if key.ips and not _allowed(client_ip, key.ips):
            raise PermissionDenied(f"API key not allowed from {client_ip}")
        return Principal(
            auth_method="api_key",
            permissions=key.permissions,
            api_key_id=key.api_key_id,
            client_ip=client_ip,
        )

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < self.ttl:
                return
            self._load()

    def _load(self) -> None:
        loaded_at = time.monotonic()
        if self._changed:  # the change may not be committed yet: look again in 50 ms
            self._changed = False
            loaded_at -= self.ttl - 0.05
        with self.engine.connect() as conn:
            role_rows = conn.execute(select(access_roles)).mappings().all()
            key_rows = conn.execute(select(access_api_keys)).mappings().all()
        roles = dict(DEFAULT_ROLES)
        for row in role_rows:  # a deleted role grants nothing, even when a built-in role had its name
            roles[row["name"].lower()] = frozenset() if row["deleted"] else frozenset(row["permissions"])
        self._roles = roles
        self._keys = {row["key_hash"]: _key(row) for row in key_rows}
        self._loaded_at = loaded_at


def _key(row: Any) -> _Key:
    expiry = row["expiry_date"]
    if expiry is not None and expiry.tzinfo is None:  # SQLite returns naive UTC
        expiry = expiry.replace(tzinfo=UTC)
    return _Key(
        api_key_id=row["api_key_id"],
        name=row["key_name"],
        permissions=resolve_permissions(row["permissions"]),
        ips=tuple(ipaddress.ip_network(ip, strict=False) for ip in row["ips"]),
        expiry_date=expiry,
        revoked=row["revoked"],
    )


def _allowed(address: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def _role(role_id: int, name: str, permissions: list[str], deleted: bool = False) -> dict[str, Any]:
    return {"role_id": role_id, "name": name, "permissions": permissions, "deleted": deleted}


# Every role event carries the role's whole state, so each one is an upsert: a service that missed earlier events
# (it subscribed later) still gets the role right from the next change on.
def _role_created(e: i.RoleCreated, rows: Rows) -> None:
    rows(access_roles).put(_role(e.role_id, e.role_name, e.permissions))


def _role_updated(e: i.RoleUpdated, rows: Rows) -> None:
    rows(access_roles).put(_role(e.role_id, e.role_name, e.permissions))


def _role_deleted(e: i.RoleDeleted, rows: Rows) -> None:
    rows(access_roles).put(_role(e.role_id, e.role_name, [], deleted=True))


def _role_permissions(e: i.PermissionGrantedToRole | i.PermissionRevokedFromRole, rows: Rows) -> None:
    rows(access_roles).put(_role(e.role_id, e.role_name, e.permissions))


def _key_created(e: i.ApiKeyCreated, rows: Rows) -> None:
    rows(access_api_keys).put(
        {
            "api_key_id": e.api_key_id,
            "key_hash": e.key_hash,
            "key_name": e.key_name,
            "permissions": e.permissions,
            "ips": e.ips,
            "expiry_date": e.expiry_date,
            "revoked": False,
        }
    )


def _key_updated(e: i.ApiKeyUpdated, rows: Rows) -> None:
    fields = ("key_name", "permissions", "ips", "expiry_date")
    changed = {f: getattr(e, f) for f in fields if f in e.changed_fields}
    if changed:
        rows(access_api_keys).update(e.api_key_id, **changed)


def _key_regenerated(e: i.ApiKeyRegenerated, rows: Rows) -> None:
    rows(access_api_keys).update(e.api_key_id, key_hash=e.key_hash)


def _key_revoked(e: i.ApiKeyRevoked, rows: Rows) -> None:
    rows(access_api_keys).update(e.api_key_id, revoked=True)


HANDLERS: dict[type[IntegrationEvent], Callable[[Any, Rows], None]] = {
    i.RoleCreated: _role_created,
    i.RoleUpdated: _role_updated,
    i.RoleDeleted: _role_deleted,
    i.PermissionGrantedToRole: _role_permissions,
    i.PermissionRevokedFromRole: _role_permissions,
    i.ApiKeyCreated: _key_created,
    i.ApiKeyUpdated: _key_updated,
    i.ApiKeyRegenerated: _key_regenerated,
    i.ApiKeyRevoked: _key_revoked,
}


class AccessDirectoryProjection(BusProjection):
    """Feeds a service's ``AccessDirectory`` tables from identity's events."""

    name = "access_directory"
    tables = (access_roles, access_api_keys)
    handles = tuple(HANDLERS)

    def __init__(self, directory: AccessDirectory) -> None:
        self.directory = directory

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        HANDLERS[type(event.payload)](event.payload, rows)
        self.directory.invalidate()  # the next request reloads (after this batch commits: reads see it then)
