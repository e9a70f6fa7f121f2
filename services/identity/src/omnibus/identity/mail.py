"""User e-mails (identity.md §7) on the platform's Mailjet adapter (mailjet-rest, Send API v3.1), or a local outbox.

Template blocks come from crm_config.yaml under their OmniCRM keys (top level or under ``mailjet:``, D44):
``{from_email, from_name, template_id, subject}``. The local outbox records every message it would send, with
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

from omnibus.platform.channels import mailjet
from omnibus.platform.channels.errors import DeliveryError
from omnibus.platform.channels.mailjet import MailjetClient, MailjetCredentials, Template, mailjet_message

log = logging.getLogger(__name__)

WELCOME = "api_crmCommunicationUserWelcome"
PASSWORD_RESET = "api_crmCommunicationUserPasswordReset"
PASSWORD_RESET_SUCCESS = "api_crmCommunicationUserPasswordResetSuccess"
PASSWORD_CHANGE = "api_crmCommunicationUserPasswordChange"
EMAIL_VERIFICATION = "api_crmCommunicationEmailVerification"
TEMPLATES = (WELCOME, PASSWORD_RESET, PASSWORD_RESET_SUCCESS, PASSWORD_CHANGE, EMAIL_VERIFICATION)

__all__ = ["LocalOutbox", "Mailer", "MailjetMailer", "Message", "Template", "mailjet_message", "templates_from_config"]


@dataclass(frozen=True)
class Message:
    template: str
    to: str
    variables: dict[str, Any]
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


class Mailer(Protocol):
    def send(self, template: str, to: str, variables: Mapping[str, Any]) -> None: ...


def templates_from_config(raw: Mapping[str, Any]) -> dict[str, Template]:
    """identity's template blocks (an unconfigured one sends with the defaults)."""
    return mailjet.templates_from_config(raw, TEMPLATES)


class MailjetMailer:
    """Sends through Mailjet's Send API v3.1; a failure is logged and does not fail the user's operation (the user
    can ask again: a new reset link, a resent welcome)."""

    def __init__(self, credentials: MailjetCredentials, templates: Mapping[str, Template]) -> None:
        self.client = MailjetClient(credentials)
        self.templates = templates

    def send(self, template: str, to: str, variables: Mapping[str, Any]) -> None:
        message = mailjet_message(self.templates.get(template, Template()), to, variables)
        try:
            self.client.send(message)
        except DeliveryError as error:
            log.error("Mailjet send of %s to %s failed: %s", template, to, error)


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
