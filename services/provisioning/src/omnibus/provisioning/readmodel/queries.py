"""Read functions on the jobs read model (provisioning.md §3: the job view, the list, the task events)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, cast, func, or_, select

from omnibus.platform.http.errors import ApiError
from omnibus.provisioning.readmodel.tables import (
    customer_names,
    provision_commands,
    provision_events,
    provision_sagas,
    provisions,
)

FILTERS = ("provisioning_status", "customer_id", "product_id", "service_id", "provisioning_play", "action")
_JOBS = select(provisions, customer_names.c.customer_name).join(
    customer_names, customer_names.c.customer_id == provisions.c.customer_id, isouter=True
)
SORTS = ("provision_id", "customer_id", "product_id", "provisioning_status", "provisioning_play", "created")


def get_job(conn: Connection, provision_id: int) -> dict[str, Any] | None:
    row = conn.execute(_JOBS.where(provisions.c.provision_id == provision_id)).mappings().first()
    return None if row is None else dict(row)


def job_events(conn: Connection, provision_id: int) -> list[dict[str, Any]]:
    query = select(provision_events).where(provision_events.c.provision_id == provision_id)
    rows = conn.execute(query.order_by(provision_events.c.event_number)).mappings().all()
    return [dict(r) for r in rows]


def list_jobs(
    conn: Connection,
    *,
    filters: dict[str, list[Any]],
    search: str | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
    only_customer_id: int | None,
) -> tuple[list[dict[str, Any]], int]:
    where: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        if name not in FILTERS:
            raise ApiError(400, "bad_filters", f"cannot filter on {name!r}; filters: {', '.join(FILTERS)}")
        where.append(provisions.c[name].in_(values))
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        where.append(
            or_(
                func.lower(provisions.c.provisioning_play).like(pattern, escape="\\"),
                func.lower(provisions.c.playbook_description).like(pattern, escape="\\"),
                cast(provisions.c.provision_id, String).like(pattern, escape="\\"),
            )
        )
    if only_customer_id is not None:
        where.append(provisions.c.customer_id == only_customer_id)
    if sort is not None and sort not in SORTS:
        raise ApiError(400, "bad_sort", f"cannot sort by {sort!r}; sorts: {', '.join(SORTS)}")
    column = provisions.c[sort or "provision_id"]
    tie = provisions.c.provision_id
    total = conn.execute(select(func.count()).select_from(provisions).where(*where)).scalar_one()
    query = _JOBS.where(*where).order_by(
        column.desc() if descending else column.asc(), tie.desc() if descending else tie.asc()
    )
    rows = conn.execute(query.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def jobs_in_state(conn: Connection, run_state: str, limit: int = 100) -> list[dict[str, Any]]:
    """Jobs ``queued`` (waiting for a runner) or ``running`` (claimed by a runner), oldest first."""
    query = select(provisions.c.provision_id, provisions.c.runner_id).where(provisions.c.run_state == run_state)
    rows = conn.execute(query.order_by(provisions.c.provision_id).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def jobs_past_deadline(conn: Connection, now: datetime, limit: int = 500) -> list[int]:
    """Jobs with a command out past its deadline (the sweeper times them out)."""
    c = provision_commands.c
    query = (
        select(c.provision_id)
        .where(c.status == "issued", c.deadline <= now)
        .group_by(c.provision_id)
        .order_by(c.provision_id)
        .limit(limit)
    )
    return [int(r[0]) for r in conn.execute(query)]


def job_saga(conn: Connection, provision_id: int) -> dict[str, Any] | None:
    """Where the job's saga is, and the commands it gave (oldest first)."""
    saga = (
        conn.execute(select(provision_sagas).where(provision_sagas.c.provision_id == provision_id)).mappings().first()
    )
    if saga is None:
        return None
    c = provision_commands.c
    commands = conn.execute(
        select(provision_commands).where(c.provision_id == provision_id).order_by(c.issued, c.command_id)
    ).mappings()
    return {**dict(saga), "commands": [dict(row) for row in commands]}


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
