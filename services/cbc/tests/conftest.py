"""Fixtures of the cell broadcast tests: the service behind the embedded dispatcher, delivering over real HTTP to
the CBC stand-in (started by the service itself, as in the embedded mode), optionally with identity beside it.

``api`` runs on SQLite and the in-process bus; ``start_service(database_url, amqp_url=...)`` on any store and bus.
Tokens are signed with the test key the authenticator trusts; ``step_up(user)`` mints a step-up token shaped
exactly like identity's (``POST /2fa/step-up``), and ``with_identity=True`` runs identity itself.
"""

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.cbc.application import CbcApp
from omnibus.cbc.main import CbcRuntime, build
from omnibus.cbc.settings import CbcSettings
from omnibus.cbc.standin import CbcStandIn
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

AUTHOR, APPROVER, OTHER = 11, 22, 33
CBE_KEY = "third-party-cbe-key-" + "c" * 30
FAST = CbcSettings(timeout_seconds=0.5, retry_backoff_seconds=0.05, max_attempts=3, approve_wait_seconds=5)


def a_message(**overrides: Any) -> dict[str, Any]:
    """The spec's create body (§3.1), with a test identifier (D109: 4380 Required Monthly Test)."""
    body: dict[str, Any] = {
        "messageIdentifier": "4380",
        "category": "emergency",
        "repetitionPeriod": 10,
        "numberOfBroadcasts": 999,
        "warningPeriodSec": 3600,
        "channelIndicator": "basic",
        "localized_messages": [
            {"language": "en", "messageBody": "Earthquake warning. Drop, cover and hold on."},
            {"language": "es", "messageBody": "Alerta de terremoto. Agáchese, cúbrase y sujétese."},
        ],
        "tracking_areas": [
            {"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"},
            {"tracking_area": "12346", "operator": "310-410", "rat_type": "5G"},
        ],
    }
    return body | overrides


@dataclass
class Api:
    cbe_key: ClassVar[str] = CBE_KEY  # a config API key with create_ and approve_cbc_message (a third-party CBE)

    client: httpx.Client
    signing_key: Ed25519PrivateKey
    app: CbcApp
    runtime: CbcRuntime
    runtimes: list[ServiceRuntime]

    @property
    def standin(self) -> CbcStandIn:
        assert self.runtime.standin is not None
        return self.runtime.standin

    def token(self, *permissions: str, sub: int = AUTHOR, **claims: Any) -> str:
        body = {"sub": str(sub), "permissions": list(permissions), "token_type": "access", "exp": time.time() + 600}
        return jwt.encode(body | claims, self.signing_key, algorithm="EdDSA")

    def auth(self, *permissions: str, sub: int = AUTHOR, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions, sub=sub, **claims)}"}

    def step_up(self, user_id: int, *, seconds: int = 300, age: int = 0) -> str:
        """What identity's ``POST /2fa/step-up`` answers (``tokens.TokenIssuer.step_up_token``)."""
        now = int(time.time()) - age
        claims = {
            "sub": str(user_id),
            "amr": ["otp"],
            "auth_time": now,
            "token_type": "step_up",
            "iss": "omnibus-identity",
            "iat": now,
            "exp": now + seconds,
        }
        return jwt.encode(claims, self.signing_key, algorithm="EdDSA")

    def approver(self, user_id: int = APPROVER, *permissions: str) -> dict[str, str]:
        headers = self.auth(*(permissions or ("approve_cbc_message",)), sub=user_id)
        return headers | {"X-Step-Up-Token": self.step_up(user_id)}

    def create(self, body: dict[str, Any] | None = None, sub: int = AUTHOR) -> dict[str, Any]:
        response = self.client.put(
            "/crm/cbc/", json=body or a_message(), headers=self.auth("create_cbc_message", sub=sub)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def approve(self, cbc_message_id: int, user_id: int = APPROVER) -> httpx.Response:
        return self.client.post(f"/crm/cbc/{cbc_message_id}/approve", headers=self.approver(user_id))

    def get(self, cbc_message_id: int) -> dict[str, Any]:
        response = self.client.get(f"/crm/cbc/{cbc_message_id}", headers=self.auth("view_cbc_message"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def history(self, cbc_message_id: int) -> list[str]:
        response = self.client.get(f"/crm/cbc/{cbc_message_id}/history", headers=self.auth("view_cbc_message"))
        assert response.status_code == 200, response.text
        return [entry["event"] for entry in response.json()]

    def settled(self, cbc_message_id: int, timeout: float = 15.0) -> dict[str, Any]:
        """The message once the workers have nothing left to do for it."""

        def done() -> dict[str, Any]:
            message = self.get(cbc_message_id)
            assert message["status"] != "approved" and message["cancel_status"] != "pending", message
            return message

        return eventually(done, timeout=timeout, interval=0.02)


@contextmanager
def running_api(
    database_url: str,
    *,
    cbc: CbcSettings = FAST,
    amqp_url: str | None = None,
    crm_config: dict[str, Any] | None = None,
    with_identity: bool = False,
    folder: Path | None = None,
) -> Iterator[Api]:
    key = Ed25519PrivateKey.generate()
    config = {"api_keys": {CBE_KEY: {"roles": ["create_cbc_message", "approve_cbc_message"]}}} | (crm_config or {})
    config_file = Path(tempfile.mkdtemp(dir=folder)) / "crm_config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    bus = RabbitMQBus(amqp_url, connection_name="cbc-tests") if amqp_url else InMemoryBus()
    infra = Infrastructure(bus, Authenticator(config=parse_crm_config(config), public_key=key.public_key()))
    settings = ServiceSettings(database_url=database_url, crm_config=config_file)
    runtime = build(settings.for_service("cbc"), infra, cbc=cbc)
    assert isinstance(runtime, CbcRuntime) and isinstance(runtime.app, CbcApp)
    runtimes: list[ServiceRuntime] = [runtime]
    if with_identity:
        assert folder is not None
        runtimes.append(_identity(settings, infra, key, folder))
    try:
        with TestClient(Dispatcher(embedded_app(infra, runtimes)), raise_server_exceptions=False) as client:
            yield Api(client, key, runtime.app, runtime, runtimes)
    finally:
        for each in runtimes:
            if each.app is not None:
                each.app.close()
            each.engine.dispose()


def _identity(settings: ServiceSettings, infra: Infrastructure, key: Ed25519PrivateKey, folder: Path) -> ServiceRuntime:
    key_file = folder / "identity-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    env = {
        "OMNIBUS_IDENTITY_SIGNING_KEY_FILE": str(key_file),
        "OMNIBUS_IDENTITY_OUTBOX_FILE": str(folder / "outbox.jsonl"),
        "OMNIBUS_IDENTITY_SECRET_KEY_FILE": str(folder / "identity-secret.key"),
        "OMNIBUS_IDENTITY_ARGON2_TIME_COST": "1",
        "OMNIBUS_IDENTITY_ARGON2_MEMORY_KIB": "1024",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return discover_services()["identity"].build(settings.for_service("identity"), infra)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(f"sqlite:///{tmp_path}", folder=tmp_path) as running:
        yield running


@pytest.fixture
def start_service(tmp_path: Path) -> Any:
    """``with start_service(database_url=None, **options) as api`` (default: SQLite in the test's folder)."""

    def start(database_url: str | None = None, **options: Any) -> Any:
        return running_api(database_url or f"sqlite:///{tmp_path}", folder=tmp_path, **options)

    return start


@pytest.fixture(name="a_message")
def a_message_fixture() -> Any:
    """The builder of create bodies (``a_message(**overrides)``)."""
    return a_message


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def api_on_each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The service on SQLite and the in-process bus, and on PostgreSQL and RabbitMQ."""
    if request.param == "sqlite":
        url, amqp = f"sqlite:///{tmp_path}", None
    else:
        url, amqp = request.getfixturevalue("fresh_database"), request.getfixturevalue("fresh_vhost")
    with running_api(url, amqp_url=amqp, folder=tmp_path) as running:
        yield running
