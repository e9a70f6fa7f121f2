"""RBAC: roles as permission sets, seeded defaults, the admin endpoints, and other services resolving roles
through their local copy (identity.md §3.4; permissions.md)."""

from omnibus.platform.auth.roles import ALL_PERMISSIONS, DEFAULT_ROLES
from omnibus.testing.helpers import eventually


def test_the_default_roles_and_permissions_are_seeded(api):
    roles = {r["name"]: r for r in api.client.get("/auth/roles", headers=api.admin).json()}
    permissions = {p["name"] for p in api.client.get("/auth/permissions", headers=api.admin).json()}

    assert {"Admin", "Support", "Finance", "Customer", "Read-only", "Provisioning_Specialist"} <= set(roles)
    assert permissions >= ALL_PERMISSIONS  # the whole catalogue of permissions.md §2, own-scoped ones included
    for name, role in roles.items():
        if name.lower() in DEFAULT_ROLES:
            assert set(role["permissions"]) == DEFAULT_ROLES[name.lower()], name


def test_create_role_grant_and_revoke_permissions(api):
    permissions = {p["name"]: p["id"] for p in api.client.get("/auth/permissions", headers=api.admin).json()}

    role = api.client.post("/auth/roles", json={"name": "Tier2_Support", "description": "Level 2"}, headers=api.admin)
    role_id = role.json()["id"]
    granted = api.client.post(
        f"/auth/roles/{role_id}/permissions",
        json={"permission_ids": [permissions["view_customer"], permissions["create_provision"]]},
        headers=api.admin,
    )
    revoked = api.client.delete(
        f"/auth/roles/{role_id}/permissions/{permissions['create_provision']}", headers=api.admin
    )

    assert role.status_code == 200 and role.json()["permissions"] == [] and role.json()["users"] == []
    assert granted.json()["permissions"] == ["create_provision", "view_customer"]
    assert revoked.json()["permissions"] == ["view_customer"]


def test_a_taken_role_name_is_409_and_an_unknown_role_404(api):
    assert api.client.post("/auth/roles", json={"name": "support"}, headers=api.admin).status_code == 409
    assert api.client.put("/auth/roles/9999", json={"name": "X"}, headers=api.admin).status_code == 404
    assert (
        api.client.post("/auth/roles/9999/permissions", json={"permission_id": 1}, headers=api.admin).status_code == 404
    )


def test_built_in_roles_cannot_be_deleted(api):
    admin_role = next(r for r in api.client.get("/auth/roles", headers=api.admin).json() if r["name"] == "Admin")

    assert api.client.delete(f"/auth/roles/{admin_role['id']}", headers=api.admin).status_code == 409


def test_adding_a_user_to_a_role_and_listing_its_users(api):
    user = api.new_user()
    role_id = api.client.post("/auth/roles", json={"name": "Auditors"}, headers=api.admin).json()["id"]

    api.client.post(f"/auth/roles/{role_id}/users/{user['id']}", headers=api.admin)

    members = api.client.get(f"/auth/roles/{role_id}/users", headers=api.admin).json()
    assert [m["id"] for m in members] == [user["id"]]


def test_a_permission_is_created_once(api):
    first = api.client.post("/auth/permissions", json={"name": "view_example", "description": "x"}, headers=api.admin)
    again = api.client.post("/auth/permissions", json={"name": "VIEW_EXAMPLE"}, headers=api.admin)
    bad = api.client.post("/auth/permissions", json={"name": "has spaces"}, headers=api.admin)

    assert first.status_code == 200 and again.status_code == 409 and bad.status_code == 400


def test_a_role_change_applies_on_the_next_request_of_an_already_issued_token(api):
    permissions = {p["name"]: p["id"] for p in api.client.get("/auth/permissions", headers=api.admin).json()}
    role_id = api.client.post("/auth/roles", json={"name": "KeyKeepers"}, headers=api.admin).json()["id"]
    _, token = api.user_token(role="KeyKeepers")
    assert api.client.get("/crm/api-keys", headers=api.bearer(token)).status_code == 403

    api.client.post(
        f"/auth/roles/{role_id}/permissions", json={"permission_id": permissions["manage_api_keys"]}, headers=api.admin
    )

    eventually(lambda: _status(api.client.get("/crm/api-keys", headers=api.bearer(token)), 200))


def test_deleting_a_role_takes_its_permissions_from_its_members(api):
    permissions = {p["name"]: p["id"] for p in api.client.get("/auth/permissions", headers=api.admin).json()}
    role_id = api.client.post("/auth/roles", json={"name": "Temp"}, headers=api.admin).json()["id"]
    api.client.post(
        f"/auth/roles/{role_id}/permissions", json={"permission_id": permissions["manage_api_keys"]}, headers=api.admin
    )
    _, token = api.user_token(role="Temp")
    eventually(lambda: _status(api.client.get("/crm/api-keys", headers=api.bearer(token)), 200))

    api.client.delete(f"/auth/roles/{role_id}", headers=api.admin)

    eventually(lambda: _status(api.client.get("/crm/api-keys", headers=api.bearer(token)), 403))


def _status(response, status):
    assert response.status_code == status, response.text
