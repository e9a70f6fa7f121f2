"""An SMSC stand-in: an HTTP server speaking the plain-text SMS API of D47 (ARCHITECTURE §10).

``POST <any prefix>/SMS/plaintext/{api_key}`` with ``{source_msisdn, destinatination_msisdn, message_body}``
answers 201 with the message id; an unknown key 401; a body that is not such an object, a field missing or empty,
a destination that is not an MSISDN (6 to 15 digits) or a body over 1600 characters 400, each with
``{"error": ..., "field": ...}``. Accepted messages are recorded (``omnibus outbox``); nothing is delivered. Like the
real API it offers no way to ask whether a message went out.
"""

import argparse
import re
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omnibus.platform.channels.smsc import MAX_BODY, SmscConfig
from omnibus.platform.channels.standin import Request, StandIn, json_body

_PATH = re.compile(r"^(?P<prefix>.*)/SMS/plaintext/(?P<key>[^/]+)/?$")
_DESTINATION = re.compile(r"^\+?\d{6,15}$")
_SOURCE = re.compile(r"^(\+?\d{3,15}|[A-Za-z0-9 ._-]{1,11})$")  # an MSISDN or an alphanumeric sender id


class SmscStandIn(StandIn):
    name = "smsc"

    def __init__(self, *, api_key: str = "standin-smsc-key", port: int = 0, record: Path | None = None) -> None:
        super().__init__(port=port, record=record)
        self.api_key = api_key

    def config(self, source_msisdn: str = "Omnibus") -> SmscConfig:
        """What ``smsc.*`` would say to reach this stand-in."""
        return SmscConfig(self.url, self.api_key, source_msisdn)

    def sent_to(self, destination: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["destinatination_msisdn"] == destination]

    def failure(self, status: int) -> Any:
        return {"error": f"SMSC unavailable (stand-in fault {status})"}

    def handle(self, request: Request) -> tuple[int, Any, bool]:
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return 404, {"error": "not found"}, False
        if not secrets.compare_digest(match.group("key"), self.api_key):
            return 401, {"error": "unknown API key"}, False
        try:
            body = json_body(request)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "the body must be JSON"}, False
        problem = _problem(body)
        if problem is not None:
            return 400, problem, False
        message = {
            "message_id": str(uuid.uuid4()),
            "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source_msisdn": body["source_msisdn"],
            "destinatination_msisdn": body["destinatination_msisdn"].lstrip("+"),
            "message_body": body["message_body"],
        }
        self.keep(message)
        return 201, {"message_id": message["message_id"], "status": "accepted"}, True


def _problem(body: Any) -> dict[str, str] | None:
    if not isinstance(body, dict):
        return {"error": "the body must be a JSON object", "field": ""}
    for field in ("source_msisdn", "destinatination_msisdn", "message_body"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            return {"error": f"{field} is required (a non-empty string)", "field": field}
    if not _SOURCE.match(body["source_msisdn"]):
        return {"error": "source_msisdn must be an MSISDN or a sender id of 1-11 characters", "field": "source_msisdn"}
    if not _DESTINATION.match(body["destinatination_msisdn"]):
        return {"error": "destinatination_msisdn must be 6 to 15 digits", "field": "destinatination_msisdn"}
    if len(body["message_body"]) > MAX_BODY:
        return {"error": f"message_body is longer than {MAX_BODY} characters", "field": "message_body"}
    return None


class _Emulator:
    help = "an SMSC stand-in (D47 plain-text SMS API): `omnibus emulate smsc --port 8026`"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8026)
        parser.add_argument("--api-key", default="standin-smsc-key")
        parser.add_argument("--record", type=Path, default=None, help="JSON-lines file of accepted messages")

    def run(self, args: argparse.Namespace) -> int:
        import threading

        standin = SmscStandIn(api_key=args.api_key, port=args.port, record=args.record)
        standin.start()
        print(f"SMSC stand-in on {standin.url} (smsc.smsc_url); stop with Ctrl-C")  # noqa: T201 - CLI
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            standin.stop()
        return 0


EMULATOR = _Emulator()
