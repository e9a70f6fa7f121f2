"""Journey: a warning message composed by one user, approved by another with a TOTP code, broadcast by the CBC.

identity, cbc (HTTP and workers processes) and the CBC stand-in (``omnibus emulate cbc``) run as separate
processes on PostgreSQL and RabbitMQ, as in the compose deployment: cbc resolves identity's roles from its events,
exchanges the approver's code for a step-up token at identity over HTTP, delivers in its workers, and learns of an
admin's 2FA reset over RabbitMQ."""

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from omnibus.identity.domain.totp import totp
from omnibus.testing import eventually
from omnibus.testing.processes import ServiceProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PASSWORD = "long-password-1"
MESSAGE = {
    "messageIdentifier": "4380",
    "category": "test",
    "repetitionPeriod": 10,
    "numberOfBroadcasts": 3,
    "warningPeriodSec": 600,
    "channelIndicator": "basic",
    "localized_messages": [{"language": "en", "messageBody": "Required Monthly Test"}],
    "tracking_areas": [{"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"}],
}


@pytest.fixture
def cbc_standin() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "omnibus.platform.cli", "emulate", "cbc", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    eventually(lambda: _up(url), timeout=20)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _up(url: str) -> None:
    try:
        httpx.get(f"{url}/alerts", timeout=1)
    except httpx.HTTPError as error:
        raise AssertionError(error) from None


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_two_people_and_a_totp_code_send_a_warning_through_the_cbc(
    launch, signing_key, service_env, fresh_database, cbc_standin, tmp_path
) -> None:
    identity = launch("identity")
    env = service_env | {
        "OMNIBUS_DATABASE_URL": fresh_database,
        "OMNIBUS_CBC_URL": cbc_standin,
        "OMNIBUS_CBC_API_PATHS": '{"status": "/alerts/{reference}", "cancel": "/alerts/cancel"}',
        "OMNIBUS_GATEWAY_URL": identity.url,  # where /2fa/step-up is answered
    }
    cbc = ServiceProcess("cbc", env, log_dir=tmp_path).start()
    try:
        admin = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
        originator, approver = _roles(identity.url, admin)
        author = _user(identity.url, admin, "author", [originator, approver])
        second = _user(identity.url, admin, "approver", [approver])
        secret, backup_codes = _enrol(identity.url, second)

        created = eventually(lambda: _ok(httpx.put(f"{cbc.url}/crm/cbc/", json=MESSAGE, headers=author["auth"])), 30)
        own = httpx.post(f"{cbc.url}/crm/cbc/{created['cbc_message_id']}/approve", headers=author["auth"])
        code = totp(secret, time.time() + 30)  # the enrolment spent the current step
        sent = httpx.post(
            f"{cbc.url}/crm/cbc/{created['cbc_message_id']}/approve",
            json={"totp_code": code},
            headers=second["auth"],
            timeout=30,
        )
        broadcast = httpx.get(f"{cbc_standin}/alerts/{sent.json().get('message_reference')}")

        assert (own.status_code, own.json()["code"]) == (403, "self_approval")
        assert sent.status_code == 200, sent.text
        assert (sent.json()["status"], sent.json()["approving_user"]) == ("sent", second["id"])
        assert broadcast.status_code == 200 and broadcast.json()["status"] == "active"

        step_up = _ok(
            httpx.post(f"{identity.url}/2fa/step-up", json={"code": backup_codes[0]}, headers=second["auth"])
        )["step_up_token"]
        again = _ok(httpx.put(f"{cbc.url}/crm/cbc/", json=MESSAGE, headers=author["auth"]))
        _ok(httpx.post(f"{identity.url}/2fa/admin/disable/user/{second['id']}", headers=admin))

        def refused() -> None:
            response = httpx.post(
                f"{cbc.url}/crm/cbc/{again['cbc_message_id']}/approve",
                headers=second["auth"] | {"X-Step-Up-Token": step_up},
            )
            assert response.status_code == 403, response.text

        eventually(refused, timeout=30)  # identity's TwoFactorDisabledByAdmin reached cbc over RabbitMQ
    finally:
        cbc.stop()


def _roles(identity: str, admin: dict[str, str]) -> tuple[str, str]:
    permissions = {p["name"]: p["id"] for p in _ok(httpx.get(f"{identity}/auth/permissions", headers=admin))}
    names = {
        "CBC_Originator": ["create_cbc_message", "view_cbc_message"],
        "CBC_Approver": ["approve_cbc_message", "view_cbc_message"],
    }
    for name, granted in names.items():
        role = _ok(httpx.post(f"{identity}/auth/roles", json={"name": name}, headers=admin))
        body = {"permission_ids": [permissions[p] for p in granted]}
        _ok(httpx.post(f"{identity}/auth/roles/{role['id']}/permissions", json=body, headers=admin))
    return "CBC_Originator", "CBC_Approver"


def _user(identity: str, admin: dict[str, str], name: str, roles: list[str]) -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "roles": roles}
    user = _ok(httpx.post(f"{identity}/auth/users", json=body, headers=admin))
    login = _ok(httpx.post(f"{identity}/crm/auth/login", json={"email": body["email"], "password": PASSWORD}))
    return {"id": user["id"], "auth": {"Authorization": f"Bearer {login['token']}"}}


def _enrol(identity: str, user: dict[str, Any]) -> tuple[str, list[str]]:
    enabled = _ok(
        httpx.post(f"{identity}/2fa/enable/user/{user['id']}", json={"password": PASSWORD}, headers=user["auth"])
    )
    code = totp(enabled["totp_secret"], time.time())
    _ok(httpx.post(f"{identity}/2fa/verify-setup/user/{user['id']}", json={"code": code}, headers=user["auth"]))
    return str(enabled["totp_secret"]), list(enabled["backup_codes"])
