"""TOTP two-factor authentication and step-up (identity.md §3.5, §4.3; D21-D24)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response

from omnibus.identity.api.deps import AdminDep, IdentityAppDep, UserDep, client_ip, self_or_admin
from omnibus.identity.api.routes.auth import login_body, set_refresh_cookie
from omnibus.identity.api.schemas import BackupCodeBody, CodeBody, PasswordBody
from omnibus.identity.domain import InvalidCodeError
from omnibus.identity.tokens import STEP_UP_SECONDS
from omnibus.platform.auth import PermissionDenied

router = APIRouter(tags=["two-factor authentication"])


@router.post("/2fa/enable/user/{user_id}")
def enable(
    user_id: int, app: IdentityAppDep, caller: UserDep, body: Annotated[PasswordBody | None, Body()] = None
) -> dict[str, Any]:
    """Start enrolment: the secret, its QR provisioning URI and 10 backup codes; active after verify-setup."""
    self_or_admin(caller, user_id)
    password = body.password if body else None
    if caller.user_id == user_id and not password:
        raise InvalidCodeError("Your current password is required")
    enrollment = app.enable_2fa(user_id, password if caller.user_id == user_id else None)
    return {
        "totp_secret": enrollment.totp_secret,
        "qr_code_url": enrollment.qr_code_url,
        "backup_codes": enrollment.backup_codes,
    }


@router.post("/2fa/verify-setup/user/{user_id}")
def verify_setup(user_id: int, body: CodeBody, app: IdentityAppDep, caller: UserDep) -> dict[str, bool]:
    """Confirm enrolment with a current code: 2FA is active from now on."""
    _self(caller.user_id, user_id)
    try:
        app.verify_2fa_setup(user_id, body.code)
    except InvalidCodeError as error:
        error.http_status = 400
        raise
    return {"verified": True}


@router.post("/2fa/verify/user/{user_id}")
def verify(
    user_id: int,
    body: CodeBody,
    request: Request,
    response: Response,
    app: IdentityAppDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Second step of a 2FA login: the challenge token (Bearer) and a TOTP or backup code; the login body."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidCodeError("The challenge token is required as a Bearer token")
    result = app.complete_2fa_login(user_id, token.strip(), body.code, client_ip(request))
    set_refresh_cookie(response, result)
    return login_body(result)


@router.post("/2fa/backup-codes/regenerate/user/{user_id}")
def regenerate(user_id: int, app: IdentityAppDep, caller: UserDep) -> dict[str, list[str]]:
    """10 new backup codes; the earlier ones stop working."""
    _self(caller.user_id, user_id)
    return {"backup_codes": app.regenerate_backup_codes(user_id)}


@router.post("/2fa/admin/disable/user/{user_id}")
def admin_disable(user_id: int, app: IdentityAppDep, access: AdminDep) -> dict[str, str]:
    """Clear a user's TOTP secret and backup codes (lost phone, no codes left)."""
    app.admin_disable_2fa(user_id, access.principal.user_id)
    return {"message": "Two-factor authentication disabled"}


@router.post("/2fa/reset-for-new-device/user/{user_id}")
def reset_for_new_device(user_id: int, body: BackupCodeBody, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """Consume a backup code and start enrolling a new device (confirm with verify-setup)."""
    _self(caller.user_id, user_id)
    enrollment = app.reset_2fa_for_new_device(user_id, body.backup_code)
    return {"totp_secret": enrollment.totp_secret, "qr_code_url": enrollment.qr_code_url}


@router.post("/2fa/step-up")
def step_up(body: CodeBody, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """Prove a fresh second factor: a 5-minute token for sensitive operations (e.g. cell-broadcast approval).
    Send it as ``X-Step-Up-Token`` with the operation."""
    assert caller.user_id is not None
    token = app.step_up(caller.user_id, body.code)
    return {"step_up_token": token, "expires_in": STEP_UP_SECONDS}


def _self(caller_id: int | None, user_id: int) -> None:
    if caller_id != user_id:
        raise PermissionDenied("Permission denied: only the user can do this")
