"""Live reads from other services over HTTP (e.g. charging.md §4.1: a service view shows live OCS balances).

Events keep each service's own data; some answers are live by nature (balances change with every session) and are
read from their owner when asked. The owner of a path comes from the route table. When it runs in this process
(the embedded mode, `omnibus run`), the request goes through the in-process dispatcher; otherwise through the
gateway (``OMNIBUS_GATEWAY_URL``). The caller's credentials go along, so the owner applies its own permission and
self-care checks; so do the request id and trace context. A peer that does not answer in time is unavailable:
callers answer without its part, saying so.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from starlette.types import ASGIApp

from omnibus.contracts import service_for_path

FORWARDED = ("authorization", "x-api-key", "x-request-id", "x-correlation-id", "traceparent")


class PeerUnavailable(Exception):
    """The owning service could not be asked (not reachable, timed out, or not deployed here)."""


class Peers:
    def __init__(self, gateway_url: str | None, timeout: float = 3.0) -> None:
        self.gateway_url = gateway_url.rstrip("/") if gateway_url else None
        self.timeout = timeout
        self._local_app: ASGIApp | None = None
        self._local: frozenset[str] = frozenset()
        self._remote: httpx.AsyncClient | None = None

    def serve_locally(self, app: ASGIApp, services: Iterable[str]) -> None:
        """Requests for ``services`` go to ``app`` in this process."""
        self._local_app, self._local = app, frozenset(services)

    async def get(
        self, path: str, caller_headers: Mapping[str, str], client_ip: str | None = None, **params: Any
    ) -> httpx.Response:
        """``GET path`` at its owner with the caller's credentials."""
        return await self._request("GET", path, caller_headers, client_ip, params=params)

    async def post(
        self, path: str, body: Any, caller_headers: Mapping[str, str], client_ip: str | None = None
    ) -> httpx.Response:
        """``POST path`` (a JSON body) at its owner with the caller's credentials (e.g. a token from identity)."""
        return await self._request("POST", path, caller_headers, client_ip, json=body)

    async def _request(
        self, method: str, path: str, caller_headers: Mapping[str, str], client_ip: str | None, **options: Any
    ) -> httpx.Response:
        owner = service_for_path(path)
        headers = {k: v for k, v in caller_headers.items() if k.lower() in FORWARDED}
        try:
            if owner in self._local and self._local_app is not None:
                # the caller's own address, not this process's: an IP-whitelisted caller gets no more than it had
                transport = httpx.ASGITransport(app=self._local_app, client=(client_ip or "0.0.0.0", 0))
                async with httpx.AsyncClient(transport=transport, base_url="http://omnibus.local") as client:
                    return await client.request(method, path, headers=headers, timeout=self.timeout, **options)
            if self.gateway_url is None:
                raise PeerUnavailable(
                    f"{owner or path} does not run in this process and OMNIBUS_GATEWAY_URL is not set"
                )
            if self._remote is None:
                self._remote = httpx.AsyncClient(base_url=self.gateway_url)
            return await self._remote.request(method, path, headers=headers, timeout=self.timeout, **options)
        except httpx.HTTPError as error:
            raise PeerUnavailable(f"{owner or path} did not answer: {error}") from None

    async def aclose(self) -> None:
        if self._remote is not None:
            await self._remote.aclose()
            self._remote = None
