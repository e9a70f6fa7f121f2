"""Read-model queries on the activity log: a customer's entries from every context, newest first, filtered, paged."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, false, func, select, union_all

from omnibus.customers.readmodel.tables import ACTIVITY_TABLES
from omnibus.platform.http.errors import ApiError


@dataclass(frozen=True)
class Entry:
    """What an event means for the customer's log."""

    entity_type: str
    entity_id: int | str
    action: str
    summary: str
    note: str | None = None


def entry_row(
    *, activity_id: str, customer_id: int, at: datetime, source: str, actor: dict[str, Any], entry: Entry
) -> dict[str, Any]:
    """The stored entry: what happened (``entry``) and who did it (the command's ``actor``, api-conventions §10)."""
    api_key = actor.get("api_key_id")
    return {
        "activity_id": activity_id,
        "customer_id": customer_id,
        "at": at,
        "source": source,
        "actor_user_id": actor.get("user_id"),
        "impersonating_user_id": actor.get("impersonating_user_id"),
        "api_key_id": None if api_key is None else str(api_key),
        "channel": actor.get("auth_method"),
        "client_ip": actor.get("client_ip"),
        "entity_type": entry.entity_type,
        "entity_id": str(entry.entity_id),
        "action": entry.action,
        "summary": entry.summary[:500],
        "source_event_id": activity_id,
        "note": entry.note,
    }


ACTIVITY_FILTERS = ("entity_type", "entity_id", "action", "channel", "actor_user_id", "impersonating_user_id", "source")


def list_activity(
    conn: Connection,
    customer_id: int,
    *,
    filters: dict[str, list[Any]],
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    unknown = sorted(set(filters) - set(ACTIVITY_FILTERS))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(ACTIVITY_FILTERS)}")
    branches = [
        select(table).where(table.c.customer_id == customer_id, *_conditions(table, filters))
        for table in ACTIVITY_TABLES
    ]
    found = union_all(*branches).subquery("entries")
    total = conn.execute(select(func.count()).select_from(found)).scalar_one()
    order = (found.c.at.desc(), found.c.activity_id.desc()) if descending else (found.c.at, found.c.activity_id)
    rows = conn.execute(select(found).order_by(*order).offset(offset).limit(limit)).mappings()
    return [dict(r) for r in rows], int(total)


def activity_entry(conn: Connection, activity_id: str) -> dict[str, Any] | None:
    for table in ACTIVITY_TABLES:
        row = conn.execute(select(table).where(table.c.activity_id == activity_id)).mappings().first()
        if row is not None:
            return dict(row)
    return None


def _conditions(table: Table, filters: dict[str, list[Any]]) -> list[ColumnElement[bool]]:
    return [table.c[name].in_(_coerce(name, values)) if values else false() for name, values in filters.items()]


def _coerce(name: str, values: Sequence[Any]) -> list[Any]:
    if name in ("actor_user_id", "impersonating_user_id"):
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError):
            raise ApiError(400, "bad_filters", f"Bad value for filter {name}") from None
    return [str(v) for v in values]
