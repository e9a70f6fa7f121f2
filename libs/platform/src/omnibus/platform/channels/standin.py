"""What the Mailjet and SMSC stand-ins share: an HTTP server on 127.0.0.1, a record of what they accepted (memory
and, optionally, a JSON-lines file that survives restarts), and faults a test can ask for.

Faults: ``fail_next(count, status)`` answers the next requests with a provider-shaped error (nothing recorded);
``delay_next(seconds)`` records the next accepted message, then waits before answering, as a provider whose answer
is late (a client timing out, or a process killed meanwhile, does not know the message went out).
"""

import json
import logging
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


class Request:
    """One HTTP request as the stand-ins see it."""

    def __init__(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = headers
        self.body = body


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):  # a client that gave up
            super().handle_error(request, client_address)


class StandIn(ABC):
    """Base of the stand-ins. ``start()`` binds 127.0.0.1 on ``port`` (0: a free one); ``url`` is its base URL."""

    name = "stand-in"

    def __init__(self, *, port: int = 0, record: Path | None = None) -> None:
        self.port = port
        self.record = record
        self.messages: list[dict[str, Any]] = self._load(record)
        self.requests = 0
        self._failures: list[tuple[int, str | None]] = []
        self._delays: list[float] = []
        self._lock = threading.RLock()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"start() the {self.name} stand-in first")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> Self:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def do_PUT(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                status, answer, delay = standin.serve(request)
                if delay:
                    time.sleep(delay)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # the request line may carry a secret (SMSC key)
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, count: int = 1, status: int = 500, method: str | None = None) -> None:
        """Answer the next ``count`` requests (of ``method`` only, when given) with ``status``; record nothing."""
        with self._lock:
            self._failures.extend([(status, method)] * count)

    def delay_next(self, seconds: float) -> None:
        """Accept and record the next message, then wait ``seconds`` before answering."""
        with self._lock:
            self._delays.append(seconds)

    def serve(self, request: Request) -> tuple[int, Any, float]:
        with self._lock:
            self.requests += 1
            failing = next((f for f in self._failures if f[1] in (None, request.method)), None)
            if failing is not None:
                self._failures.remove(failing)
                return failing[0], self.failure(failing[0]), 0.0
            status, answer, accepted = self.handle(request)
            delay = self._delays.pop(0) if accepted and self._delays else 0.0
            return status, answer, delay

    @abstractmethod
    def handle(self, request: Request) -> tuple[int, Any, bool]:
        """(status, JSON answer, whether a message was accepted); called under the stand-in's lock."""

    @abstractmethod
    def failure(self, status: int) -> Any:
        """The provider's error body for a forced failure."""

    def keep(self, message: dict[str, Any]) -> None:
        """Record an accepted message (memory, then the file)."""
        self.messages.append(message)
        if self.record is not None:
            self.record.parent.mkdir(parents=True, exist_ok=True)
            with self.record.open("a") as out:
                out.write(json.dumps(message, default=str) + "\n")

    @staticmethod
    def _load(record: Path | None) -> list[dict[str, Any]]:
        return read_record(record) if record is not None else []


def read_record(path: Path) -> list[dict[str, Any]]:
    """The messages a stand-in recorded in ``path`` (oldest first)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a crash: skip it, keep the rest
            log.warning("skipping an unreadable line of %s", path)
    return found


def json_body(request: Request) -> Any:
    """The request's JSON, or raises ValueError."""
    return json.loads(request.body.decode("utf-8"))
