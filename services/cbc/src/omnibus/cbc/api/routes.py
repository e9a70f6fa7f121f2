"""Cell broadcast endpoints (cbc.md §3, §10; D3 POST alias, D110 approval, D112 delete, D113 re-approval)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request

from omnibus.cbc.api.deps import ApprovalsDep, CbcAppDep, ReadDep
from omnibus.cbc.api.schemas import parse_content, parse_texts, parse_totp
from omnibus.cbc.api.views import history_view, identifier_view, message_view, state_of, text_view
from omnibus.cbc.domain import content_from
from omnibus.cbc.domain.content import body_problems
from omnibus.cbc.readmodel.queries import list_messages
from omnibus.platform.auth import Access, require
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["cell broadcast"])

PositiveId = Annotated[int, Path(ge=1, le=2**62)]
ViewAccess = Annotated[Access, Depends(require("view_cbc_message"))]
CreateAccess = Annotated[Access, Depends(require("create_cbc_message"))]
ApproveAccess = Annotated[Access, Depends(require("approve_cbc_message"))]
JsonBody = Annotated[Any, Body()]


@router.put("/crm/cbc/")
@router.post("/crm/cbc/", include_in_schema=False)
def create_cbc_message(app: CbcAppDep, access: CreateAccess, body: JsonBody = None) -> dict[str, Any]:
    """Compose a warning message (§3.1); it waits for a second user's approval (``status: pending_approval``)."""
    content = content_from(parse_content(body, partial=False))
    return message_view(state_of(app.create_message(content, access.principal.user_id)))


@router.get("/crm/cbc/")
def list_cbc_messages(read: ReadDep, paging: Annotated[Paging, Depends()], _: ViewAccess) -> dict[str, Any]:
    """Messages as ``{data, pagination}``, newest first: ``filters`` such as ``{"status":["sent"]}``,
    ``{"created_from":["2025-01-01"]}``, ``{"created_before":["2025-02-01"]}``; ``search``; ``sort``."""
    rows, total = list_messages(
        read,
        filters=paging.filters,
        search=paging.search,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return paging.envelope([message_view(r) for r in rows], total)


@router.get("/crm/cbc/message_identifiers")
def list_message_identifiers(app: CbcAppDep, _: ViewAccess) -> list[dict[str, Any]]:
    """The message identifiers this deployment accepts, with their warning system and label (D109) [new]."""
    table = app.rules.identifiers
    return [identifier_view(i, table[i]) for i in sorted(table, key=int)]


@router.post("/crm/cbc/validate")
def validate_texts(app: CbcAppDep, _: CreateAccess, body: JsonBody = None) -> dict[str, Any]:
    """Measure texts as they would be broadcast [new] (cbc.md §10): encoding (GSM-7 or UCS-2), characters,
    septets or UCS-2 units, pages (at most 15), the policy limit, and what is wrong."""
    limit = app.rules.max_chars_per_language
    texts = [text_view(m, body_problems(m["messageBody"], limit), limit) for m in parse_texts(body)]
    return {"ok": all(t["ok"] for t in texts), "localized_messages": texts}


@router.get("/crm/cbc/{cbc_message_id}")
def get_cbc_message(cbc_message_id: PositiveId, app: CbcAppDep, _: ViewAccess) -> dict[str, Any]:
    """One message with its status and the CBC's answer [new]; cancelled messages stay readable (history)."""
    return message_view(state_of(app.get_message(cbc_message_id)))


@router.get("/crm/cbc/{cbc_message_id}/history")
def get_cbc_message_history(cbc_message_id: PositiveId, app: CbcAppDep, _: ViewAccess) -> list[dict[str, Any]]:
    """Every step of the message in order [new]: created, updated, approved, each try at the CBC and its outcome,
    cancelled, with who did it."""
    return history_view(app.history(cbc_message_id))


@router.patch("/crm/cbc/{cbc_message_id}")
def update_cbc_message(
    cbc_message_id: PositiveId,
    app: CbcAppDep,
    _: Annotated[Access, Depends(require("update_cbc_message"))],
    body: JsonBody = None,
) -> dict[str, Any]:
    """Change content (e.g. ``"UPDATED: …"`` texts); an approved or sent message needs a new approval (D113), and
    its next delivery replaces the broadcast at the CBC. 409 once cancelled."""
    changes = parse_content(body, partial=True)
    return message_view(state_of(app.update_message(cbc_message_id, changes)))


@router.delete("/crm/cbc/{cbc_message_id}")
def delete_cbc_message(
    cbc_message_id: PositiveId, app: CbcAppDep, access: Annotated[Access, Depends(require("delete_cbc_message"))]
) -> dict[str, Any]:
    """Cancel the message (D112): kept as history with ``status: cancelled``; a broadcast the CBC has is cancelled
    there by the workers (``cancel_status``: pending, delivered, not_delivered)."""
    message = app.cancel_message(cbc_message_id, access.principal.user_id)
    return {"result": "success", **message_view(state_of(message))}


@router.post("/crm/cbc/{cbc_message_id}/approve")
async def approve_cbc_message(
    cbc_message_id: PositiveId,
    request: Request,
    approvals: ApprovalsDep,
    access: ApproveAccess,
    body: JsonBody = None,
) -> dict[str, Any]:
    """Approve as the second person (D110) with a fresh second factor: header ``X-Step-Up-Token`` (from
    ``POST /2fa/step-up``) or body ``{"totp_code"}``. 403 for the initiating user or without 2FA, 401 for a
    missing, wrong or expired factor, 409 unless pending. Answers once the CBC did (``sent``/``send_failed``)."""
    message = await approvals.approve(
        cbc_message_id,
        access.principal,
        request.app.state.authenticator,
        step_up_token=request.headers.get("x-step-up-token") or None,
        totp_code=parse_totp(body),
        caller_headers=request.headers,
    )
    return message_view(state_of(message))


@router.post("/crm/cbc/{cbc_message_id}/retry")
def retry_cbc_message(cbc_message_id: PositiveId, app: CbcAppDep, access: ApproveAccess) -> dict[str, Any]:
    """Try again what failed [new]: the delivery of a ``send_failed`` message (same content and approval, same
    message reference), or a cancellation the CBC did not get. 409 when nothing failed."""
    return message_view(state_of(app.request_retry(cbc_message_id, access.principal.user_id)))
