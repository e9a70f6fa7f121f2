"""The CGRateS emulator as a JSON-RPC server (``omnibus emulate cgrates --port 2080``) and in-process transport.

The HTTP handler follows §1.1: any HTTP method on ``/jsonrpc``, always ``application/json``, CORS echo, optional
Basic auth answering 401 ``Not authorized``, a body read as a stream of JSON values (one reply line each), and an
empty 200 body when the body is not JSON at all.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from omnibus.charging_gateway.emulator.args import RpcError
from omnibus.charging_gateway.emulator.engine import Clock, Engine, Poster
from omnibus.charging_gateway.emulator.methods import resolve
from omnibus.charging_gateway.emulator.timeutil import parse_time

log = logging.getLogger(__name__)


def handle_request(engine: Engine, request: Any) -> dict[str, Any]:
    """One JSON-RPC 1.0 request object -> its reply object."""
    request_id = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(request, dict):
            raise RpcError("jsonrpc: request body missing params")
        method = request.get("method")
        if not isinstance(method, str):
            raise RpcError("rpc: service/method request ill-formed: ")
        handler = resolve(method)
        if "params" not in request or request["params"] is None:
            raise RpcError("jsonrpc: request body missing params")
        params = request["params"]
        if not isinstance(params, list):
            kind = "object" if isinstance(params, dict) else type(params).__name__
            raise RpcError(f"json: cannot unmarshal {kind} into Go value of type [1]interface {{}}")
        result = handler(engine, params[0] if params else None)
        return {"id": request_id, "result": result, "error": None}
    except RpcError as error:
        return {"id": request_id, "result": None, "error": str(error)}
    except ValueError as error:  # e.g. Unsupported time format, returned unwrapped
        return {"id": request_id, "result": None, "error": str(error)}


def handle_body(engine: Engine, body: bytes) -> bytes:
    """A whole HTTP body (a stream of JSON values) -> the reply body ("" when it is not JSON)."""
    decoder = json.JSONDecoder()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return b""
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break  # the server closes the exchange
        out.append(json.dumps(handle_request(engine, value), separators=(",", ":")) + "\n")
    return "".join(out).encode()


class EmulatorApp:
    """ASGI application serving ``POST /jsonrpc`` (any method and path ending ``/jsonrpc``)."""

    def __init__(self, engine: Engine, users: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.users = users or {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        extra: list[tuple[bytes, bytes]] = []
        if "origin" in headers:
            extra.append((b"access-control-allow-origin", headers["origin"].encode()))
        if scope["path"].rstrip("/") != "/jsonrpc":
            await _respond(send, 404, b"404 page not found\n", b"text/plain", extra)
            return
        if self.users and not self._authorised(headers.get("authorization", "")):
            await _respond(send, 401, b"Not authorized", b"text/plain", extra)
            return
        import anyio.to_thread

        reply = await anyio.to_thread.run_sync(handle_body, self.engine, body)
        await _respond(send, 200, reply, b"application/json", extra)

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return self.users.get(user) == password


async def _respond(send: Any, status: int, body: bytes, content_type: bytes, extra: list[Any]) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class EmulatorTransport(httpx.BaseTransport):
    """An httpx transport answering from an in-process engine: the embedded mode's CGRateS, same wire format."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.rstrip("/") != "/jsonrpc":
            return httpx.Response(404, content=b"404 page not found\n")
        body = handle_body(self.engine, request.read())
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def http_poster(timeout: float = 5.0) -> Poster:
    """Real ``*http_post`` deliveries (``Content-Type: application/json``)."""

    def post(url: str, body: bytes) -> None:
        response = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=timeout)
        if response.status_code >= 300:
            raise RuntimeError(f"HTTP {response.status_code}")

    return post


class Ticker:
    """Real-time mode: runs due ActionPlans every ``interval`` seconds in a daemon thread."""

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cgrates-emulator-ticker", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.engine.tick()
            except Exception:
                log.exception("emulator scheduler tick failed")


def build_engine(frozen_at: str | None = None, *, strict_tenant: bool = True, post: bool = True) -> Engine:
    start: datetime | None = None
    if frozen_at:
        from datetime import UTC

        start = parse_time(frozen_at, datetime.now(UTC))
    return Engine(Clock(start), http_poster() if post else None, strict_tenant=strict_tenant)


def main(argv: Sequence[str] | None = None) -> int:
    """``omnibus emulate cgrates``: serve the emulator until interrupted."""
    parser = argparse.ArgumentParser(prog="omnibus emulate cgrates", description="CGRateS JSON-RPC emulator")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2080)
    parser.add_argument("--frozen-clock", default=None, help="start with a frozen clock at this time (tests)")
    parser.add_argument("--default-tenant", action="store_true", help="master behaviour: empty Tenant = cgrates.org")
    parser.add_argument("--no-post", action="store_true", help="record *http_post deliveries without sending them")
    parser.add_argument("--auth", action="append", default=[], help="user:password for Basic auth (repeatable)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    engine = build_engine(args.frozen_clock, strict_tenant=not args.default_tenant, post=not args.no_post)
    users = dict(item.split(":", 1) for item in args.auth)
    ticker = None if engine.clock.frozen else Ticker(engine).start()
    print(f"CGRateS emulator on http://{args.host}:{args.port}/jsonrpc", flush=True)  # noqa: T201
    try:
        uvicorn.run(EmulatorApp(engine, users), host=args.host, port=args.port, log_level="warning")
    finally:
        if ticker is not None:
            ticker.stop()
    time.sleep(0)
    return 0


class _Command:
    """What the platform CLI's ``omnibus emulate <name>`` needs: arguments and a runner."""

    help = "CGRateS JSON-RPC emulator (cgrates-reference.md §11)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        return run(args)


emulator_command = _Command()
