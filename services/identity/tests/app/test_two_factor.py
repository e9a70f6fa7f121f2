"""TOTP 2FA (RFC 6238, 30 s, ±1 step, no code twice), backup codes, admin disable, reset, step-up
(identity.md §3.5, §4.3; D21-D23)."""

import time

import jwt

from omnibus.identity.domain.totp import totp


def _enrolled(api):
    user, token = api.user_token()
    secret, codes = api.enrol_2fa(user, token)
    return user, token, secret, codes


def _next_code(secret, used_at):
    """A valid code not yet used: the next step's (accepted as drift)."""
    return totp(secret, used_at + 30)


def test_enable_answers_the_secret_the_qr_uri_and_ten_backup_codes(api):
    user, token = api.user_token()

    response = api.client.post(
        f"/2fa/enable/user/{user['id']}", json={"password": "secret-password-1"}, headers=api.bearer(token)
    )

    body = response.json()
    assert response.status_code == 200
    assert body["qr_code_url"] == f"otpauth://totp/OmniCRM:{user['email']}?secret={body['totp_secret']}&issuer=OmniCRM"
    assert len(body["backup_codes"]) == 10 and all(len(c) == 8 for c in body["backup_codes"])
    assert api.client.get("/auth/users/me", headers=api.bearer(token)).json()["is_2fa_enabled"] is False


def test_enable_needs_the_current_password(api):
    user, token = api.user_token()

    response = api.client.post(f"/2fa/enable/user/{user['id']}", json={"password": "wrong"}, headers=api.bearer(token))

    assert response.status_code == 401


def test_a_wrong_setup_code_is_400(api):
    user, token = api.user_token()
    api.client.post(f"/2fa/enable/user/{user['id']}", json={"password": "secret-password-1"}, headers=api.bearer(token))

    response = api.client.post(
        f"/2fa/verify-setup/user/{user['id']}", json={"code": "000000"}, headers=api.bearer(token)
    )

    assert response.status_code == 400


def test_login_with_2fa_answers_a_challenge_and_no_tokens(api):
    user, _, _, _ = _enrolled(api)

    body = api.login(user["email"], "secret-password-1").json()

    assert body["2fa_required"] is True and body["user_id"] == user["id"]
    assert "token" not in body and "refresh_token" not in body


def test_the_challenge_token_is_not_an_access_token(api):
    user, _, _, _ = _enrolled(api)
    challenge = api.login(user["email"], "secret-password-1").json()["challenge_token"]

    assert api.client.get("/auth/users/me", headers=api.bearer(challenge)).status_code == 401


def test_the_second_step_with_a_totp_code_logs_in(api):
    user, _, secret, _ = _enrolled(api)
    challenge = api.login(user["email"], "secret-password-1").json()["challenge_token"]

    response = api.client.post(
        f"/2fa/verify/user/{user['id']}", json={"code": _next_code(secret, time.time())}, headers=api.bearer(challenge)
    )

    assert response.status_code == 200 and response.json()["token"]


def test_a_totp_code_is_never_accepted_twice(api):
    user, _, secret, _ = _enrolled(api)
    code = _next_code(secret, time.time())
    first = api.login(user["email"], "secret-password-1").json()["challenge_token"]
    api.client.post(f"/2fa/verify/user/{user['id']}", json={"code": code}, headers=api.bearer(first))
    second = api.login(user["email"], "secret-password-1").json()["challenge_token"]

    replay = api.client.post(f"/2fa/verify/user/{user['id']}", json={"code": code}, headers=api.bearer(second))

    assert replay.status_code == 401


def test_a_code_two_steps_away_is_refused(api):
    user, _, secret, _ = _enrolled(api)
    challenge = api.login(user["email"], "secret-password-1").json()["challenge_token"]

    response = api.client.post(
        f"/2fa/verify/user/{user['id']}", json={"code": totp(secret, time.time() + 90)}, headers=api.bearer(challenge)
    )

    assert response.status_code == 401


def test_a_backup_code_works_once(api):
    user, _, _, codes = _enrolled(api)

    def verify(code):
        challenge = api.login(user["email"], "secret-password-1").json()["challenge_token"]
        return api.client.post(f"/2fa/verify/user/{user['id']}", json={"code": code}, headers=api.bearer(challenge))

    assert verify(codes[0]).status_code == 200
    assert verify(codes[0]).status_code == 401


def test_regenerated_backup_codes_replace_the_old_ones(api):
    user, token, _, codes = _enrolled(api)

    new = api.client.post(f"/2fa/backup-codes/regenerate/user/{user['id']}", headers=api.bearer(token)).json()
    challenge = api.login(user["email"], "secret-password-1").json()["challenge_token"]
    old = api.client.post(f"/2fa/verify/user/{user['id']}", json={"code": codes[1]}, headers=api.bearer(challenge))

    assert len(new["backup_codes"]) == 10 and old.status_code == 401


def test_an_admin_disables_2fa_and_the_next_login_is_password_only(api):
    user, _, _, _ = _enrolled(api)

    api.client.post(f"/2fa/admin/disable/user/{user['id']}", headers=api.admin)

    assert "token" in api.login(user["email"], "secret-password-1").json()


def test_only_an_admin_disables_2fa(api):
    user, token, _, _ = _enrolled(api)

    assert api.client.post(f"/2fa/admin/disable/user/{user['id']}", headers=api.bearer(token)).status_code == 403


def test_reset_for_a_new_device_consumes_a_backup_code_and_re_enrols(api):
    user, token, _, codes = _enrolled(api)

    reset = api.client.post(
        f"/2fa/reset-for-new-device/user/{user['id']}", json={"backup_code": codes[2]}, headers=api.bearer(token)
    )
    new_secret = reset.json()["totp_secret"]
    confirm = api.client.post(
        f"/2fa/verify-setup/user/{user['id']}", json={"code": totp(new_secret, time.time())}, headers=api.bearer(token)
    )

    assert reset.status_code == 200 and confirm.status_code == 200
    assert (
        api.client.post(
            f"/2fa/reset-for-new-device/user/{user['id']}", json={"backup_code": codes[2]}, headers=api.bearer(token)
        ).status_code
        == 401
    )


def test_step_up_returns_a_short_lived_token_proving_a_fresh_second_factor(api):
    user, token, secret, _ = _enrolled(api)

    response = api.client.post(
        "/2fa/step-up", json={"code": _next_code(secret, time.time())}, headers=api.bearer(token)
    )

    claims = jwt.decode(response.json()["step_up_token"], options={"verify_signature": False})
    assert response.status_code == 200 and claims["token_type"] == "step_up" and claims["sub"] == str(user["id"])
    assert claims["exp"] - claims["iat"] == 300
    assert api.client.get("/auth/users/me", headers=api.bearer(response.json()["step_up_token"])).status_code == 401


def test_step_up_with_a_wrong_code_is_401(api):
    _, token, _, _ = _enrolled(api)

    assert api.client.post("/2fa/step-up", json={"code": "000000"}, headers=api.bearer(token)).status_code == 401


def test_every_service_verifies_a_step_up_token_for_its_own_user_only(api):
    from omnibus.platform.auth import AuthenticationError, Authenticator
    from omnibus.platform.crm_config import parse_crm_config

    user, token, secret, _ = _enrolled(api)
    step_up = api.client.post("/2fa/step-up", json={"code": _next_code(secret, time.time())}, headers=api.bearer(token))
    authenticator = Authenticator(config=parse_crm_config({}), public_key=api.signing_key.public_key())

    assert authenticator.verify_step_up(step_up.json()["step_up_token"], user["id"])["amr"] == ["otp"]
    for wrong_user, wrong_token in ((user["id"] + 1, step_up.json()["step_up_token"]), (user["id"], token)):
        try:
            authenticator.verify_step_up(wrong_token, wrong_user)
        except AuthenticationError:
            continue
        raise AssertionError("accepted")


def test_the_totp_secret_is_stored_sealed_never_in_clear(api):
    user, token = api.user_token()

    secret = api.client.post(
        f"/2fa/enable/user/{user['id']}", json={"password": "secret-password-1"}, headers=api.bearer(token)
    ).json()["totp_secret"]

    stored = b"".join(n.state for n in api.app.read_notifications(0, 10_000))
    assert secret.encode() not in stored
    assert api.app.get_user(user["id"]).totp_secret.startswith("aesgcm:")


def test_a_role_requiring_2fa_gives_unenrolled_members_a_set_up_only_session_d20(api):
    api.client.post("/auth/roles", json={"name": "Guarded", "require_2fa": True}, headers=api.admin)
    permissions = {p["name"]: p["id"] for p in api.client.get("/auth/permissions", headers=api.admin).json()}
    role_id = next(r["id"] for r in api.client.get("/auth/roles", headers=api.admin).json() if r["name"] == "Guarded")
    api.client.post(
        f"/auth/roles/{role_id}/permissions", json={"permission_id": permissions["manage_api_keys"]}, headers=api.admin
    )
    user = api.new_user(role="Guarded")

    login = api.login(user["email"], "secret-password-1").json()
    blocked = api.client.get("/crm/api-keys", headers=api.bearer(login["token"]))
    me = api.client.get("/auth/users/me", headers=api.bearer(login["token"])).json()
    api.enrol_2fa(user, login["token"])
    refreshed = api.client.post("/crm/auth/refresh", json={"refresh_token": login["refresh_token"]}).json()

    assert login["requires_2fa_setup"] is True and login["permissions"] == []
    assert blocked.status_code == 403 and me["requires_2fa_setup"] is True
    assert refreshed["requires_2fa_setup"] is False and "manage_api_keys" in refreshed["permissions"]
    assert api.client.get("/crm/api-keys", headers=api.bearer(refreshed["token"])).status_code == 200
