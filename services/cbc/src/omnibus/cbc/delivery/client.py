"""The CBC's HTTP API as the service uses it (cbc.md §7, D112): send a broadcast, ask for one, cancel one.

Every request names the broadcast by its **message reference**, in the body and as ``Idempotency-Key``: the CBC
de-duplicates on it, so a repeated send never makes a second broadcast. Outcomes: ``CbcAnswer`` (the CBC has it:
2xx, or 409 = it already had that reference), ``CbcRefused`` (4xx: it will not take it; do not repeat), or
``CbcUnavailable`` (timeout, unreachable, 408/425/429/5xx: it may or may not have it; try again later).
"""

from dataclasses import dataclass
from typing import Any

import httpx

from omnibus.cbc.settings import CbcPaths
from omnibus.platform.metrics import external_call

TRANSIENT = frozenset({408, 425, 429})
MAX_RESPONSE_KEPT = 2000  # characters of a non-JSON answer kept on the record


@dataclass(frozen=True)
class CbcAnswer:
    status: int
    body: dict[str, Any]


class CbcUnavailable(Exception):
    """No usable answer: the CBC may or may not have acted."""

    def __init__(self, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


class CbcRefused(Exception):
    """The CBC answered that it will not do it (a 4xx other than 404/409)."""

    def __init__(self, reason: str, http_status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


class CbcClient:
    def __init__(self, base_url: str, paths: CbcPaths, timeout: float, transport: httpx.BaseTransport | None = None):
        self.base_url = base_url
        self.paths = paths
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def send(self, payload: dict[str, Any], *, update: bool = False) -> CbcAnswer:
        """POST the broadcast (to the update path for an update, when the CBC has one)."""
        path = self.paths.update if update and self.paths.update else self.paths.send
        answer = self._call("send", "POST", path, payload["message_reference"], payload)
        if answer.status == 404:
            raise CbcRefused(f"the CBC has no {path} (HTTP 404)", 404)
        return answer

    def lookup(self, reference: str) -> CbcAnswer | None:
        """The CBC's record of the reference, None when it has none (only with a status path)."""
        answer = self._call("status", "GET", self.paths.status_of(reference), reference, None)
        return None if answer.status == 404 else answer

    def cancel(self, reference: str) -> CbcAnswer:
        """Stop the broadcast; 404 (the CBC does not have it) is an answer too: nothing to stop there."""
        if self.paths.cancel is None:
            raise ValueError("cbc.api_paths has no cancel path")
        return self._call("cancel", "POST", self.paths.cancel, reference, {"message_reference": reference})

    def close(self) -> None:
        self._http.close()

    def _call(self, operation: str, method: str, path: str, reference: str, body: Any) -> CbcAnswer:
        headers = {"Idempotency-Key": reference}
        try:
            with external_call("cbc", operation, **{"cbc.message_reference": reference}):
                response = self._http.request(method, path, json=body, headers=headers)
        except httpx.TimeoutException:
            raise CbcUnavailable(f"the CBC did not answer within {self._http.timeout.read} s") from None
        except httpx.HTTPError as error:
            raise CbcUnavailable(f"the CBC could not be reached: {type(error).__name__}: {error}") from None
        status, parsed = response.status_code, _body(response)
        if status >= 500 or status in TRANSIENT:
            raise CbcUnavailable(f"the CBC answered HTTP {status}: {_reason(parsed)}", status)
        if status >= 400 and status not in (404, 409):
            raise CbcRefused(f"the CBC refused it (HTTP {status}): {_reason(parsed)}", status)
        return CbcAnswer(status, parsed)


def _body(response: httpx.Response) -> dict[str, Any]:
    """The answer as JSON for the record; a long or non-JSON one is kept as (cut) text: it goes into an event."""
    if len(response.content) > 4 * MAX_RESPONSE_KEPT:
        return {"text": response.text[:MAX_RESPONSE_KEPT], "truncated": True}
    try:
        parsed = response.json()
    except ValueError:
        return {"text": response.text[:MAX_RESPONSE_KEPT]} if response.text else {}
    return parsed if isinstance(parsed, dict) else {"result": parsed}


def _reason(body: dict[str, Any]) -> str:
    for key in ("message", "error", "detail", "text"):
        if body.get(key):
            return str(body[key])[:500]
    return "no reason given"
