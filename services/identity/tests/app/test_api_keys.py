"""UI-managed API keys (identity.md §3.6, §4.7; D13-D19): shown once, stored hashed, verified locally by every
service from identity's events, with expiry, revocation, regeneration and address pinning."""

from datetime import UTC, datetime, timedelta

from omnibus.testing.helpers import eventually


def _create(api, **overrides):
    body = {"name": "Billing Sync", "description": "QuickBooks", "permissions": ["manage_api_keys"], **overrides}
    response = api.client.post("/crm/api-keys", json=body, headers=api.admin)
    assert response.status_code == 200, response.text
    return response.json()


def _works(api, key, status=200, client=None):
    response = (client or api.client).get("/crm/api-keys", headers={"X-API-KEY": key})
    assert response.status_code == status, response.text


def test_create_shows_the_key_once_and_lists_it_masked(api):
    created = _create(api, expiry_date="2099-01-10")

    listed = api.client.get("/crm/api-keys", headers=api.admin).json()

    assert created["api_key"].startswith("sk_live_") and len(created["api_key"]) == 48
    assert created["expiry_date"] == "2099-01-10T23:59:59Z" and created["status"] == "active"
    assert created["created_by"] == "root"
    assert listed[0]["api_key"] == f"sk_live_...{created['api_key'][-3:]}"
    assert created["api_key"] not in str(listed)


def test_the_key_is_never_in_identity_events_or_published_messages(api):
    created = _create(api)

    messages = eventually(lambda: _published(api, "identity.ApiKeyCreated"))
    stored = [n.state for n in api.app.read_notifications(0, 10_000)]

    assert created["api_key"].encode() not in b"".join(stored)
    assert all(created["api_key"].encode() not in m.body for m in messages)


def _published(api, routing_key):
    found = [m for m in api.bus.published if m.routing_key == routing_key]
    assert found
    return found


def test_a_new_key_authenticates_with_its_permissions_only(api):
    key = _create(api)["api_key"]

    eventually(lambda: _works(api, key))
    assert api.client.get("/auth/users", headers={"X-API-KEY": key}).status_code == 403


def test_a_revoked_key_is_refused_with_401(api):
    created = _create(api)
    eventually(lambda: _works(api, created["api_key"]))

    api.client.delete(f"/crm/api-keys/{created['api_key_id']}", headers=api.admin)

    eventually(lambda: _works(api, created["api_key"], 401))
    listed = api.client.get("/crm/api-keys", params={"include_revoked": "true"}, headers=api.admin).json()
    assert listed[0]["status"] == "revoked"
    assert api.client.get("/crm/api-keys", headers=api.admin).json() == []


def test_a_revoked_key_cannot_be_patched(api):
    created = _create(api)
    api.client.delete(f"/crm/api-keys/{created['api_key_id']}", headers=api.admin)

    response = api.client.patch(f"/crm/api-keys/{created['api_key_id']}", json={"name": "X"}, headers=api.admin)

    assert response.status_code == 409


def test_regenerate_invalidates_the_old_value_at_once(api):
    created = _create(api)
    eventually(lambda: _works(api, created["api_key"]))

    new = api.client.post(f"/crm/api-keys/{created['api_key_id']}/regenerate", headers=api.admin).json()["api_key"]

    eventually(lambda: _works(api, created["api_key"], 401))
    eventually(lambda: _works(api, new))


def test_an_expired_key_is_refused_and_a_future_expiry_reactivates_it(api):
    created = _create(api, expiry_date=(datetime.now(UTC) + timedelta(seconds=2)).isoformat())
    eventually(lambda: _works(api, created["api_key"]), timeout=1.5)

    eventually(lambda: _works(api, created["api_key"], 401), timeout=10)
    listed = api.client.get("/crm/api-keys", headers=api.admin).json()
    api.client.patch(f"/crm/api-keys/{created['api_key_id']}", json={"expiry_date": "2099-12-31"}, headers=api.admin)

    assert listed[0]["status"] == "expired"
    eventually(lambda: _works(api, created["api_key"]))


def test_a_past_expiry_or_missing_name_is_400(api):
    past = api.client.post("/crm/api-keys", json={"name": "Old", "expiry_date": "2001-01-01"}, headers=api.admin)
    nameless = api.client.post("/crm/api-keys", json={"description": "x"}, headers=api.admin)
    unknown = api.client.post("/crm/api-keys", json={"name": "N", "permissions": ["fly"]}, headers=api.admin)

    assert past.status_code == nameless.status_code == unknown.status_code == 400


def test_expiring_soon_and_stats(api):
    _create(api, expiry_date=(datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d"))
    _create(api, name="Forever")

    listed = api.client.get("/crm/api-keys", headers=api.admin).json()
    stats = api.client.get("/crm/api-keys/stats", headers=api.admin).json()

    assert [k["expiring_soon"] for k in listed] == [True, False]
    assert stats == {"total": 2, "active": 2, "expiring_soon": 1, "expired": 0, "revoked": 0}


def test_a_key_pinned_to_addresses_is_refused_elsewhere_with_403(api):
    from fastapi.testclient import TestClient

    key = _create(api, ips=["192.0.2.0/24"])["api_key"]
    inside = TestClient(api.asgi, client=("192.0.2.10", 5000), raise_server_exceptions=False)
    eventually(lambda: _works(api, key, client=inside))

    _works(api, key, 403)


def test_view_service_alias_resolves_d19(api):
    created = _create(api, permissions=["view_service", "provisioning"])

    assert created["permissions"] == ["view_service", "provisioning"]


def test_without_manage_api_keys_it_is_403_and_without_credentials_401(api):
    _, token = api.user_token()

    assert api.client.get("/crm/api-keys", headers=api.bearer(token)).status_code == 403
    assert api.client.get("/crm/api-keys").status_code == 401
    assert api.client.get("/crm/api-keys", headers={"X-API-KEY": "sk_live_unknown"}).status_code == 401


def test_a_key_sent_as_authorization_is_401(api):
    key = _create(api)["api_key"]

    assert api.client.get("/crm/api-keys", headers={"Authorization": key}).status_code == 401
