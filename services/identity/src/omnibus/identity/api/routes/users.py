"""User administration (identity.md §3.3): admin only, except reading one's own profile."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from omnibus.identity.api.deps import AdminDep, IdentityAppDep, ReadDep, UserDep, self_or_admin
from omnibus.identity.api.schemas import AdminResetBody, UserCreate, UserUpdate
from omnibus.identity.api.views import user_row_view, user_view
from omnibus.identity.readmodel.queries import all_users, search_users
from omnibus.platform.auth import PermissionDenied
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["users"])

PROFILE_FIELDS = {"first_name", "middle_name", "last_name", "phone_number", "email"}


@router.post("/auth/users")
def create_user(body: UserCreate, app: IdentityAppDep, _: AdminDep) -> dict[str, Any]:
    """Create a staff or self-care user; a welcome e-mail is sent."""
    fields = body.model_dump(exclude={"password", "role", "roles"})
    user = app.create_user(fields, body.password, body.role_names())
    return user_view(user)


@router.get("/auth/users")
def list_users(read: ReadDep, _: AdminDep) -> list[dict[str, Any]]:
    """Every user, deleted ones included (``deleted`` says)."""
    return [user_row_view(r) for r in all_users(read)]


@router.get("/auth/users/search")
def search(read: ReadDep, paging: Annotated[Paging, Depends()], _: AdminDep) -> dict[str, Any]:
    """Search by name or e-mail; ``filters`` e.g. ``{"role":["Support"]}``, ``{"deleted":[true]}``."""
    rows, total = search_users(
        read, search=paging.search, filters=paging.filters, offset=paging.offset, limit=paging.per_page
    )
    return paging.envelope([user_row_view(r) for r in rows], total)


@router.get("/auth/users/me")
def me(app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """One's own profile, with the 2FA nag flag for admins without 2FA (D20)."""
    assert caller.user_id is not None
    user = app.get_user(caller.user_id)
    show_nag = caller.is_admin and not user.is_2fa_enabled
    return {**user_view(user), "requires_2fa_setup": app.requires_2fa_setup(user), "show_2fa_nag": show_nag}


@router.get("/auth/users/{user_id}")
def get_user(user_id: int, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """A user (admins: anyone; users: themselves)."""
    self_or_admin(caller, user_id)
    return user_view(app.get_user(user_id))


@router.put("/auth/users/{user_id}")
def update_user(user_id: int, body: UserUpdate, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """Change profile fields, roles (replaces the set), ``deleted``; a new e-mail waits for verification."""
    self_or_admin(caller, user_id)
    changes = body.model_dump(include=body.model_fields_set - {"role", "roles"})
    roles = body.role_names()
    if not caller.is_admin and (roles is not None or set(changes) - PROFILE_FIELDS):
        raise PermissionDenied("Permission denied: only an admin changes roles, status or bindings")
    return user_view(app.update_user(user_id, changes, roles))


@router.delete("/auth/users/{user_id}")
def delete_user(user_id: int, app: IdentityAppDep, _: AdminDep) -> dict[str, str]:
    """Soft delete: login refused, sessions ended, history kept; ``PUT {"deleted": false}`` restores."""
    app.delete_user(user_id)
    return {"result": "success"}


@router.post("/auth/users/{user_id}/admin_reset_password")
def admin_reset_password(user_id: int, body: AdminResetBody, app: IdentityAppDep, access: AdminDep) -> dict[str, str]:
    """Set a user's password; ``force_change`` makes them change it at next login. Their sessions end."""
    admin_id = access.principal.user_id
    admin = app.get_user(admin_id) if admin_id is not None else None
    app.admin_reset_password(user_id, body.new_password, body.force_change, admin)
    return {"message": "Password reset"}


@router.post("/auth/users/{user_id}/resend_welcome")
def resend_welcome(user_id: int, app: IdentityAppDep, _: AdminDep) -> dict[str, str]:
    """Send the welcome e-mail again (409 once the user has logged in)."""
    app.resend_welcome(user_id)
    return {"message": "Welcome e-mail sent"}
