"""Journey: identity's users, roles and API keys work in another service (customers) that checks them alone,
from its own copy fed over RabbitMQ: no call to identity per request (ARCHITECTURE.md §9)."""

import httpx
import pytest

from omnibus.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text


def test_a_login_token_and_an_api_key_from_identity_work_at_customers(launch, signing_key) -> None:
    identity = launch("identity")
    customers = launch("customers")
    admin = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    user = {"username": "finance1", "email": "finance1@example.com", "password": "long-password-1", "role": "Finance"}
    assert httpx.post(f"{identity.url}/auth/users", json=user, headers=admin).status_code == 200

    login = httpx.post(f"{identity.url}/crm/auth/login", json={"email": user["email"], "password": user["password"]})
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    key = httpx.post(
        f"{identity.url}/crm/api-keys", json={"name": "Monitoring", "permissions": ["view_customer"]}, headers=admin
    ).json()

    assert login.status_code == 200
    _status(httpx.get(f"{customers.url}/crm/customers", headers=bearer), 200)  # Finance holds view_customer
    _status(httpx.put(f"{customers.url}/crm/customer/", json={"customer_name": "X"}, headers=bearer), 403)
    eventually(
        lambda: _status(httpx.get(f"{customers.url}/crm/customers", headers={"X-API-KEY": key["api_key"]}), 200), 20
    )

    httpx.delete(f"{identity.url}/crm/api-keys/{key['api_key_id']}", headers=admin)

    eventually(
        lambda: _status(httpx.get(f"{customers.url}/crm/customers", headers={"X-API-KEY": key["api_key"]}), 401), 20
    )


def test_a_permission_taken_from_a_role_is_refused_at_customers_without_a_new_token(launch, signing_key) -> None:
    identity = launch("identity")
    customers = launch("customers")
    admin = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    roles = httpx.get(f"{identity.url}/auth/roles", headers=admin).json()
    finance = next(r for r in roles if r["name"] == "Finance")
    permissions = {p["name"]: p["id"] for p in httpx.get(f"{identity.url}/auth/permissions", headers=admin).json()}
    user = {"username": "f2", "email": "f2@example.com", "password": "long-password-1", "role": "Finance"}
    httpx.post(f"{identity.url}/auth/users", json=user, headers=admin)
    token = httpx.post(f"{identity.url}/crm/auth/login", json={"email": user["email"], "password": user["password"]})
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    _status(httpx.get(f"{customers.url}/crm/customers", headers=bearer), 200)

    httpx.delete(f"{identity.url}/auth/roles/{finance['id']}/permissions/{permissions['view_customer']}", headers=admin)

    eventually(lambda: _status(httpx.get(f"{customers.url}/crm/customers", headers=bearer), 403), 20)


def test_a_service_configured_with_identitys_jwks_url_verifies_its_tokens(
    launch, signing_key, service_env, databases, tmp_path
) -> None:
    from omnibus.testing.processes import ServiceProcess

    identity = launch("identity")
    env = {k: v for k, v in service_env.items() if k != "OMNIBUS_JWT_PUBLIC_KEY_FILE"}
    env.update(
        {"OMNIBUS_DATABASE_URL": databases["customers"], "OMNIBUS_JWKS_URL": f"{identity.url}/.well-known/jwks.json"}
    )
    customers = ServiceProcess("customers", env, log_dir=tmp_path).start()
    try:
        admin = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
        user = {"username": "s1", "email": "s1@example.com", "password": "long-password-1", "role": "Support"}
        httpx.post(f"{identity.url}/auth/users", json=user, headers=admin)
        login = httpx.post(
            f"{identity.url}/crm/auth/login", json={"email": user["email"], "password": user["password"]}
        )
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}

        _status(httpx.get(f"{customers.url}/crm/customers", headers=bearer), 200)
        _status(
            httpx.get(f"{customers.url}/crm/customers", headers=admin), 401
        )  # a token without a kid: not a JWKS key
    finally:
        customers.stop()
