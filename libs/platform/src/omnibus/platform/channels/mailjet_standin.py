"""A Mailjet stand-in: an HTTP server speaking the Send API v3.1 and the v3 ``message`` resource (ARCHITECTURE §10).

mailjet-rest is pointed at it with ``api_url`` (``mailjet.api_url`` in crm_config.yaml). It checks HTTP basic
auth, validates each message as Mailjet documents it (From, To, Subject length, TemplateID or a text/HTML part,
Variables, Attachments up to 15 MB, CustomID) and answers Mailjet's success and error bodies (``mj-00xx`` and
``send-00xx`` codes). Accepted messages are recorded (with attachments reduced to their name, type and size) and
can be read back with ``GET /v3/REST/message?CustomID=...`` as on Mailjet, or ``omnibus outbox``. Nothing is
delivered to anyone.
"""

import argparse
import base64
import binascii
import re
import secrets
import uuid
from base64 import b64decode
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omnibus.platform.channels.mailjet import MailjetCredentials
from omnibus.platform.channels.standin import Request, StandIn, json_body

MAX_MESSAGES = 50
MAX_RECIPIENTS = 50
MAX_ATTACHMENTS_BYTES = 15 * 1024 * 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AUTH_FAILURE = (
    "API key authentication/authorization failure. You may be unauthorized to access the API or your API key may "
    "be expired. Visit API keys management section to check your keys."
)


def _error(code: str, status: int, message: str, related: Sequence[str] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {
        "ErrorIdentifier": str(uuid.uuid4()),
        "ErrorCode": code,
        "StatusCode": status,
        "ErrorMessage": message,
    }
    if related:
        error["ErrorRelatedTo"] = list(related)
    return error


class MailjetStandIn(StandIn):
    name = "mailjet"

    def __init__(
        self,
        *,
        api_key: str = "standin-public-key",
        api_secret: str = "standin-private-key",
        port: int = 0,
        record: Path | None = None,
        templates: frozenset[int] | None = None,
        senders: frozenset[str] | None = None,
    ) -> None:
        super().__init__(port=port, record=record)
        self.api_key = api_key
        self.api_secret = api_secret
        self.templates = templates  # None: any positive TemplateID is a template of this account
        self.senders = senders  # None: any From address is a validated sender
        self._next_id = max((int(m["MessageID"]) for m in self.messages), default=288230376151711000) + 1

    @property
    def credentials(self) -> MailjetCredentials:
        return MailjetCredentials(self.api_key, self.api_secret, self.url)

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if any(r.get("Email") == address for r in m["To"])]

    def with_custom_id(self, custom_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("CustomID") == custom_id]

    def failure(self, status: int) -> Any:
        return _error("mj-0000" if status < 500 else "mj-0500", status, "Internal Server Error (stand-in fault)")

    def handle(self, request: Request) -> tuple[int, Any, bool]:
        if not self._authorised(request.headers.get("Authorization", "")):
            return 401, _error("mj-0015", 401, AUTH_FAILURE), False
        if request.method == "POST" and request.path.rstrip("/") == "/v3.1/send":
            return self._send(request)
        if request.method == "GET" and request.path.rstrip("/") == "/v3/REST/message":
            return self._list(request.query)
        match = re.fullmatch(r"/v3/REST/message/(\d+)", request.path)
        if request.method == "GET" and match:
            found = [m for m in self.messages if str(m["MessageID"]) == match.group(1)]
            if found:
                return 200, {"Count": 1, "Data": [_message_view(found[0])], "Total": 1}, False
        return 404, {"ErrorInfo": "", "ErrorMessage": "Object not found", "StatusCode": 404}, False

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.api_key) and secrets.compare_digest(password, self.api_secret)

    def _send(self, request: Request) -> tuple[int, Any, bool]:
        try:
            body = json_body(request)
        except (ValueError, UnicodeDecodeError):
            return 400, _error("mj-0002", 400, "Malformed JSON, please review the syntax and properties types."), False
        problem = _payload_problem(body)
        if problem is not None:
            return 400, problem, False
        results, accepted = [], False
        for message in body["Messages"]:
            errors = self._message_errors(message)
            if errors:
                results.append({"Status": "error", "Errors": errors})
                continue
            results.append(self._accept(message, sandbox=body.get("SandboxMode") is True))
            accepted = True
        status = 200 if all(r["Status"] == "success" for r in results) else 400
        return status, {"Messages": results}, accepted

    def _accept(self, message: dict[str, Any], *, sandbox: bool) -> dict[str, Any]:
        recipients = []
        for recipient in message["To"] + message.get("Cc", []) + message.get("Bcc", []):
            message_id, message_uuid = self._next_id, str(uuid.uuid4())
            self._next_id += 1
            recipients.append(
                {
                    "Email": recipient["Email"],
                    "MessageUUID": message_uuid,
                    "MessageID": message_id,
                    "MessageHref": f"https://api.mailjet.com/v3/REST/message/{message_id}",
                }
            )
            if not sandbox:  # SandboxMode validates without sending
                self.keep(_recorded(message, recipient, message_id, message_uuid))
        to = recipients[: len(message["To"])]
        return {"Status": "success", "CustomID": message.get("CustomID", ""), "To": to, "Cc": [], "Bcc": []}

    def _list(self, query: dict[str, str]) -> tuple[int, Any, bool]:
        found = self.messages
        if "CustomID" in query:
            found = [m for m in found if m.get("CustomID") == query["CustomID"]]
        limit = int(query.get("Limit", "10") or 10)
        data = [_message_view(m) for m in found[-limit:]] if limit > 0 else []
        return 200, {"Count": len(data), "Data": data, "Total": len(found)}, False

    def _message_errors(self, message: Any) -> list[dict[str, Any]]:
        if not isinstance(message, dict):
            return [_error("mj-0004", 400, 'Type mismatch. Expected type "object".', ["Messages"])]
        errors = _address_errors(message) + _content_errors(message) + _attachment_errors(message)
        sender = message.get("From", {}).get("Email") if isinstance(message.get("From"), dict) else None
        if not errors and self.senders is not None and sender not in self.senders:
            errors.append(_error("send-0008", 403, f'"{sender}" is not an authorized sender email address', ["From"]))
        template = message.get("TemplateID")
        if not errors and template is not None and self.templates is not None and template not in self.templates:
            missing = f'Template ID "{template}" doesn\'t exist for your account.'
            errors.append(_error("send-0010", 400, missing, ["TemplateID"]))
        return errors


def _payload_problem(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or "Messages" not in body:
        return _error("mj-0003", 400, "Missing mandatory property.", ["Messages"])
    messages = body["Messages"]
    if not isinstance(messages, list):
        return _error("mj-0004", 400, 'Type mismatch. Expected type "array".', ["Messages"])
    if not messages:
        return _error("mj-0007", 400, "An array cannot be empty.", ["Messages"])
    if len(messages) > MAX_MESSAGES:
        return _error("mj-0008", 400, f"Array has more than {MAX_MESSAGES} items.", ["Messages"])
    return None


def _address_errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    sender = message.get("From")
    if sender is None:
        errors.append(_error("mj-0003", 400, "The From is mandatory but missing from the input", ["From"]))
    elif not isinstance(sender, dict) or not _valid_email(sender.get("Email")):
        errors.append(_error("mj-0013", 400, f'"{_email_of(sender)}" is an invalid email address.', ["From"]))
    to = message.get("To")
    if to is None:
        errors.append(_error("mj-0003", 400, "The To is mandatory but missing from the input", ["To"]))
    elif not isinstance(to, list):
        errors.append(_error("mj-0004", 400, 'Type mismatch. Expected type "array of emails".', ["To"]))
    elif not to:
        errors.append(_error("mj-0007", 400, "An array cannot be empty.", ["To"]))
    else:
        everyone = to + [r for key in ("Cc", "Bcc") for r in message.get(key) or []]
        if len(everyone) > MAX_RECIPIENTS:
            errors.append(_error("send-0015", 400, "Too many recipients.", ["To", "Cc", "Bcc"]))
        for index, recipient in enumerate(everyone):
            if not isinstance(recipient, dict) or not _valid_email(recipient.get("Email")):
                field = f"To[{index}].Email"
                errors.append(_error("mj-0013", 400, f'"{_email_of(recipient)}" is an invalid email address.', [field]))
    return errors


def _content_errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    subject = message.get("Subject")
    if subject is not None and (not isinstance(subject, str) or len(subject) > 255):
        errors.append(_error("mj-0006", 400, "Subject is longer than 255 characters.", ["Subject"]))
    template = message.get("TemplateID")
    if template is not None and (not isinstance(template, int) or isinstance(template, bool) or template <= 0):
        errors.append(_error("mj-0004", 400, 'Type mismatch. Expected type "int".', ["TemplateID"]))
    if template is None and not message.get("TextPart") and not message.get("HTMLPart"):
        errors.append(
            _error(
                "send-0003",
                400,
                'At least "HTMLPart", "TextPart" or "TemplateID" must be provided.',
                ["HTMLPart", "TextPart", "TemplateID"],
            )
        )
    if "Variables" in message and not isinstance(message["Variables"], dict):
        errors.append(_error("mj-0004", 400, 'Type mismatch. Expected type "object".', ["Variables"]))
    if "TemplateLanguage" in message and not isinstance(message["TemplateLanguage"], bool):
        errors.append(_error("mj-0004", 400, 'Type mismatch. Expected type "bool".', ["TemplateLanguage"]))
    if "CustomID" in message and not isinstance(message["CustomID"], str):
        errors.append(_error("mj-0004", 400, 'Type mismatch. Expected type "string".', ["CustomID"]))
    return errors


def _attachment_errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    attachments = message.get("Attachments")
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [_error("mj-0004", 400, 'Type mismatch. Expected type "array".', ["Attachments"])]
    total, errors = 0, []
    for index, attachment in enumerate(attachments):
        fields = ("ContentType", "Filename", "Base64Content")
        if not isinstance(attachment, dict) or any(not isinstance(attachment.get(f), str) for f in fields):
            errors.append(_error("mj-0003", 400, "Missing mandatory property.", [f"Attachments[{index}]"]))
            continue
        empty = [f"Attachments[{index}].{f}" for f in fields if not attachment[f]]
        if empty:
            errors.append(_error("mj-0012", 400, "Value cannot be empty.", empty))
            continue
        try:
            total += len(base64.b64decode(attachment["Base64Content"], validate=True))
        except binascii.Error:
            errors.append(_error("mj-0004", 400, "Invalid base64 content.", [f"Attachments[{index}].Base64Content"]))
    if total > MAX_ATTACHMENTS_BYTES:
        errors.append(_error("mj-0011", 400, "Attachments exceed the 15 MB limit.", ["Attachments"]))
    return errors


def _valid_email(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def _email_of(value: Any) -> str:
    return str(value.get("Email", "")) if isinstance(value, dict) else str(value)


def _recorded(message: dict[str, Any], recipient: dict[str, Any], message_id: int, message_uuid: str) -> dict[str, Any]:
    attachments = [
        {"Filename": a["Filename"], "ContentType": a["ContentType"], "size": len(base64.b64decode(a["Base64Content"]))}
        for a in message.get("Attachments") or []
    ]
    return {
        "MessageID": message_id,
        "MessageUUID": message_uuid,
        "ArrivedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "CustomID": message.get("CustomID", ""),
        "From": message["From"],
        "To": [recipient],
        "Subject": message.get("Subject", ""),
        "TemplateID": message.get("TemplateID"),
        "Variables": message.get("Variables") or {},
        "Attachments": attachments,
    }


def _message_view(recorded: dict[str, Any]) -> dict[str, Any]:
    """Part of Mailjet's ``message`` object (v3 REST)."""
    return {
        "ID": recorded["MessageID"],
        "UUID": recorded["MessageUUID"],
        "ArrivedAt": recorded["ArrivedAt"],
        "CustomID": recorded["CustomID"],
        "Status": "sent",
        "Subject": recorded["Subject"],
        "AttachmentCount": len(recorded["Attachments"]),
    }


class _Emulator:
    help = "a Mailjet stand-in (Send API v3.1): `omnibus emulate mailjet --port 8025`"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--api-key", default="standin-public-key")
        parser.add_argument("--api-secret", default="standin-private-key")
        parser.add_argument("--record", type=Path, default=None, help="JSON-lines file of accepted messages")

    def run(self, args: argparse.Namespace) -> int:
        import threading

        standin = MailjetStandIn(api_key=args.api_key, api_secret=args.api_secret, port=args.port, record=args.record)
        standin.start()
        print(f"Mailjet stand-in on {standin.url} (mailjet.api_url); stop with Ctrl-C")  # noqa: T201 - CLI
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            standin.stop()
        return 0


EMULATOR = _Emulator()
