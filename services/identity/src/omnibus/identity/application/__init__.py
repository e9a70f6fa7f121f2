"""The identity application: users, sessions and passwords, 2FA, impersonation, roles, permissions, API keys.

One ``IdentityApp`` (an eventsourcing Application) composed of use-case groups, each in its own module:
``users`` -> ``sessions`` (login, refresh, passwords, 2FA, impersonation) -> ``access`` (RBAC, API keys).
"""

from omnibus.identity.application.access import DEFAULT_ROLE_NAMES, Access
from omnibus.identity.application.sessions import Enrollment, LoginResult


class IdentityApp(Access):
    """Every identity use case."""


__all__ = ["DEFAULT_ROLE_NAMES", "Enrollment", "IdentityApp", "LoginResult"]
