"""User e-mails (identity.md §7): the Mailjet adapter (mailjet-rest, Send API v3.1) and a local stand-in.

Template blocks come from crm_config.yaml under their OmniCRM keys (top level or under ``mailjet:``, D44):
``{from_email, from_name, template_id, subject}``. The local stand-in records every message it would send, with
the same Mailjet message body, in a JSON-lines file (``python -m omnibus.identity outbox`` prints it).
"""

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

WELCOME = "api_crmCommunicationUserWelcome"
PASSWORD_RESET = "api_crmCommunicationUserPasswordReset"
PASSWORD_RESET_SUCCESS = "api_crmCommunicationUserPasswordResetSuccess"
PASSWORD_CHANGE = "api_crmCommunicationUserPasswordChange"
EMAIL_VERIFICATION = "api_crmCommunicationEmailVerification"
TEMPLATES = (WELCOME, PASSWORD_RESET, PASSWORD_RESET_SUCCESS, PASSWORD_CHANGE, EMAIL_VERIFICATION)


@dataclass(frozen=True)
class Template:
    from_email: str = "noreply@localhost"
    from_name: str = "Omnibus"
    template_id: int | None = None
    subject: str = ""


@dataclass(frozen=True)
class Message:
    template: str
    to: str
    variables: dict[str, Any]
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


class Mailer(Protocol):
    def send(self, template: str, to: str, variables: Mapping[str, Any]) -> None: ...


def templates_from_config(raw: Mapping[str, Any]) -> dict[str, Template]:
    nested = raw.get("mailjet") if isinstance(raw.get("mailjet"), Mapping) else {}
    found = {}
    for key in TEMPLATES:
        block = raw.get(key) or (nested or {}).get(key) or {}
        if isinstance(block, Mapping):
            known = {k: block[k] for k in ("from_email", "from_name", "template_id", "subject") if k in block}
            found[key] = Template(**known)
    return found


def mailjet_message(template: Template, to: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "From": {"Email": template.from_email, "Name": template.from_name},
        "To": [{"Email": to}],
        "TemplateLanguage": True,
        "Subject": template.subject,
        "Variables": dict(variables),
    }
    if template.template_id is not None:
        message["TemplateID"] = int(template.template_id)
    return message


class MailjetMailer:
    """Sends through Mailjet's Send API v3.1; a failure is logged and does not fail the user's operation."""

    def __init__(self, api_key: str, api_secret: str, templates: Mapping[str, Template]) -> None:
        from mailjet_rest import Client

        self.client = Client(auth=(api_key, api_secret), version="v3.1")
        self.templates = templates

    def send(self, template: str, to: str, variables: Mapping[str, Any]) -> None:
        body = {"Messages": [mailjet_message(self.templates.get(template, Template()), to, variables)]}
        try:
            result = self.client.send.create(data=body)
            if result.status_code != 200:
                log.error("Mailjet refused %s to %s: HTTP %s", template, to, result.status_code)
        except Exception:
            log.exception("Mailjet send of %s to %s failed", template, to)


class LocalOutbox:
    """The stand-in: records the messages (and their Mailjet bodies) instead of sending them."""

    def __init__(self, path: Path | None = None, templates: Mapping[str, Template] | None = None) -> None:
        self.path = path
        self.templates = templates or {}
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    def send(self, template: str, to: str, variables: Mapping[str, Any]) -> None:
        message = Message(template=template, to=to, variables=dict(variables))
        with self._lock:
            self.messages.append(message)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                record = {
                    **asdict(message),
                    "mailjet": mailjet_message(self.templates.get(template, Template()), to, variables),
                }
                with self.path.open("a") as out:
                    out.write(json.dumps(record, default=str) + "\n")

    def to(self, address: str, template: str | None = None) -> list[Message]:
        return [m for m in self.messages if m.to == address and (template is None or m.template == template)]


def read_outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
