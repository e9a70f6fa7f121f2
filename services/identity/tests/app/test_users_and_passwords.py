"""User administration, passwords and e-mail verification (identity.md §3.2, §3.3, §4.4-§4.6; D25, D26, D31)."""

from omnibus.identity import mail

ADMIN = ("root@example.com", "correct horse battery")


def test_an_admin_creates_a_user_with_roles_as_csv_and_a_welcome_mail_is_sent(api):
    response = api.client.post(
        "/auth/users",
        json={
            "username": "john.smith",
            "email": "John@Example.com",
            "password": "TempP@ssw0rd!",
            "role": "Support,Finance",
        },
        headers=api.admin,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["Support", "Finance"] and body["email"] == "john@example.com"
    assert "password" not in body and "password_hash" not in str(body)
    assert api.outbox.to("john@example.com", mail.WELCOME)


def test_a_duplicate_email_is_409(api):
    api.new_user(username="dup", email="dup@example.com")

    again = api.client.post(
        "/auth/users",
        json={"username": "dup2", "email": "DUP@example.com", "password": "long-enough"},
        headers=api.admin,
    )

    assert again.status_code == 409


def test_a_short_password_is_400_and_creates_nothing(api):
    response = api.client.post(
        "/auth/users", json={"username": "shorty", "email": "s@example.com", "password": "short"}, headers=api.admin
    )

    assert response.status_code == 400
    assert api.login("s@example.com", "short").status_code == 401


def test_an_unknown_role_or_field_is_400(api):
    unknown_role = {"username": "x", "email": "x@example.com", "password": "long-enough", "role": "Wizard"}
    unknown_field = {"username": "y", "email": "y@example.com", "password": "long-enough", "salary": 3}

    assert api.client.post("/auth/users", json=unknown_role, headers=api.admin).status_code == 400
    assert api.client.post("/auth/users", json=unknown_field, headers=api.admin).status_code == 400


def test_a_non_admin_cannot_manage_users(api):
    _, token = api.user_token()

    assert api.client.get("/auth/users", headers=api.bearer(token)).status_code == 403
    assert api.client.post("/auth/users", json={}, headers=api.bearer(token)).status_code == 403


def test_a_user_reads_their_own_profile_but_not_anothers(api):
    user, token = api.user_token()
    other = api.new_user()

    assert api.client.get(f"/auth/users/{user['id']}", headers=api.bearer(token)).status_code == 200
    assert api.client.get(f"/auth/users/{other['id']}", headers=api.bearer(token)).status_code == 403
    assert api.client.get("/auth/users/me", headers=api.bearer(token)).json()["id"] == user["id"]


def test_a_user_cannot_change_their_own_roles(api):
    user, token = api.user_token()

    response = api.client.put(f"/auth/users/{user['id']}", json={"roles": ["Admin"]}, headers=api.bearer(token))

    assert response.status_code == 403


def test_put_roles_replaces_the_set_and_search_filters_by_role(api):
    user = api.new_user()

    api.client.put(f"/auth/users/{user['id']}", json={"roles": ["Finance"]}, headers=api.admin)

    found = api.client.get("/auth/users/search", params={"filters": '{"role":["Finance"]}'}, headers=api.admin).json()
    assert [u["id"] for u in found["data"]] == [user["id"]]


def test_soft_delete_and_restore(api):
    user = api.new_user()

    api.client.delete(f"/auth/users/{user['id']}", headers=api.admin)
    deleted = api.client.get("/auth/users/search", params={"filters": '{"deleted":[true]}'}, headers=api.admin).json()
    api.client.put(f"/auth/users/{user['id']}", json={"deleted": False}, headers=api.admin)

    assert [u["id"] for u in deleted["data"]] == [user["id"]]
    assert api.login(user["email"], "secret-password-1").status_code == 200


def test_an_email_change_waits_for_verification(api):
    user, token = api.user_token()

    api.client.put(f"/auth/users/{user['id']}", json={"email": "new@example.com"}, headers=api.bearer(token))
    pending = api.client.get(f"/auth/users/{user['id']}", headers=api.admin).json()
    message = api.outbox.to("new@example.com", mail.EMAIL_VERIFICATION)[-1]
    verified = api.client.post(
        "/auth/verify_email", json={"user_id": user["id"], "code": message.variables["verification_code"]}
    )

    assert pending["email"] == user["email"] and pending["pending_email"] == "new@example.com"
    assert verified.status_code == 200
    assert api.login("new@example.com", "secret-password-1").status_code == 200


def test_a_wrong_verification_code_is_400(api):
    user, token = api.user_token()
    api.client.put(f"/auth/users/{user['id']}", json={"email": "n2@example.com"}, headers=api.bearer(token))

    response = api.client.post("/auth/verify_email", json={"user_id": user["id"], "code": "000000x"})

    assert response.status_code == 400


def test_forgot_password_answers_the_same_whether_or_not_the_email_exists(api):
    user = api.new_user()

    known = api.client.post("/auth/forgot_password", json={"email": user["email"]})
    unknown = api.client.post("/auth/forgot_password", json={"email": "ghost@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert api.outbox.to(user["email"], mail.PASSWORD_RESET) and not api.outbox.to("ghost@example.com")


def test_a_reset_link_works_once(api):
    user = api.new_user()
    api.client.post("/auth/forgot_password", json={"email": user["email"]})
    token = api.outbox.to(user["email"], mail.PASSWORD_RESET)[-1].variables["reset_url"].rsplit("/", 1)[1]

    first = api.client.post("/auth/reset_password", json={"token": token, "new_password": "brand-new-pass"})
    second = api.client.post("/auth/reset_password", json={"token": token, "new_password": "another-pass-1"})

    assert first.status_code == 200 and second.status_code == 400
    assert api.login(user["email"], "brand-new-pass").status_code == 200
    assert api.outbox.to(user["email"], mail.PASSWORD_RESET_SUCCESS)


def test_a_reset_with_a_weak_password_is_400_and_keeps_the_link(api):
    user = api.new_user()
    api.client.post("/auth/forgot_password", json={"email": user["email"]})
    token = api.outbox.to(user["email"], mail.PASSWORD_RESET)[-1].variables["reset_url"].rsplit("/", 1)[1]

    weak = api.client.post("/auth/reset_password", json={"token": token, "new_password": "short"})
    good = api.client.post("/auth/reset_password", json={"token": token, "new_password": "long-enough-now"})

    assert weak.status_code == 400 and good.status_code == 200


def test_a_reset_link_expires_after_one_hour(api):
    from datetime import timedelta

    user = api.new_user()
    api.client.post("/auth/forgot_password", json={"email": user["email"]})
    token = api.outbox.to(user["email"], mail.PASSWORD_RESET)[-1].variables["reset_url"].rsplit("/", 1)[1]
    stored = api.app.get_user(user["id"])
    real_now = api.app.now
    api.app.now = lambda: real_now() + timedelta(hours=1, seconds=1)  # type: ignore[method-assign]
    try:
        response = api.client.post("/auth/reset_password", json={"token": token, "new_password": "long-enough-now"})
    finally:
        api.app.now = real_now  # type: ignore[method-assign]

    assert stored.reset_expires_at is not None and response.status_code == 400


def test_change_password_needs_the_current_one_and_ends_other_sessions(api):
    user = api.new_user()
    login = api.login(user["email"], "secret-password-1").json()

    wrong = api.client.post(
        "/auth/change_password",
        json={"current_password": "nope", "new_password": "next-password-1"},
        headers=api.bearer(login["token"]),
    )
    right = api.client.post(
        "/auth/change_password",
        json={"current_password": "secret-password-1", "new_password": "next-password-1"},
        headers=api.bearer(login["token"]),
    )
    old_session = api.client.post("/crm/auth/refresh", json={"refresh_token": login["refresh_token"]})

    assert wrong.status_code == 401 and right.status_code == 200
    assert old_session.status_code == 401
    assert api.outbox.to(user["email"], mail.PASSWORD_CHANGE)[-1].variables["changed_by"] == "Self"


def test_admin_reset_with_forced_change(api):
    user = api.new_user()

    response = api.client.post(
        f"/auth/users/{user['id']}/admin_reset_password",
        json={"new_password": "admin-chosen-1", "force_change": True},
        headers=api.admin,
    )
    login = api.login(user["email"], "admin-chosen-1").json()

    assert response.status_code == 200 and login["force_change"] is True and login["permissions"] == []
    assert api.outbox.to(user["email"], mail.PASSWORD_CHANGE)[-1].variables["changed_by"] == "root"


def test_a_forced_change_allows_nothing_but_changing_the_password(api):
    user = api.new_user(role="Admin")
    api.client.post(
        f"/auth/users/{user['id']}/admin_reset_password",
        json={"new_password": "admin-chosen-1", "force_change": True},
        headers=api.admin,
    )
    token = api.login(user["email"], "admin-chosen-1").json()["token"]

    blocked = api.client.get("/auth/users", headers=api.bearer(token))
    changed = api.client.post(
        "/auth/change_password",
        json={"current_password": "admin-chosen-1", "new_password": "my-own-password"},
        headers=api.bearer(token),
    )
    after = api.login(user["email"], "my-own-password").json()

    assert blocked.status_code == 403 and changed.status_code == 200
    assert after["force_change"] is False and "admin" in after["permissions"]


def test_resend_welcome_only_before_the_first_login(api):
    fresh = api.new_user()
    used, _ = api.user_token()

    assert api.client.post(f"/auth/users/{fresh['id']}/resend_welcome", headers=api.admin).status_code == 200
    assert api.client.post(f"/auth/users/{used['id']}/resend_welcome", headers=api.admin).status_code == 409


def test_an_update_with_a_bad_email_is_400_and_changes_nothing(api):
    user = api.new_user()

    response = api.client.put(
        f"/auth/users/{user['id']}", json={"first_name": "Changed", "email": "not-an-email"}, headers=api.admin
    )

    assert response.status_code == 400
    assert api.client.get(f"/auth/users/{user['id']}", headers=api.admin).json()["first_name"] is None


def test_an_update_to_a_taken_email_is_409_and_changes_nothing(api):
    user = api.new_user()
    other = api.new_user()

    response = api.client.put(
        f"/auth/users/{user['id']}", json={"first_name": "Changed", "email": other["email"]}, headers=api.admin
    )

    assert response.status_code == 409
    assert api.client.get(f"/auth/users/{user['id']}", headers=api.admin).json()["first_name"] is None
