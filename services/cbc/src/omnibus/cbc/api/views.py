"""Messages and their history -> the reference product's JSON (cbc.md §2.1, §3)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omnibus.cbc.domain import CbcMessage, layout
from omnibus.cbc.domain.content import API_NAMES
from omnibus.cbc.domain.encoding import MAX_PAGES
from omnibus.cbc.domain.reference import TEST_IDENTIFIERS, IdentifierLabel
from omnibus.platform.http.types import iso_z

EVENT_NAMES = {
    CbcMessage.Created: "CbcMessageCreated",
    CbcMessage.Updated: "CbcMessageUpdated",
    CbcMessage.Approved: "CbcMessageApproved",
    CbcMessage.SubmissionAttempted: "CbcSubmissionAttempted",
    CbcMessage.SubmissionAttemptFailed: "CbcSubmissionAttemptFailed",
    CbcMessage.SubmittedToCbc: "CbcMessageSubmittedToCbc",
    CbcMessage.SubmissionFailed: "CbcSubmissionFailed",
    CbcMessage.RetryRequested: "CbcRetryRequested",
    CbcMessage.Cancelled: "CbcMessageCancelled",
    CbcMessage.CancelAttemptFailed: "CbcCancelAttemptFailed",
    CbcMessage.CancelDelivered: "CbcCancelDelivered",
    CbcMessage.CancelNotDelivered: "CbcCancelNotDelivered",
}
_NOT_DETAILS = {"originator_id", "originator_version", "timestamp", "cbc_message_id", "__meta__", "class_version"}


def state_of(message: CbcMessage) -> dict[str, Any]:
    """The aggregate as a read-model row (one view for both)."""
    return {
        **message.content.as_fields(),
        "cbc_message_id": message.cbc_message_id,
        "cbc_unique_id": message.cbc_unique_id,
        "initiating_user": message.initiating_user,
        "approving_user": message.approving_user,
        "status": message.status,
        "created": message.created,
        "approved_at": message.approved_at,
        "sent_at": message.sent_at,
        "deleted_at": message.deleted_at,
        "cbc_response": message.cbc_response,
        "message_reference": message.message_reference,
        "delivery_attempts": message.attempts,
        "last_error": message.last_error,
        "cancel_status": message.cancel_status,
    }


def message_view(state: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"cbc_message_id": state["cbc_message_id"], "cbc_unique_id": state["cbc_unique_id"]}
    view.update({api: state[name] for name, api in API_NAMES.items()})
    view.update(
        {
            "initiating_user": state["initiating_user"],
            "approving_user": state["approving_user"],
            "created": iso_z(state["created"]),
            "status": state["status"],
            "approved_at": iso_z(state["approved_at"]),
            "sent_at": iso_z(state["sent_at"]),
            "cbc_response": state["cbc_response"],
            "deleted_at": iso_z(state["deleted_at"]),
            "message_reference": state["message_reference"],
            "delivery_attempts": state["delivery_attempts"],
            "last_error": state["last_error"],
            "cancel_status": state["cancel_status"],
        }
    )
    return view


def history_view(entries: list[tuple[Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {
            "version": event.originator_version,
            "event": EVENT_NAMES.get(type(event), type(event).__name__),
            "timestamp": iso_z(event.timestamp),
            "actor": meta.get("actor") or {},
            "details": _details(vars(event)),
        }
        for event, meta in entries
    ]


def _details(values: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for name, value in values.items():
        if name in _NOT_DETAILS:
            continue
        if name == "changes":
            value = {API_NAMES.get(k, k): v for k, v in value.items()}
        details[API_NAMES.get(name, name)] = iso_z(value) if isinstance(value, datetime) else value
    return details


def text_view(message: Mapping[str, str], problems: list[str], max_chars: int) -> dict[str, Any]:
    shape = layout(message["messageBody"])
    return {
        "language": message["language"],
        "encoding": shape.encoding,
        "characters": shape.characters,
        "units": shape.units,
        "units_per_page": shape.units_per_page,
        "pages": shape.pages,
        "max_pages": MAX_PAGES,
        "max_characters": max_chars or None,
        "ok": not problems,
        "problems": problems,
    }


def identifier_view(identifier: str, label: IdentifierLabel) -> dict[str, Any]:
    return {
        "messageIdentifier": identifier,
        "system": label.system,
        "label": label.label,
        "test": identifier in TEST_IDENTIFIERS,
    }
