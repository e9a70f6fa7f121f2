"""Login, refresh with rotation and reuse detection, logout, JWKS (identity.md §3.1; D21, D27-D29)."""

import jwt

from omnibus.testing.helpers import eventually

ADMIN = ("root@example.com", "correct horse battery")


def test_login_answers_tokens_roles_and_permissions(api):
    response = api.login(*ADMIN)

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["Admin"] and "admin" in body["permissions"]
    assert body["token"] and body["refresh_token"]
    assert "refresh_token" in response.cookies or "refresh_token=" in response.headers["set-cookie"]


def test_the_access_token_is_an_eddsa_jwt_of_15_minutes_verifiable_with_the_jwks(api):
    token = api.login(*ADMIN).json()["token"]

    jwks = api.client.get("/.well-known/jwks.json").json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"])
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["roles"] == ["Admin"] and claims["token_type"] == "access"
    assert api.client.get("/crm/auth/jwks.json").json() == jwks


def test_the_username_is_accepted_instead_of_the_email(api):
    response = api.client.post("/auth/login", json={"username": "root", "password": ADMIN[1]})

    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(api):
    wrong = api.login(ADMIN[0], "nope-nope-nope")
    unknown = api.login("nobody@example.com", "nope-nope-nope")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]


def test_a_login_without_password_is_400(api):
    response = api.client.post("/crm/auth/login", json={"email": ADMIN[0]})

    assert response.status_code == 400


def test_a_deleted_user_cannot_log_in(api):
    user = api.new_user()
    api.client.delete(f"/auth/users/{user['id']}", headers=api.admin)

    assert api.login(user["email"], "secret-password-1").status_code == 401


def test_refresh_rotates_the_refresh_token(api):
    first = api.login(*ADMIN).json()["refresh_token"]

    response = api.client.post("/crm/auth/refresh", json={"refresh_token": first})

    assert response.status_code == 200
    assert response.json()["refresh_token"] != first and response.json()["token"]


def test_refresh_reads_the_cookie_when_the_body_has_no_token(api):
    login = api.login(*ADMIN)
    cookie = login.json()["refresh_token"]

    api.client.cookies.set("refresh_token", cookie)

    response = api.client.post("/auth/refresh")

    assert response.status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_session(api):
    first = api.login(*ADMIN).json()["refresh_token"]
    second = api.client.post("/crm/auth/refresh", json={"refresh_token": first}).json()["refresh_token"]

    reuse = api.client.post("/crm/auth/refresh", json={"refresh_token": first})
    after = api.client.post("/crm/auth/refresh", json={"refresh_token": second})

    assert reuse.status_code == 401 and "reuse" in reuse.json()["message"]
    assert after.status_code == 401


def test_a_forged_refresh_token_is_401_and_revokes_nothing(api):
    real = api.login(*ADMIN).json()["refresh_token"]
    session_id = real.split(".")[0]

    forged = api.client.post("/crm/auth/refresh", json={"refresh_token": f"{session_id}.forged"})
    genuine = api.client.post("/crm/auth/refresh", json={"refresh_token": real})

    assert forged.status_code == 401 and genuine.status_code == 200


def test_logout_revokes_the_session(api):
    login = api.login(*ADMIN).json()

    out = api.client.post("/crm/auth/logout", headers=api.bearer(login["token"]))
    again = api.client.post("/crm/auth/refresh", json={"refresh_token": login["refresh_token"]})

    assert out.status_code == 200 and again.status_code == 401


def test_logout_needs_a_token(api):
    assert api.client.post("/crm/auth/logout").status_code == 401


def test_remember_me_keeps_the_cookie_30_days(api):
    response = api.login(*ADMIN, remember_me=True)

    cookie = response.headers["set-cookie"]
    assert (
        "Max-Age=2592000" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    )


def test_without_remember_me_the_cookie_ends_with_the_browser_session(api):
    cookie = api.login(*ADMIN).headers["set-cookie"]

    assert "Max-Age" not in cookie


def test_the_user_login_count_grows(api):
    user, _ = api.user_token()

    assert api.client.get(f"/auth/users/{user['id']}", headers=api.admin).json()["login_count"] == 1


def test_logout_and_reuse_are_audited_and_logout_is_published(api):
    login = api.login(*ADMIN).json()

    api.client.post("/crm/auth/logout", headers=api.bearer(login["token"]))

    rows = api.client.get("/auth/audit", params={"event_type": "SessionRevoked"}, headers=api.admin).json()["data"]
    assert rows[0]["details"] == {"reason": "logout"}
    assert eventually(lambda: _published(api, "identity.UserLoggedOut"))


def _published(api, routing_key):
    found = [m for m in api.bus.published if m.routing_key == routing_key]
    assert found
    return found
