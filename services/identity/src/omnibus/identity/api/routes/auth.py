"""Login, refresh, logout, JWKS and passwords (identity.md §3.1, §3.2; D1, D21, D27, D29, D31)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from omnibus.identity.api.deps import CallerDep, IdentityAppDep, UserDep, client_ip, token_claims
from omnibus.identity.api.schemas import (
    ChangePasswordBody,
    ForgotPasswordBody,
    LoginBody,
    RefreshBody,
    ResetPasswordBody,
    VerifyEmailBody,
)
from omnibus.identity.application import LoginResult

router = APIRouter(tags=["authentication"])

COOKIE = "refresh_token"
REMEMBER_ME_SECONDS = 30 * 24 * 3600


def set_refresh_cookie(response: Response, result: LoginResult) -> None:
    """HttpOnly, Secure, SameSite=Strict; kept 30 days with remember-me, else a browser-session cookie (D27)."""
    if result.refresh_token is None:
        return
    response.set_cookie(
        COOKIE,
        result.refresh_token,
        max_age=REMEMBER_ME_SECONDS if result.remember_me else None,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )


def login_body(result: LoginResult) -> dict[str, Any]:
    if result.refresh_token is None:
        return result.body
    return {**result.body, "refresh_token": result.refresh_token}


@router.post("/crm/auth/login")
@router.post("/auth/login", include_in_schema=False)
def login(body: LoginBody, request: Request, response: Response, app: IdentityAppDep) -> dict[str, Any]:
    """Log in with e-mail (or username) and password; with 2FA on, answers a challenge instead of tokens."""
    result = app.login(body.login, body.password, remember_me=body.remember_me, ip=client_ip(request))
    set_refresh_cookie(response, result)
    return login_body(result)


@router.post("/crm/auth/refresh")
@router.post("/auth/refresh", include_in_schema=False)
def refresh(
    request: Request,
    response: Response,
    app: IdentityAppDep,
    body: Annotated[RefreshBody | None, Body()] = None,
) -> dict[str, Any]:
    """A new access token and a new refresh token (the old one is spent: presenting it again revokes the session)."""
    token = (body.refresh_token if body else None) or request.cookies.get(COOKIE)
    if not token:
        from omnibus.identity.domain import InvalidCredentialsError

        raise InvalidCredentialsError("A refresh token is required (cookie or body)")
    result = app.refresh(token)
    set_refresh_cookie(response, result)
    return login_body(result)


@router.post("/crm/auth/logout")
def logout(
    request: Request,
    response: Response,
    app: IdentityAppDep,
    caller: CallerDep,
    body: Annotated[RefreshBody | None, Body()] = None,
) -> dict[str, Any]:
    """End the session: its refresh token is revoked and the cookie cleared."""
    token = (body.refresh_token if body else None) or request.cookies.get(COOKIE)
    app.logout(token, token_claims(caller).get("sid"))
    response.delete_cookie(COOKIE, path="/")
    return {"result": "success"}


@router.get("/crm/auth/jwks.json")
@router.get("/.well-known/jwks.json", include_in_schema=False)
def jwks(app: IdentityAppDep) -> dict[str, Any]:
    """The public keys access tokens are signed with (other services verify tokens locally, D28)."""
    return app.tokens.jwks()


@router.post("/auth/forgot_password")
def forgot_password(body: ForgotPasswordBody, request: Request, app: IdentityAppDep) -> dict[str, str]:
    """E-mail a reset link valid one hour; the answer is the same whether or not the e-mail exists (D31)."""
    app.forgot_password(body.email, client_ip(request))
    return {"message": "If the e-mail belongs to an account, a reset link has been sent"}


@router.post("/auth/reset_password")
def reset_password(body: ResetPasswordBody, request: Request, app: IdentityAppDep) -> dict[str, str]:
    """Set a new password with an e-mailed token (valid 1 hour, once)."""
    app.reset_password(body.token, body.new_password, client_ip(request))
    return {"message": "Password has been reset"}


@router.post("/auth/change_password")
def change_password(body: ChangePasswordBody, app: IdentityAppDep, caller: UserDep) -> dict[str, str]:
    """Change one's own password (the current one is required)."""
    assert caller.user_id is not None
    app.change_password(caller.user_id, body.current_password, body.new_password)
    return {"message": "Password changed"}


@router.post("/auth/verify_email")
def verify_email(body: VerifyEmailBody, app: IdentityAppDep) -> dict[str, Any]:
    """Confirm an e-mail address with the e-mailed token, or the user id and code."""
    user = app.verify_email(token=body.token, user_id=body.user_id, code=body.code)
    return {"message": "E-mail verified", "email": user.email}
