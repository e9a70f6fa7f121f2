"""The embedded mode (``make run``): no CGRateS configured, so the emulator runs in-process; demo data, the live
view and the trigger callback (delivered in-process to the webhook handler) all work in one process."""

from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def test_the_embedded_gateway_runs_on_an_in_process_emulator_with_demo_data(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("OMNIBUS_CGRATES_URL", raising=False)
    key = SigningKey(tmp_path)
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem, demo_data=True
    )
    infra, runtimes = build_services(settings, ["charging-gateway"])
    headers = {"Authorization": f"Bearer {key.token(['admin'])}"}

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        view = eventually(lambda: _ok(client.get("/crm/ocs/balance/service_uuid/Mobile_SIM_c2880638", headers=headers)))
        for origin in ("e1", "e2"):
            client.post(
                "/crm/ocs/account/service_uuid/Mobile_SIM_c2880638/usage",
                json={"origin_id": origin, "tor": "*data", "usage": 6 * 1024**3},
                headers=headers,
            )
        account = client.get("/crm/ocs/account/service_uuid/Mobile_SIM_c2880638", headers=headers).json()
        low = eventually(lambda: _low(runtimes[0]))

    assert view["cgrates"]["totals"]["*data"]["display"] == "12.5 GB"
    assert view["cgrates"]["totals"]["*monetary"]["display"] == "$15.50"
    assert account["trigger_group_ids"] == ["TRG_Mobile_SIM_c2880638"]
    assert low == 1


def _ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def _low(runtime) -> int:
    app = runtime.app
    count = sum(1 for n in app.read_notifications(0, 10_000) if n.topic.endswith("BalanceSignalled"))
    assert count >= 1
    return count
