"""Mailjet e-mail through mailjet-rest (Send API v3.1): template blocks from crm_config.yaml, the message, the client.

Template blocks keep OmniCRM's keys (configuration.md §2), top level first, then under ``mailjet:`` (D44):
``{from_email, from_name, template_id, subject}``. Credentials: ``mailjet.api_key``/``api_secret``, else
``email.api_key``/``api_secret`` (D44); ``mailjet.api_url`` [new] points the client elsewhere (a stand-in).

The client never retries by itself (mailjet-rest re-POSTs on 5xx by default): a blind re-POST could deliver a
message twice. Callers retry, and can first ask Mailjet whether a message with their ``CustomID`` exists
(``find``, the v3 ``message`` resource), which makes "send again after an unknown outcome" safe.
"""

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from mailjet_rest import Client
from mailjet_rest.errors import ApiError, MailjetApiError, MailjetAuthError, MailjetNetworkError
from urllib3.util.retry import Retry

from omnibus.platform.channels.errors import DeliveryError

MAILJET_URL = "https://api.mailjet.com/"


@dataclass(frozen=True)
class Template:
    """One transactional template block (configuration.md §2)."""

    from_email: str = "noreply@localhost"
    from_name: str = "Omnibus"
    template_id: int | None = None
    subject: str = ""


@dataclass(frozen=True)
class MailjetCredentials:
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    api_url: str = MAILJET_URL


def template_block(raw: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The block of ``key``: top level first, then under ``mailjet:`` (D44)."""
    nested = raw.get("mailjet")
    for section in (raw, nested if isinstance(nested, Mapping) else {}):
        block = section.get(key)
        if isinstance(block, Mapping):
            return block
    return None


def templates_from_config(raw: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Template]:
    """The configured blocks among ``keys`` (a missing field keeps its default; a bad template_id is refused)."""
    found = {}
    for key in keys:
        block = template_block(raw, key)
        if block is None:
            continue
        default = Template()
        template_id = block.get("template_id")
        found[key] = Template(
            from_email=str(block.get("from_email") or default.from_email),
            from_name=str(block.get("from_name") or default.from_name),
            template_id=None if template_id is None else _template_id(key, template_id),
            subject=str(block.get("subject") or default.subject),
        )
    return found


def _template_id(key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}.template_id must be a Mailjet template number, not {value!r}") from None
    if number <= 0 or isinstance(value, bool):
        raise ValueError(f"{key}.template_id must be a positive number, not {value!r}")
    return number


def mailjet_credentials(raw: Mapping[str, Any]) -> MailjetCredentials | None:
    """``mailjet.api_key``/``api_secret``, else ``email.api_key``/``api_secret`` (D44); None when not configured."""
    for name in ("mailjet", "email"):
        section = raw.get(name)
        if isinstance(section, Mapping) and section.get("api_key") and section.get("api_secret"):
            url = raw.get("mailjet", {}).get("api_url") if isinstance(raw.get("mailjet"), Mapping) else None
            return MailjetCredentials(str(section["api_key"]), str(section["api_secret"]), str(url or MAILJET_URL))
    return None


def mailjet_message(
    template: Template,
    to: str,
    variables: Mapping[str, Any],
    *,
    to_name: str | None = None,
    custom_id: str | None = None,
    attachments: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """One message of a Send API v3.1 body: the template with its ``{{ var:name }}`` variables."""
    recipient = {"Email": to} if not to_name else {"Email": to, "Name": to_name}
    message: dict[str, Any] = {
        "From": {"Email": template.from_email, "Name": template.from_name},
        "To": [recipient],
        "TemplateLanguage": True,
        "Subject": template.subject,
        "Variables": dict(variables),
    }
    if template.template_id is not None:
        message["TemplateID"] = int(template.template_id)
    if custom_id is not None:
        message["CustomID"] = custom_id
    if attachments:
        message["Attachments"] = [dict(a) for a in attachments]
    return message


@dataclass(frozen=True)
class SentEmail:
    """Mailjet's ids of an accepted message."""

    message_id: str
    message_uuid: str | None = None


class MailjetClient:
    """Send API v3.1 (``POST /v3.1/send``, one message per call) through mailjet-rest, and the v3 ``message``
    resource (``GET /v3/REST/message?CustomID=``) on the same session. The session (and its TLS context, ~80 ms
    to build) is made on first use."""

    def __init__(self, credentials: MailjetCredentials, *, timeout: float = 10.0) -> None:
        self.api_url = credentials.api_url if credentials.api_url.endswith("/") else credentials.api_url + "/"
        self.timeout = timeout
        self._credentials = credentials
        self._client: Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MailjetClient({self.api_url})"

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                auth = (self._credentials.api_key, self._credentials.api_secret)
                client = Client(auth=auth, version="v3.1", api_url=self.api_url, timeout=self.timeout)
                for adapter in client.session.adapters.values():
                    adapter.max_retries = Retry(total=0, read=False)  # type: ignore[attr-defined]
                self._client = client
            return self._client

    def send(self, message: Mapping[str, Any]) -> SentEmail:
        """Send one message; raises ``DeliveryError`` saying whether a retry may help and whether it may be out."""
        try:
            response = self.client.send.create(data={"Messages": [dict(message)]})
            entry = response.json()["Messages"][0]
        except (ApiError, ValueError, KeyError, IndexError, TypeError) as error:
            raise _delivery_error(error) from None
        if entry.get("Status") != "success" or not entry.get("To"):
            raise DeliveryError(f"Mailjet did not accept the message: {entry.get('Errors')}", retryable=False)
        recipient = entry["To"][0]
        return SentEmail(str(recipient["MessageID"]), recipient.get("MessageUUID"))

    def find(self, custom_id: str) -> str | None:
        """The MessageID of the message sent with this ``CustomID``, or None when Mailjet has none."""
        url = f"{self.api_url}v3/REST/message"
        try:
            response = self.client.session.get(url, params={"CustomID": custom_id}, timeout=self.timeout)
        except requests.RequestException as error:
            raise DeliveryError(f"Mailjet did not answer: {error}", retryable=True, maybe_sent=True) from None
        if response.status_code != 200:
            raise DeliveryError(f"Mailjet answered {response.status_code} to a message lookup", retryable=True)
        try:
            data = response.json().get("Data") or []
            return str(data[0]["ID"]) if data else None
        except (ValueError, KeyError, IndexError, AttributeError):
            raise DeliveryError("Mailjet answered a message lookup with something else", retryable=True) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _delivery_error(error: Exception) -> DeliveryError:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, MailjetAuthError):  # credentials or sender not validated: an operator's fix, then retry
        return DeliveryError(f"Mailjet refused the account or sender: {text}", retryable=True)
    if isinstance(error, MailjetApiError):
        status = error.status_code
        if status == 400:  # the message itself is invalid: sending it again would be refused again
            return DeliveryError(f"Mailjet refused the message: {text}", retryable=False)
        return DeliveryError(f"Mailjet answered {status}: {text}", retryable=True)
    if isinstance(error, MailjetNetworkError):  # timeouts and broken connections: the request may have arrived
        return DeliveryError(f"Mailjet did not answer: {text}", retryable=True, maybe_sent=True)
    if isinstance(error, ApiError):  # 5xx: Mailjet may have accepted the message before failing
        return DeliveryError(f"Mailjet failed: {text}", retryable=True, maybe_sent=True)
    return DeliveryError(f"Mailjet answered something unexpected: {text}", retryable=True, maybe_sent=True)
