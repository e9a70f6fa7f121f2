"""Domain events -> public contracts (identity.md §8). Secrets never leave: only hashes and flags do."""

from functools import singledispatch

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import identity as c
from omnibus.identity.domain import ApiKey, Impersonation, LoginAttempt, Permission, RefreshSession, Role, User
from omnibus.platform.eventstore import event_meta, topics_of
from omnibus.platform.relay import Outbound


def _acting(e: object) -> int | str | None:
    """Who really acted: the staff user when impersonating (api-conventions §10), else the user or the API key."""
    actor = event_meta(e).get("actor") or {}
    for key in ("impersonating_user_id", "user_id", "api_key_id"):
        if actor.get(key) is not None:
            value: int | str = actor[key]
            return value
    return None


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: User.Created) -> IntegrationEvent:
    return c.UserCreated(
        user_id=e.user_id,
        username=e.username,
        email=e.email,
        first_name=e.first_name,
        middle_name=e.middle_name,
        last_name=e.last_name,
        phone_number=e.phone_number,
        roles=e.roles,
        customer_id=e.customer_id,
        contact_id=e.contact_id,
        created_by=_acting(e),
    )


@to_integration.register
def _(e: User.ProfileUpdated) -> IntegrationEvent:
    return c.UserUpdated(user_id=e.user_id, changed_fields=sorted(e.changes))


@to_integration.register
def _(e: User.EmailVerified) -> IntegrationEvent:
    return c.UserUpdated(user_id=e.user_id, changed_fields=["email"])


@to_integration.register
def _(e: User.RolesChanged) -> IntegrationEvent:
    return c.UserRolesChanged(user_id=e.user_id, roles=e.roles, by=_acting(e))


@to_integration.register
def _(e: User.SoftDeleted) -> IntegrationEvent:
    return c.UserSoftDeleted(user_id=e.user_id, deleted_at=e.deleted_at)


@to_integration.register
def _(e: User.Restored) -> IntegrationEvent:
    return c.UserRestored(user_id=e.user_id, by=_acting(e))


@to_integration.register
def _(e: User.LoggedIn) -> IntegrationEvent:
    return c.UserLoggedIn(user_id=e.user_id, method=e.method, remember_me=e.remember_me, ip=e.ip)


@to_integration.register
def _(e: RefreshSession.Revoked) -> IntegrationEvent | None:
    return c.UserLoggedOut(user_id=e.user_id) if e.reason == "logout" else None


@to_integration.register
def _(e: LoginAttempt.Failed) -> IntegrationEvent:
    return c.LoginFailed(email=e.email, reason=e.reason, ip=e.ip)


@to_integration.register
def _(e: User.PasswordChanged) -> IntegrationEvent:
    return c.PasswordChanged(user_id=e.user_id, changed_by=e.changed_by)


@to_integration.register
def _(e: User.PasswordResetCompleted) -> IntegrationEvent:
    return c.PasswordResetCompleted(user_id=e.user_id, ip_address=e.ip_address)


@to_integration.register
def _(e: User.TwoFactorEnabled) -> IntegrationEvent:
    return c.TwoFactorEnabled(user_id=e.user_id, backup_codes_issued=e.backup_codes_issued)


@to_integration.register
def _(e: User.TwoFactorDisabledByAdmin) -> IntegrationEvent:
    return c.TwoFactorDisabledByAdmin(user_id=e.user_id, admin_id=e.admin_id)


@to_integration.register
def _(e: Role.Created) -> IntegrationEvent:
    return c.RoleCreated(role_id=e.role_id, role_name=e.name, description=e.description, permissions=e.permissions)


@to_integration.register
def _(e: Role.Updated) -> IntegrationEvent:
    return c.RoleUpdated(role_id=e.role_id, role_name=e.name, previous_name=e.previous_name, description=e.description)


@to_integration.register
def _(e: Role.Deleted) -> IntegrationEvent:
    return c.RoleDeleted(role_id=e.role_id, role_name=e.name)


@to_integration.register
def _(e: Role.PermissionsGranted) -> IntegrationEvent:
    return c.PermissionGrantedToRole(
        role_id=e.role_id, role_name=e.name, permission_ids=e.permission_ids, permissions=e.permissions
    )


@to_integration.register
def _(e: Role.PermissionsRevoked) -> IntegrationEvent:
    return c.PermissionRevokedFromRole(
        role_id=e.role_id, role_name=e.name, permission_ids=e.permission_ids, permissions=e.permissions
    )


@to_integration.register
def _(e: Permission.Created) -> IntegrationEvent:
    return c.PermissionCreated(permission_id=e.permission_id, permission_name=e.name, description=e.description)


@to_integration.register
def _(e: ApiKey.Created) -> IntegrationEvent:
    return c.ApiKeyCreated(
        api_key_id=e.api_key_id,
        key_name=e.name,
        description=e.description,
        key_hash=e.key_hash,
        key_suffix=e.key_suffix,
        permissions=e.permissions,
        ips=e.ips,
        expiry_date=e.expiry_date,
        created_by=e.created_by,
    )


@to_integration.register
def _(e: ApiKey.Updated) -> IntegrationEvent:
    values = {("key_name" if k == "name" else k): v for k, v in e.changes.items()}
    return c.ApiKeyUpdated(api_key_id=e.api_key_id, changed_fields=sorted(values), by=_acting(e), **values)


@to_integration.register
def _(e: ApiKey.Regenerated) -> IntegrationEvent:
    return c.ApiKeyRegenerated(api_key_id=e.api_key_id, key_hash=e.key_hash, key_suffix=e.key_suffix)


@to_integration.register
def _(e: ApiKey.Revoked) -> IntegrationEvent:
    return c.ApiKeyRevoked(api_key_id=e.api_key_id)


@to_integration.register
def _(e: Impersonation.Started) -> IntegrationEvent:
    return c.ImpersonationStarted(
        impersonation_id=e.impersonation_id,
        impersonating_user_id=e.impersonating_user_id,
        target_user_id=e.target_user_id,
        impersonation_start=e.impersonation_start,
    )


@to_integration.register
def _(e: Impersonation.Ended) -> IntegrationEvent:
    return c.ImpersonationEnded(
        impersonation_id=e.impersonation_id,
        impersonating_user_id=e.impersonating_user_id,
        target_user_id=e.target_user_id,
        impersonation_end=e.impersonation_end,
        duration_seconds=e.duration_seconds,
    )


PUBLISHED_EVENTS = (
    User.Created,
    User.ProfileUpdated,
    User.EmailVerified,
    User.RolesChanged,
    User.SoftDeleted,
    User.Restored,
    User.LoggedIn,
    RefreshSession.Revoked,
    LoginAttempt.Failed,
    User.PasswordChanged,
    User.PasswordResetCompleted,
    User.TwoFactorEnabled,
    User.TwoFactorDisabledByAdmin,
    Role.Created,
    Role.Updated,
    Role.Deleted,
    Role.PermissionsGranted,
    Role.PermissionsRevoked,
    Permission.Created,
    ApiKey.Created,
    ApiKey.Updated,
    ApiKey.Regenerated,
    ApiKey.Revoked,
    Impersonation.Started,
    Impersonation.Ended,
)

OUTBOUND = Outbound(source="identity", to_integration=to_integration, topics=topics_of(*PUBLISHED_EVENTS))
