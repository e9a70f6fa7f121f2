"""Activity log endpoints (customers.md §2.7, §3; D49): a customer's history, and manual notes."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.views import activity_view
from omnibus.customers.readmodel.activity_queries import Entry, entry_row, list_activity
from omnibus.platform.auth import Access, require
from omnibus.platform.eventstore import event_id
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["activity"])


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: Annotated[int, Field(ge=1)]
    note: Annotated[str, Field(min_length=1, max_length=5000)]


@router.get("/crm/activity/customer_id/{customer_id}")
def list_customer_activity(
    customer_id: int,
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: Annotated[Access, Depends(require("view_customer_activity", own="view_own_customer_activity"))],
) -> dict[str, Any]:
    """A customer's activity, newest first (``order=asc`` for oldest first); ``filters`` on entity_type, action,
    channel, actor_user_id, ...; paging."""
    access.check_customer(customer_id, "Customer")
    rows, total = list_activity(
        read,
        customer_id,
        filters=paging.filters,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return paging.envelope([activity_view(r) for r in rows], total)


@router.put("/crm/activity/")
@router.post("/crm/activity/", include_in_schema=False)
def create_note(
    body: NoteCreate,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("create_customer_activity"))],
) -> dict[str, Any]:
    """Add a manual note to a customer's activity log; answers the entry as the log will list it."""
    note = app.add_note(body.customer_id, body.note)
    row = entry_row(
        activity_id=str(event_id(note.id, 1)),
        customer_id=note.customer_id,
        at=note.created_on,
        source="customers",
        actor=access.principal.actor().model_dump(exclude_none=True),
        entry=Entry("note", str(note.id), "note_added", "Note added", note=note.note),
    )
    return activity_view(row)
