"""One error shape for every service (api-conventions.md §7, D6).

- auth failures: ``{"message"}`` (401/403);
- everything else: ``{"message", "code", "details"?}``;
- request validation errors are 400 (the reference product's status), naming each bad field.

Domain errors stay framework-free: any exception with an ``http_status`` class attribute (and optionally
``code`` and ``details``) is answered with that status; anything else is a logged 500 that reveals nothing.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnibus.platform.auth.authenticator import AuthenticationError, PermissionDenied

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error raised by HTTP adapters: ``raise ApiError(400, "bad_filter", "filters must be a JSON object")``."""

    def __init__(self, http_status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.details = details


def error_body(message: str, code: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "code": code}
    if details is not None:
        body["details"] = details
    return body


def _code_for(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "unprocessable",
        503: "unavailable",
    }.get(status, "error")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(_: Request, error: AuthenticationError) -> JSONResponse:
        return JSONResponse({"message": str(error)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PermissionDenied)
    async def _forbidden(_: Request, error: PermissionDenied) -> JSONResponse:
        return JSONResponse({"message": str(error)}, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        details = [_field_error(e) for e in error.errors()]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return JSONResponse(error_body(f"Invalid request: {summary}", "validation_error", details), status_code=400)

    @app.exception_handler(ValidationError)
    async def _invalid_model(_: Request, error: ValidationError) -> JSONResponse:
        details = [_field_error(e) for e in error.errors()]  # type: ignore[arg-type]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return JSONResponse(error_body(f"Invalid request: {summary}", "validation_error", details), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "Request failed"
        return JSONResponse(error_body(message, _code_for(error.status_code)), status_code=error.status_code)

    app.add_middleware(DomainErrorMiddleware)

    @app.exception_handler(Exception)
    async def _any(request: Request, error: Exception) -> JSONResponse:
        response = _domain_response(error)
        if response is not None:
            return response
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        request_id = getattr(request.state, "request_id", None)
        return JSONResponse(
            error_body("Internal server error", "internal_error", {"request_id": request_id}), status_code=500
        )


class DomainErrorMiddleware:
    """Answers domain errors inside the middleware stack.

    Starlette runs a handler of ``Exception`` in its outermost middleware, which answers and then re-raises: each
    domain 4xx would be logged as a server crash and miss the headers of inner middleware (``X-Request-ID``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except Exception as error:
            response = _domain_response(error)
            if response is None or started:
                raise
            await response(scope, receive, send)


def _domain_response(error: Exception) -> JSONResponse | None:
    """The answer to a framework-free domain error (one with an ``http_status``), else None."""
    status = getattr(error, "http_status", None)
    if not (isinstance(status, int) and 400 <= status < 600):
        return None
    code = getattr(error, "code", None) or _code_for(status)
    return JSONResponse(error_body(str(error), code, getattr(error, "details", None)), status_code=status)


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    return {"field": ".".join(location) or "body", "message": str(error.get("msg", "invalid value"))}
