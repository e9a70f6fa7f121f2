"""Roles, the permission catalogue and UI-managed API keys (identity.md §3.4, §3.6; permissions.md)."""

from __future__ import annotations

from typing import Any

from omnibus.identity.application.sessions import Sessions
from omnibus.identity.domain import (
    ApiKey,
    ApiKeyNotFoundError,
    InvalidInputError,
    Permission,
    PermissionNotFoundError,
    Role,
    RoleNotFoundError,
)
from omnibus.identity.security import new_api_key
from omnibus.platform.auth.roles import ALL_PERMISSIONS, DEFAULT_ROLES, resolve_permission
from omnibus.platform.eventstore import aggregate_uuid, retry_on_conflict

# Display names of the seeded roles (permissions.md §3); their permission sets are the platform's built-in ones.
DEFAULT_ROLE_NAMES = {
    "admin": ("Admin", "Full access, including user, role and API-key management"),
    "support": ("Support", "Customer support: view and update customers and services, impersonate"),
    "finance": ("Finance", "Invoices, transactions and products"),
    "customer": ("Customer", "Self-care users: their own customer's data only"),
    "read-only": ("Read-only", "Every view permission"),
    "provisioning_specialist": ("Provisioning_Specialist", "Services, provisioning, inventory and products"),
    "provisioning": ("provisioning", "Whitelisted provisioning hosts"),
}


class Access(Sessions):
    # --- seeding -----------------------------------------------------------------------------------------------

    def seed_defaults(self) -> None:
        """The permission catalogue and the default roles, once (idempotent; safe to run in every process)."""
        for name in sorted(ALL_PERMISSIONS):
            if self.owner_of("permission_name", name) is None:
                try:
                    self.create_permission(name, None)
                except Exception:  # another process seeded it meanwhile
                    continue
        for key, (name, description) in DEFAULT_ROLE_NAMES.items():
            if self.owner_of("role_name", name) is None:
                try:
                    self.create_role(name, description, sorted(DEFAULT_ROLES[key]))
                except Exception:
                    continue

    # --- roles -------------------------------------------------------------------------------------------------

    def create_role(
        self, name: str, description: str | None, permissions: list[str] | None = None, require_2fa: bool = False
    ) -> Role:
        name = _clean_name(name, "Role name")
        role_id = self.ids.next("role_id")
        role = Role(
            id=aggregate_uuid("role", role_id),
            role_id=role_id,
            name=name,
            description=description,
            permissions=sorted(permissions or []),
        )
        role.set_require_2fa(require_2fa)
        self._save_unique(role, self._claim("role_name", name, role_id), what=f"Role name {name!r}")
        return role

    def get_role(self, role_id: int) -> Role:
        role = self._load(aggregate_uuid("role", role_id), Role, RoleNotFoundError(role_id))
        if role.deleted:
            raise RoleNotFoundError(role_id)
        return role

    def update_role(
        self, role_id: int, name: str | None, description: str | None, require_2fa: bool | None = None
    ) -> Role:
        role = self.get_role(role_id)
        if require_2fa is not None:
            role.set_require_2fa(require_2fa)
        new_name = _clean_name(name, "Role name") if name is not None else role.name
        indexes = []
        if new_name.lower() != role.name.lower():
            indexes = [self._claim("role_name", new_name, role_id), self._release("role_name", role.name)]
        role.update(new_name, description if description is not None else role.description)
        self._save_unique(role, *indexes, what=f"Role name {new_name!r}")
        return role

    def delete_role(self, role_id: int) -> None:
        role = self.get_role(role_id)
        role.delete()
        self.save(role, self._release("role_name", role.name))

    def grant_permissions(self, role_id: int, permission_ids: list[int]) -> Role:
        def command() -> Role:
            role = self.get_role(role_id)
            role.grant({pid: self.get_permission(pid).name for pid in permission_ids})
            self.save(role)
            return role

        return retry_on_conflict(command)

    def revoke_permission(self, role_id: int, permission_id: int) -> Role:
        def command() -> Role:
            role = self.get_role(role_id)
            permission = self.get_permission(permission_id)
            if permission.name not in role.permissions:
                raise PermissionNotFoundError(permission_id)
            role.revoke({permission_id: permission.name})
            self.save(role)
            return role

        return retry_on_conflict(command)

    def add_user_to_role(self, role_id: int, user_id: int) -> None:
        role = self.get_role(role_id)

        def command() -> None:
            user = self.get_user(user_id)
            if role.name not in user.roles:
                user.set_roles([*user.roles, role.name])
                self.save(user)

        retry_on_conflict(command)

    # --- permissions -------------------------------------------------------------------------------------------

    def create_permission(self, name: str, description: str | None) -> Permission:
        name = _clean_name(name, "Permission name").lower()
        permission_id = self.ids.next("permission_id")
        permission = Permission(
            id=aggregate_uuid("permission", permission_id),
            permission_id=permission_id,
            name=name,
            description=description,
        )
        claim = self._claim("permission_name", name, permission_id)
        self._save_unique(permission, claim, what=f"Permission name {name!r}")
        return permission

    def get_permission(self, permission_id: int) -> Permission:
        missing = PermissionNotFoundError(permission_id)
        return self._load(aggregate_uuid("permission", permission_id), Permission, missing)

    # --- API keys ----------------------------------------------------------------------------------------------

    def create_api_key(self, fields: dict[str, Any]) -> tuple[ApiKey, str]:
        """The key and its one-time clear value (never stored)."""
        self._check_key_permissions(fields.get("permissions") or [])
        api_key_id = self.ids.next("api_key_id")
        key = new_api_key()
        api_key = ApiKey.issue(aggregate_uuid("api_key", api_key_id), api_key_id, key, fields, self.now())
        self.save(api_key)
        return api_key, key

    def get_api_key(self, api_key_id: int) -> ApiKey:
        missing = ApiKeyNotFoundError(api_key_id)
        return self._load(aggregate_uuid("api_key", api_key_id), ApiKey, missing)

    def update_api_key(self, api_key_id: int, changes: dict[str, Any]) -> ApiKey:
        if "permissions" in changes:
            self._check_key_permissions(changes["permissions"] or [])

        def command() -> ApiKey:
            api_key = self.get_api_key(api_key_id)
            api_key.update(changes, self.now())
            self.save(api_key)
            return api_key

        return retry_on_conflict(command)

    def revoke_api_key(self, api_key_id: int) -> None:
        def command() -> None:
            api_key = self.get_api_key(api_key_id)
            api_key.revoke()
            self.save(api_key)

        retry_on_conflict(command)

    def regenerate_api_key(self, api_key_id: int) -> tuple[ApiKey, str]:
        key = new_api_key()

        def command() -> ApiKey:
            api_key = self.get_api_key(api_key_id)
            api_key.regenerate(key)
            self.save(api_key)
            return api_key

        return retry_on_conflict(command), key

    def _check_key_permissions(self, names: list[str]) -> None:
        def known(name: str) -> bool:
            return all(p in ALL_PERMISSIONS or self.owner_of("permission_name", p) for p in resolve_permission(name))

        unknown = [n for n in names if not isinstance(n, str) or not known(n)]
        if unknown:
            raise InvalidInputError(f"Unknown permission(s): {', '.join(map(str, unknown))}")


def _clean_name(name: str | None, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} is required")
    if len(name.strip()) > 100:
        raise InvalidInputError(f"{what} is longer than 100 characters")
    return name.strip()
