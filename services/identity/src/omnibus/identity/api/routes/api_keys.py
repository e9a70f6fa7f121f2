"""UI-managed API keys (identity.md §3.6, §4.7; D15-D18): the full key is shown only on create/regenerate."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from omnibus.identity.api.deps import IdentityAppDep, ReadDep
from omnibus.identity.api.schemas import ApiKeyCreate, ApiKeyPatch
from omnibus.identity.api.views import api_key_row_view, api_key_view
from omnibus.identity.domain import UserNotFoundError
from omnibus.identity.readmodel.queries import list_api_keys
from omnibus.platform.auth import Access, require

router = APIRouter(tags=["api keys"])
ManageKeys = Annotated[Access, Depends(require("manage_api_keys"))]


@router.get("/crm/api-keys")
def list_keys(read: ReadDep, _: ManageKeys, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Keys with masked values, status (active, expired, revoked) and ``expiring_soon`` (<= 30 days)."""
    now = datetime.now(UTC)
    return [api_key_row_view(r, now) for r in list_api_keys(read, include_revoked)]


@router.get("/crm/api-keys/stats")
def stats(read: ReadDep, _: ManageKeys) -> dict[str, int]:
    now = datetime.now(UTC)
    keys = [api_key_row_view(r, now) for r in list_api_keys(read, include_revoked=True)]
    return {
        "total": len(keys),
        "active": sum(k["status"] == "active" for k in keys),
        "expiring_soon": sum(k["expiring_soon"] for k in keys),
        "expired": sum(k["status"] == "expired" for k in keys),
        "revoked": sum(k["status"] == "revoked" for k in keys),
    }


@router.post("/crm/api-keys")
def create_key(body: ApiKeyCreate, app: IdentityAppDep, access: ManageKeys) -> dict[str, Any]:
    """Create a key; the response is the only one that shows it in full."""
    fields = {**body.model_dump(), "created_by": _creator(app, access)}
    api_key, key = app.create_api_key(fields)
    return {**api_key_view(api_key), "api_key": key}


def _creator(app: IdentityAppDep, access: Access) -> str | None:
    """The list shows who created a key: the username, else the user id or the API key that did."""
    principal = access.principal
    if principal.user_id is not None:
        try:
            return app.get_user(principal.user_id).username
        except UserNotFoundError:
            return str(principal.user_id)
    return None if principal.api_key_id is None else str(principal.api_key_id)


@router.get("/crm/api-keys/{api_key_id}")
def get_key(api_key_id: int, app: IdentityAppDep, _: ManageKeys) -> dict[str, Any]:
    return api_key_view(app.get_api_key(api_key_id))


@router.patch("/crm/api-keys/{api_key_id}")
def update_key(api_key_id: int, body: ApiKeyPatch, app: IdentityAppDep, _: ManageKeys) -> dict[str, Any]:
    """Change name, description, expiry (a future one re-activates an expired key), permissions, addresses."""
    return api_key_view(app.update_api_key(api_key_id, body.changes()))


@router.delete("/crm/api-keys/{api_key_id}")
def revoke_key(api_key_id: int, app: IdentityAppDep, _: ManageKeys) -> dict[str, str]:
    """Revoke (irreversible; the row stays for audit, D16)."""
    app.revoke_api_key(api_key_id)
    return {"result": "success"}


@router.post("/crm/api-keys/{api_key_id}/regenerate")
def regenerate_key(api_key_id: int, app: IdentityAppDep, _: ManageKeys) -> dict[str, Any]:
    """A new value, shown once; the old one stops working at once (D17)."""
    api_key, key = app.regenerate_api_key(api_key_id)
    return {**api_key_view(api_key), "api_key": key}
