"""Fixtures of the billing tests: customers and billing running together behind the embedded dispatcher.

Billing learns its customers from the customers context's events over the (in-process) bus, exactly as deployed;
``api.new_customer()`` creates one through the customers API and waits until billing knows it.
``api`` runs on SQLite files in a per-test folder; ``api_on_each_store`` also on a fresh PostgreSQL database.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.billing.application import BillingApp
from omnibus.billing.main import build as build_billing
from omnibus.billing.readmodel.ledger import SqlLedgerLookups
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

ADMIN_KEY = "admin-key-" + "a" * 30


@dataclass
class Api:
    client: TestClient
    bus: InMemoryBus
    signing_key: Ed25519PrivateKey
    app: BillingApp
    runtime: ServiceRuntime
    extra: dict[str, Any] = field(default_factory=dict)

    def token(self, *permissions: str, customer_id: int | None = None) -> str:
        claims: dict[str, Any] = {
            "sub": "7",
            "permissions": list(permissions),
            "token_type": "access",
            "exp": int(time.time()) + 600,
        }
        if customer_id is not None:
            claims["customer_id"] = customer_id
        return jwt.encode(claims, self.signing_key, algorithm="EdDSA")

    def auth(self, *permissions: str, customer_id: int | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions, customer_id=customer_id)}"}

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        sent = self.auth("admin") if headers is None else headers
        return self.client.request(method, path, headers=sent, **kwargs)

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

    def new_customer(self, name: str = "Acme Corporation") -> int:
        body = {
            "customer_name": name,
            "customer_account_type": "Business",
            "customer_payment_type": "postpaid",
            "contact": {
                "contact_firstname": "John",
                "contact_lastname": "Smith",
                "contact_email": "john@acme.example",
                "contact_types": ["billing"],
            },
            "site": {
                "address_line_1": "10 Downing Street",
                "city": "London",
                "zip_code": "SW1A 2AA",
                "country": "United Kingdom",
            },
        }
        response = self.put("/crm/customer/", json=body)
        assert response.status_code == 200, response.text
        customer_id: int = response.json()["customer_id"]
        lookups = SqlLedgerLookups(self.runtime.engine)
        eventually(lambda: _assert(lookups.customer_exists(customer_id)))
        return customer_id

    def new_transaction(self, customer_id: int, **fields: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "title": "Mobile Service - Monthly Fee",
            "retail_cost": "30.00",
            "wholesale_cost": "10.00",
            **fields,
        }
        response = self.put("/crm/transaction/", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    @property
    def stripe(self) -> Any:
        """The local Stripe stand-in this billing service talks to."""
        return self.runtime.api.state.stripe_standin

    def new_card(self, customer_id: int, test_card: str = "pm_card_visa", **fields: Any) -> dict[str, Any]:
        response = self.put(
            "/crm/stripe/", json={"customer_id": customer_id, "customer_stripe_id": test_card, **fields}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def published(self, routing_key: str) -> list[OutgoingMessage]:
        return [m for m in self.bus.published if m.routing_key == routing_key]


def _assert(condition: bool) -> None:
    assert condition


@contextmanager
def running_api(database_url: str, folder: Path, crm_config: dict[str, Any] | None = None) -> Iterator[Api]:
    """Customers and billing on one in-process bus; billing reads ``crm_config`` (its crm_config.yaml)."""
    key = Ed25519PrivateKey.generate()
    config = {"api_keys": {ADMIN_KEY: {"roles": ["admin"]}}, **(crm_config or {})}
    config_file = folder / "crm_config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    infra = Infrastructure(InMemoryBus(), Authenticator(config=parse_crm_config(config), public_key=key.public_key()))
    base = ServiceSettings(database_url=database_url, crm_config=config_file)
    customers = discover_services()["customers"].build(base.for_service("customers"), infra)
    billing = build_billing(base.for_service("billing"), infra)
    assert isinstance(infra.bus, InMemoryBus) and isinstance(billing.app, BillingApp)
    try:
        with TestClient(Dispatcher(embedded_app(infra, [customers, billing])), raise_server_exceptions=False) as client:
            yield Api(client=client, bus=infra.bus, signing_key=key, app=billing.app, runtime=billing)
    finally:
        standin = billing.api.state.stripe_standin
        if standin is not None:
            standin.stop()
        for runtime in (customers, billing):
            if runtime.app is not None:
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
def api_with(tmp_path: Path) -> Any:
    """``with api_with({crm_config}) as api:`` the services with billing reading that configuration."""

    def start(crm_config: dict[str, Any]) -> Any:
        return running_api(f"sqlite:///{tmp_path}", tmp_path, crm_config)

    return start
