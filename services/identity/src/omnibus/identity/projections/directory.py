"""identity's own read models, kept from its events: users, roles, permissions, API keys, impersonation logs,
and the audit list of security events (identity.md §8: every security-relevant event can be listed)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from omnibus.identity.domain import ApiKey, Impersonation, LoginAttempt, Permission, RefreshSession, Role, User
from omnibus.identity.readmodel.tables import api_keys, audit, impersonations, permissions, roles, users
from omnibus.platform.eventstore import event_meta, topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def on_user_created(e: User.Created, rows: Rows) -> None:
    rows(users).put(
        {
            "user_id": e.user_id,
            "username": e.username,
            "email": e.email,
            "first_name": e.first_name,
            "middle_name": e.middle_name,
            "last_name": e.last_name,
            "phone_number": e.phone_number,
            "roles": e.roles,
            "customer_id": e.customer_id,
            "contact_id": e.contact_id,
            "email_verified": False,
            "is_2fa_enabled": False,
            "login_count": 0,
            "deleted": False,
            "created": e.timestamp,
        }
    )


def on_profile_updated(e: User.ProfileUpdated, rows: Rows) -> None:
    rows(users).update(e.user_id, **e.changes)


def on_roles_changed(e: User.RolesChanged, rows: Rows) -> None:
    rows(users).update(e.user_id, roles=e.roles)


def on_soft_deleted(e: User.SoftDeleted, rows: Rows) -> None:
    rows(users).update(e.user_id, deleted=True, deleted_at=e.deleted_at)


def on_restored(e: User.Restored, rows: Rows) -> None:
    rows(users).update(e.user_id, deleted=False, deleted_at=None)


def on_logged_in(e: User.LoggedIn, rows: Rows) -> None:
    row = rows(users).get(e.user_id)
    if row is not None:
        rows(users).update(e.user_id, login_count=row["login_count"] + 1)


def on_email_change_requested(e: User.EmailChangeRequested, rows: Rows) -> None:
    rows(users).update(e.user_id, pending_email=e.pending_email)


def on_email_verified(e: User.EmailVerified, rows: Rows) -> None:
    rows(users).update(e.user_id, email=e.email, pending_email=None, email_verified=True)


def on_2fa_enabled(e: User.TwoFactorEnabled, rows: Rows) -> None:
    rows(users).update(e.user_id, is_2fa_enabled=True)


def on_2fa_disabled(e: User.TwoFactorDisabledByAdmin, rows: Rows) -> None:
    rows(users).update(e.user_id, is_2fa_enabled=False)


def on_role_created(e: Role.Created, rows: Rows) -> None:
    row = {"role_id": e.role_id, "name": e.name, "description": e.description, "permissions": e.permissions}
    rows(roles).put({**row, "deleted": False, "require_2fa": False})


def on_role_updated(e: Role.Updated, rows: Rows) -> None:
    rows(roles).update(e.role_id, name=e.name, description=e.description)


def on_role_requirement(e: Role.TwoFactorRequirementChanged, rows: Rows) -> None:
    rows(roles).update(e.role_id, require_2fa=e.require_2fa)


def on_role_deleted(e: Role.Deleted, rows: Rows) -> None:
    rows(roles).update(e.role_id, deleted=True)


def on_role_permissions(e: Role.PermissionsGranted | Role.PermissionsRevoked, rows: Rows) -> None:
    rows(roles).update(e.role_id, permissions=e.permissions)


def on_permission_created(e: Permission.Created, rows: Rows) -> None:
    rows(permissions).put({"permission_id": e.permission_id, "name": e.name, "description": e.description})


def on_key_created(e: ApiKey.Created, rows: Rows) -> None:
    rows(api_keys).put(
        {
            "api_key_id": e.api_key_id,
            "name": e.name,
            "description": e.description,
            "key_suffix": e.key_suffix,
            "permissions": e.permissions,
            "ips": e.ips,
            "expiry_date": e.expiry_date,
            "revoked": False,
            "created": e.timestamp,
            "created_by": e.created_by,
        }
    )


def on_key_updated(e: ApiKey.Updated, rows: Rows) -> None:
    rows(api_keys).update(e.api_key_id, **e.changes)


def on_key_regenerated(e: ApiKey.Regenerated, rows: Rows) -> None:
    rows(api_keys).update(e.api_key_id, key_suffix=e.key_suffix)


def on_key_revoked(e: ApiKey.Revoked, rows: Rows) -> None:
    rows(api_keys).update(e.api_key_id, revoked=True)


def on_impersonation_started(e: Impersonation.Started, rows: Rows) -> None:
    rows(impersonations).put(
        {
            "id": e.impersonation_id,
            "impersonating_user_id": e.impersonating_user_id,
            "target_user_id": e.target_user_id,
            "impersonation_start": e.impersonation_start,
        }
    )


def on_impersonation_ended(e: Impersonation.Ended, rows: Rows) -> None:
    rows(impersonations).update(
        e.impersonation_id, impersonation_end=e.impersonation_end, impersonation_duration=e.duration_seconds
    )


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    User.Created: on_user_created,
    User.ProfileUpdated: on_profile_updated,
    User.RolesChanged: on_roles_changed,
    User.SoftDeleted: on_soft_deleted,
    User.Restored: on_restored,
    User.LoggedIn: on_logged_in,
    User.EmailChangeRequested: on_email_change_requested,
    User.EmailVerified: on_email_verified,
    User.TwoFactorEnabled: on_2fa_enabled,
    User.TwoFactorDisabledByAdmin: on_2fa_disabled,
    Role.Created: on_role_created,
    Role.Updated: on_role_updated,
    Role.Deleted: on_role_deleted,
    Role.TwoFactorRequirementChanged: on_role_requirement,
    Role.PermissionsGranted: on_role_permissions,
    Role.PermissionsRevoked: on_role_permissions,
    Permission.Created: on_permission_created,
    ApiKey.Created: on_key_created,
    ApiKey.Updated: on_key_updated,
    ApiKey.Regenerated: on_key_regenerated,
    ApiKey.Revoked: on_key_revoked,
    Impersonation.Started: on_impersonation_started,
    Impersonation.Ended: on_impersonation_ended,
}

# Security-relevant events for the audit list, with the (secret-free) fields worth showing.
AUDITED: dict[type, tuple[str, tuple[str, ...]]] = {
    User.Created: ("UserCreated", ("username", "email", "roles")),
    User.RolesChanged: ("UserRolesChanged", ("roles",)),
    User.SoftDeleted: ("UserSoftDeleted", ()),
    User.Restored: ("UserRestored", ()),
    User.LoggedIn: ("UserLoggedIn", ("method", "remember_me", "ip")),
    LoginAttempt.Failed: ("LoginFailed", ("email", "reason", "ip")),
    RefreshSession.Revoked: ("SessionRevoked", ("reason",)),
    User.PasswordChanged: ("PasswordChanged", ("changed_by", "force_change")),
    User.PasswordResetRequested: ("PasswordResetRequested", ("expires_at",)),
    User.PasswordResetCompleted: ("PasswordResetCompleted", ("ip_address",)),
    User.EmailChangeRequested: ("EmailChangeRequested", ("pending_email",)),
    User.EmailVerified: ("EmailVerified", ("email",)),
    User.TwoFactorEnrollmentStarted: ("TwoFactorEnrollmentStarted", ()),
    User.TwoFactorEnabled: ("TwoFactorEnabled", ("backup_codes_issued",)),
    User.TwoFactorChallengePassed: ("TwoFactorChallengePassed", ("method",)),
    User.BackupCodesRegenerated: ("BackupCodesRegenerated", ()),
    User.TwoFactorDisabledByAdmin: ("TwoFactorDisabledByAdmin", ("admin_id",)),
    Role.Created: ("RoleCreated", ("role_id", "name", "permissions")),
    Role.Updated: ("RoleUpdated", ("role_id", "name", "previous_name")),
    Role.Deleted: ("RoleDeleted", ("role_id", "name")),
    Role.TwoFactorRequirementChanged: ("RoleTwoFactorRequirementChanged", ("role_id", "require_2fa")),
    Role.PermissionsGranted: ("PermissionGrantedToRole", ("role_id", "name", "permission_ids")),
    Role.PermissionsRevoked: ("PermissionRevokedFromRole", ("role_id", "name", "permission_ids")),
    ApiKey.Created: ("ApiKeyCreated", ("api_key_id", "name", "key_suffix", "permissions", "ips")),
    ApiKey.Updated: ("ApiKeyUpdated", ("api_key_id",)),
    ApiKey.Regenerated: ("ApiKeyRegenerated", ("api_key_id", "key_suffix")),
    ApiKey.Revoked: ("ApiKeyRevoked", ("api_key_id",)),
    Impersonation.Started: ("ImpersonationStarted", ("impersonating_user_id", "target_user_id")),
    Impersonation.Ended: ("ImpersonationEnded", ("impersonating_user_id", "target_user_id", "duration_seconds")),
}


def audit_row(e: Any, event_type: str, fields: tuple[str, ...]) -> dict[str, Any]:
    details = {f: _plain(getattr(e, f)) for f in fields}
    if isinstance(e, ApiKey.Updated):
        details["changed_fields"] = sorted(e.changes)
    return {
        "event_id": f"{e.originator_id}/{e.originator_version}",
        "occurred_at": e.timestamp,
        "event_type": event_type,
        "user_id": getattr(e, "user_id", None) or getattr(e, "target_user_id", None),
        "actor": event_meta(e).get("actor") or {},
        "details": details,
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class IdentityDirectoryProjection(Projection):
    name = "identity_directory"
    tables = (users, roles, permissions, api_keys, impersonations, audit)
    topics = topics_of(*(set(HANDLERS) | set(AUDITED)))

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
        audited = AUDITED.get(type(event))
        if audited is not None:
            rows(audit).put(audit_row(event, *audited))
