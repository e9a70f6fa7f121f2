"""Journey (embedded mode): closing a customer in the customers service ends its self-care users' logins in
identity, which learns it from the customers events (identity.md §9)."""

import os
from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually


def test_a_closed_customers_users_cannot_log_in(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OMNIBUS_IDENTITY_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("OMNIBUS_IDENTITY_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("OMNIBUS_IDENTITY_OUTBOX_FILE", str(tmp_path / "outbox.jsonl"))
    monkeypatch.setenv("OMNIBUS_IDENTITY_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.delenv("OMNIBUS_IDENTITY_SIGNING_KEY_FILE", raising=False)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", dev_signing_key_file=tmp_path / "dev.pem")
    infra, runtimes = build_services(settings, ["identity", "customers"], allow_dev_key=True)
    identity = next(r for r in runtimes if r.name == "identity")

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        identity.app.create_user(
            {"username": "a", "email": "a@example.com"}, "long-password", ["Admin"], send_welcome=False
        )
        token = client.post("/crm/auth/login", json={"email": "a@example.com", "password": "long-password"})
        admin = {"Authorization": f"Bearer {token.json()['token']}"}
        customer = client.put("/crm/customer/", json={"customer_name": "Leaving Ltd"}, headers=admin).json()
        user = {
            "username": "c",
            "email": "c@example.com",
            "password": "long-password",
            "customer_id": customer["customer_id"],
        }
        assert client.post("/auth/users", json=user, headers=admin).status_code == 200
        login = {"email": "c@example.com", "password": "long-password"}
        assert client.post("/crm/auth/login", json=login).status_code == 200

        client.patch(
            f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_status": "Closed"}, headers=admin
        )

        eventually(lambda: _refused(client.post("/crm/auth/login", json=login)))
    assert os.path.exists(tmp_path / "data")


def _refused(response) -> None:
    assert response.status_code == 401, response.text
