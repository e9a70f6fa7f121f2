"""What provisioning asks other contexts when a job is requested: the product (catalog) and the service
(customers), read from their owners over HTTP (``platform.peers``) with a short internal token of provisioning's own.

A product or service that does not exist is ``None``; an owner that cannot be asked raises ``DirectoryUnavailable``
(catalog is not deployed yet: the API then runs the play the request names, with no product vars; README).
"""

import asyncio
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from omnibus.platform.peers import Peers, PeerUnavailable


class DirectoryUnavailable(Exception):
    http_status = 503
    code = "unavailable"


class Directory(Protocol):
    def product(self, product_id: int) -> dict[str, Any] | None: ...

    def service(self, service_id: int) -> dict[str, Any] | None: ...

    def service_by_uuid(self, service_uuid: str) -> dict[str, Any] | None: ...


class PeersDirectory:
    """The real lookups; called from worker threads (a request's, a consumer's) while the service's loop runs."""

    def __init__(self, peers: Peers, token: Callable[[], str]) -> None:
        self.peers = peers
        self.token = token
        self.loop: asyncio.AbstractEventLoop | None = None  # set when the service starts

    def service_by_uuid(self, service_uuid: str) -> dict[str, Any] | None:
        return self._get(f"/crm/service/service_uuid/{quote(service_uuid, safe='')}")

    def product(self, product_id: int) -> dict[str, Any] | None:
        return self._get(f"/crm/product/product_id/{product_id}")

    def service(self, service_id: int) -> dict[str, Any] | None:
        return self._get(f"/crm/service/service_id/{service_id}")

    def _get(self, path: str) -> dict[str, Any] | None:
        headers = {"authorization": f"Bearer {self.token()}"}
        if self.loop is None:
            raise DirectoryUnavailable("the provisioning service has not started")
        try:
            answer = asyncio.run_coroutine_threadsafe(self.peers.get(path, headers), self.loop).result(timeout=10)
        except PeerUnavailable as error:
            raise DirectoryUnavailable(str(error)) from None
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise DirectoryUnavailable(f"{path} answered {answer.status_code}")
        body = answer.json()
        return body if isinstance(body, dict) else None
