"""Fixtures of the charging tests: the CGRateS emulator as a real HTTP server, and the gateway as a real HTTP server
talking to it (so ``*http_post`` callbacks travel over HTTP to the gateway's webhook).

The emulator's clock is frozen and injected into the gateway too, so "now" is the same on both sides.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.emulator.engine import Clock, Engine
from omnibus.charging_gateway.emulator.server import EmulatorApp, http_poster
from omnibus.charging_gateway.main import build
from omnibus.charging_gateway.settings import ChargingSettings
from omnibus.contracts import Envelope, IntegrationEvent
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

START = "2026-01-15T10:00:00Z"
TENANT = "cgrates.org"
NOTIFY_KEY = "notify-key-" + "n" * 30
CRM_CONFIG = {"api_keys": {NOTIFY_KEY: {"roles": ["cgrates_api_write"], "description": "ocs"}}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="serve")
def serve_fixture() -> Callable[[Any], Any]:
    """``with serve(asgi_app) as url``: serve an app over HTTP for the test."""
    return serve


@contextmanager
def serve(app: Any, stoppable: bool = False) -> Iterator[Any]:
    """Serve an ASGI app on a free local port in a thread; yields its base URL (and a stop function)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    try:
        url = f"http://127.0.0.1:{port}"
        yield (url, stop) if stoppable else url
    finally:
        stop()


@dataclass
class Emulator:
    """The emulator over HTTP: ``rpc`` returns the whole reply object, ``ok`` the result (asserting no error)."""

    url: str
    engine: Engine
    stop: Callable[[], None] = lambda: None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def rpc(self, method: str, *params: Any, raw_params: Any = "absent") -> dict[str, Any]:
        body: dict[str, Any] = {"method": method, "id": 1}
        body["params"] = list(params) if raw_params == "absent" else raw_params
        response = self.http.post(f"{self.url}/jsonrpc", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def ok(self, method: str, *params: Any) -> Any:
        reply = self.rpc(method, *params)
        assert reply["error"] is None, reply
        return reply["result"]

    def error(self, method: str, *params: Any) -> str:
        reply = self.rpc(method, *params)
        assert reply["result"] is None
        return str(reply["error"])

    def account(self, name: str, tenant: str = TENANT) -> dict[str, Any]:
        return dict(self.ok("APIerSv2.GetAccount", {"Tenant": tenant, "Account": name}))

    def balance(self, name: str, balance_type: str, balance_id: str) -> dict[str, Any]:
        balances = self.account(name)["BalanceMap"][balance_type]
        return next(b for b in balances if b["ID"] == balance_id)

    def advance(self, duration: str) -> dict[str, Any]:
        return dict(self.ok("Emulator.AdvanceClock", {"Duration": duration}))

    def now(self) -> datetime:
        return self.engine.clock.now()


@contextmanager
def running_emulator(start: str = START) -> Iterator[Emulator]:
    engine = Engine(Clock(datetime.fromisoformat(start.replace("Z", "+00:00"))), http_poster(timeout=5))
    engine.poster_attempts = 1
    with serve(EmulatorApp(engine), stoppable=True) as (url, stop):
        yield Emulator(url, engine, stop)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator() as running:
        yield running


@dataclass
class Gateway:
    """The charging gateway over real HTTP, its bus and the emulator it talks to."""

    url: str
    app: ChargingApp
    bus: InMemoryBus
    emulator: Emulator
    signing_key: Ed25519PrivateKey
    relay: Any = None
    live: Any = None
    loop: Any = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15))
    positions: dict[str, int] = field(default_factory=dict)

    def token(self, *permissions: str, sub: str = "7") -> str:
        claims = {"sub": sub, "permissions": list(permissions), "token_type": "access", "exp": int(time.time()) + 600}
        return jwt.encode(claims, self.signing_key, algorithm="EdDSA")

    def auth(self, *permissions: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions)}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        sent = self.auth("admin") if headers is None else headers
        return self.http.request(method, f"{self.url}{path}", json=json, headers=sent, params=params)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def new_account(self, service_uuid: str, **extra: Any) -> dict[str, Any]:
        response = self.put("/crm/ocs/account/", json={"service_uuid": service_uuid, **extra})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def topup(self, service_uuid: str, key: str, **extra: Any) -> httpx.Response:
        body = {"idempotency_key": key, "balance_type": "*data", "value": 1024, "balance_id": "DATA", **extra}
        return self.post(f"/crm/ocs/account/service_uuid/{service_uuid}/topup", json=body)

    def published(self, name: str | None = None) -> list[OutgoingMessage]:
        """Every event recorded so far, once the relay has published them."""
        recorded = self.app.max_notification_id()

        def check() -> list[OutgoingMessage]:
            assert self.relay is None or self.relay.position >= recorded
            return list(self.bus.published)

        messages = eventually(check)
        return [m for m in messages if name is None or m.routing_key == f"charging.{name}"]

    def deliver(self, payload: IntegrationEvent) -> None:
        """Publish another context's event on the gateway's bus, as its relay would (next position of the source)."""
        source = payload.context
        self.positions[source] = self.positions.get(source, 0) + 1
        envelope = Envelope(
            event_id=uuid.uuid4(),
            event_type=payload.event_type(),
            event_version=1,
            source=source,
            position=self.positions[source],
            aggregate_type=payload.aggregate_type,
            aggregate_id=uuid.uuid4(),
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
        )
        message = OutgoingMessage(
            routing_key=payload.routing_key(),
            body=payload.model_dump_json().encode(),
            message_id=str(envelope.event_id),
            headers=envelope.to_headers(),
        )
        asyncio.run_coroutine_threadsafe(self.bus.publish([message]), self.loop).result(timeout=10)

    def names(self) -> list[str]:
        return [
            m.routing_key.removeprefix("charging.") for m in self.published() if m.routing_key.startswith("charging.")
        ]


@contextmanager
def running_gateway(database_url: str, emulator: Emulator, **settings: Any) -> Iterator[Gateway]:
    key = Ed25519PrivateKey.generate()
    infra = Infrastructure(
        InMemoryBus(), Authenticator(config=parse_crm_config(CRM_CONFIG), public_key=key.public_key())
    )
    port = free_port()
    charging = ChargingSettings(
        cgrates_url=emulator.url,
        charging_public_url=f"http://127.0.0.1:{port}",
        charging_webhook_secret="s3cret-token",
        charging_reconcile_interval=settings.pop("charging_reconcile_interval", 0),
        cgrates_timeout=settings.pop("cgrates_timeout", 5.0),
        **settings,
    )
    service_settings = ServiceSettings(database_url=database_url, http_port=port).for_service("charging-gateway")
    runtime = build(service_settings, infra, clock=emulator.engine.clock.now, charging=charging)
    assert isinstance(runtime.app, ChargingApp) and isinstance(infra.bus, InMemoryBus)
    asgi = LoopCapture(Dispatcher(embedded_app(infra, [runtime])))
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    eventually(lambda: _started(server))
    try:
        yield Gateway(
            f"http://127.0.0.1:{port}",
            runtime.app,
            infra.bus,
            emulator,
            key,
            runtime.relay,
            runtime.parts.state["charging_live"],
            asgi.loop,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.app.close()
        runtime.engine.dispose()


class LoopCapture:
    """ASGI wrapper that remembers the server's event loop (the in-process bus lives on it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop = asyncio.get_running_loop()
        await self.app(scope, receive, send)


def _started(server: uvicorn.Server) -> None:
    assert server.started


@pytest.fixture
def make_emulator() -> Callable[..., Any]:
    """``with make_emulator() as emulator``: another emulator server (``emulator.stop()`` takes it down)."""
    return running_emulator


@pytest.fixture
def make_gateway() -> Callable[..., Any]:
    """``with make_gateway(database_url, emulator, **charging_settings) as gateway``."""
    return running_gateway


@pytest.fixture
def gateway(tmp_path: Path, emulator: Emulator) -> Iterator[Gateway]:
    with running_gateway(f"sqlite:///{tmp_path}", emulator) as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def gateway_on_each_store(request: pytest.FixtureRequest, tmp_path: Path, emulator: Emulator) -> Iterator[Gateway]:
    url = f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")
    with running_gateway(url, emulator) as running:
        yield running


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


Check = Callable[[], Any]
