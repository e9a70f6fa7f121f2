"""The whole CRM in one test process, on a real HTTP port: provisioning with its saga, customers, catalog, the
charging gateway (CGRateS emulator), billing (Stripe stand-in) and the HSS stand-in, as the embedded mode runs them
(SQLite and the in-process bus), or on PostgreSQL and RabbitMQ. The example plays run for real (ansible-runner)
and call this API with their job token, CGRateS through the gateway's JSON-RPC relay, and the HSS stand-in.

``Faults`` makes one saga command be refused by its receiver (``faults.refuse(RecordSetupCharge)``): the consumers'
handlers are wrapped once, at start, so a test can fail any step of the saga the same way a real refusal would.
"""

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omnibus.contracts.commands import Command
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.commands import CommandRejected
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.bus import Bus
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.main import ProvisioningRuntime, build
from omnibus.provisioning.settings import ProvisioningSettings
from omnibus.provisioning.tokens import LocalJobTokens
from omnibus.testing.helpers import eventually

EXAMPLE_PLAYS = Path(__file__).parents[3] / "deploy" / "playbooks"
SERVICES = ("customers", "catalog", "charging-gateway", "billing")


@dataclass
class Faults:
    refused: dict[type[Command], str] = field(default_factory=dict)

    @contextmanager
    def refuse(self, command: type[Command], reason: str = "refused by the test") -> Iterator[None]:
        self.refused[command] = reason
        try:
            yield
        finally:
            self.refused.pop(command, None)

    def wrap(self, runtime: ServiceRuntime) -> None:
        consumer = runtime.parts.commands
        if consumer is None:
            return
        for command, handler in list(consumer.handlers.items()):

            def guarded(cmd: Any, app: Any, handler: Any = handler) -> Any:
                if type(cmd) in self.refused:
                    raise CommandRejected(self.refused[type(cmd)])
                return handler(cmd, app)

            consumer.handlers[command] = guarded


@dataclass
class Crm:
    http: httpx.Client
    key: Ed25519PrivateKey
    provisioning: ProvisioningRuntime
    runtimes: dict[str, ServiceRuntime]
    faults: Faults
    base_url: str

    def token(self, *permissions: str, sub: int = 7, customer_id: int | None = None) -> str:
        claims: dict[str, Any] = {"sub": str(sub), "permissions": list(permissions), "token_type": "access"}
        if customer_id is not None:
            claims["customer_id"] = customer_id
        return jwt.encode({**claims, "exp": int(time.time()) + 900}, self.key, algorithm="EdDSA")

    def call(self, method: str, path: str, *, json_body: Any = None, ok: bool = True, **options: Any) -> Any:
        headers = options.pop("headers", None) or {"Authorization": f"Bearer {self.token('admin')}"}
        response = self.http.request(method, path, json=json_body, headers=headers, **options)
        if ok:
            assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
            return response.json()
        return response

    def provision(self, body: dict[str, Any]) -> int:
        return int(self.call("PUT", "/crm/provision/", json_body=body)["provision_id"])

    def job(self, provision_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/crm/provision/provision_id/{provision_id}"))

    def finished(self, provision_id: int, timeout: float = 90.0) -> dict[str, Any]:
        def done() -> dict[str, Any]:
            job = self.job(provision_id)
            assert job["provisioning_status"] != 1, job["saga"]
            return job

        return eventually(done, timeout=timeout, interval=0.1)

    # ----- test data ---------------------------------------------------------------------------------------

    def new_customer(self, name: str = "Jane Doe", card: bool = False) -> int:
        body = {"customer_name": name, "customer_account_type": "Individual", "customer_payment_type": "prepaid"}
        customer_id = int(self.call("PUT", "/crm/customer/", json_body=body)["customer_id"])
        if card:  # billing learns the customer from customers' events before it takes a card
            eventually(
                lambda: self.call(
                    "PUT", "/crm/stripe/", json_body={"customer_id": customer_id, "customer_stripe_id": "pm_card_visa"}
                ),
                timeout=30,
            )
        return customer_id

    def templates(self) -> dict[str, int]:
        """The SIM Card and Mobile Number item types (created once per CRM)."""
        found = {t["item"]: t["inventory_template_id"] for t in self.call("GET", "/crm/inventory_template/")}
        for item, keys in (("SIM Card", ["iccid", "imsi", "ki", "opc"]), ("Mobile Number", ["msisdn"])):
            if item not in found:
                body: dict[str, Any] = {"item": item, **{f"itemtext{n}_key": k for n, k in enumerate(keys, start=1)}}
                found[item] = self.call("PUT", "/crm/inventory_template/", json_body=body)["inventory_template_id"]
        return found

    def new_sim(self) -> tuple[int, int, str]:
        """A SIM card and a mobile number in stock: (sim id, number id, imsi)."""
        templates = self.templates()
        digits = str(uuid.uuid4().int)
        imsi = "00101" + digits[:10]
        sim = {
            "inventory_template_id": templates["SIM Card"],
            "itemtext1": "8944" + digits[10:25],
            "itemtext2": imsi,
            "itemtext3": uuid.uuid4().hex,
            "itemtext4": uuid.uuid4().hex,
        }
        number = {"inventory_template_id": templates["Mobile Number"], "itemtext1": "6140" + digits[25:32]}
        sim_id = self.call("PUT", "/crm/inventory/", json_body=sim)["inventory_id"]
        number_id = self.call("PUT", "/crm/inventory/", json_body=number)["inventory_id"]
        return sim_id, number_id, imsi

    def new_product(self, **fields: Any) -> int:
        slug = f"p-{uuid.uuid4().hex[:10]}"
        body = {
            "product_name": f"Product {slug}",
            "product_slug": slug,
            "retail_cost": 15,
            "wholesale_cost": 5,
            **fields,
        }
        return int(self.call("PUT", "/crm/product/", json_body=body)["product_id"])

    def mobile_product(self, **fields: Any) -> int:
        return self.new_product(
            product_name="Prepaid Mobile 20GB",
            category="standalone",
            service_type="mobile",
            provisioning_play="play_local_mobile_sim",
            inventory_items_list="['SIM Card', 'Mobile Number']",
            provisioning_json_vars=json.dumps({"data_gb": 20, "voice_minutes": 500, "sms_count": 100, "days": 30}),
            retail_setup_cost=25,
            wholesale_setup_cost=1,
            **fields,
        )

    # ----- what the systems hold ---------------------------------------------------------------------------

    def item(self, inventory_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/crm/inventory/inventory_id/{inventory_id}"))

    def ocs(self, method: str, **params: Any) -> dict[str, Any]:
        """A CGRateS call through the charging gateway's relay (the emulator behind it)."""
        body = {"method": method, "params": [{"Tenant": "cgrates.org", **params}], "id": 1}
        return dict(self.call("POST", "/jsonrpc", json_body=body))

    def service_by_uuid(self, service_uuid: str) -> dict[str, Any] | None:
        response = self.call("GET", f"/crm/service/service_uuid/{service_uuid}", ok=False)
        return None if response.status_code == 404 else dict(response.json())

    def hss_subscriber(self, imsi: str) -> dict[str, Any] | None:
        assert self.provisioning.hss is not None
        hss = self.provisioning.hss.hss
        return next((s for s in hss.subscribers.values() if s["imsi"] == imsi), None)

    def charges(self, customer_id: int) -> list[dict[str, Any]]:
        """The customer's live (not void) charges."""
        lines = self.call("GET", f"/crm/transaction/customer_id/{customer_id}")
        rows = lines["data"] if isinstance(lines, dict) else lines
        return [t for t in rows if not t.get("void") and t.get("transaction_type") == "charge"]


@contextmanager
def running_crm(
    database_url: str,
    amqp_url: str | None = None,
    *,
    plays_dir: Path = EXAMPLE_PLAYS,
    step_timeout_seconds: float = 30,
    max_parallel_jobs: int = 2,
) -> Iterator[Crm]:
    key = Ed25519PrivateKey.generate()
    bus: Bus
    if amqp_url:
        from omnibus.platform.messaging.rabbitmq import RabbitMQBus

        bus = RabbitMQBus(amqp_url, connection_name="crm-tests")
    else:
        bus = InMemoryBus()
    infra = Infrastructure(bus, Authenticator(config=parse_crm_config({}), public_key=key.public_key()))
    port = _free_port()
    settings = ServiceSettings(database_url=database_url, http_port=port, read_your_writes_timeout=10)
    secret = {"OMNIBUS_CATALOG_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode()}
    saved = {k: os.environ.get(k) for k in secret}
    os.environ.update(secret)
    try:
        provisioning = build(
            settings.for_service("provisioning"),
            infra,
            provisioning=ProvisioningSettings(
                plays_dir=plays_dir,
                step_timeout_seconds=step_timeout_seconds,
                step_attempts=2,
                max_parallel_jobs=max_parallel_jobs,
                job_timeout_minutes=3,
            ),
            signing_key=key,
            job_tokens=LocalJobTokens(key, "EdDSA", 3600),
        )
        definitions = discover_services()
        others = {name: definitions[name].build(settings.for_service(name), infra) for name in SERVICES}
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
    assert isinstance(provisioning, ProvisioningRuntime)
    runtimes = {"provisioning": provisioning, **others}
    faults = Faults()
    for runtime in runtimes.values():
        faults.wrap(runtime)
    asgi = Dispatcher(embedded_app(infra, list(runtimes.values())))
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        eventually(lambda: _assert(server.started), timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield Crm(http, key, provisioning, runtimes, faults, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        standin = others["billing"].api.state.stripe_standin
        if standin is not None:
            standin.stop()
        for runtime in runtimes.values():
            if runtime.app is not None:
                runtime.app.close()
            runtime.engine.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert(condition: bool) -> None:
    assert condition
