"""The permission matrix: every endpoint of every installed service, called by every kind of caller.

Callers: a user of each default role (real identity logins), a self-care user of another customer, a valid API
key, an expired key, a revoked key, a key used from a disallowed address, a tampered JWT, a JWT with ``alg: none``
and no credentials. What each endpoint needs is read from the endpoint itself (its ``require(...)`` dependency),
so a new endpoint joins the matrix by existing; one that declares nothing fails ``test_every_endpoint_...``.
Later services add themselves by being installed; only public endpoints must be listed here.
"""

import base64
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from omnibus.platform.auth.deps import Requirement
from omnibus.platform.auth.roles import DEFAULT_ROLES
from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.helpers import eventually

# Endpoints anyone may call (authentication itself, or a token of their own in the body).
PUBLIC = {
    ("POST", "/crm/stripe/webhook"),  # no credentials: verified by its Stripe-Signature header (billing)
    ("POST", "/crm/auth/login"),
    ("POST", "/auth/login"),
    ("POST", "/crm/auth/refresh"),
    ("POST", "/auth/refresh"),
    ("GET", "/crm/auth/jwks.json"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/auth/forgot_password"),
    ("POST", "/auth/reset_password"),
    ("POST", "/auth/verify_email"),
    ("POST", "/2fa/verify/user/{user_id}"),  # needs the login's challenge token, checked by identity itself
    ("POST", "/crm/auth/job_token"),  # a client assertion in the body, signed by a key identity trusts (D65)
    ("GET", "/oam/usage"),  # the caller is identified by its source address (D85)
}
# Endpoints whose check is written in the endpoint rather than a ``require(...)``: what they need, for the matrix.
CUSTOM = {
    ("POST", "/crm/ocs/proxy"): Requirement("cgrates_api_access", None),  # or cgrates_api_write (D82)
    ("POST", "/crm/ocs/notify"): Requirement("cgrates_api_write", None),  # or the webhook's URL token (D81)
    # machine callers (API keys, whitelisted addresses) or admin (D66); users' tokens are refused
    ("POST", "/crm/provision/simple_provision_addon/service_id/{service_id}/product_id/{product_id}"): Requirement(
        "admin", None
    ),
    ("POST", "/crm/provision/simple_provision_addon_recharge/service_id/{service_id}/product_id/{product_id}"): (
        Requirement("admin", None)
    ),
}
INFRASTRUCTURE = {"/health", "/crm/health", "/ready"}
ROLES = {
    "Admin": "admin",
    "Support": "support",
    "Finance": "finance",
    "Customer": "customer",
    "Read-only": "read-only",
    "Provisioning_Specialist": "provisioning_specialist",
}
MISSING_ID = 999_999
VICTIM = "Victim Corporation"
VICTIM_UUID = "Victim_0001"  # the victim's service_uuid (and OCS account)
PASSWORD = "matrix-password-1"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    # a Requirement, several (all needed), "user" (any logged-in user), "any" (any credential) or "public"
    needs: Requirement | tuple[Requirement, ...] | str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class System:
    client: TestClient
    asgi: Dispatcher
    endpoints: list[Endpoint]
    tokens: dict[str, str]
    keys: dict[str, str]
    victim_ids: dict[str, int]
    signing_key: Any

    def call(self, endpoint: Endpoint, headers: dict[str, str], ids: dict[str, int] | None = None, client=None):
        path = endpoint.path
        for name in _params(path):
            path = path.replace(f"{{{name}}}", str((ids or {}).get(name, MISSING_ID)))
        body = None if endpoint.method in ("GET", "DELETE") else {}
        return (client or self.client).request(endpoint.method, path, headers=headers, json=body)


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _needs(route: APIRoute) -> Requirement | tuple[Requirement, ...] | str:
    key = (next(iter(route.methods)), route.path)
    if key in PUBLIC or route.path in INFRASTRUCTURE:
        return "public"
    if key in CUSTOM:
        return CUSTOM[key]
    calls = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        calls.append(dependency.call)
        stack.extend(dependency.dependencies)
    requirements = tuple(dict.fromkeys(call for call in calls if isinstance(call, Requirement)))
    if requirements:
        return requirements[0] if len(requirements) == 1 else requirements
    names = {getattr(call, "__name__", "") for call in calls}
    if "_user" in names:
        return "user"
    if "authenticate" in names:
        return "any"
    return "undeclared"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    folder: Path = tmp_path_factory.mktemp("matrix")
    env = {
        "OMNIBUS_IDENTITY_ARGON2_TIME_COST": "1",
        "OMNIBUS_IDENTITY_ARGON2_MEMORY_KIB": "1024",
        "OMNIBUS_IDENTITY_OUTBOX_FILE": str(folder / "outbox.jsonl"),
        "OMNIBUS_IDENTITY_SECRET_KEY_FILE": str(folder / "identity-secret.key"),
        "OMNIBUS_IDENTITY_SIGNING_KEY_FILE": "",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update({k: v for k, v in env.items() if v})
    os.environ.pop("OMNIBUS_IDENTITY_SIGNING_KEY_FILE", None)
    settings = ServiceSettings(database_url=f"sqlite:///{folder}", dev_signing_key_file=folder / "dev.pem")
    try:
        infra, runtimes = build_services(settings, allow_dev_key=True)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    asgi = Dispatcher(embedded_app(infra, runtimes))
    endpoints = [
        Endpoint(method, route.path, _needs(route))
        for runtime in runtimes
        for router in runtime.parts.routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]
    identity = next(r for r in runtimes if r.name == "identity")
    with TestClient(asgi, raise_server_exceptions=False) as client:
        identity.app.create_user(
            {"username": "boss", "email": "boss@example.com"}, PASSWORD, ["Admin"], send_welcome=False
        )
        admin = _login(client, "boss@example.com")
        admin_h = {"Authorization": f"Bearer {admin}"}
        victim = client.put(
            "/crm/customer/",
            json={"customer_name": VICTIM, "contact": {"contact_firstname": "V"}, "site": {"site_name": "V site"}},
            headers=admin_h,
        ).json()
        other = client.put("/crm/customer/", json={"customer_name": "Other Ltd"}, headers=admin_h).json()
        # the victim's records of other kinds, each carrying a marker a leak would show
        service = client.put(
            "/crm/service/",
            json={
                "customer_id": victim["customer_id"],
                "service_name": f"{VICTIM} mobile",
                "service_uuid": VICTIM_UUID,
            },
            headers=admin_h,
        ).json()
        attribute = client.put(
            "/crm/attribute/",
            json={"customer_id": victim["customer_id"], "attribute_name": "matrix_marker", "attribute_value": VICTIM},
            headers=admin_h,
        ).json()
        assert client.put("/crm/ocs/account/", json={"service_uuid": VICTIM_UUID}, headers=admin_h).status_code == 200
        tokens = {}
        for role in ROLES:
            name = role.lower().replace("-", "_")
            customer_id = victim["customer_id"] if role == "Customer" else None
            identity.app.create_user(
                {"username": name, "email": f"{name}@example.com", "customer_id": customer_id},
                PASSWORD,
                [role],
                send_welcome=False,
            )
            tokens[role] = _login(client, f"{name}@example.com")
        victim_user = identity.app.find_user("customer@example.com")
        identity.app.create_user(
            {"username": "intruder", "email": "intruder@example.com", "customer_id": other["customer_id"]},
            PASSWORD,
            ["Customer"],
            send_welcome=False,
        )
        tokens["other customer"] = _login(client, "intruder@example.com")
        keys = {
            "valid key": _key(client, admin_h, permissions=["view_customer"]),
            "revoked key": _key(client, admin_h, permissions=["admin"]),
            "expired key": _key(client, admin_h, permissions=["admin"], expiry_date=_soon()),
            "pinned key": _key(client, admin_h, permissions=["admin"], ips=["192.0.2.0/24"]),
        }
        revoked_id = client.get("/crm/api-keys", headers=admin_h).json()[1]["api_key_id"]
        client.delete(f"/crm/api-keys/{revoked_id}", headers=admin_h)
        customers_list = "/crm/customers"
        eventually(lambda: _status(client.get(customers_list, headers={"X-API-KEY": keys["valid key"]}), 200), 15)
        eventually(lambda: _status(client.get(customers_list, headers={"X-API-KEY": keys["revoked key"]}), 401), 15)
        eventually(lambda: _status(client.get(customers_list, headers={"X-API-KEY": keys["expired key"]}), 401), 15)
        eventually(lambda: _status(client.get(customers_list, headers={"X-API-KEY": keys["pinned key"]}), 403), 15)
        ids = {
            "customer_id": victim["customer_id"],
            "contact_id": victim["contacts"][0]["contact_id"],
            "site_id": victim["sites"][0]["site_id"],
            "user_id": victim_user.user_id,
            "service_id": service["service_id"],
            "service_uuid": VICTIM_UUID,
            "attribute_id": attribute["attribute_id"],
        }
        yield System(client, asgi, endpoints, {**tokens, "admin": admin}, keys, ids, identity.app.tokens.private_key)
    for runtime in runtimes:
        if runtime.app is not None:
            runtime.app.close()
        runtime.engine.dispose()


def _login(client: TestClient, email: str) -> str:
    response = client.post("/crm/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def _key(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    response = client.post("/crm/api-keys", json={"name": "matrix", **fields}, headers=headers)
    assert response.status_code == 200, response.text
    key: str = response.json()["api_key"]
    return key


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(seconds=2)).isoformat()


def _status(response: Any, status: int) -> None:
    assert response.status_code == status, response.text


def _allowed(
    needs: Requirement | tuple[Requirement, ...] | str, permissions: frozenset[str], customer_id: int | None
) -> bool:
    if isinstance(needs, tuple):
        return all(_allowed(need, permissions, customer_id) for need in needs)
    if isinstance(needs, str):
        return True
    if "admin" in permissions or needs.permission in permissions:
        return True
    return needs.own is not None and needs.own in permissions and customer_id is not None


def _protected(system: System) -> list[Endpoint]:
    return [e for e in system.endpoints if e.needs != "public"]


def test_every_endpoint_declares_who_may_call_it(system: System) -> None:
    undeclared = [str(e) for e in system.endpoints if e.needs == "undeclared"]
    public = {(e.method, e.path) for e in system.endpoints if e.needs == "public" and e.path not in INFRASTRUCTURE}

    assert undeclared == []
    assert public == PUBLIC
    assert len(_protected(system)) > 50


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_default_role_gets_exactly_its_permissions(system: System, role: str) -> None:
    permissions = DEFAULT_ROLES[ROLES[role]]
    customer_id = system.victim_ids["customer_id"] if role == "Customer" else None
    headers = {"Authorization": f"Bearer {system.tokens[role]}"}
    wrong = []
    for endpoint in _protected(system):
        status = system.call(endpoint, headers).status_code
        if _allowed(endpoint.needs, permissions, customer_id):
            ok = status not in (401, 403) or (endpoint.needs == "user" and status == 403)
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{endpoint}: {status}")

    assert wrong == []


def test_a_self_care_user_never_sees_or_changes_another_customers_data(system: System) -> None:
    headers = {"Authorization": f"Bearer {system.tokens['other customer']}"}
    leaks = []
    for endpoint in _protected(system):
        response = system.call(endpoint, headers, ids=system.victim_ids)
        if response.status_code < 300 and any(
            m in response.text for m in (VICTIM, VICTIM_UUID, "customer@example.com")
        ):
            leaks.append(f"{endpoint}: {response.status_code}")
    admin = {"Authorization": f"Bearer {system.tokens['admin']}"}
    victim = system.client.get(f"/crm/customer/customer_id/{system.victim_ids['customer_id']}", headers=admin).json()

    assert leaks == []
    assert victim["customer_name"] == VICTIM and victim["customer_status"] == "Open"


def test_a_valid_api_key_gets_exactly_its_permissions_and_is_no_user(system: System) -> None:
    headers = {"X-API-KEY": system.keys["valid key"]}
    wrong = []
    for endpoint in _protected(system):
        status = system.call(endpoint, headers).status_code
        if endpoint.needs == "user":
            ok = status == 403
        elif _allowed(endpoint.needs, frozenset({"view_customer"}), None):
            ok = status not in (401, 403)
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{endpoint}: {status}")

    assert wrong == []


@pytest.mark.parametrize("kind", ["revoked key", "expired key"])
def test_revoked_and_expired_keys_are_refused_everywhere(system: System, kind: str) -> None:
    statuses = {str(e): system.call(e, {"X-API-KEY": system.keys[kind]}).status_code for e in _protected(system)}

    assert {e: s for e, s in statuses.items() if s != 401} == {}


def test_a_key_from_a_disallowed_address_is_refused_everywhere(system: System) -> None:
    statuses = {
        str(e): system.call(e, {"X-API-KEY": system.keys["pinned key"]}).status_code for e in _protected(system)
    }
    inside = TestClient(system.asgi, client=("192.0.2.7", 4000), raise_server_exceptions=False)

    assert {e: s for e, s in statuses.items() if s != 403} == {}
    assert inside.get("/crm/customers", headers={"X-API-KEY": system.keys["pinned key"]}).status_code == 200


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["Admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _alg_none(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["Admin"]
    return jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]


def _expired(system: System) -> str:
    claims = jwt.decode(system.tokens["Finance"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    return jwt.encode(claims, system.signing_key, algorithm="EdDSA")


@pytest.mark.parametrize("kind", ["tampered JWT", "alg none JWT", "expired JWT", "no credentials"])
def test_forged_expired_or_missing_credentials_are_401_everywhere(system: System, kind: str) -> None:
    headers = {
        "tampered JWT": lambda: {"Authorization": f"Bearer {_tampered(system.tokens['Finance'])}"},
        "alg none JWT": lambda: {"Authorization": f"Bearer {_alg_none(system.tokens['Finance'])}"},
        "expired JWT": lambda: {"Authorization": f"Bearer {_expired(system)}"},
        "no credentials": lambda: {},
    }[kind]()
    statuses = {str(e): system.call(e, headers).status_code for e in _protected(system)}

    assert {e: s for e, s in statuses.items() if s != 401} == {}


# What the customers context's communication, preference and activity endpoints need (permissions.md §2: the CRUD
# sets ``communication`` and ``customer_activity``; preferences are the customer's own data, §2.9 / D34).
CUSTOMER_COMMUNICATIONS = {
    ("GET", "/crm/communication/customer_id/{customer_id}"): ("view_communication", "view_own_communication"),
    ("GET", "/crm/communication/communication_id/{communication_id}"): (
        "view_communication",
        "view_own_communication",
    ),
    ("PUT", "/crm/communication/"): ("create_communication", None),
    ("POST", "/crm/communication/"): ("create_communication", None),
    ("POST", "/crm/communication/communication_id/{communication_id}/retry"): ("create_communication", None),
    ("POST", "/crm/service/expiring/remind"): ("create_communication", None),
    ("GET", "/crm/customer/customer_id/{customer_id}/notification_preferences"): ("view_customer", "view_own_customer"),
    ("PATCH", "/crm/customer/customer_id/{customer_id}/notification_preferences"): (
        "update_customer",
        "update_own_customer",
    ),
    ("GET", "/crm/activity/customer_id/{customer_id}"): ("view_customer_activity", "view_own_customer_activity"),
    ("PUT", "/crm/activity/"): ("create_customer_activity", None),
}


def test_communication_and_activity_endpoints_need_their_permissions(system: System) -> None:
    found = {(e.method, e.path): e.needs for e in system.endpoints if (e.method, e.path) in CUSTOMER_COMMUNICATIONS}

    assert {k: (v.permission, v.own) for k, v in found.items() if isinstance(v, Requirement)} == CUSTOMER_COMMUNICATIONS


def test_a_self_care_user_sets_its_own_notification_preferences_only(system: System) -> None:
    path = f"/crm/customer/customer_id/{system.victim_ids['customer_id']}/notification_preferences"
    own = {"Authorization": f"Bearer {system.tokens['Customer']}"}
    intruder = {"Authorization": f"Bearer {system.tokens['other customer']}"}
    support = {"Authorization": f"Bearer {system.tokens['Support']}"}

    changed = system.client.patch(path, json={"balance_alerts": False}, headers=own)
    refused = system.client.patch(path, json={"balance_alerts": True}, headers=intruder)
    staff_view = system.client.get(path, headers=support)

    assert changed.status_code == 200 and changed.json()["balance_alerts"] is False
    assert refused.status_code == 404 and system.client.get(path, headers=intruder).status_code == 404
    assert staff_view.status_code == 200 and staff_view.json()["balance_alerts"] is False
