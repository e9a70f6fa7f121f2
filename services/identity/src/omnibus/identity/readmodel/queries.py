"""Read functions over identity's read models: filters, search and paging for the admin lists."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from omnibus.identity.readmodel.tables import api_keys, audit, impersonations, permissions, roles, users


def search_users(
    conn: Connection, *, search: str | None, filters: dict[str, list[Any]], offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    conditions = []
    if search:
        like = f"%{search.lower()}%"
        conditions.append(
            or_(
                func.lower(users.c.username).like(like),
                func.lower(users.c.email).like(like),
                func.lower(func.coalesce(users.c.first_name, "")).like(like),
                func.lower(func.coalesce(users.c.last_name, "")).like(like),
            )
        )
    deleted = filters.get("deleted")
    conditions.append(users.c.deleted.in_([bool(v) for v in deleted]) if deleted else users.c.deleted.is_(False))
    if filters.get("customer_id"):
        conditions.append(users.c.customer_id.in_([int(v) for v in filters["customer_id"]]))
    rows = [dict(r) for r in conn.execute(select(users).where(and_(*conditions)).order_by(users.c.user_id)).mappings()]
    wanted_roles = {str(r).lower() for r in filters.get("role", [])}
    if wanted_roles:  # roles are a JSON list: filtered here, lists of users are small
        rows = [r for r in rows if wanted_roles & {x.lower() for x in r["roles"]}]
    return rows[offset : offset + limit], len(rows)


def users_in_role(conn: Connection, role_name: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(users).where(users.c.deleted.is_(False)).order_by(users.c.user_id)).mappings()
    return [dict(r) for r in rows if role_name.lower() in {x.lower() for x in r["roles"]}]


def all_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(users).order_by(users.c.user_id)).mappings()]


def all_roles(conn: Connection) -> list[dict[str, Any]]:
    query = select(roles).where(roles.c.deleted.is_(False)).order_by(roles.c.role_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def all_permissions(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(permissions).order_by(permissions.c.permission_id)).mappings()]


def list_api_keys(conn: Connection, include_revoked: bool) -> list[dict[str, Any]]:
    query = select(api_keys).order_by(api_keys.c.api_key_id)
    if not include_revoked:
        query = query.where(api_keys.c.revoked.is_(False))
    return [dict(r) for r in conn.execute(query).mappings()]


def impersonation_logs(
    conn: Connection, user_id: int | None, start: datetime | None, end: datetime | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    conditions = []
    if user_id is not None:
        conditions.append(
            or_(impersonations.c.impersonating_user_id == user_id, impersonations.c.target_user_id == user_id)
        )
    if start is not None:
        conditions.append(impersonations.c.impersonation_start >= start)
    if end is not None:
        conditions.append(impersonations.c.impersonation_start <= end)
    where = and_(*conditions) if conditions else and_(True)
    total = conn.execute(select(func.count()).select_from(impersonations).where(where)).scalar_one()
    query = select(impersonations).where(where).order_by(impersonations.c.id.desc()).offset(offset).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()], total


def audit_events(
    conn: Connection, user_id: int | None, event_type: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    conditions = []
    if user_id is not None:
        conditions.append(audit.c.user_id == user_id)
    if event_type:
        conditions.append(audit.c.event_type == event_type)
    where = and_(*conditions) if conditions else and_(True)
    total = conn.execute(select(func.count()).select_from(audit).where(where)).scalar_one()
    query = select(audit).where(where).order_by(audit.c.occurred_at.desc()).offset(offset).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()], total
