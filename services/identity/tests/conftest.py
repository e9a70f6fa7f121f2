"""Fixtures of the identity tests: the service behind the embedded dispatcher, with fast argon2 parameters, its
own signing key (other services verify with the public half) and the local mail stand-in.

``api`` runs on SQLite files in a per-test folder; ``api_on_each_store`` also on a fresh PostgreSQL database.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.identity.application import IdentityApp
from omnibus.identity.domain.totp import totp
from omnibus.identity.mail import LocalOutbox
from omnibus.identity.main import build
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "correct horse battery"


@dataclass
class Api:
    client: TestClient
    asgi: Dispatcher
    app: IdentityApp
    bus: InMemoryBus
    signing_key: Ed25519PrivateKey
    admin_token: str = ""

    @property
    def outbox(self) -> LocalOutbox:
        assert isinstance(self.app.mailer, LocalOutbox)
        return self.app.mailer

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.bearer(self.admin_token)

    def login(self, email: str, password: str, **extra: Any) -> httpx.Response:
        return self.client.post("/crm/auth/login", json={"email": email, "password": password, **extra})

    def token_of(self, email: str, password: str) -> str:
        response = self.login(email, password)
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def new_user(self, password: str = "secret-password-1", **overrides: Any) -> dict[str, Any]:
        name = overrides.pop("username", None) or f"user{os.urandom(3).hex()}"
        body = {"username": name, "email": f"{name}@example.com", "password": password, "role": "Support", **overrides}
        response = self.client.post("/auth/users", json=body, headers=self.admin)
        assert response.status_code == 200, response.text
        user: dict[str, Any] = response.json()
        return user

    def user_token(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        user = self.new_user(**overrides)
        return user, self.token_of(user["email"], "secret-password-1")

    def enrol_2fa(self, user: dict[str, Any], token: str) -> tuple[str, list[str]]:
        """Enable and confirm 2FA; returns the secret and the backup codes."""
        response = self.client.post(
            f"/2fa/enable/user/{user['id']}", json={"password": "secret-password-1"}, headers=self.bearer(token)
        )
        assert response.status_code == 200, response.text
        secret, codes = response.json()["totp_secret"], response.json()["backup_codes"]
        import time

        confirm = self.client.post(
            f"/2fa/verify-setup/user/{user['id']}", json={"code": totp(secret, time.time())}, headers=self.bearer(token)
        )
        assert confirm.status_code == 200, confirm.text
        return secret, codes

    def directory_has_key(self, key: str) -> None:
        """Wait until the local access directory (fed through the bus) knows an API key."""
        eventually(lambda: _assert_status(self.client.get("/auth/users/me", headers={"X-API-KEY": key}), 403))


def _assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text


@contextmanager
def running_api(database_url: str, folder: Path, crm_config: dict[str, Any] | None = None) -> Iterator[Api]:
    key = Ed25519PrivateKey.generate()
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
        config = parse_crm_config(crm_config or {})
        infra = Infrastructure(InMemoryBus(), Authenticator(config=config, public_key=key.public_key()))
        settings = ServiceSettings(database_url=database_url).for_service("identity")
        runtime = build(settings, infra)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert isinstance(runtime.app, IdentityApp) and isinstance(infra.bus, InMemoryBus)
    asgi = Dispatcher(embedded_app(infra, [runtime]))
    try:
        with TestClient(asgi, raise_server_exceptions=False) as client:
            api = Api(client=client, asgi=asgi, app=runtime.app, bus=infra.bus, signing_key=key)
            runtime.app.create_user(
                {"username": "root", "email": ADMIN_EMAIL}, ADMIN_PASSWORD, ["Admin"], send_welcome=False
            )
            api.admin_token = api.token_of(ADMIN_EMAIL, ADMIN_PASSWORD)
            yield api
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
