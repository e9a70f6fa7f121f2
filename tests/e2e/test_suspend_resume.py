"""Suspend/resume across contexts (charging.md §4.9, D84), in the embedded mode: a service suspended in customers
disables its OCS account in CGRateS (the emulator), and resuming it enables the account again."""

from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def test_suspending_a_service_disables_its_ocs_account_and_resuming_enables_it(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings, ["customers", "charging-gateway"])
    headers = {"Authorization": f"Bearer {key.token(['admin'])}"}
    uuid = "Mobile_suspend01"

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        customer = client.put("/crm/customer/", json={"customer_name": "Suspend Me"}, headers=headers).json()
        body = {
            "customer_id": customer["customer_id"],
            "service_uuid": uuid,
            "service_name": "Mobile SIM",
            "service_type": "mobile",
            "service_status": "Active",
        }
        service = client.put("/crm/service/", json=body, headers=headers).json()
        assert client.put("/crm/ocs/account/", json={"service_uuid": uuid}, headers=headers).status_code == 200

        def account() -> dict:
            return client.get(f"/crm/ocs/account/service_uuid/{uuid}", headers=headers).json()

        def cgrates_disabled() -> bool:
            reply = client.post(
                "/crm/ocs/proxy",
                json={"method": "APIerSv2.GetAccount", "params": [{"Tenant": "cgrates.org", "Account": uuid}]},
                headers=headers,
            ).json()
            return bool(reply["Disabled"])

        client.patch(f"/crm/service/{service['service_id']}", json={"service_status": "Suspended"}, headers=headers)
        eventually(lambda: _assert(account()["disabled"] is True))
        suspended_in_ocs = cgrates_disabled()

        client.patch(f"/crm/service/{service['service_id']}", json={"service_status": "Active"}, headers=headers)
        eventually(lambda: _assert(account()["disabled"] is False))
        resumed_in_ocs = cgrates_disabled()

    assert (suspended_in_ocs, resumed_in_ocs) == (True, False)


def test_the_service_view_shows_live_ocs_balances_to_staff_and_to_its_own_customer(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings, ["customers", "charging-gateway"])
    staff = {"Authorization": f"Bearer {key.token(['admin'])}"}
    uuid = "Mobile_live0001"

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        customer = client.put("/crm/customer/", json={"customer_name": "Live View"}, headers=staff).json()
        body = {
            "customer_id": customer["customer_id"],
            "service_uuid": uuid,
            "service_name": "Mobile SIM",
            "service_type": "mobile",
            "service_status": "Active",
        }
        service = client.put("/crm/service/", json=body, headers=staff).json()
        client.put("/crm/ocs/account/", json={"service_uuid": uuid}, headers=staff)
        topup = {"balance_type": "*data", "value": 1073741824, "balance_id": "data_1GB", "idempotency_key": "live-1"}
        answer = client.post(f"/crm/ocs/account/service_uuid/{uuid}/topup", json=topup, headers=staff)
        assert answer.status_code == 200, answer.text
        own = {
            "Authorization": f"Bearer {key.token(['view_own_customer_service'], customer_id=customer['customer_id'])}"
        }

        def shown(headers: dict) -> dict:
            view = client.get(f"/crm/service/{service['service_id']}", headers=headers).json()
            assert view["cgrates"] is not None, view
            return view

        as_staff = shown(staff)
        as_owner = eventually(lambda: shown(own))  # charging learns whose service it is from customers' events
        other = client.get(
            f"/crm/ocs/balance/service_uuid/{uuid}",
            headers={"Authorization": f"Bearer {key.token(['view_own_customer_service'], customer_id=999)}"},
        )

    assert as_staff["cgrates"]["BalanceMap"]["*data"][0]["ID"] == "data_1GB"
    assert as_owner["cgrates"]["BalanceMap"] == as_staff["cgrates"]["BalanceMap"]
    assert other.status_code == 404


def _assert(condition: bool) -> None:
    assert condition
