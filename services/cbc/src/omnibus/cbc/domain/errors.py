"""Errors of the cell broadcast context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class CbcError(Exception):
    http_status = 400
    code = "cbc_error"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        if details is not None:
            self.details = details


class InvalidCbcMessageError(CbcError):
    """400: the content breaks an encoding limit, a table (identifiers, channels, languages) or a range."""

    code = "invalid_cbc_message"


class CbcMessageNotFoundError(CbcError):
    http_status = 404
    code = "cbc_message_not_found"

    def __init__(self, cbc_message_id: int) -> None:
        super().__init__(f"Cell broadcast message {cbc_message_id} not found")


class CbcMessageCancelledError(CbcError):
    """409: a cancelled message is history; it cannot change any more."""

    http_status = 409
    code = "cbc_message_cancelled"

    def __init__(self, cbc_message_id: int) -> None:
        super().__init__(f"Cell broadcast message {cbc_message_id} is cancelled")


class CbcMessageStateError(CbcError):
    """409: the step does not apply in the message's status (e.g. approving a message that is not pending)."""

    http_status = 409
    code = "cbc_message_state"


class SelfApprovalError(CbcError):
    """403: two-person rule (D110): the initiating user cannot approve their own message."""

    http_status = 403
    code = "self_approval"

    def __init__(self) -> None:
        super().__init__("Two-person rule: a message must be approved by a user other than its initiating user")


class ApprovalRefusedError(CbcError):
    """403: the caller cannot approve (no user, impersonating, or no usable second factor)."""

    http_status = 403
    code = "approval_refused"
