"""Roles (named permission sets) and the permission catalogue (identity.md §2.2-2.3, permissions.md)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.identity.domain.errors import ConflictError

BUILT_IN = ("admin", "customer")  # cannot be deleted [new]


class Role(Aggregate):
    id: UUID

    class Created(Aggregate.Created):
        role_id: int
        name: str
        description: str | None
        permissions: list[str]

    class Updated(Aggregate.Event):
        role_id: int
        name: str
        previous_name: str
        description: str | None
        permissions: list[str]

    class Deleted(Aggregate.Event):
        role_id: int
        name: str

    class TwoFactorRequirementChanged(Aggregate.Event):
        role_id: int
        require_2fa: bool

    class PermissionsGranted(Aggregate.Event):
        role_id: int
        name: str
        permission_ids: list[int]
        permissions: list[str]

    class PermissionsRevoked(Aggregate.Event):
        role_id: int
        name: str
        permission_ids: list[int]
        permissions: list[str]

    @event(Created)
    def __init__(self, role_id: int, name: str, description: str | None, permissions: list[str]) -> None:
        self.role_id = role_id
        self.name = name
        self.description = description
        self.permissions = sorted(set(permissions))
        self.deleted = False
        self.require_2fa = False  # D20: members must enrol in 2FA before they get the role's permissions

    @property
    def built_in(self) -> bool:
        return self.name.lower() in BUILT_IN

    def update(self, name: str, description: str | None) -> None:
        if name != self.name or description != self.description:
            self._updated(
                role_id=self.role_id,
                name=name,
                previous_name=self.name,
                description=description,
                permissions=list(self.permissions),
            )

    @event(Updated)
    def _updated(
        self, role_id: int, name: str, previous_name: str, description: str | None, permissions: list[str]
    ) -> None:
        self.name = name
        self.description = description

    def set_require_2fa(self, required: bool) -> None:
        if required != self.require_2fa:
            self._two_factor_requirement_changed(role_id=self.role_id, require_2fa=required)

    @event(TwoFactorRequirementChanged)
    def _two_factor_requirement_changed(self, role_id: int, require_2fa: bool) -> None:
        self.require_2fa = require_2fa

    def delete(self) -> None:
        if self.built_in:
            raise ConflictError(f"The built-in role {self.name} cannot be deleted")
        if not self.deleted:
            self._deleted(role_id=self.role_id, name=self.name)

    @event(Deleted)
    def _deleted(self, role_id: int, name: str) -> None:
        self.deleted = True

    def grant(self, permissions: dict[int, str]) -> None:
        new = {pid: name for pid, name in permissions.items() if name not in self.permissions}
        if new:
            after = sorted(set(self.permissions) | set(new.values()))
            self._granted(role_id=self.role_id, name=self.name, permission_ids=sorted(new), permissions=after)

    @event(PermissionsGranted)
    def _granted(self, role_id: int, name: str, permission_ids: list[int], permissions: list[str]) -> None:
        self.permissions = list(permissions)

    def revoke(self, permissions: dict[int, str]) -> None:
        gone = {pid: name for pid, name in permissions.items() if name in self.permissions}
        if gone:
            after = sorted(set(self.permissions) - set(gone.values()))
            self._revoked(role_id=self.role_id, name=self.name, permission_ids=sorted(gone), permissions=after)

    @event(PermissionsRevoked)
    def _revoked(self, role_id: int, name: str, permission_ids: list[int], permissions: list[str]) -> None:
        self.permissions = list(permissions)


class Permission(Aggregate):
    id: UUID

    class Created(Aggregate.Created):
        permission_id: int
        name: str
        description: str | None

    @event(Created)
    def __init__(self, permission_id: int, name: str, description: str | None) -> None:
        self.permission_id = permission_id
        self.name = name
        self.description = description
