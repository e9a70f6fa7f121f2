"""Impersonation (identity.md §3.7, §4.8; D32) and the audit list of security events."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from omnibus.identity.api.deps import AdminDep, IdentityAppDep, ReadDep, UserDep, token_claims
from omnibus.identity.api.routes.auth import set_refresh_cookie
from omnibus.identity.api.schemas import ImpersonateBody
from omnibus.identity.domain import ConflictError
from omnibus.identity.readmodel.queries import audit_events, impersonation_logs
from omnibus.platform.auth import PermissionDenied
from omnibus.platform.http.types import Paging, UtcDateTime, iso_z

router = APIRouter(tags=["impersonation"])


@router.post("/auth/impersonate")
def impersonate(body: ImpersonateBody, response: Response, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """Act as another user; the token names both users and every action is attributed to both."""
    if caller.impersonating_user_id is not None:
        raise ConflictError("Already impersonating; stop first")
    if not caller.has("can_impersonate"):
        raise PermissionDenied("Permission denied: requires can_impersonate")
    assert caller.user_id is not None
    result, impersonation = app.impersonate(
        caller.user_id, caller.permissions, body.user_id, caller.impersonating_user_id is not None
    )
    set_refresh_cookie(response, result)
    return {
        "success": True,
        "impersonating_user_id": impersonation.impersonating_user_id,
        "target_user_id": impersonation.target_user_id,
        "impersonation_start": iso_z(impersonation.impersonation_start),
        "access_token": result.body["token"],
        "refresh_token": result.refresh_token,
    }


@router.post("/auth/stop_impersonation")
def stop_impersonation(response: Response, app: IdentityAppDep, caller: UserDep) -> dict[str, Any]:
    """End impersonation: fresh tokens of the real user (the originals are not kept by the server)."""
    result, impersonation, duration = app.stop_impersonation(token_claims(caller).get("sid"))
    set_refresh_cookie(response, result)
    return {
        "success": True,
        "impersonation_end": iso_z(impersonation.impersonation_end),
        "duration_seconds": duration,
        "access_token": result.body["token"],
        "refresh_token": result.refresh_token,
    }


@router.get("/auth/impersonation_logs")
def logs(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    _: AdminDep,
    user_id: int | None = None,
    start_date: Annotated[UtcDateTime | None, Query()] = None,
    end_date: Annotated[UtcDateTime | None, Query()] = None,
) -> dict[str, Any]:
    rows, total = impersonation_logs(read, user_id, start_date, end_date, paging.offset, paging.per_page)
    return paging.envelope([_log_view(r) for r in rows], total)


@router.get("/auth/audit")
def audit(
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    _: AdminDep,
    user_id: int | None = None,
    event_type: str | None = None,
) -> dict[str, Any]:
    """Security events, newest first: logins, failures, 2FA, password, role and key changes, impersonation."""
    rows, total = audit_events(read, user_id, event_type, paging.offset, paging.per_page)
    return paging.envelope([{**r, "occurred_at": iso_z(r["occurred_at"])} for r in rows], total)


def _log_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "impersonation_start": iso_z(row["impersonation_start"]),
        "impersonation_end": iso_z(row["impersonation_end"])
        if isinstance(row["impersonation_end"], datetime)
        else None,
    }
