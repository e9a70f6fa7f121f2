"""Dependencies of the identity API: the application, read-model connections, the caller."""

from collections.abc import Iterator
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from sqlalchemy import Connection

from omnibus.identity.application import IdentityApp
from omnibus.platform.auth import Access, PermissionDenied, Principal, require
from omnibus.platform.auth.deps import authenticate


def _app(request: Request) -> IdentityApp:
    app: IdentityApp = request.app.state.identity_app
    return app


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


def _user(request: Request) -> Principal:
    """Any logged-in user (a JWT with a user id); API keys and whitelisted hosts are not users."""
    principal = authenticate(request)
    if principal.user_id is None:
        raise PermissionDenied("Permission denied: this endpoint is for logged-in users")
    return principal


IdentityAppDep = Annotated[IdentityApp, Depends(_app)]
ReadDep = Annotated[Connection, Depends(_read)]
UserDep = Annotated[Principal, Depends(_user)]
AdminDep = Annotated[Access, Depends(require("admin"))]
CallerDep = Annotated[Principal, Depends(authenticate)]


def client_ip(request: Request) -> str | None:
    authenticator = request.app.state.authenticator
    peer = request.client.host if request.client else None
    address: str | None = authenticator.client_ip(peer, request.headers.get("x-forwarded-for"))
    return address


def self_or_admin(principal: Principal, user_id: int) -> None:
    """Users act on themselves; admins on anyone."""
    if not principal.is_admin and principal.user_id != user_id:
        raise PermissionDenied("Permission denied: requires admin to act on another user")


def token_claims(principal: Principal) -> dict[str, Any]:
    """The claims of the caller's (already verified) access token."""
    if not principal.token:
        return {}
    claims: dict[str, Any] = jwt.decode(principal.token, options={"verify_signature": False})
    return claims
