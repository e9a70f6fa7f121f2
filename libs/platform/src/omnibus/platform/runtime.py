"""Process composition: build the bus, the authenticator and the services from settings, and serve them.

``embedded_app`` serves every installed service behind one port with the route table (like the gateway), one
merged OpenAPI document at ``/crm/docs/``, aggregate ``/health`` and ``/ready``.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from omnibus.contracts import service_for_path
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import CrmConfig
from omnibus.platform.http.errors import install_error_handlers
from omnibus.platform.keyfiles import read_or_create
from omnibus.platform.messaging.bus import Bus
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.metrics import exposition
from omnibus.platform.peers import Peers
from omnibus.platform.service import Infrastructure, ServiceRuntime, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.platform.telemetry import configure_telemetry

log = logging.getLogger(__name__)


def create_bus(settings: ServiceSettings) -> Bus:
    if settings.amqp_url.startswith("memory://"):
        return InMemoryBus()
    from omnibus.platform.messaging.rabbitmq import RabbitMQBus

    return RabbitMQBus(settings.amqp_url, connection_name=f"omnibus-{settings.service_name}")


def dev_signing_key_path(settings: ServiceSettings) -> Path:
    if settings.dev_signing_key_file is not None:
        return settings.dev_signing_key_file
    return Path("var") / "dev-signing-key.pem"


def load_or_create_dev_key(path: Path) -> Ed25519PrivateKey:
    """The embedded mode's token signing key (identity signs in deployments); created on first use."""

    def generate() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    key = serialization.load_pem_private_key(read_or_create(path, generate), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def create_authenticator(settings: ServiceSettings, config: CrmConfig, *, allow_dev_key: bool = False) -> Authenticator:
    public_key: Any = settings.jwt_public_key
    if public_key is None and settings.jwt_public_key_file is not None:
        public_key = settings.jwt_public_key_file.read_text()
    if public_key is None and settings.jwks_url is None and allow_dev_key:
        public_key = load_or_create_dev_key(dev_signing_key_path(settings)).public_key()
    return Authenticator(
        config=config,
        public_key=public_key,
        jwks_url=settings.jwks_url,
        algorithms=settings.jwt_algorithms,
        issuer=settings.jwt_issuer,
    )


def build_services(
    settings: ServiceSettings, names: Sequence[str] | None = None, *, allow_dev_key: bool = False
) -> tuple[Infrastructure, list[ServiceRuntime]]:
    """Build the chosen (default: all installed) services on one shared bus and authenticator."""
    definitions = discover_services()
    chosen = list(names) if names else list(definitions)
    unknown = [n for n in chosen if n not in definitions]
    if unknown:
        raise SystemExit(f"unknown service(s) {unknown}; installed: {sorted(definitions)}")
    process_settings = settings.for_service(chosen[0] if len(chosen) == 1 else "embedded")
    configure_telemetry(process_settings)
    config = settings.load_crm_config()
    authenticator = create_authenticator(settings, config, allow_dev_key=allow_dev_key)
    infra = Infrastructure(create_bus(process_settings), authenticator, Peers(settings.gateway_url))
    return infra, [definitions[n].build(settings.for_service(n), infra) for n in chosen]


def merged_openapi(runtimes: Sequence[ServiceRuntime]) -> dict[str, Any]:
    spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "Omnibus API", "version": "0.1.0"}, "paths": {}}
    schemas: dict[str, Any] = {}
    for runtime in runtimes:
        part = runtime.api.openapi()
        spec["paths"].update(part.get("paths", {}))
        schemas.update(part.get("components", {}).get("schemas", {}))
    spec["components"] = {
        "schemas": schemas,
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        },
    }
    spec["security"] = [{"bearer": []}, {"apiKey": []}]
    return spec


def embedded_app(infra: Infrastructure, runtimes: Sequence[ServiceRuntime]) -> FastAPI:
    """One ASGI app for all services: dispatch by the route table, like the deployed gateway."""
    by_name = {r.name: r for r in runtimes}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await infra.bus.start()
        started: list[ServiceRuntime] = []
        try:
            for runtime in runtimes:
                await runtime.start()
                started.append(runtime)
            yield
        finally:
            for runtime in reversed(started):
                await runtime.stop()
            await infra.peers.aclose()
            await infra.bus.close()

    gateway = FastAPI(title="Omnibus", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    install_error_handlers(gateway)

    @gateway.get("/health")
    @gateway.get("/crm/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @gateway.get("/ready")
    async def ready() -> JSONResponse:
        failing = [r.name for r in runtimes if not await r.ready()]
        status = 503 if failing else 200
        return JSONResponse({"status": "unavailable" if failing else "ready", "failing": failing}, status_code=status)

    @gateway.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    @gateway.get("/crm/openapi.json")
    async def openapi() -> dict[str, Any]:
        return merged_openapi(runtimes)

    @gateway.get("/crm/docs/", response_class=HTMLResponse)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/crm/openapi.json", title="Omnibus API")

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            owner = by_name.get(service_for_path(scope["path"]) or "")
            if owner is not None:
                await owner.api(scope, receive, send)
                return
        await gateway(scope, receive, send)

    gateway.state.dispatch = dispatch
    infra.peers.serve_locally(dispatch, by_name)
    return gateway


async def run_workers(
    infra: Infrastructure, runtimes: Sequence[ServiceRuntime], metrics_port: int | None = None
) -> None:
    """Run only the background parts (relay, projections, consumers) until SIGTERM/SIGINT."""
    import signal

    from omnibus.platform import metrics

    if metrics_port is not None:
        metrics.serve(metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await infra.bus.start()
    try:
        for runtime in runtimes:
            await runtime.start()
        await stop.wait()
    finally:
        for runtime in reversed(runtimes):
            await runtime.stop()
        await infra.bus.close()


class Dispatcher:
    """ASGI entry for the embedded runner: services by route, everything else (and lifespan) to the gateway."""

    def __init__(self, gateway: FastAPI) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.gateway(scope, receive, send)
            return
        await self.gateway.state.dispatch(scope, receive, send)
