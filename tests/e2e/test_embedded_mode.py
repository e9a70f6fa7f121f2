"""The embedded mode (SQLite stores, in-process bus, one process) behaves like the deployment."""

import os
from pathlib import Path
from typing import Any

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


def test_make_run_provisions_the_demo_mobile_sim_with_a_job_token_from_identity(tmp_path: Path) -> None:
    """``make run``'s embedded mode: the demo "Prepaid Mobile 20GB" runs its play against the in-process CGRateS
    emulator and HSS stand-in, with a job token identity issues (the dev key signs everything here)."""
    import threading

    import httpx
    import jwt
    import uvicorn

    from omnibus.platform.runtime import load_or_create_dev_key
    from omnibus.testing.processes import free_port

    port, key_file = free_port(), tmp_path / "dev-key.pem"
    plays = Path(__file__).parents[2] / "deploy" / "playbooks"
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path}/data", http_port=port, demo_data=True, dev_signing_key_file=key_file
    )
    saved = os.environ.get("OMNIBUS_PROVISIONING_PLAYS_DIR")
    os.environ["OMNIBUS_PROVISIONING_PLAYS_DIR"] = str(plays)
    try:
        infra, runtimes = build_services(settings, allow_dev_key=True)
    finally:
        if saved is None:
            os.environ.pop("OMNIBUS_PROVISIONING_PLAYS_DIR")
        else:
            os.environ["OMNIBUS_PROVISIONING_PLAYS_DIR"] = saved
    token = jwt.encode(
        {"sub": "1", "permissions": ["admin"], "token_type": "access", "exp": 9999999999},
        load_or_create_dev_key(key_file),
        algorithm="EdDSA",
    )
    server = uvicorn.Server(uvicorn.Config(Dispatcher(embedded_app(infra, runtimes)), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    try:
        eventually(lambda: _ready(api), timeout=60)
        [product] = [p for p in api.get("/crm/product/").json() if p["product_slug"] == "prepaid-mobile-20gb"]
        sims = api.get("/crm/inventory/", params={"available_for": "SIM Card"}).json()["data"]
        numbers = api.get("/crm/inventory/", params={"available_for": "Mobile Number"}).json()["data"]
        customer = api.put("/crm/customer/", json={"customer_name": "Embedded Mobile"}).json()
        body = {
            "customer_id": customer["customer_id"],
            "product_id": product["product_id"],
            "SIM Card": next(s["inventory_id"] for s in sims if s["itemtext3"] == "Physical"),
            "Mobile Number": numbers[0]["inventory_id"],
        }
        provision_id = api.put("/crm/provision/", json=body).json()["provision_id"]
        job = eventually(lambda: _ended(api, provision_id), timeout=180, interval=0.5)
        service = api.get(f"/crm/service/service_uuid/{job['saga']['service_uuid']}").json()
    finally:
        server.should_exit = True
        api.close()

    assert job["provisioning_status"] == 0, (job["failed_task"], job["error"], job["saga"])
    assert (service["service_status"], service["service_type"]) == ("Active", "mobile")


def _ready(api: Any) -> None:
    import httpx

    try:
        status = api.get("/ready").status_code
    except httpx.HTTPError as error:
        raise AssertionError(f"not serving yet: {error}") from None
    assert status == 200


def _ended(api: Any, provision_id: int) -> dict[str, Any]:
    job = api.get(f"/crm/provision/provision_id/{provision_id}").json()
    assert job["provisioning_status"] != 1
    return dict(job)
