"""Brute force is slowed and locked out, per account name and per address; nothing reveals whether an account
exists (identity.md §3.1; D9, D31)."""

ADMIN = ("root@example.com", "correct horse battery")


def test_five_failures_lock_the_account_name_out_even_with_the_right_password(api):
    for _ in range(5):
        assert api.login(ADMIN[0], "wrong-password").status_code == 401

    locked = api.login(*ADMIN)

    assert locked.status_code == 429
    assert locked.json()["details"]["retry_after"] > 0


def test_an_unknown_email_locks_out_exactly_like_a_known_one(api):
    for _ in range(5):
        api.login("nobody@example.com", "wrong-password")

    assert api.login("nobody@example.com", "wrong-password").status_code == 429


def test_a_lockout_of_one_account_does_not_lock_another(api):
    for _ in range(5):
        api.login("nobody@example.com", "wrong-password")

    assert api.login(*ADMIN).status_code == 200


def test_many_failures_from_one_address_lock_that_address_out(api):
    for n in range(20):
        api.login(f"someone{n}@example.com", "wrong-password")

    assert api.login(*ADMIN).status_code == 429


def test_a_failed_login_is_in_the_audit_list(api):
    api.login("nobody@example.com", "wrong-password")

    events = api.client.get("/auth/audit", params={"event_type": "LoginFailed"}, headers=api.admin).json()["data"]
    assert events and events[0]["details"]["email"] == "nobody@example.com"
    assert "password" not in str(events[0]["details"]).replace("bad_credentials", "")
