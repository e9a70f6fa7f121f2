"""FastAPI dependencies: ``require(permission, own=...)`` authenticates and authorises a request."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from omnibus.platform.auth.authenticator import AuthenticationError, Authenticator, PermissionDenied
from omnibus.platform.auth.principal import Principal
from omnibus.platform.context import current_context


class NotVisible(Exception):
    """404 for records outside an own-scoped caller's customer: existence is not revealed."""

    http_status = 404
    code = "not_found"


@dataclass(frozen=True)
class Access:
    """The outcome of an authorisation check; ``own_customer_id`` set means "only this customer's data"."""

    principal: Principal
    own_customer_id: int | None = None

    @property
    def scoped(self) -> bool:
        return self.own_customer_id is not None

    def check_customer(self, customer_id: int, what: str = "Record") -> None:
        """Raise 404 when an own-scoped caller touches another customer's data."""
        if self.own_customer_id is not None and customer_id != self.own_customer_id:
            raise NotVisible(f"{what} not found")


def authenticate(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    authenticator: Authenticator = request.app.state.authenticator
    client_ip = authenticator.client_ip(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for")
    )
    principal = authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key"), client_ip
    )
    request.state.principal = principal
    ctx = current_context()
    if ctx is not None:
        ctx.actor = principal.actor()
    return principal


class Requirement:
    """The dependency ``require`` returns; it names its permissions so tools (the permission-matrix test, docs)
    can tell what every endpoint needs."""

    def __init__(self, permission: str, own: str | None) -> None:
        self.permission = permission
        self.own = own
        self.__name__ = f"require_{permission}"

    def __call__(self, request: Request) -> Access:
        principal = authenticate(request)
        if principal.has(self.permission):
            return Access(principal)
        if self.own is not None and principal.has(self.own) and principal.customer_id is not None:
            return Access(principal, own_customer_id=principal.customer_id)
        raise PermissionDenied(f"Permission denied: requires {self.permission}")


def require_step_up(request: Request) -> dict[str, Any]:
    """Dependency: the caller also shows a step-up token of their own (``X-Step-Up-Token``, identity's
    ``POST /2fa/step-up``), proving a second factor within the last 5 minutes."""
    principal = authenticate(request)
    token = request.headers.get("x-step-up-token")
    if not token:
        raise AuthenticationError("A step-up token is required (X-Step-Up-Token): confirm with your second factor")
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.verify_step_up(token, principal.user_id)


def require(permission: str, *, own: str | None = None) -> Callable[[Request], Access]:
    """Dependency: the caller must hold ``permission`` (full access) or ``own`` (own customer's data only)."""
    return Requirement(permission, own)


__all__ = [
    "Access",
    "AuthenticationError",
    "NotVisible",
    "PermissionDenied",
    "Requirement",
    "authenticate",
    "require",
    "require_step_up",
]
