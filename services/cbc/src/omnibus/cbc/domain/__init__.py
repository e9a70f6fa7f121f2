"""The cell broadcast domain: messages, their content rules and encoding limits (pure: no I/O, no framework)."""

from omnibus.cbc.domain.content import ContentRules, MessageContent, check, content_from, problems
from omnibus.cbc.domain.encoding import BodyLayout, layout
from omnibus.cbc.domain.errors import (
    ApprovalRefusedError,
    CbcError,
    CbcMessageCancelledError,
    CbcMessageNotFoundError,
    CbcMessageStateError,
    InvalidCbcMessageError,
    SelfApprovalError,
)
from omnibus.cbc.domain.message import (
    ALL_EVENTS,
    APPROVED,
    CANCELLED,
    PENDING,
    SEND_FAILED,
    SENT,
    STATUSES,
    CbcMessage,
    Work,
)
from omnibus.cbc.domain.reference import DEFAULT_IDENTIFIERS, IdentifierLabel

__all__ = [
    "ALL_EVENTS",
    "APPROVED",
    "CANCELLED",
    "DEFAULT_IDENTIFIERS",
    "PENDING",
    "SEND_FAILED",
    "SENT",
    "STATUSES",
    "ApprovalRefusedError",
    "BodyLayout",
    "CbcError",
    "CbcMessage",
    "CbcMessageCancelledError",
    "CbcMessageNotFoundError",
    "CbcMessageStateError",
    "ContentRules",
    "IdentifierLabel",
    "InvalidCbcMessageError",
    "MessageContent",
    "SelfApprovalError",
    "Work",
    "check",
    "content_from",
    "layout",
    "problems",
]
