"""Authentication and authorisation shared by every service (ARCHITECTURE.md §9, identity.md §4.1)."""

from omnibus.platform.auth.authenticator import AuthenticationError, Authenticator, PermissionDenied
from omnibus.platform.auth.deps import Access, require
from omnibus.platform.auth.principal import Principal
from omnibus.platform.auth.roles import permissions_for_roles, resolve_permission

__all__ = [
    "Access",
    "AuthenticationError",
    "Authenticator",
    "PermissionDenied",
    "Principal",
    "permissions_for_roles",
    "require",
    "resolve_permission",
]
