"""A small HTTP gateway generated from the route table: path prefix -> the owning service's process.

Used by ``omnibus run --processes`` (each service its own process, one public port). Forwards method, path,
query, headers and body; appends the caller to ``X-Forwarded-For`` (services trust it only from configured
proxies); answers ``/health``, an aggregate ``/ready`` and one merged ``/crm/docs/``.
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from omnibus.contracts import service_for_path

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def create_gateway(upstreams: Mapping[str, str]) -> FastAPI:
    """``upstreams``: service name -> base URL (e.g. ``{"customers": "http://127.0.0.1:5101"}``)."""
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)) as client:
            state["client"] = client
            yield

    app = FastAPI(title="Omnibus gateway", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    @app.get("/health")
    @app.get("/crm/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        async def check(name: str, url: str) -> str | None:
            try:
                response = await state["client"].get(f"{url}/ready", timeout=2.0)
                return None if response.status_code == 200 else name
            except httpx.HTTPError:
                return name

        failing = [n for n in await asyncio.gather(*(check(n, u) for n, u in upstreams.items())) if n]
        body = {"status": "unavailable" if failing else "ready", "failing": failing}
        return JSONResponse(body, status_code=503 if failing else 200)

    @app.get("/crm/openapi.json")
    async def openapi() -> dict[str, Any]:
        spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "Omnibus API", "version": "0.1.0"}, "paths": {}}
        schemas: dict[str, Any] = {}
        for url in upstreams.values():
            part = (await state["client"].get(f"{url}/crm/openapi.json")).json()
            spec["paths"].update(part.get("paths", {}))
            schemas.update(part.get("components", {}).get("schemas", {}))
        spec["components"] = {"schemas": schemas}
        return spec

    @app.get("/crm/docs/", response_class=HTMLResponse)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/crm/openapi.json", title="Omnibus API")

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    async def proxy(path: str, request: Request) -> Response:
        service = service_for_path(request.url.path)
        if service is None or service not in upstreams:
            return JSONResponse({"message": "Not found", "code": "not_found"}, status_code=404)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{forwarded}, {peer}" if forwarded else peer
        try:
            upstream = await state["client"].request(
                request.method,
                f"{upstreams[service]}{request.url.path}",
                params=request.query_params,
                headers=headers,
                content=await request.body(),
            )
        except httpx.HTTPError as error:
            return JSONResponse({"message": f"{service} unavailable: {error}", "code": "bad_gateway"}, status_code=502)
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(upstream.content, status_code=upstream.status_code, headers=out)

    return app
