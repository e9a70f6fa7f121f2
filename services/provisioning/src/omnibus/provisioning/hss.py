"""A local HSS stand-in: the subscriber REST calls the reference plays make (provisioning.md §7, ARCHITECTURE §10).

``PUT /subscriber/{imsi}`` ``{imsi, msisdn, ki, opc?, enabled}`` creates (or replaces) a subscriber and answers its
``subscriber_id``; ``PATCH /subscriber/{subscriber_id}`` ``{enabled?, msisdn?, ue_ambr_dl?, ue_ambr_ul?}`` changes
one (the rescue's "dormant": placeholder MSISDN ``9999`` + the IMSI's last 10 digits, AMBR 9999999);
``DELETE /subscriber/{subscriber_id}`` removes it. ``GET /subscriber/{subscriber_id}`` and
``GET /subscriber/imsi/{imsi}`` read one (Ki and OPc are never answered). Bodies are validated: an IMSI of 14-15
digits (equal to the path's), an MSISDN of 4-15 digits, Ki and OPc of 32 hex digits, booleans and integers where
expected, no unknown fields (400 with the reason); unknown subscribers are 404.

The embedded mode starts it when no ``hss.hss_peers`` is configured, so ``make run`` can run the mobile SIM play;
``omnibus emulate hss --port 8080`` serves it alone. State is kept in memory, and in a JSON file when one is given.
"""

import argparse
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

IMSI = re.compile(r"^\d{14,15}$")
MSISDN = re.compile(r"^\+?\d{4,15}$")
KEY = re.compile(r"^[0-9A-Fa-f]{32}$")
CREATE_FIELDS = {"imsi": str, "msisdn": str, "ki": str, "opc": str, "enabled": bool}
CREATE_REQUIRED = {"imsi", "msisdn", "ki", "enabled"}  # OPc is optional (a SIM keyed with OP has none)
PATCH_FIELDS = {"enabled": bool, "msisdn": str, "ue_ambr_dl": int, "ue_ambr_ul": int}
DEFAULT_AMBR = 1_000_000_000


class HssError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Hss:
    """The subscriber store and its rules (the HTTP layer is ``HssStandIn``)."""

    state_file: Path | None = None
    subscribers: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.state_file is not None and self.state_file.exists():
            saved = json.loads(self.state_file.read_text())
            self.subscribers = {int(k): v for k, v in saved["subscribers"].items()}
            self.next_id = int(saved["next_id"])

    def create(self, imsi: str, body: Any) -> dict[str, Any]:
        fields = _fields(body, CREATE_FIELDS, required=CREATE_REQUIRED)
        if not IMSI.match(imsi) or fields["imsi"] != imsi:
            raise HssError(400, "imsi must be 14-15 digits and equal the path's")
        _check_msisdn(fields["msisdn"])
        for key in ("ki", "opc"):
            if key in fields and not KEY.match(fields[key]):
                raise HssError(400, f"{key} must be 32 hex digits")
        with self.lock:
            existing = self._by_imsi(imsi)
            subscriber_id = existing["subscriber_id"] if existing else self.next_id
            if existing is None:
                self.next_id += 1
            self.subscribers[subscriber_id] = {
                **fields,
                "subscriber_id": subscriber_id,
                "ue_ambr_dl": DEFAULT_AMBR,
                "ue_ambr_ul": DEFAULT_AMBR,
            }
            self._save()
            return public(self.subscribers[subscriber_id])

    def patch(self, subscriber_id: int, body: Any) -> dict[str, Any]:
        fields = _fields(body, PATCH_FIELDS, required=set())
        if not fields:
            raise HssError(400, f"nothing to change; fields: {', '.join(PATCH_FIELDS)}")
        if "msisdn" in fields:
            _check_msisdn(fields["msisdn"])
        for key in ("ue_ambr_dl", "ue_ambr_ul"):
            if key in fields and fields[key] < 0:
                raise HssError(400, f"{key} must be >= 0")
        with self.lock:
            subscriber = self._get(subscriber_id)
            subscriber.update(fields)
            self._save()
            return public(subscriber)

    def delete(self, subscriber_id: int) -> dict[str, Any]:
        with self.lock:
            self._get(subscriber_id)
            del self.subscribers[subscriber_id]
            self._save()
        return {"result": "Deleted", "subscriber_id": subscriber_id}

    def get(self, subscriber_id: int) -> dict[str, Any]:
        with self.lock:
            return public(self._get(subscriber_id))

    def get_by_imsi(self, imsi: str) -> dict[str, Any]:
        with self.lock:
            found = self._by_imsi(imsi)
        if found is None:
            raise HssError(404, f"no subscriber with imsi {imsi}")
        return public(found)

    def _get(self, subscriber_id: int) -> dict[str, Any]:
        if subscriber_id not in self.subscribers:
            raise HssError(404, f"subscriber {subscriber_id} not found")
        return self.subscribers[subscriber_id]

    def _by_imsi(self, imsi: str) -> dict[str, Any] | None:
        return next((s for s in self.subscribers.values() if s["imsi"] == imsi), None)

    def _save(self) -> None:
        if self.state_file is not None:
            payload = {"next_id": self.next_id, "subscribers": self.subscribers}
            self.state_file.write_text(json.dumps(payload, sort_keys=True))


def public(subscriber: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in subscriber.items() if k not in ("ki", "opc")}


def _fields(body: Any, allowed: dict[str, type], required: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HssError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise HssError(400, f"unknown fields: {', '.join(unknown)}")
    missing = sorted(required - set(body))
    if missing:
        raise HssError(400, f"missing fields: {', '.join(missing)}")
    for name, value in body.items():
        kind = allowed[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise HssError(400, f"{name} must be a {kind.__name__}")
    return dict(body)


def _check_msisdn(msisdn: str) -> None:
    if not MSISDN.match(msisdn):
        raise HssError(400, "msisdn must be 4-15 digits")


class HssStandIn:
    """The HSS over HTTP on 127.0.0.1 (port 0: any free port), in a thread of its own."""

    def __init__(self, hss: Hss | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hss = hss or Hss()
        self._server = ThreadingHTTPServer((host, port), _handler(self.hss))
        self._thread = threading.Thread(target=self._server.serve_forever, name="hss-standin", daemon=True)

    @property
    def address(self) -> str:
        """``host:port``, as plays use ``hss_server``."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "HssStandIn":
        self._thread.start()
        log.info("HSS stand-in at http://%s", self.address)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(hss: Hss) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(lambda parts, _: hss.get_by_imsi(parts[2]) if parts[1:2] == ["imsi"] else hss.get(_id(parts)))

        def do_PUT(self) -> None:  # noqa: N802
            self._answer(lambda parts, body: hss.create(parts[1], body))

        def do_PATCH(self) -> None:  # noqa: N802
            self._answer(lambda parts, body: hss.patch(_id(parts), body))

        def do_DELETE(self) -> None:  # noqa: N802
            self._answer(lambda parts, _: hss.delete(_id(parts)))

        def _answer(self, action: Any) -> None:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            try:
                if not parts or parts[0] != "subscriber" or len(parts) not in (2, 3):
                    raise HssError(404, f"no such path {self.path}")
                status, body = 200, action(parts, self._body())
            except HssError as error:
                status, body = error.status, {"result": "Failed", "reason": str(error)}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            if not length:
                return None
            try:
                return json.loads(self.rfile.read(length))
            except ValueError:
                raise HssError(400, "the body is not JSON") from None

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            log.debug("hss: " + format, *args)

    return Handler


def _id(parts: list[str]) -> int:
    if len(parts) != 2 or not parts[1].isdigit():
        raise HssError(404, "subscriber ids are integers")
    return int(parts[1])


class EmulatorCommand:
    """``omnibus emulate hss`` (the ``omnibus.emulators`` entry point)."""

    help = "HSS subscriber REST stand-in (provisioning.md §7)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8080)
        parser.add_argument("--state-file", type=Path, default=None, help="keep the subscribers in this JSON file")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        standin = HssStandIn(Hss(args.state_file), args.host, args.port).start()
        log.warning("HSS stand-in serving on http://%s (Ctrl-C stops)", standin.address)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            standin.stop()
        return 0


emulator_command = EmulatorCommand()
