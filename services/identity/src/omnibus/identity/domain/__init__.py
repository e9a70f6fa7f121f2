"""The identity domain: users, refresh sessions, roles, permissions, API keys, impersonation (identity.md §2)."""

from omnibus.identity.domain.api_key import ApiKey
from omnibus.identity.domain.audit import Impersonation, LoginAttempt
from omnibus.identity.domain.errors import (
    ApiKeyNotFoundError,
    ConflictError,
    ForbiddenError,
    IdentityError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidTokenError,
    PermissionNotFoundError,
    RoleNotFoundError,
    TooManyAttemptsError,
    UserNotFoundError,
    WeakPasswordError,
)
from omnibus.identity.domain.index import NameIndex, index_id
from omnibus.identity.domain.role import Permission, Role
from omnibus.identity.domain.session import RefreshSession, Rotation
from omnibus.identity.domain.user import User

__all__ = [
    "ApiKey",
    "ApiKeyNotFoundError",
    "ConflictError",
    "ForbiddenError",
    "IdentityError",
    "Impersonation",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidInputError",
    "InvalidTokenError",
    "LoginAttempt",
    "NameIndex",
    "Permission",
    "PermissionNotFoundError",
    "RefreshSession",
    "Role",
    "RoleNotFoundError",
    "Rotation",
    "TooManyAttemptsError",
    "User",
    "UserNotFoundError",
    "WeakPasswordError",
    "index_id",
]
