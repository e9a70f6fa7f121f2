"""Impersonation (identity.md §3.7, §4.8; D32): the token says who really acts; logs; limits."""

import jwt


def _claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def _customer_user(api):
    return api.new_user(role="Customer", customer_id=42)


def test_support_impersonates_a_customer_user_and_the_token_names_both(api):
    support, support_token = api.user_token(role="Support")
    target = _customer_user(api)

    response = api.client.post("/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(support_token))

    body = response.json()
    claims = _claims(body["access_token"])
    assert response.status_code == 200 and body["success"] is True
    assert body["impersonating_user_id"] == support["id"] and body["target_user_id"] == target["id"]
    assert claims["sub"] == str(target["id"]) and claims["impersonating_user_id"] == support["id"]
    assert claims["customer_id"] == 42
    me = api.client.get("/auth/users/me", headers=api.bearer(body["access_token"])).json()
    assert me["id"] == target["id"]


def test_impersonation_without_can_impersonate_is_403(api):
    _, token = api.user_token(role="Finance")
    target = _customer_user(api)

    assert (
        api.client.post("/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(token)).status_code
        == 403
    )


def test_admins_and_more_privileged_users_cannot_be_impersonated(api):
    _, support_token = api.user_token(role="Support")
    admin_target = api.new_user(role="Admin")
    finance_target = api.new_user(role="Finance")

    as_admin = api.client.post(
        "/auth/impersonate", json={"user_id": admin_target["id"]}, headers=api.bearer(support_token)
    )
    as_finance = api.client.post(
        "/auth/impersonate", json={"user_id": finance_target["id"]}, headers=api.bearer(support_token)
    )

    assert as_admin.status_code == as_finance.status_code == 403


def test_no_nested_impersonation_and_unknown_targets_are_404(api):
    _, support_token = api.user_token(role="Support")
    target = _customer_user(api)
    token = api.client.post(
        "/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(support_token)
    ).json()["access_token"]

    nested = api.client.post("/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(token))
    unknown = api.client.post("/auth/impersonate", json={"user_id": 9999}, headers=api.bearer(support_token))

    assert nested.status_code == 409 and unknown.status_code == 404


def test_stop_returns_the_real_users_tokens_and_logs_the_session(api):
    support, support_token = api.user_token(role="Support")
    target = _customer_user(api)
    started = api.client.post(
        "/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(support_token)
    ).json()

    stopped = api.client.post("/auth/stop_impersonation", headers=api.bearer(started["access_token"]))
    logs = api.client.get("/auth/impersonation_logs", params={"user_id": support["id"]}, headers=api.admin).json()

    assert stopped.status_code == 200 and stopped.json()["duration_seconds"] >= 0
    assert _claims(stopped.json()["access_token"])["sub"] == str(support["id"])
    assert "impersonating_user_id" not in _claims(stopped.json()["access_token"])
    assert logs["data"][0]["target_user_id"] == target["id"] and logs["data"][0]["impersonation_end"]
    assert api.client.post("/crm/auth/refresh", json={"refresh_token": started["refresh_token"]}).status_code == 401


def test_stop_without_impersonating_is_409(api):
    _, token = api.user_token(role="Support")

    assert api.client.post("/auth/stop_impersonation", headers=api.bearer(token)).status_code == 409


def test_impersonation_logs_are_for_admins(api):
    _, token = api.user_token(role="Support")

    assert api.client.get("/auth/impersonation_logs", headers=api.bearer(token)).status_code == 403


def test_actions_while_impersonating_are_attributed_to_both(api):
    _, support_token = api.user_token(role="Support")
    target = _customer_user(api)
    token = api.client.post(
        "/auth/impersonate", json={"user_id": target["id"]}, headers=api.bearer(support_token)
    ).json()["access_token"]

    api.client.put(f"/auth/users/{target['id']}", json={"first_name": "Changed"}, headers=api.bearer(token))

    rows = api.client.get("/auth/audit", params={"user_id": target["id"]}, headers=api.admin).json()["data"]
    from omnibus.identity.domain import User

    events = [n for n in api.app.read_notifications(0, 10_000) if n.topic.endswith("User.ProfileUpdated")]
    meta = api.app.mapper.to_domain_event(events[-1]).__dict__["__meta__"]["actor"]
    assert meta["user_id"] == target["id"] and meta["impersonating_user_id"] is not None
    assert rows and User
