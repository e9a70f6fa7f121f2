"""The FastAPI app factory every service uses: errors, request ids and command context, health, docs, auth."""

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Receive, Scope, Send

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.http.errors import install_error_handlers
from omnibus.platform.metrics import HTTP_REQUESTS
from omnibus.platform.telemetry import current_traceparent, span

ReadinessCheck = Callable[[], Awaitable[bool]]


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``), opens the command context events are stamped with, and
    measures it per endpoint (route template, so ids in paths do not multiply the series)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        ctx = CommandContext(
            correlation_id=headers.get("x-correlation-id") or request_id,
            causation_id=request_id,
            traceparent=headers.get("traceparent"),
        )

        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
                await _read_your_writes(scope, ctx)
            await send(message)

        method = scope.get("method", "HTTP")
        started = time.perf_counter()
        try:
            with span(
                f"{method} {scope.get('path', '')}",
                {"http.request_id": request_id},
                parent=ctx.traceparent,
                kind=SpanKind.SERVER,
            ):
                ctx.traceparent = current_traceparent() or ctx.traceparent
                with command_context(ctx):
                    await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).observe(time.perf_counter() - started)


async def _read_your_writes(scope: Scope, ctx: CommandContext) -> None:
    """Before answering a write, wait until its events are in this service's read models, so a client that
    creates then lists (as playbooks do) sees its own write."""
    if ctx.last_position is None:
        return
    app = scope.get("app")
    wait = getattr(getattr(app, "state", None), "wait_projected", None)
    if wait is not None:
        await wait(ctx.last_position)


def create_api(
    *,
    title: str,
    service: str,
    routers: Sequence[APIRouter],
    authenticator: Authenticator,
    readiness: Sequence[ReadinessCheck] = (),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    state: dict[str, Any] | None = None,
) -> FastAPI:
    """A service's HTTP API. ``/health`` is liveness; ``/ready`` is 200 only when every readiness check passes."""
    app = FastAPI(
        title=title,
        docs_url="/crm/docs/",
        openapi_url="/crm/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.authenticator = authenticator
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, service=service)

    @app.get("/health", include_in_schema=False)
    @app.get("/crm/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready(request: Request) -> Response:
        checks = readiness or getattr(request.app.state, "readiness", ())
        failing = [check.__name__ for check in checks if not await _safe(check)]
        if failing:
            return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
        return JSONResponse({"status": "ready"})

    for router in routers:
        app.include_router(router)
    return app


async def _safe(check: ReadinessCheck) -> bool:
    try:
        return await check()
    except Exception:
        return False
