"""Fixtures of the catalog tests: the service behind the embedded dispatcher, tokens, body builders, a way to
deliver customers' events over the in-process bus.

``api`` runs on the embedded store (SQLite files in a per-test folder); ``api_on_each_store`` runs the same test
there and on a fresh PostgreSQL database (``integration``).
"""

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.catalog.application import CatalogApp
from omnibus.catalog.main import build
from omnibus.catalog.readmodel.queries import customer_account_type, service_of
from omnibus.catalog.secrets import SecretBox
from omnibus.contracts import Envelope
from omnibus.contracts.customers import CustomerCreated, ServiceCreated
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

ADMIN_KEY = "admin-key-" + "a" * 30
CRM_CONFIG = {"api_keys": {ADMIN_KEY: {"roles": ["admin"], "description": "automation"}}}


@dataclass
class Api:
    admin_key: ClassVar[str] = ADMIN_KEY  # config API key with role admin

    client: TestClient
    bus: InMemoryBus
    signing_key: Ed25519PrivateKey
    app: CatalogApp
    runtime: ServiceRuntime
    positions: list[int] = field(default_factory=lambda: [0])

    def auth(self, *permissions: str, customer_id: int | None = None) -> dict[str, str]:
        claims: dict[str, Any] = {
            "sub": "7",
            "permissions": list(permissions),
            "token_type": "access",
            "exp": int(time.time()) + 600,
        }
        if customer_id is not None:
            claims["customer_id"] = customer_id
        return {"Authorization": f"Bearer {jwt.encode(claims, self.signing_key, algorithm='EdDSA')}"}

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A request as an admin user unless ``headers`` carry other credentials."""
        return self.client.request(method, path, headers=self.auth("admin") if headers is None else headers, **kwargs)

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

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()

    @staticmethod
    def product_body(**overrides: Any) -> dict[str, Any]:
        return product_body(**overrides)

    @staticmethod
    def template_body(**overrides: Any) -> dict[str, Any]:
        return template_body(**overrides)

    def new_product(self, **overrides: Any) -> dict[str, Any]:
        return self.ok(self.put("/crm/product/", json=product_body(**overrides)))

    def new_template(self, **overrides: Any) -> dict[str, Any]:
        return self.ok(self.put("/crm/inventory_template/", json=template_body(**overrides)))

    def new_item(self, template_id: int, **overrides: Any) -> dict[str, Any]:
        body = {"inventory_template_id": template_id, "itemtext1": random_iccid(), **overrides}
        return self.ok(self.put("/crm/inventory/", json=body))

    def customer_exists(self, customer_id: int, account_type: str = "Individual") -> None:
        """Deliver a customers.CustomerCreated over the bus, as the customers service would publish it."""
        payload = CustomerCreated(
            customer_id=customer_id,
            customer_name=f"Customer {customer_id}",
            customer_account_type=account_type,  # type: ignore[arg-type]
            customer_status="Open",
            customer_payment_type="prepaid",
            customer_enabled=True,
            created=datetime.now(UTC),
        )
        self.deliver(payload)

        def projected() -> None:
            with self.runtime.engine.connect() as conn:
                assert customer_account_type(conn, customer_id) == account_type

        eventually(projected)

    def service_exists(
        self, service_id: int, customer_id: int, product_id: int | None, service_type: str = "mobile"
    ) -> None:
        """Deliver a customers.ServiceCreated (an Active service) over the bus."""
        payload = ServiceCreated(
            service_id=service_id,
            customer_id=customer_id,
            service_uuid=f"Service_{service_id}",
            service_status="Active",
            service_type=service_type,
            product_id=product_id,
            created=datetime.now(UTC),
        )
        self.deliver(payload)

        def projected() -> None:
            with self.runtime.engine.connect() as conn:
                assert service_of(conn, service_id) is not None

        eventually(projected)

    def deliver(self, payload: Any) -> None:
        """Publish a customers event on the in-process bus with its envelope (next position of the source)."""
        self.positions[0] += 1
        envelope = Envelope(
            event_id=uuid.uuid4(),
            event_type=payload.event_type(),
            event_version=1,
            source="customers",
            position=self.positions[0],
            aggregate_type=payload.aggregate_type,
            aggregate_id=uuid.uuid4(),
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
        )
        message = OutgoingMessage(
            routing_key=payload.routing_key(),
            body=payload.model_dump_json().encode(),
            message_id=str(envelope.event_id),
            headers=envelope.to_headers(),
        )
        self.client.portal.call(self.bus.publish, [message])  # type: ignore[union-attr]

    def published(self, routing_key: str, at_least: int = 1) -> list[OutgoingMessage]:
        """The messages published with ``routing_key``, once there are ``at_least`` of them."""

        def enough() -> list[OutgoingMessage]:
            found = [m for m in self.bus.published if m.routing_key == routing_key]
            assert len(found) >= at_least, f"{len(found)} {routing_key} published"
            return found

        return eventually(enough)


def random_iccid() -> str:
    return "8944" + str(uuid.uuid4().int)[:15]


def product_body(**overrides: Any) -> dict[str, Any]:
    return {
        "product_name": "Prepaid Mobile 20GB",
        "product_slug": f"prepaid-{uuid.uuid4().hex[:8]}",
        "category": "standalone",
        "service_type": "mobile",
        "comment": "20GB prepaid plan",
        "icon": "fa-solid fa-sim-card",
        "retail_cost": "15.00",
        "wholesale_cost": 5,
        "retail_setup_cost": 0,
        "wholesale_setup_cost": "1.00",
        "tax_percentage": 10,
        "enabled": True,
        "residential": True,
        "business": False,
        "customer_can_purchase": True,
        "available_from": "2025-01-01T00:00:00Z",
        "contract_days": 30,
        "auto_renew": "prompt",
        "allow_auto_renew": True,
        "terms": "30 days, renews on day 31",
        "features_list": "['20GB data', 'Unlimited calls']",
        "provisioning_play": "play_local_mobile_sim",
        "provisioning_json_vars": '{"days": 30, "data_gb": 20}',
        "inventory_items_list": "['SIM Card', 'Mobile Number']",
        "relies_on_list": "",
        **overrides,
    }


def template_body(**overrides: Any) -> dict[str, Any]:
    return {
        "item": f"SIM Card {uuid.uuid4().hex[:6]}",
        "icon": "fa-solid fa-sim-card",
        "itemtext1_label": "ICCID",
        "itemtext1_key": "iccid",
        "itemtext2_label": "IMSI",
        "itemtext2_key": "imsi",
        "itemtext3_label": "Ki",
        "itemtext3_key": "ki",
        "wholesale_cost": "2.50",
        "retail_cost": "10.00",
        **overrides,
    }


@contextmanager
def running_api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    key = Ed25519PrivateKey.generate()
    infra = Infrastructure(
        InMemoryBus(), Authenticator(config=parse_crm_config(CRM_CONFIG), public_key=key.public_key())
    )
    previous = os.environ.get("OMNIBUS_CATALOG_SECRET_KEY")
    os.environ["OMNIBUS_CATALOG_SECRET_KEY"] = SecretBox.new_key()
    try:
        runtime = build(ServiceSettings(database_url=database_url).for_service("catalog"), infra)
    finally:
        if previous is None:
            del os.environ["OMNIBUS_CATALOG_SECRET_KEY"]
        else:
            os.environ["OMNIBUS_CATALOG_SECRET_KEY"] = previous
    asgi = Dispatcher(embedded_app(infra, [runtime]))
    assert isinstance(infra.bus, InMemoryBus) and isinstance(runtime.app, CatalogApp)
    try:
        with TestClient(asgi, raise_server_exceptions=False) as client:
            yield Api(client=client, bus=infra.bus, signing_key=key, app=runtime.app, runtime=runtime)
    finally:
        runtime.app.close()
        runtime.engine.dispose()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(f"sqlite:///{tmp_path}", tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def api_on_each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")
    with running_api(url, tmp_path) as running:
        yield running


@pytest.fixture
def pg_api(fresh_database: str, tmp_path: Path) -> Iterator[Api]:
    """The service on a fresh PostgreSQL database (integration tests)."""
    with running_api(fresh_database, tmp_path) as running:
        yield running
