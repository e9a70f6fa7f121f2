"""Roles and permissions (identity.md §3.4): admin only."""

from typing import Any

from fastapi import APIRouter

from omnibus.identity.api.deps import AdminDep, IdentityAppDep, ReadDep
from omnibus.identity.api.schemas import PermissionBody, RoleBody, RolePermissionsBody, RoleUpdate
from omnibus.identity.api.views import role_view
from omnibus.identity.readmodel.queries import all_permissions, all_roles, users_in_role

router = APIRouter(tags=["roles"])


@router.get("/auth/roles")
def list_roles(read: ReadDep, _: AdminDep) -> list[dict[str, Any]]:
    return [role_view(r, users_in_role(read, r["name"])) for r in all_roles(read)]


@router.post("/auth/roles")
def create_role(body: RoleBody, app: IdentityAppDep, _: AdminDep) -> dict[str, Any]:
    return role_view(app.create_role(body.name, body.description, require_2fa=body.require_2fa), [])


@router.get("/auth/roles/{role_id}")
def get_role(role_id: int, app: IdentityAppDep, read: ReadDep, _: AdminDep) -> dict[str, Any]:
    role = app.get_role(role_id)
    return role_view(role, users_in_role(read, role.name))


@router.put("/auth/roles/{role_id}")
def update_role(role_id: int, body: RoleUpdate, app: IdentityAppDep, read: ReadDep, _: AdminDep) -> dict[str, Any]:
    role = app.update_role(role_id, body.name, body.description, body.require_2fa)
    return role_view(role, users_in_role(read, role.name))


@router.delete("/auth/roles/{role_id}")
def delete_role(role_id: int, app: IdentityAppDep, _: AdminDep) -> dict[str, str]:
    """Members lose the role's permissions at their next request; Admin and Customer cannot be deleted."""
    app.delete_role(role_id)
    return {"result": "success"}


@router.post("/auth/roles/{role_id}/permissions")
def grant_permissions(
    role_id: int, body: RolePermissionsBody, app: IdentityAppDep, read: ReadDep, _: AdminDep
) -> dict[str, Any]:
    role = app.grant_permissions(role_id, body.ids())
    return role_view(role, users_in_role(read, role.name))


@router.delete("/auth/roles/{role_id}/permissions/{permission_id}")
def revoke_permission(
    role_id: int, permission_id: int, app: IdentityAppDep, read: ReadDep, _: AdminDep
) -> dict[str, Any]:
    role = app.revoke_permission(role_id, permission_id)
    return role_view(role, users_in_role(read, role.name))


@router.post("/auth/roles/{role_id}/users/{user_id}")
def add_user_to_role(role_id: int, user_id: int, app: IdentityAppDep, read: ReadDep, _: AdminDep) -> dict[str, Any]:
    app.add_user_to_role(role_id, user_id)
    role = app.get_role(role_id)
    return role_view(role, users_in_role(read, role.name))


@router.get("/auth/roles/{role_id}/users")
def role_users(role_id: int, app: IdentityAppDep, read: ReadDep, _: AdminDep) -> list[dict[str, Any]]:
    role = app.get_role(role_id)
    return [
        {"id": u["user_id"], "username": u["username"], "email": u["email"]} for u in users_in_role(read, role.name)
    ]


@router.get("/auth/permissions")
def list_permissions(read: ReadDep, _: AdminDep) -> list[dict[str, Any]]:
    return [
        {"id": p["permission_id"], "name": p["name"], "description": p["description"]} for p in all_permissions(read)
    ]


@router.post("/auth/permissions")
def create_permission(body: PermissionBody, app: IdentityAppDep, _: AdminDep) -> dict[str, Any]:
    permission = app.create_permission(body.name, body.description)
    return {"id": permission.permission_id, "name": permission.name, "description": permission.description}
