"""Fixtures of the customers tests: the service running behind the embedded dispatcher, tokens and body builders.

``api`` runs on the embedded store (SQLite files in a per-test folder; fast, most tests). ``api_on_each_store``
runs the same test there and on a fresh PostgreSQL database (``integration``): happy paths and read-your-writes.

Why not ``memory://``: its read-model engine shares ONE SQLite connection between threads (StaticPool), so a
request closing its read connection rolls back the projection's open batch and rows are lost (rare, but it
breaks read-your-writes; reported to the platform owners). Switch back once ``create_read_engine`` is fixed.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.contracts import Actor, Envelope, IntegrationEvent
from omnibus.contracts import billing as b
from omnibus.contracts import charging as ch
from omnibus.customers.application import CustomersApp
from omnibus.customers.main import CustomersRuntime, build
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.channels.mailjet_standin import MailjetStandIn
from omnibus.platform.channels.smsc_standin import SmscStandIn
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.bus import Bus, OutgoingMessage
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

ADMIN_KEY = "admin-key-" + "a" * 30
PINNED_KEY = "pinned-key-" + "p" * 30
PINNED_NETWORK = "192.0.2.0/24"
WHITELISTED_IP = "198.51.100.7"
CRM_CONFIG = {
    "api_keys": {
        ADMIN_KEY: {"roles": ["admin"], "description": "automation"},
        PINNED_KEY: {"roles": ["admin"], "ips": [PINNED_NETWORK]},
    },
    "ip_whitelist": {WHITELISTED_IP: {"roles": ["view_customer"]}},
}
USER_ID = 7


@dataclass
class Api:
    """The customers service under test, reached over HTTP, with its bus and a token minter."""

    admin_key: ClassVar[str] = ADMIN_KEY  # config API key, role admin, described as "automation"
    pinned_key: ClassVar[str] = PINNED_KEY  # config API key, role admin, usable only from PINNED_NETWORK
    pinned_network: ClassVar[str] = PINNED_NETWORK
    whitelisted_ip: ClassVar[str] = WHITELISTED_IP  # IP whitelist entry with role view_customer

    client: TestClient
    asgi: Dispatcher
    bus: Bus
    signing_key: Ed25519PrivateKey
    app: CustomersApp
    runtime: ServiceRuntime
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def mailjet(self) -> MailjetStandIn:
        """The Mailjet stand-in the service sends its e-mails to."""
        assert isinstance(self.runtime, CustomersRuntime) and self.runtime.channels.mailjet_standin is not None
        return self.runtime.channels.mailjet_standin

    @property
    def smsc(self) -> SmscStandIn:
        assert isinstance(self.runtime, CustomersRuntime) and self.runtime.channels.smsc_standin is not None
        return self.runtime.channels.smsc_standin

    def deliver(self, payload: IntegrationEvent, actor: Actor | None = None) -> OutgoingMessage:
        """Publish another context's event with its envelope (the source's next position), as its relay would."""
        message = self.message(payload, actor)
        self.publish(message)
        return message

    def message(self, payload: IntegrationEvent, actor: Actor | None = None) -> OutgoingMessage:
        """Another context's event as its relay would publish it (the source's next position)."""
        source = payload.context
        self.positions[source] = self.positions.get(source, 0) + 1
        envelope = Envelope(
            event_id=uuid.uuid4(),
            event_type=payload.event_type(),
            event_version=payload.version,
            source=source,
            position=self.positions[source],
            aggregate_type=payload.aggregate_type,
            aggregate_id=uuid.uuid4(),
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
            actor=actor or Actor(user_id=3, auth_method="jwt"),
        )
        return OutgoingMessage(
            routing_key=payload.routing_key(),
            body=payload.model_dump_json().encode(),
            message_id=str(envelope.event_id),
            headers=envelope.to_headers(),
        )

    def publish(self, *messages: OutgoingMessage) -> None:
        """Publish messages as they are (a redelivery or a re-publish when they were sent before)."""
        self.client.portal.call(self.bus.publish, list(messages))  # type: ignore[union-attr]

    def token(self, *permissions: str, sub: str = str(USER_ID), customer_id: int | None = None) -> str:
        claims: dict[str, Any] = {
            "sub": sub,
            "permissions": list(permissions),
            "token_type": "access",
            "exp": int(time.time()) + 600,
        }
        if customer_id is not None:
            claims["customer_id"] = customer_id
        return jwt.encode(claims, self.signing_key, algorithm="EdDSA")

    def auth(self, *permissions: str, customer_id: int | None = None) -> dict[str, str]:
        """Authorization header of a user holding ``permissions`` (own-scoped to ``customer_id`` when given)."""
        return {"Authorization": f"Bearer {self.token(*permissions, customer_id=customer_id)}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A request as an admin user unless ``headers`` carry other credentials."""
        sent = self.auth("admin") if headers is None else headers
        return self.client.request(method, path, json=json, params=params, headers=sent)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def new_customer(self, **overrides: Any) -> dict[str, Any]:
        response = self.put("/crm/customer/", json=customer_body(**overrides))
        assert response.status_code == 200, response.text
        return response.json()

    def new_contact(self, customer_id: int, **overrides: Any) -> dict[str, Any]:
        response = self.put("/crm/contact/", json=contact_body(customer_id=customer_id, **overrides))
        assert response.status_code == 200, response.text
        return response.json()

    def new_site(self, customer_id: int, **overrides: Any) -> dict[str, Any]:
        response = self.put("/crm/site/", json=site_body(customer_id=customer_id, **overrides))
        assert response.status_code == 200, response.text
        return response.json()

    def new_service(self, customer_id: int, **overrides: Any) -> dict[str, Any]:
        response = self.put("/crm/service/", json=service_body(customer_id=customer_id, **overrides))
        assert response.status_code == 200, response.text
        return response.json()

    def from_address(self, host: str) -> TestClient:
        """A client calling from another address (the service is already running)."""
        return TestClient(self.asgi, client=(host, 40000), raise_server_exceptions=False)

    def published(self, routing_key: str | None = None) -> list[OutgoingMessage]:
        assert isinstance(self.bus, InMemoryBus)
        return [m for m in self.bus.published if routing_key is None or m.routing_key == routing_key]

    def all_published(self) -> list[OutgoingMessage]:
        """Every event recorded so far, once the relay has gone past them all (private events are not published)."""
        recorded = self.app.max_notification_id()
        relay = self.runtime.relay
        assert relay is not None and isinstance(self.bus, InMemoryBus)
        bus = self.bus
        return eventually(lambda: _published_up_to(bus, relay.position, recorded))


def _published_up_to(bus: InMemoryBus, relayed: int, recorded: int) -> list[OutgoingMessage]:
    assert relayed >= recorded
    return list(bus.published)


def customer_body(**overrides: Any) -> dict[str, Any]:
    return {
        "customer_name": "Acme Corporation",
        "customer_account_type": "Business",
        "customer_payment_type": "postpaid",
        "customer_enabled": True,
        "tax_identifier": "GB123456789",
        **overrides,
    }


def contact_body(**overrides: Any) -> dict[str, Any]:
    return {
        "contact_firstname": "John",
        "contact_lastname": "Smith",
        "contact_email": "john@acme.example",
        "contact_phone": "+44 7700 900123",
        "contact_types": ["primary"],
        **overrides,
    }


def site_body(**overrides: Any) -> dict[str, Any]:
    return {
        "site_name": "Head office",
        "address_line_1": "10 Downing Street",
        "address_line_2": "Flat 2",
        "city": "London",
        "state": "England",
        "zip_code": "SW1A 2AA",
        "country": "United Kingdom",
        "latitude": "51.5034",
        "longitude": "-0.1276",
        "google_maps_place_id": "ChIJdd4hrwug2EcRmSrV3Vo6llI",
        "plus_code": "9C3XGV3C+CW",
        "address_source": "google",
        **overrides,
    }


def service_body(**overrides: Any) -> dict[str, Any]:
    """``PUT /crm/service/`` as the reference playbooks send it (provisioning.md §4; customers.md §4.4)."""
    return {
        "product_id": 456,
        "service_name": "Mobile SIM - 0412345678",
        "service_uuid": f"Mobile_{uuid.uuid4().hex[:8]}",
        "service_status": "Active",
        "service_type": "mobile",
        "service_billed": True,
        "service_taxable": True,
        "service_provisioned_date": "2025-01-04T10:30:00+0000",
        "retail_cost": 30,
        "wholesale_cost": 5,
        "provisioning_play": "play_psim_only",
        "provisioning_json_vars": '{"imsi": "001010000000001"}',
        **overrides,
    }


@contextmanager
def running_api(
    database_url: str, crm_config: dict[str, Any] | None = None, amqp_url: str | None = None
) -> Iterator[Api]:
    """The service behind the embedded dispatcher, on the in-process bus (or on RabbitMQ at ``amqp_url``)."""
    key = Ed25519PrivateKey.generate()
    config = parse_crm_config(CRM_CONFIG if crm_config is None else crm_config)
    if amqp_url is None:
        bus: Bus = InMemoryBus()
    else:
        from omnibus.platform.messaging.rabbitmq import RabbitMQBus

        bus = RabbitMQBus(amqp_url, connection_name="customers-tests")
    infra = Infrastructure(bus, Authenticator(config=config, public_key=key.public_key()))
    runtime = build(ServiceSettings(database_url=database_url).for_service("customers"), infra)
    asgi = Dispatcher(embedded_app(infra, [runtime]))
    assert isinstance(runtime.app, CustomersApp)
    try:
        # Domain errors (404, 400) are answered by the catch-all handler, which Starlette re-raises after the
        # response is sent; look at the responses, not at the re-raised exceptions.
        with TestClient(asgi, raise_server_exceptions=False) as client:
            yield Api(client=client, asgi=asgi, bus=infra.bus, signing_key=key, app=runtime.app, runtime=runtime)
    finally:
        runtime.app.close()
        runtime.engine.dispose()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The service on the embedded store: SQLite event store and read model in a per-test folder."""
    with running_api(f"sqlite:///{tmp_path}") as running:
        yield running


@pytest.fixture
def api_on_rabbitmq(fresh_database: str, fresh_vhost: str) -> Iterator[Api]:
    """The service on a fresh PostgreSQL database and a fresh RabbitMQ virtual host (``integration``)."""
    with running_api(fresh_database, amqp_url=fresh_vhost) as running:
        yield running


@pytest.fixture
def api_with_config(tmp_path: Path) -> Callable[[dict[str, Any]], Any]:
    """Starts the service with extra crm_config.yaml keys: ``with api_with_config({"service_types": [...]}) as api``."""
    return lambda extra: running_api(f"sqlite:///{tmp_path}", {**CRM_CONFIG, **extra})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def api_on_each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The service on the embedded store, then on a fresh PostgreSQL database."""
    url = f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")
    with running_api(url) as running:
        yield running


@pytest.fixture
def a_customer() -> Callable[..., dict[str, Any]]:
    """Builder of a customer create body: ``a_customer(customer_name="X")``."""
    return customer_body


@pytest.fixture
def a_contact() -> Callable[..., dict[str, Any]]:
    """Builder of a contact body (add ``customer_id`` for ``PUT /crm/contact/``)."""
    return contact_body


@pytest.fixture
def a_service() -> Callable[..., dict[str, Any]]:
    """Builder of a service body (add ``customer_id`` for ``PUT /crm/service/``); a fresh ``service_uuid`` each."""
    return service_body


@pytest.fixture
def a_site() -> Callable[..., dict[str, Any]]:
    """Builder of a site body (add ``customer_id`` for ``PUT /crm/site/``)."""
    return site_body


def invoice_generated(customer_id: int, invoice_id: int = 77) -> b.InvoiceGenerated:
    return b.InvoiceGenerated(
        invoice_id=invoice_id,
        customer_id=customer_id,
        invoice_number=f"INV-{invoice_id}",
        title="January 2026",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, 31),
        due_date=date(2026, 2, 15),
        transaction_ids=[1, 2],
        retail_cost=Decimal("40.00"),
        total_tax=Decimal("4.00"),
        total=Decimal("44.00"),
        currency="gbp",
        created=datetime(2026, 2, 1, tzinfo=UTC),
    )


def balance_low(service: dict[str, Any]) -> ch.BalanceLow:
    return ch.BalanceLow(
        service_uuid=service["service_uuid"],
        service_id=service["service_id"],
        balance_type="*data",
        balance_id="DATA_10GB",
        signal_key=f"trigger-1@{service['service_uuid']}",
        source="callback",
        current_balance=2 * 1024**3,
        threshold=2 * 1024**3,
    )


@pytest.fixture
def an_invoice() -> Callable[..., b.InvoiceGenerated]:
    """Builder of billing's InvoiceGenerated: ``an_invoice(customer_id, invoice_id=77)``."""
    return invoice_generated


@pytest.fixture
def a_low_balance() -> Callable[[dict[str, Any]], ch.BalanceLow]:
    """Builder of charging's BalanceLow for a service (as ``PUT /crm/service/`` answered it)."""
    return balance_low
