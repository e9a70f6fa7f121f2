"""The embedded mode (SQLite stores, in-process bus, one process) behaves like the deployment."""

from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.billing.readmodel.queries import billing_profile
from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def test_customer_reaches_billing_on_sqlite_and_the_in_process_bus(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings)
    billing = next(r for r in runtimes if r.name == "billing")
    headers = {"Authorization": f"Bearer {key.token(['admin'])}"}

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        created = client.put(
            "/crm/customer/",
            json={"customer_name": "Embedded Ltd", "contact": {"contact_email": "a@embedded.example"}},
            headers=headers,
        ).json()

        def in_billing() -> dict:
            with billing.engine.connect() as conn:
                profile = billing_profile(conn, created["customer_id"])
            assert profile is not None
            return profile

        profile = eventually(in_billing)
        docs = client.get("/crm/openapi.json").json()

    assert profile["billing_email"] == "a@embedded.example"
    assert "/crm/customer/" in docs["paths"]
    assert (tmp_path / "data" / "customers-events.sqlite3").exists()


def test_embedded_data_survives_a_restart(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    headers = {"Authorization": f"Bearer {key.token(['admin'])}"}
    infra, runtimes = build_services(settings, ["customers"])
    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        first = client.put("/crm/customer/", json={"customer_name": "Persistent"}, headers=headers).json()

    infra, runtimes = build_services(settings, ["customers"])
    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        listed = client.get("/crm/customers", headers=headers).json()
        second = client.put("/crm/customer/", json={"customer_name": "Next"}, headers=headers).json()

    assert [c["customer_name"] for c in listed["data"]] == ["Persistent"]
    assert second["customer_id"] == first["customer_id"] + 1
