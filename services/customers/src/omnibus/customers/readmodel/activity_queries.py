"""Read-model queries on the activity log: a customer's entries, newest first, filtered and paged."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, false, func, select

from omnibus.customers.readmodel.tables import activity
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
    where = [activity.c.customer_id == customer_id, *_conditions(filters)]
    total = conn.execute(select(func.count()).select_from(activity).where(*where)).scalar_one()
    order = (
        (activity.c.at.desc(), activity.c.activity_id.desc()) if descending else (activity.c.at, activity.c.activity_id)
    )
    rows = conn.execute(select(activity).where(*where).order_by(*order).offset(offset).limit(limit)).mappings()
    return [dict(r) for r in rows], int(total)


def activity_entry(conn: Connection, activity_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(activity).where(activity.c.activity_id == activity_id)).mappings().first()
    return None if row is None else dict(row)


def _conditions(filters: dict[str, list[Any]]) -> list[ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(ACTIVITY_FILTERS))
    if unknown:
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {', '.join(ACTIVITY_FILTERS)}")
    return [activity.c[name].in_(_coerce(name, values)) if values else false() for name, values in filters.items()]


def _coerce(name: str, values: Sequence[Any]) -> list[Any]:
    if name in ("actor_user_id", "impersonating_user_id"):
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError):
            raise ApiError(400, "bad_filters", f"Bad value for filter {name}") from None
    return [str(v) for v in values]
