"""Read-model queries of communications: a customer's log, the dispatcher's due work, and the facts messages need
(contacts, services, invoices)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, false, func, or_, select

from omnibus.customers.application.messages import InvoiceFacts, ServiceFacts
from omnibus.customers.application.notices import ContactInfo
from omnibus.customers.readmodel.tables import communications, contacts, invoice_facts, services
from omnibus.platform.http.errors import ApiError

COMMUNICATION_FILTERS = ("channel", "status", "template_key")


def list_communications(
    conn: Connection, customer_id: int, *, filters: dict[str, list[Any]], descending: bool, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    unknown = sorted(set(filters) - set(COMMUNICATION_FILTERS))
    if unknown:
        allowed = ", ".join(COMMUNICATION_FILTERS)
        raise ApiError(400, "bad_filters", f"Cannot filter on {', '.join(unknown)}; use {allowed}")
    where = [communications.c.customer_id == customer_id]
    where += [communications.c[k].in_([str(v) for v in vs]) if vs else false() for k, vs in filters.items()]
    total = conn.execute(select(func.count()).select_from(communications).where(*where)).scalar_one()
    key = communications.c.communication_id
    query = select(communications).where(*where).order_by(key.desc() if descending else key)
    rows = conn.execute(query.offset(offset).limit(limit)).mappings()
    return [dict(r) for r in rows], int(total)


def communication_row(conn: Connection, communication_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(communications).where(communications.c.communication_id == communication_id))
    found = row.mappings().first()
    return None if found is None else dict(found)


def due_communications(conn: Connection, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Requested communications whose time has come, and attempts that started before ``now - lease`` and never
    ended (their process died)."""
    c = communications.c
    due = or_(
        and_(c.status == "requested", or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now)),
        and_(c.status == "sending", c.attempt_started_at <= now - lease),
    )
    query = select(c.communication_id).where(due).order_by(c.communication_id).limit(limit)
    return [int(r) for r in conn.execute(query).scalars()]


def next_due_at(conn: Connection) -> datetime | None:
    """When the earliest retry is due (the dispatcher sleeps until then)."""
    c = communications.c
    return conn.execute(select(func.min(c.next_attempt_at)).where(c.status == "requested")).scalar()


def customer_contacts(conn: Connection, customer_id: int) -> list[ContactInfo]:
    rows = conn.execute(select(contacts).where(contacts.c.customer_id == customer_id)).mappings()
    return [_contact(r) for r in rows]


def _contact(row: Any) -> ContactInfo:
    name = " ".join(str(n) for n in (row["contact_firstname"], row["contact_lastname"]) if n) or None
    types = tuple(row["contact_types"] or ())
    return ContactInfo(int(row["contact_id"]), name, row["contact_email"], row["contact_phone"], types)


def service_facts(conn: Connection, service_id: int | None, service_uuid: str) -> tuple[int, ServiceFacts] | None:
    """(customer_id, the service) by id, else by ``service_uuid``; None when the service is not known here."""
    c = services.c
    where = c.service_id == service_id if service_id is not None else c.service_uuid == service_uuid
    row = conn.execute(select(c.customer_id, c.service_id, c.service_uuid, c.service_name).where(where)).first()
    if row is None:
        return None
    return int(row.customer_id), ServiceFacts(int(row.service_id), row.service_uuid, row.service_name)


def invoice(conn: Connection, invoice_id: int) -> tuple[int, InvoiceFacts] | None:
    """(customer_id, the invoice's facts); None when billing's InvoiceGenerated has not been seen yet."""
    row = conn.execute(select(invoice_facts).where(invoice_facts.c.invoice_id == invoice_id)).mappings().first()
    if row is None:
        return None
    facts = InvoiceFacts(
        invoice_id=int(row["invoice_id"]),
        invoice_number=row["invoice_number"],
        invoice_date=row["invoice_date"],
        due_date=row["due_date"],
        total=row["total"],
        currency=row["currency"],
    )
    return int(row["customer_id"]), facts


def services_expiring(conn: Connection, now: datetime, within: timedelta) -> Sequence[tuple[int, int]]:
    """(service_id, customer_id) of Active services whose ``service_deactivate_date`` is within ``within``."""
    c = services.c
    where = and_(
        c.service_status == "Active", c.service_deactivate_date > now, c.service_deactivate_date <= now + within
    )
    return [
        (int(r.service_id), int(r.customer_id)) for r in conn.execute(select(c.service_id, c.customer_id).where(where))
    ]
