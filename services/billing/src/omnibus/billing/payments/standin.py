"""A local Stripe stand-in: an HTTP server speaking the parts of Stripe's API billing uses (ARCHITECTURE §10).

stripe-python is pointed at it with ``base_addresses={"api": standin.url}`` (``stripe.api_base``). It keeps
Customers, PaymentMethods, SetupIntents, PaymentIntents and Refunds in memory, answers with Stripe-shaped objects and
errors, replays idempotent requests (``Idempotency-Key``), checks the secret key, and sends webhook events signed
exactly as Stripe signs them (``Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">``).

Test cards behave like Stripe's test PaymentMethods: ``pm_card_visa``, ``pm_card_mastercard``, ``pm_card_amex``,
``pm_card_discover`` succeed; ``pm_card_chargeDeclined`` (card_declined / generic_decline),
``pm_card_chargeDeclinedInsufficientFunds`` (insufficient_funds) and ``pm_card_chargeDeclinedExpiredCard``
(expired_card) are declined when charged. Attaching a ``pm_card_*`` id to a customer creates a new ``pm_…`` object,
as Stripe does.
"""

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

# brand, last4, (decline code, decline_code, message) when charged
TEST_CARDS: dict[str, tuple[str, str, tuple[str, str, str] | None]] = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_visa_debit": ("visa", "5556", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_amex": ("amex", "8431", None),
    "pm_card_discover": ("discover", "1117", None),
    "pm_card_chargeDeclined": ("visa", "0341", ("card_declined", "generic_decline", "Your card was declined.")),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "visa",
        "9995",
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "pm_card_chargeDeclinedExpiredCard": ("visa", "0069", ("expired_card", "expired_card", "Your card has expired.")),
}
TOKENS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_amex": "pm_card_amex",
    "tok_chargeDeclined": "pm_card_chargeDeclined",
    "tok_chargeDeclinedInsufficientFunds": "pm_card_chargeDeclinedInsufficientFunds",
}


class StripeError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def _missing(kind: str, object_id: str, param: str) -> StripeError:
    return StripeError(
        404,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": param,
            "message": f"No such {kind}: '{object_id}'",
        },
    )


def _invalid(message: str, param: str | None = None) -> StripeError:
    return StripeError(400, {"type": "invalid_request_error", "message": message, "param": param})


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header of a webhook body, as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Delivery:
    event: dict[str, Any]
    payload: bytes
    signature: str
    status: int | None = None


@dataclass
class StripeStandIn:
    """The emulator's state and HTTP server. ``start()`` binds 127.0.0.1 on a free port unless ``port`` is set."""

    secret_key: str = "sk_test_omnibus_standin"
    webhook_secret: str = "whsec_omnibus_standin"
    webhook_url: str | None = None
    port: int = 0
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    declines: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _idempotent: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "StripeStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def do_DELETE(self) -> None:  # noqa: N802
                self._answer("DELETE")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, answer, replayed = standin.handle(
                    method, self.path, body, self.headers.get("Authorization"), self.headers.get("Idempotency-Key")
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="stripe-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- request handling ---------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, body: str, authorization: str | None, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any], bool]:
        if authorization != f"Bearer {self.secret_key}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}, False
        key = (path, idempotency_key) if idempotency_key and method == "POST" else None
        with self._lock:
            if key and key in self._idempotent:
                status, answer = self._idempotent[key]
                return status, answer, True
            try:
                status, answer = 200, self._route(method, urlsplit(path).path, _form(body))
            except StripeError as error:
                status, answer = error.status, {"error": error.error}
            if key:
                self._idempotent[key] = (status, answer)
        return status, answer, False

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        routes: dict[tuple[str, ...], Callable[..., dict[str, Any]]] = {
            ("POST", "customers"): self._create_customer,
            ("POST", "payment_methods"): self._create_payment_method,
            ("POST", "payment_methods", "attach"): self._attach,
            ("POST", "payment_methods", "detach"): self._detach,
            ("POST", "setup_intents"): self._create_setup_intent,
            ("POST", "payment_intents"): self._create_payment_intent,
            ("POST", "refunds"): self._create_refund,
        }
        if parts[0] != "v1" or len(parts) < 2:
            raise _invalid(f"Unrecognized request URL ({method}: {path})")
        resource, rest = parts[1], parts[2:]
        if method == "GET" and len(rest) == 1:
            return self._get(rest[0])
        if method == "POST" and len(rest) == 2 and (method, resource, rest[1]) in routes:
            return routes[(method, resource, rest[1])](rest[0], params)
        if not rest and (method, resource) in routes:
            return routes[(method, resource)](params)
        raise _invalid(f"Unrecognized request URL ({method}: {path})")

    def _get(self, object_id: str) -> dict[str, Any]:
        if object_id not in self.objects:
            raise _missing(object_id.split("_")[0], object_id, "id")
        return self.objects[object_id]

    def _new(self, prefix: str, kind: str, **fields: Any) -> dict[str, Any]:
        obj = {
            "id": f"{prefix}_{secrets.token_hex(12)}",
            "object": kind,
            "created": int(time.time()),
            "livemode": False,
            **fields,
        }
        self.objects[obj["id"]] = obj
        return obj

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new(
            "cus",
            "customer",
            email=params.get("email"),
            name=params.get("name"),
            metadata=params.get("metadata") or {},
            invoice_settings={"default_payment_method": None},
        )

    def _payment_method_from(self, test_id: str, name: str | None = None) -> dict[str, Any]:
        brand, last4, decline = TEST_CARDS[test_id]
        card = {
            "brand": brand,
            "last4": last4,
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "funding": "credit",
            "country": "US",
            "checks": {"cvc_check": "pass"},
        }
        pm = self._new(
            "pm",
            "payment_method",
            type="card",
            card=card,
            customer=None,
            metadata={},
            billing_details={"name": name, "email": None, "address": None, "phone": None},
        )
        if decline:
            self.declines[pm["id"]] = decline
        return pm

    def _create_payment_method(self, params: dict[str, Any]) -> dict[str, Any]:
        token = (params.get("card") or {}).get("token")
        if params.get("type") != "card" or token not in TOKENS:
            raise _invalid("Create card PaymentMethods from a test token such as card[token]=tok_visa", "card")
        name = (params.get("billing_details") or {}).get("name")
        return self._payment_method_from(TOKENS[token], name)

    def _attach(self, pm_id: str, params: dict[str, Any]) -> dict[str, Any]:
        customer = params.get("customer")
        if customer not in self.objects:
            raise _missing("customer", str(customer), "customer")
        pm = self._payment_method_from(pm_id) if pm_id in TEST_CARDS else self._get_pm(pm_id)
        if pm["customer"] not in (None, customer):
            raise _invalid("The payment method you provided has already been attached to a customer.")
        pm["customer"] = customer
        return pm

    def _detach(self, pm_id: str, params: dict[str, Any]) -> dict[str, Any]:
        pm = self._get_pm(pm_id)
        if pm["customer"] is None:
            raise _invalid(f"The payment method {pm_id} is not attached to a customer.")
        pm["customer"] = None
        return pm

    def _get_pm(self, pm_id: str) -> dict[str, Any]:
        pm = self.objects.get(pm_id)
        if pm is None or pm["object"] != "payment_method":
            raise _missing("payment_method", pm_id, "payment_method")
        return pm

    def _create_setup_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._new(
            "seti",
            "setup_intent",
            customer=params.get("customer"),
            status="requires_payment_method",
            usage=params.get("usage") or "off_session",
            payment_method_types=["card"],
        )
        intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
        return intent

    def _create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = _positive_int(params.get("amount"), "amount")
        currency = str(params.get("currency") or "").lower()
        if len(currency) != 3:
            raise _invalid("Missing required param: currency.", "currency")
        pm_id = params.get("payment_method")
        pm = self._get_pm(str(pm_id)) if pm_id else None
        if pm is not None and pm["customer"] != params.get("customer"):
            raise _invalid("The provided PaymentMethod does not belong to the given customer.", "payment_method")
        intent = self._new(
            "pi",
            "payment_intent",
            amount=amount,
            amount_received=0,
            currency=currency,
            customer=params.get("customer"),
            payment_method=pm_id,
            status="requires_payment_method",
            description=params.get("description"),
            metadata=params.get("metadata") or {},
            latest_charge=None,
            last_payment_error=None,
            amount_refunded=0,
        )
        intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
        if _true(params.get("confirm")) and pm is not None:
            decline = self.declines.get(pm["id"])
            if decline:
                code, decline_code, message = decline
                error = {
                    "type": "card_error",
                    "code": code,
                    "decline_code": decline_code,
                    "message": message,
                    "charge": f"ch_{secrets.token_hex(12)}",
                    "payment_method": pm,
                }
                intent["last_payment_error"] = {k: v for k, v in error.items() if k != "payment_method"}
                self._emit("payment_intent.payment_failed", intent)
                raise StripeError(402, {**error, "payment_intent": intent})
            intent.update(status="succeeded", amount_received=amount, latest_charge=f"ch_{secrets.token_hex(12)}")
            self._emit("payment_intent.succeeded", intent)
        return intent

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        pi_id = str(params.get("payment_intent") or "")
        intent = self.objects.get(pi_id)
        if intent is None or intent["object"] != "payment_intent":
            raise _missing("payment_intent", pi_id, "payment_intent")
        if intent["status"] != "succeeded":
            raise _invalid(f"PaymentIntent {pi_id} does not have a successful charge to refund.", "payment_intent")
        remaining = intent["amount_received"] - intent["amount_refunded"]
        amount = _positive_int(params.get("amount"), "amount") if params.get("amount") is not None else remaining
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", "amount"
            )
        intent["amount_refunded"] += amount
        refund = self._new(
            "re",
            "refund",
            amount=amount,
            currency=intent["currency"],
            payment_intent=pi_id,
            charge=intent["latest_charge"],
            status="succeeded",
            reason=params.get("reason"),
            metadata=params.get("metadata") or {},
        )
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount_received"],
            "amount_refunded": intent["amount_refunded"],
            "currency": intent["currency"],
            "payment_intent": pi_id,
            "refunded": intent["amount_refunded"] >= intent["amount_received"],
            "metadata": intent["metadata"],
        }
        self._emit("charge.refunded", charge)
        return refund

    # --- webhooks -----------------------------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any]) -> None:
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        payload = json.dumps(event).encode()
        delivery = Delivery(event, payload, sign(payload, self.webhook_secret))
        self.deliveries.append(delivery)
        if self.webhook_url:
            threading.Thread(target=self._deliver, args=(delivery,), daemon=True).start()

    def _deliver(self, delivery: Delivery) -> None:
        """POST the event as Stripe does (JSON body, Stripe-Signature header), retrying a few times."""
        assert self.webhook_url is not None
        for attempt in range(3):
            request = urllib.request.Request(
                self.webhook_url,
                data=delivery.payload,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": delivery.signature,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    delivery.status = response.status
                    return
            except Exception as error:
                delivery.status = getattr(error, "code", None)
                time.sleep(0.5 * (attempt + 1))
        log.warning("webhook %s not delivered to %s", delivery.event["id"], self.webhook_url)


def _form(body: str) -> dict[str, Any]:
    """``a[b][c]=1&list[0]=x`` (how stripe-python encodes parameters) -> nested dicts."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        names = key.replace("]", "").split("[")
        target = result
        for name in names[:-1]:
            target = target.setdefault(name, {})
        target[names[-1]] = value
    return result


def _positive_int(value: Any, param: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise _invalid(f"Invalid integer: {value}", param) from None
    if number < 1:
        raise _invalid("This value must be greater than or equal to 1.", param)
    return number


def _true(value: Any) -> bool:
    return str(value).lower() == "true"
