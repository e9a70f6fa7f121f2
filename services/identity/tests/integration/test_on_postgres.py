"""The main flows on each store: SQLite (embedded) and a fresh PostgreSQL database (deployment)."""

import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

ADMIN = ("root@example.com", "correct horse battery")


def test_login_refresh_reuse_and_logout(api_on_each_store):
    api = api_on_each_store
    first = api.login(*ADMIN).json()

    second = api.client.post("/crm/auth/refresh", json={"refresh_token": first["refresh_token"]})
    reuse = api.client.post("/crm/auth/refresh", json={"refresh_token": first["refresh_token"]})
    after = api.client.post("/crm/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})

    assert second.status_code == 200 and reuse.status_code == 401
    assert after.status_code == 401


def test_users_roles_and_keys_lists(api_on_each_store):
    api = api_on_each_store
    user = api.new_user(role="Finance")
    key = api.client.post("/crm/api-keys", json={"name": "K", "permissions": ["view_customer"]}, headers=api.admin)

    users = api.client.get("/auth/users/search", params={"search": user["username"]}, headers=api.admin).json()
    keys = api.client.get("/crm/api-keys", headers=api.admin).json()
    roles = api.client.get("/auth/roles", headers=api.admin).json()

    assert [u["id"] for u in users["data"]] == [user["id"]]
    assert [k["api_key_id"] for k in keys] == [key.json()["api_key_id"]]
    assert user["id"] in [u["id"] for r in roles if r["name"] == "Finance" for u in r["users"]]
