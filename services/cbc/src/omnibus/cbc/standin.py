"""A local CBC stand-in: an HTTP server speaking the CBC API the service uses (ARCHITECTURE.md §10).

It is what ``make run`` and the tests talk to when no ``cbc_url`` is configured, and ``omnibus emulate cbc``
serves it alone. Like a CBC it validates each broadcast, de-duplicates on ``message_reference`` (the same reference
again answers the first broadcast, marked ``duplicate``; the reference with other content is 409), records it,
marks the one it ``replaces`` as replaced, lets it expire after ``warningPeriodSec``, and cancels on request.

- ``POST /alerts/send``  body: the broadcast (``delivery/payload.py``) -> 201 the record (200 for a duplicate)
- ``GET /alerts/{message_reference}`` -> the record, 404 unknown;  ``GET /alerts`` -> ``{"alerts": [...]}``
- ``POST /alerts/cancel`` ``{"message_reference"}`` -> the record with ``status: cancelled``, 404 unknown

Faults for tests (``fail_next`` in-process, or ``POST /_standin/faults`` with the same fields): ``error`` answers
an HTTP status without acting; ``slow`` acts, then answers only after ``delay`` seconds (the caller times out and
never learns the outcome); ``hang`` waits ``delay`` seconds without acting, then answers 503.
"""

import argparse
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

OPERATIONS = ("send", "status", "cancel")
MODES = ("error", "slow", "hang")
RAT_TYPES = ("LTE", "5G", "UMTS", "GSM")
Answer = tuple[int, dict[str, Any]]  # HTTP status, JSON body


@dataclass
class Fault:
    operation: str
    mode: str
    times: int = 1
    status: int = 503
    delay: float = 0.0


class Invalid(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CbcStandIn:
    """The stand-in's state and HTTP server; ``start()`` serves it on ``url`` from a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state_file: Path | None = None) -> None:
        self.host, self.port = host, port
        self.state_file = state_file
        self._lock = threading.Lock()
        self._alerts: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (operation, message_reference) of every request received
        self._server: ThreadingHTTPServer | None = None
        if state_file is not None and state_file.exists():
            self._alerts = json.loads(state_file.read_text())

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- what tests look at and steer ---

    def broadcasts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._current(a) for a in self._alerts.values()]

    def fail_next(self, operation: str, mode: str, *, times: int = 1, status: int = 503, delay: float = 0.0) -> None:
        if operation not in OPERATIONS or mode not in MODES or times < 1 or delay < 0:
            raise ValueError(f"operation in {OPERATIONS}, mode in {MODES}, times >= 1, delay >= 0")
        with self._lock:
            self._faults.append(Fault(operation, mode, times, status, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- the API ---

    def handle(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        """One request -> (status, JSON body); may sleep for a fault."""
        try:
            if path == "/_standin/faults":
                return self._faults_endpoint(method, _json(body) if body else {})
            operation, reference, request = self._parse(method, path, body, headers)
            with self._lock:
                self.requests.append((operation, reference))
            fault = self._take_fault(operation)
            if fault is not None and fault.mode == "error":
                return fault.status, {"message": f"stand-in fault: HTTP {fault.status}"}
            if fault is not None and fault.mode == "hang":
                time.sleep(fault.delay)
                return 503, {"message": "stand-in fault: the CBC hung"}
            answer = self._act(operation, reference, request)
            if fault is not None and fault.mode == "slow":
                time.sleep(fault.delay)
            return answer
        except Invalid as error:
            return error.status, {"message": str(error)}

    def _parse(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[str, str, Any]:
        if method == "POST" and path == "/alerts/send":
            request = _json(body)
            _validate_broadcast(request)
            key = headers.get("idempotency-key")
            if key is not None and key != request["message_reference"]:
                raise Invalid(400, "Idempotency-Key differs from message_reference")
            return "send", request["message_reference"], request
        if method == "POST" and path == "/alerts/cancel":
            request = _json(body)
            reference = request.get("message_reference") if isinstance(request, dict) else None
            if not isinstance(reference, str) or not reference:
                raise Invalid(400, "message_reference is required")
            return "cancel", reference, request
        if method == "GET" and path == "/alerts":
            return "list", "", None
        if method == "GET" and path.startswith("/alerts/") and path.count("/") == 2:
            return "status", path.removeprefix("/alerts/"), None
        raise Invalid(404, f"no such endpoint: {method} {path}")

    def _act(self, operation: str, reference: str, request: Any) -> Answer:
        with self._lock:
            if operation == "list":
                return 200, {"alerts": [self._answer(a) for a in self._alerts.values()]}
            known = self._alerts.get(reference)
            if operation == "status":
                return (200, self._answer(known)) if known else (404, {"message": f"unknown alert {reference}"})
            if operation == "cancel":
                return self._cancel(reference, known)
            return self._send(reference, request, known)

    def _send(self, reference: str, request: dict[str, Any], known: dict[str, Any] | None) -> Answer:
        if known is not None:
            if known["request"] != request:
                raise Invalid(409, f"message_reference {reference} was used for another broadcast")
            return 200, {**self._answer(known), "duplicate": True}
        now = datetime.now(UTC)
        record = {
            "message_reference": reference,
            "broadcast_id": len(self._alerts) + 1,
            "status": "active",
            "accepted_at": now.isoformat(),
            "expires_at": (now + timedelta(seconds=request["warningPeriodSec"])).isoformat(),
            "cancelled_at": None,
            "replaces": request.get("replaces"),
            "request": request,
        }
        replaced = self._alerts.get(request.get("replaces") or "")
        if replaced is not None and self._current(replaced)["status"] == "active":
            replaced["status"] = "replaced"
        self._alerts[reference] = record
        self._save()
        return 201, self._answer(record)

    def _cancel(self, reference: str, known: dict[str, Any] | None) -> Answer:
        if known is None:
            return 404, {"message": f"unknown alert {reference}"}
        if self._current(known)["status"] == "active":
            known["status"] = "cancelled"
            known["cancelled_at"] = datetime.now(UTC).isoformat()
            self._save()
        return 200, self._answer(known)

    def _answer(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record as the API answers it: without the request, but with what was asked."""
        current = self._current(record)
        request = current.pop("request")
        current["messageIdentifier"] = request["messageIdentifier"]
        current["languages"] = [m["language"] for m in request["localized_messages"]]
        current["tracking_areas"] = len(request["tracking_areas"])
        return current

    def _current(self, record: dict[str, Any]) -> dict[str, Any]:
        current = dict(record)
        if current["status"] == "active" and datetime.fromisoformat(current["expires_at"]) <= datetime.now(UTC):
            current["status"] = "expired"
        return current

    def _take_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _faults_endpoint(self, method: str, request: Any) -> Answer:
        if method == "DELETE":
            self.clear_faults()
            return 200, {"faults": []}
        if method != "POST" or not isinstance(request, dict):
            raise Invalid(400, "POST a fault {operation, mode, times?, status?, delay?} or DELETE them all")
        try:
            self.fail_next(
                str(request.get("operation")),
                str(request.get("mode")),
                times=int(request.get("times", 1)),
                status=int(request.get("status", 503)),
                delay=float(request.get("delay", 0.0)),
            )
        except (TypeError, ValueError) as error:
            raise Invalid(400, str(error)) from None
        return 200, {"faults": [vars(f) for f in self._faults]}

    def _save(self) -> None:
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps(self._alerts))

    # --- the server ---

    def start(self) -> "CbcStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def do_DELETE(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = standin.handle(self.command, self.path.split("?")[0], body, headers)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the caller gave up (timed out) before the answer
                    pass

            def log_message(self, *args: Any) -> None:
                log.debug("cbc stand-in: " + args[0], *args[1:])

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        server = self._server
        threading.Thread(target=lambda: server.serve_forever(0.05), name="cbc-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise Invalid(400, "the body must be JSON") from None


def _validate_broadcast(request: Any) -> None:
    """What a CBC checks before it broadcasts anything."""
    if not isinstance(request, dict):
        raise Invalid(400, "the body must be a JSON object")
    reference = request.get("message_reference")
    if not isinstance(reference, str) or not 0 < len(reference) <= 128:
        raise Invalid(400, "message_reference is required (1-128 characters)")
    identifier = request.get("messageIdentifier")
    if not isinstance(identifier, str) or not identifier.isdigit() or int(identifier) > 65535:
        raise Invalid(400, "messageIdentifier must be a number 0-65535 as a string")
    for name, low in (("repetitionPeriod", 0), ("numberOfBroadcasts", 0), ("warningPeriodSec", 1)):
        value = request.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise Invalid(400, f"{name} must be a whole number of at least {low}")
    texts = request.get("localized_messages")
    if not isinstance(texts, list) or not texts:
        raise Invalid(400, "localized_messages must list at least one text")
    for text in texts:
        if not isinstance(text, dict) or not isinstance(text.get("language"), str) or len(text["language"]) != 2:
            raise Invalid(400, "each localized message needs a two-letter language")
        if not isinstance(text.get("messageBody"), str) or not text["messageBody"].strip():
            raise Invalid(400, "each localized message needs a messageBody")
        pages = text.get("pages")
        if text.get("encoding") not in ("GSM7", "UCS2") or not isinstance(pages, int) or not 1 <= pages <= 15:
            raise Invalid(400, "each localized message needs its encoding (GSM7, UCS2) and 1-15 pages")
    areas = request.get("tracking_areas")
    if not isinstance(areas, list) or not areas:
        raise Invalid(400, "tracking_areas must list at least one area")
    for area in areas:
        if not isinstance(area, dict) or area.get("rat_type") not in RAT_TYPES:
            raise Invalid(400, f"each tracking area needs a rat_type of {', '.join(RAT_TYPES)}")
        if not all(isinstance(area.get(k), str) and area[k] for k in ("tracking_area", "operator")):
            raise Invalid(400, "each tracking area needs tracking_area and operator")


# --- omnibus emulate cbc ---


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--state-file", type=Path, default=None, help="keep the broadcasts in this JSON file")


def run(args: argparse.Namespace) -> int:
    standin = CbcStandIn(args.host, args.port, args.state_file).start()
    print(f"CBC stand-in on {standin.url} (POST /alerts/send, GET /alerts/{{reference}}, POST /alerts/cancel)")  # noqa: T201
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    return 0


class _Command:
    """What the platform CLI's ``omnibus emulate <name>`` needs: arguments and a runner."""

    help = "CBC stand-in: the cell broadcast centre's HTTP API (cbc.md §7)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        return run(args)


emulator_command = _Command()
