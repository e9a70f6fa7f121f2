"""Events published by the identity context (identity.md §8).

Never a secret: no password, token, TOTP secret, backup code or API key travels in an event. API-key events carry
the key's SHA-256 hash (a verifier of a 238-bit random value, not reversible) so that every service can check
``X-API-KEY`` against its own copy without calling identity (ARCHITECTURE.md §9). Role events carry the role's
full permission list after the change, so a subscriber never has to call back.
"""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from omnibus.contracts.base import IntegrationEvent


class _IdentityEvent(IntegrationEvent):
    context: ClassVar[str] = "identity"


class _UserEvent(_IdentityEvent):
    aggregate_type: ClassVar[str] = "User"

    user_id: int = Field(description="User id")


class UserCreated(_UserEvent):
    """A staff or self-care user was created."""

    name: ClassVar[str] = "UserCreated"
    username: str = Field(description="Login name, e.g. john.smith")
    email: str = Field(description="E-mail address (login identifier)")
    first_name: str | None = Field(default=None, description="First name")
    middle_name: str | None = Field(default=None, description="Middle name")
    last_name: str | None = Field(default=None, description="Last name")
    phone_number: str | None = Field(default=None, description="Phone number (E.164)")
    roles: list[str] = Field(description="Role names")
    customer_id: int | None = Field(default=None, description="Customer a self-care user is bound to (D34)")
    contact_id: int | None = Field(default=None, description="Contact of a self-care user (D34)")
    created_by: int | str | None = Field(default=None, description="Acting user id or API key")


class UserUpdated(_UserEvent):
    """Profile fields of a user changed; only ``changed_fields`` are named."""

    name: ClassVar[str] = "UserUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class UserRolesChanged(_UserEvent):
    """The set of roles of a user was replaced."""

    name: ClassVar[str] = "UserRolesChanged"
    roles: list[str] = Field(description="Role names after the change")
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class UserSoftDeleted(_UserEvent):
    """A user was soft-deleted: login refused, history kept."""

    name: ClassVar[str] = "UserSoftDeleted"
    deleted_at: datetime = Field(description="When (UTC)")


class UserRestored(_UserEvent):
    """A soft-deleted user was restored."""

    name: ClassVar[str] = "UserRestored"
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class UserLoggedIn(_UserEvent):
    """A user logged in (after the second factor when 2FA is on)."""

    name: ClassVar[str] = "UserLoggedIn"
    method: str = Field(description="password or 2fa")
    remember_me: bool = Field(description="Refresh session kept 30 days")
    ip: str | None = Field(default=None, description="Source address")


class UserLoggedOut(_UserEvent):
    """A user logged out: the refresh session was revoked."""

    name: ClassVar[str] = "UserLoggedOut"


class LoginFailed(_IdentityEvent):
    """A login attempt failed (the e-mail may name no user)."""

    name: ClassVar[str] = "LoginFailed"
    aggregate_type: ClassVar[str] = "LoginAttempt"
    email: str = Field(description="E-mail or username as submitted")
    reason: str = Field(description="bad_credentials, deleted, locked_out, throttled or bad_second_factor")
    ip: str | None = Field(default=None, description="Source address")


class PasswordChanged(_UserEvent):
    """A user's password was changed by the user or an admin."""

    name: ClassVar[str] = "PasswordChanged"
    changed_by: int | str | None = Field(default=None, description="The user, or the admin who reset it")


class PasswordResetCompleted(_UserEvent):
    """A password was reset through an e-mailed link."""

    name: ClassVar[str] = "PasswordResetCompleted"
    ip_address: str | None = Field(default=None, description="Origin of the reset")


class TwoFactorEnabled(_UserEvent):
    """TOTP two-factor authentication became active for a user."""

    name: ClassVar[str] = "TwoFactorEnabled"
    backup_codes_issued: int = Field(description="Number of backup codes issued")


class TwoFactorDisabledByAdmin(_UserEvent):
    """An admin cleared a user's TOTP secret and backup codes."""

    name: ClassVar[str] = "TwoFactorDisabledByAdmin"
    admin_id: int | None = Field(default=None, description="The admin")


class _RoleEvent(_IdentityEvent):
    aggregate_type: ClassVar[str] = "Role"

    role_id: int = Field(description="Role id")
    role_name: str = Field(description="Role name, e.g. Tier2_Support")


class RoleCreated(_RoleEvent):
    """A role was created."""

    name: ClassVar[str] = "RoleCreated"
    description: str | None = Field(default=None, description="What the role is for")
    permissions: list[str] = Field(description="Permission names the role grants")


class RoleUpdated(_RoleEvent):
    """A role was renamed or re-described."""

    name: ClassVar[str] = "RoleUpdated"
    previous_name: str = Field(description="Name before the change")
    description: str | None = Field(default=None, description="What the role is for")
    permissions: list[str] = Field(default_factory=list, description="Permission names the role grants")


class RoleDeleted(_RoleEvent):
    """A role was deleted: its members lose its permissions."""

    name: ClassVar[str] = "RoleDeleted"


class PermissionCreated(_IdentityEvent):
    """A permission was added to the catalogue."""

    name: ClassVar[str] = "PermissionCreated"
    aggregate_type: ClassVar[str] = "Permission"
    permission_id: int = Field(description="Permission id")
    permission_name: str = Field(description="action_resource, e.g. view_example")
    description: str | None = Field(default=None, description="What it allows")


class PermissionGrantedToRole(_RoleEvent):
    """Permissions were added to a role."""

    name: ClassVar[str] = "PermissionGrantedToRole"
    permission_ids: list[int] = Field(description="Permissions granted")
    permissions: list[str] = Field(description="All permission names of the role after the change")


class PermissionRevokedFromRole(_RoleEvent):
    """Permissions were removed from a role."""

    name: ClassVar[str] = "PermissionRevokedFromRole"
    permission_ids: list[int] = Field(description="Permissions revoked")
    permissions: list[str] = Field(description="All permission names of the role after the change")


class _ApiKeyEvent(_IdentityEvent):
    aggregate_type: ClassVar[str] = "ApiKey"

    api_key_id: int = Field(description="API key id")


class ApiKeyCreated(_ApiKeyEvent):
    """A UI-managed API key was created (never the key itself: its hash)."""

    name: ClassVar[str] = "ApiKeyCreated"
    key_name: str = Field(description="Name, e.g. Provisioning System")
    description: str | None = Field(default=None, description="What it is used for")
    key_hash: str = Field(description="SHA-256 (hex) of the key: a verifier, not the key")
    key_suffix: str = Field(description="Last 3 characters of the key")
    permissions: list[str] = Field(description="Permission names as stored (aliases resolve, D19)")
    ips: list[str] = Field(default_factory=list, description="Allowed addresses/CIDRs; empty = any (D13)")
    expiry_date: datetime | None = Field(default=None, description="End of validity (UTC); none = never")
    created_by: int | str | None = Field(default=None, description="Acting user id or API key")


class ApiKeyUpdated(_ApiKeyEvent):
    """An API key's name, description, expiry, permissions or addresses changed (never its value); only the
    ``changed_fields`` carry new values."""

    name: ClassVar[str] = "ApiKeyUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed (key_name for the name)")
    key_name: str | None = Field(default=None, description="New name, if changed")
    description: str | None = Field(default=None, description="New description, if changed")
    permissions: list[str] | None = Field(default=None, description="New permissions, if changed")
    ips: list[str] | None = Field(default=None, description="New allowed addresses, if changed")
    expiry_date: datetime | None = Field(default=None, description="New expiry, if changed (none = never)")
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class ApiKeyRegenerated(_ApiKeyEvent):
    """An API key got a new value; the old one stopped working at once."""

    name: ClassVar[str] = "ApiKeyRegenerated"
    key_hash: str = Field(description="SHA-256 (hex) of the new key")
    key_suffix: str = Field(description="Last 3 characters of the new key")


class ApiKeyRevoked(_ApiKeyEvent):
    """An API key was revoked (irreversible, D16)."""

    name: ClassVar[str] = "ApiKeyRevoked"


class ImpersonationStarted(_IdentityEvent):
    """A staff user started acting as another user."""

    name: ClassVar[str] = "ImpersonationStarted"
    aggregate_type: ClassVar[str] = "Impersonation"
    impersonation_id: int = Field(description="Impersonation log id")
    impersonating_user_id: int = Field(description="The staff user really acting")
    target_user_id: int = Field(description="The user impersonated")
    impersonation_start: datetime = Field(description="Start (UTC)")


class ImpersonationEnded(_IdentityEvent):
    """An impersonation session ended."""

    name: ClassVar[str] = "ImpersonationEnded"
    aggregate_type: ClassVar[str] = "Impersonation"
    impersonation_id: int = Field(description="Impersonation log id")
    impersonating_user_id: int = Field(description="The staff user who was acting")
    target_user_id: int = Field(description="The user impersonated")
    impersonation_end: datetime = Field(description="End (UTC)")
    duration_seconds: int = Field(description="Length of the session")


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    UserCreated,
    UserUpdated,
    UserRolesChanged,
    UserSoftDeleted,
    UserRestored,
    UserLoggedIn,
    UserLoggedOut,
    LoginFailed,
    PasswordChanged,
    PasswordResetCompleted,
    TwoFactorEnabled,
    TwoFactorDisabledByAdmin,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    PermissionCreated,
    PermissionGrantedToRole,
    PermissionRevokedFromRole,
    ApiKeyCreated,
    ApiKeyUpdated,
    ApiKeyRegenerated,
    ApiKeyRevoked,
    ImpersonationStarted,
    ImpersonationEnded,
)
