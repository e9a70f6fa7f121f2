"""Read functions on the messages read model: the list (``GET /crm/cbc/``), the delivery worker's queue, and the
second-factor resets the approval checks."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select

from omnibus.cbc.domain import APPROVED
from omnibus.cbc.readmodel.tables import messages, second_factor_resets
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import parse_datetime

# filter name (API) -> column
FILTERS = {
    "status": "status",
    "messageIdentifier": "message_identifier",
    "category": "category",
    "channelIndicator": "channel_indicator",
    "initiating_user": "initiating_user",
    "approving_user": "approving_user",
    "cbc_unique_id": "cbc_unique_id",
}
RANGES = ("created_from", "created_before")  # created >= from, created < before (cbc.md §5's documented query)
SORTS = {
    "cbc_message_id": "cbc_message_id",
    "created": "created",
    "status": "status",
    "messageIdentifier": "message_identifier",
}


def list_messages(
    conn: Connection,
    *,
    filters: dict[str, list[Any]],
    search: str | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    where = _where(filters, search)
    if sort is not None and sort not in SORTS:
        raise ApiError(400, "bad_sort", f"cannot sort by {sort!r}; sorts: {', '.join(SORTS)}")
    column, tie = messages.c[SORTS[sort or "created"]], messages.c.cbc_message_id
    total = conn.execute(select(func.count()).select_from(messages).where(*where)).scalar_one()
    query = (
        select(messages)
        .where(*where)
        .order_by(column.desc() if descending else column.asc(), tie.desc() if descending else tie.asc())
    )
    rows = conn.execute(query.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def _where(filters: dict[str, list[Any]], search: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        if name in RANGES:
            if len(values) != 1:
                raise ApiError(400, "bad_filters", f'{name} takes one date, e.g. {{"{name}": ["2025-01-01"]}}')
            try:
                at = parse_datetime(values[0])
            except ValueError as error:
                raise ApiError(400, "bad_filters", f"{name}: {error}") from None
            where.append(messages.c.created >= at if name == "created_from" else messages.c.created < at)
        elif name in FILTERS:
            column = messages.c[FILTERS[name]]
            where.append(column.in_([_typed(name, v, column.type.python_type) for v in values]))
        else:
            names = ", ".join([*FILTERS, *RANGES])
            raise ApiError(400, "bad_filters", f"cannot filter on {name!r}; filters: {names}")
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        where.append(
            or_(
                func.lower(messages.c.category).like(pattern, escape="\\"),
                messages.c.message_identifier.like(pattern, escape="\\"),
                messages.c.cbc_unique_id.like(pattern, escape="\\"),
            )
        )
    return where


def _typed(name: str, value: Any, kind: type) -> Any:
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, "bad_filters", f"{name} filters take user ids, not {value!r}") from None
    return str(value)


def due_messages(conn: Connection, now: datetime, exclude: set[int], limit: int) -> list[int]:
    """Messages with a delivery or a cancellation to make now, oldest first."""
    query = (
        select(messages.c.cbc_message_id)
        .where(
            or_(messages.c.status == APPROVED, messages.c.cancel_status == "pending"),
            messages.c.next_attempt_at <= now,
        )
        .order_by(messages.c.next_attempt_at)
        .limit(limit + len(exclude))
    )
    return [i for i in conn.execute(query).scalars() if i not in exclude][:limit]


def next_due_at(conn: Connection, now: datetime) -> datetime | None:
    """When the next try after ``now`` is due (to sleep until then; what is due already wakes the worker when a
    thread is free)."""
    query = select(func.min(messages.c.next_attempt_at)).where(
        or_(messages.c.status == APPROVED, messages.c.cancel_status == "pending"), messages.c.next_attempt_at > now
    )
    found = conn.execute(query).scalar_one_or_none()
    return utc(found) if found is not None else None


def get_row(conn: Connection, cbc_message_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(messages).where(messages.c.cbc_message_id == cbc_message_id)).mappings().first()
    return None if row is None else dict(row)


def second_factor_reset_at(conn: Connection, user_id: int) -> datetime | None:
    query = select(second_factor_resets.c.disabled_at).where(second_factor_resets.c.user_id == user_id)
    found = conn.execute(query).scalar_one_or_none()
    return utc(found) if found is not None else None


def utc(value: datetime) -> datetime:
    """Aware UTC (SQLite gives naive datetimes back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
