"""SMS through the SMSC's plain-text API (customers.md §7.2, D47).

``POST {smsc.smsc_url}SMS/plaintext/{smsc.api_key}`` with ``{source_msisdn, destinatination_msisdn, message_body}``
(the field name's typo is the API's); success is 201. The key travels in the URL path, so the URL is never logged:
the messages of this module name the SMSC only, and the key is masked in httpx's request log. The API has no way
to ask whether a message arrived: after an unknown outcome (a timeout) a caller cannot tell, so it must not send
again if it wants "at most once".
"""

import logging
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from omnibus.platform.channels.errors import DeliveryError

MAX_BODY = 1600  # ten concatenated segments of 160 GSM-7 characters
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_MSISDN = re.compile(r"^\d{6,15}$")


@dataclass(frozen=True)
class SmscConfig:
    url: str
    api_key: str = field(repr=False)
    source_msisdn: str = "Omnibus"


def smsc_config(raw: Mapping[str, Any]) -> SmscConfig | None:
    """``smsc.smsc_url`` and ``smsc.api_key`` (and the sender id ``smsc.source_msisdn``); None when not set."""
    section = raw.get("smsc")
    if not isinstance(section, Mapping) or not section.get("smsc_url") or not section.get("api_key"):
        return None
    return SmscConfig(str(section["smsc_url"]), str(section["api_key"]), str(section.get("source_msisdn") or "Omnibus"))


def msisdn(phone: str) -> str:
    """A stored phone number ("+44 7700 900123") as the SMSC's MSISDN ("447700900123"); ValueError when it is not
    one."""
    digits = _PHONE_PUNCTUATION.sub("", phone.strip()).removeprefix("+")
    if not _MSISDN.match(digits):
        raise ValueError(f"{phone!r} is not an international phone number (6 to 15 digits)")
    return digits


class _MaskKeys(logging.Filter):
    """Masks SMSC keys in httpx's request log lines (``HTTP Request: POST http://…/SMS/plaintext/<key>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = message
        for secret in self.secrets:
            hidden = hidden.replace(secret, "***")
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


_MASK = _MaskKeys()


class SmscClient:
    """Sends one SMS per call; raises ``DeliveryError`` saying whether a retry may help and whether it may be out."""

    def __init__(self, config: SmscConfig, *, timeout: float = 10.0) -> None:
        self.config = config
        self._url = f"{config.url.rstrip('/')}/SMS/plaintext/{config.api_key}"
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        _MASK.secrets.add(config.api_key)
        httpx_log = logging.getLogger("httpx")
        if _MASK not in httpx_log.filters:
            httpx_log.addFilter(_MASK)

    def __repr__(self) -> str:
        return "SmscClient(***)"

    def send(self, to: str, body: str) -> str | None:
        """Send ``body`` to the phone number ``to``; the SMSC's message id when it gives one."""
        if not body or len(body) > MAX_BODY:
            raise DeliveryError(f"an SMS body must have 1 to {MAX_BODY} characters", retryable=False)
        try:
            destination = msisdn(to)
        except ValueError as error:
            raise DeliveryError(str(error), retryable=False) from None
        payload = {
            "source_msisdn": self.config.source_msisdn,
            "destinatination_msisdn": destination,  # sic (D47)
            "message_body": body,
        }
        try:
            response = self._http().post(self._url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise DeliveryError(f"SMSC unreachable: {self._clean(error)}", retryable=True) from None
        except httpx.HTTPError as error:  # read timeout, connection lost: the SMSC may have taken it
            raise DeliveryError(f"SMSC did not answer: {self._clean(error)}", retryable=True, maybe_sent=True) from None
        if response.status_code == 201:
            return _message_id(response)
        detail = self._clean(response.text[:200])
        retryable = response.status_code in (401, 403, 404, 408, 429) or response.status_code >= 500
        raise DeliveryError(f"SMSC answered {response.status_code}: {detail}", retryable=retryable)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout, verify=_tls())
            return self._client

    def _clean(self, text: object) -> str:
        return str(text).replace(self.config.api_key, "***") or type(text).__name__


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process (building one loads the CA store: ~80 ms)."""
    return ssl.create_default_context()


def _message_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    found = body.get("message_id") or body.get("id") if isinstance(body, dict) else None
    return None if found is None else str(found)
