"""Fixtures of the provisioning tests: the service (optionally with customers) behind the embedded dispatcher.

``api`` runs on SQLite with the test plays in ``tests/plays`` and REAL ansible-runner runs. ``crm`` also serves
customers over a real HTTP port (uvicorn in a thread), so the example plays in ``deploy/playbooks`` can call the
API with their job token, as they do in a deployment.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, ServiceRuntime, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.application import ProvisioningApp
from omnibus.provisioning.main import ProvisioningRuntime, build
from omnibus.provisioning.settings import ProvisioningSettings
from omnibus.provisioning.tokens import LocalJobTokens
from omnibus.testing.helpers import eventually, unique_name
from omnibus.testing.plugin import drop_database

TEST_PLAYS = Path(__file__).parent / "plays"
EXAMPLE_PLAYS = Path(__file__).parents[3] / "deploy" / "playbooks"
MACHINE_KEY = "ocs-callback-key-" + "k" * 30
CRM_CONFIG: dict[str, Any] = {"api_keys": {MACHINE_KEY: {"roles": ["provisioning"], "description": "OCS"}}}
USER_ID = 7


@dataclass
class FakeDirectory:
    """Products (catalog) and services (customers) as their owners would answer; a missing one is None."""

    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    services: dict[int, dict[str, Any]] = field(default_factory=dict)

    def product(self, product_id: int) -> dict[str, Any] | None:
        return self.products.get(product_id)

    def service(self, service_id: int) -> dict[str, Any] | None:
        return self.services.get(service_id)

    def service_by_uuid(self, service_uuid: str) -> dict[str, Any] | None:
        return next((s for s in self.services.values() if s.get("service_uuid") == service_uuid), None)


@dataclass
class Api:
    machine_key: ClassVar[str] = MACHINE_KEY  # a config API key with role "provisioning" (an OCS callback caller)
    user_id: ClassVar[int] = USER_ID  # the ``sub`` of tokens from ``auth``

    client: httpx.Client
    signing_key: Ed25519PrivateKey
    app: ProvisioningApp
    runtime: ProvisioningRuntime
    directory: FakeDirectory
    base_url: str | None = None

    def token(self, *permissions: str, customer_id: int | None = None, sub: int = USER_ID) -> str:
        claims: dict[str, Any] = {
            "sub": str(sub),
            "permissions": list(permissions),
            "token_type": "access",
            "exp": int(time.time()) + 600,
        }
        if customer_id is not None:
            claims["customer_id"] = customer_id
        return jwt.encode(claims, self.signing_key, algorithm="EdDSA")

    def auth(self, *permissions: str, customer_id: int | None = None, sub: int = USER_ID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions, customer_id=customer_id, sub=sub)}"}

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.client.request(method, path, headers=self.auth("admin") if headers is None else headers, **kw)

    def provision(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        response = self.request("PUT", "/crm/provision/", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return int(response.json()["provision_id"])

    def job(self, provision_id: int) -> dict[str, Any]:
        response = self.request("GET", f"/crm/provision/provision_id/{provision_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def finished(self, provision_id: int, timeout: float = 30.0) -> dict[str, Any]:
        def done() -> dict[str, Any]:
            job = self.job(provision_id)
            assert job["provisioning_status"] != 1, job
            return job

        return eventually(done, timeout=timeout, interval=0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_api(
    database_url: str,
    *,
    plays_dir: Path = TEST_PLAYS,
    with_customers: bool = False,
    serve_http: bool = False,
    timeout_minutes: float = 2.0,
    max_parallel_jobs: int = 4,
    signing_key: Ed25519PrivateKey | None = None,
    amqp_url: str | None = None,
) -> Iterator[Api]:
    key = signing_key or Ed25519PrivateKey.generate()
    bus = RabbitMQBus(amqp_url, connection_name="provisioning-tests") if amqp_url else InMemoryBus()
    infra = Infrastructure(bus, Authenticator(config=parse_crm_config(CRM_CONFIG), public_key=key.public_key()))
    port = free_port() if serve_http else 5000
    settings = ServiceSettings(database_url=database_url, http_port=port)
    directory = FakeDirectory()
    config = ProvisioningSettings(
        plays_dir=plays_dir, job_timeout_minutes=timeout_minutes, max_parallel_jobs=max_parallel_jobs
    )
    runtime = build(
        settings.for_service("provisioning"),
        infra,
        provisioning=config,
        signing_key=key,
        directory=directory,
        job_tokens=LocalJobTokens(key, "EdDSA", 3600),  # identity's part is tested with identity (tests/e2e)
    )
    assert isinstance(runtime, ProvisioningRuntime) and isinstance(runtime.app, ProvisioningApp)
    runtimes: list[ServiceRuntime] = [runtime]
    if with_customers:
        runtimes.append(discover_services()["customers"].build(settings.for_service("customers"), infra))
    asgi = Dispatcher(embedded_app(infra, runtimes))
    try:
        if serve_http:
            with _uvicorn(asgi, port):
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                    yield Api(http, key, runtime.app, runtime, directory, base_url=f"http://127.0.0.1:{port}")
        else:
            with TestClient(asgi, raise_server_exceptions=False) as client:
                yield Api(client, key, runtime.app, runtime, directory)
    finally:
        for each in runtimes:
            if each.app is not None:
                each.app.close()
            each.engine.dispose()


@contextmanager
def _uvicorn(asgi: Any, port: int) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    eventually(lambda: _assert(server.started), timeout=15)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _assert(condition: bool) -> None:
    assert condition


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(f"sqlite:///{tmp_path}") as running:
        yield running


@pytest.fixture
def api_factory(tmp_path: Path) -> Callable[..., Any]:
    return lambda **kw: running_api(f"sqlite:///{tmp_path}", **kw)


@pytest.fixture
def start_service() -> Callable[..., Any]:
    """``with start_service(database_url, **options) as api``: the service on a given store (restarts)."""
    return running_api


@pytest.fixture(scope="module")
def crm_pg(postgres_url: str, amqp_url: str) -> Iterator[Any]:
    """The whole CRM (tests/crm.py) on PostgreSQL (a database per service) and RabbitMQ (a vhost of its own), once
    per module."""
    from .crm import SERVICES, running_crm  # noqa: TID252

    base = unique_name("saga")
    with _vhost(amqp_url) as vhost:
        try:
            with running_crm(postgres_url.rsplit("/", 1)[0] + f"/{base}_{{service}}", vhost) as crm:
                yield crm
        finally:
            for service in ("provisioning", *SERVICES):
                drop_database(postgres_url, f"{base}_{service.replace('-', '_')}")


@contextmanager
def _vhost(amqp_url: str) -> Iterator[str]:
    import shutil
    import subprocess
    from urllib.parse import urlsplit, urlunsplit

    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        pytest.fail("rabbitmqctl not found: cannot create an isolated vhost", pytrace=False)
    name = unique_name("saga_vhost")
    parts = urlsplit(amqp_url)
    subprocess.run([ctl, "-q", "add_vhost", name], check=True, capture_output=True)
    user = parts.username or "guest"
    subprocess.run([ctl, "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"], check=True, capture_output=True)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", name], check=False, capture_output=True)


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole CRM (tests/crm.py) on SQLite and the in-process bus, once per module."""
    from .crm import running_crm  # noqa: TID252

    with running_crm(f"sqlite:///{tmp_path_factory.mktemp('crm')}") as crm:
        yield crm
