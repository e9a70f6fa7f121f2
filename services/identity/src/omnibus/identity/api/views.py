"""Response shapes: the reference product's field names, ISO-8601 UTC dates; never a secret."""

from datetime import UTC, datetime
from typing import Any

from omnibus.identity.domain import ApiKey, Role, User
from omnibus.identity.domain.api_key import EXPIRING_SOON
from omnibus.platform.http.types import iso_z


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "middle_name": user.middle_name,
        "last_name": user.last_name,
        "phone_number": user.phone_number,
        "roles": list(user.roles),
        "created": iso_z(user.created_on),
        "email_verified": user.email_verified,
        "pending_email": user.pending_email,
        "is_2fa_enabled": user.is_2fa_enabled,
        "login_count": user.login_count,
        "force_change": user.force_change,
        "deleted": user.deleted,
        "deleted_at": iso_z(user.deleted_at),
        "customer_id": user.customer_id,
        "contact_id": user.contact_id,
    }


def user_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["user_id"],
        **{k: row[k] for k in row if k not in ("user_id", "created", "deleted_at")},
        "created": iso_z(row["created"]),
        "deleted_at": iso_z(row["deleted_at"]),
    }


def role_view(role: Role | dict[str, Any], users: list[dict[str, Any]]) -> dict[str, Any]:
    if isinstance(role, Role):
        role_id, name, description, permissions = role.role_id, role.name, role.description, role.permissions
    else:
        role_id, name, description, permissions = (
            role["role_id"],
            role["name"],
            role["description"],
            role["permissions"],
        )
    return {
        "id": role_id,
        "name": name,
        "description": description,
        "permissions": list(permissions),
        "users": [{"id": u["user_id"], "username": u["username"], "email": u["email"]} for u in users],
    }


def api_key_view(key: ApiKey) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "api_key_id": key.api_key_id,
        "name": key.name,
        "description": key.description,
        "api_key": f"sk_live_...{key.key_suffix}",
        "status": key.status(now),
        "expiring_soon": key.expiring_soon(now),
        "created": iso_z(key.created_on),
        "created_by": key.created_by,
        "expiry_date": iso_z(key.expiry_date),
        "permissions": list(key.permissions),
        "ips": list(key.ips),
    }


def api_key_row_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    expiry = _utc(row["expiry_date"])
    status = "revoked" if row["revoked"] else ("expired" if expiry is not None and expiry <= now else "active")
    return {
        "api_key_id": row["api_key_id"],
        "name": row["name"],
        "description": row["description"],
        "api_key": f"sk_live_...{row['key_suffix']}",
        "status": status,
        "expiring_soon": status == "active" and expiry is not None and expiry - now <= EXPIRING_SOON,
        "created": iso_z(row["created"]),
        "created_by": row["created_by"],
        "expiry_date": iso_z(expiry),
        "permissions": list(row["permissions"]),
        "ips": list(row["ips"]),
    }


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
