"""Identity aggregates through their methods: no I/O."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from omnibus.identity.domain import (
    ApiKey,
    ConflictError,
    InvalidCodeError,
    InvalidInputError,
    InvalidTokenError,
    RefreshSession,
    Role,
    Rotation,
    User,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def a_user() -> User:
    return User(
        id=uuid4(),
        user_id=1,
        username="u",
        email="u@example.com",
        password_hash="argon2-hash",
        first_name=None,
        middle_name=None,
        last_name=None,
        phone_number=None,
        roles=["Support"],
        customer_id=None,
        contact_id=None,
    )


def a_session(**overrides) -> RefreshSession:
    fields = {
        "user_id": 1,
        "token_hash": "h1",
        "remember_me": False,
        "expires_at": NOW + timedelta(hours=12),
        "impersonating_user_id": None,
        "impersonation_id": None,
        "user_epoch": 0,
        **overrides,
    }
    return RefreshSession(id=uuid4(), **fields)


def test_a_rotation_replaces_the_token_and_a_replay_revokes_the_session():
    session = a_session()

    assert session.rotate("h1", "h2", NOW) is Rotation.ROTATED
    assert session.rotate("h1", "h3", NOW) is Rotation.REUSED
    assert session.revoked and session.rotate("h2", "h4", NOW) is Rotation.INVALID


def test_an_unknown_or_expired_token_is_invalid_without_revoking():
    session = a_session()

    assert session.rotate("other", "h2", NOW) is Rotation.INVALID
    assert session.rotate("h1", "h2", NOW + timedelta(hours=13)) is Rotation.INVALID
    assert not session.revoked


def test_a_totp_step_is_accepted_once_and_older_steps_never():
    user = a_user()
    user.start_2fa_enrollment("sealed", ["0a1b2c3d"] * 10)
    user.confirm_2fa(100)

    with pytest.raises(InvalidCodeError):
        user.pass_totp(100)
    user.pass_totp(101)
    with pytest.raises(InvalidCodeError):
        user.pass_totp(100)


def test_a_backup_code_is_consumed():
    user = a_user()
    user.start_2fa_enrollment("sealed", ["0a1b2c3d", "11112222"])
    user.confirm_2fa(5)

    user.pass_backup_code("0A1B2C3D")

    with pytest.raises(InvalidCodeError):
        user.pass_backup_code("0a1b2c3d")
    assert len(user.backup_code_hashes) == 1 and "11112222" not in user.backup_code_hashes


def test_a_reset_token_is_single_use_and_expires():
    user = a_user()
    user.request_password_reset("1.token", NOW + timedelta(hours=1))

    with pytest.raises(InvalidTokenError):
        user.complete_password_reset("1.token", "new", NOW + timedelta(hours=1, seconds=1), None)
    user.complete_password_reset("1.token", "new", NOW, None)
    with pytest.raises(InvalidTokenError):
        user.complete_password_reset("1.token", "newer", NOW, None)


def test_password_changes_and_deletion_void_older_sessions():
    user = a_user()

    user.change_password("h", changed_by=1)
    user.soft_delete(NOW)

    assert user.session_epoch == 2


def test_welcome_is_resent_only_before_the_first_login():
    user = a_user()
    user.resend_welcome()
    user.record_login("password", False, None)

    with pytest.raises(ConflictError):
        user.resend_welcome()


def test_api_key_status_expiry_and_reactivation():
    key = ApiKey.issue(uuid4(), 1, "sk_live_" + "x" * 40, {"name": "k", "expiry_date": NOW + timedelta(days=3)}, NOW)

    assert key.status(NOW) == "active" and key.expiring_soon(NOW)
    assert key.status(NOW + timedelta(days=4)) == "expired"
    key.update({"expiry_date": NOW + timedelta(days=400)}, NOW + timedelta(days=4))
    assert key.status(NOW + timedelta(days=4)) == "active"
    key.revoke()
    assert key.status(NOW) == "revoked"
    with pytest.raises(ConflictError):
        key.update({"name": "n"}, NOW)


def test_an_api_key_expiry_in_the_past_is_refused():
    with pytest.raises(InvalidInputError):
        ApiKey.issue(uuid4(), 1, "sk_live_" + "x" * 40, {"name": "k", "expiry_date": NOW}, NOW)


def test_built_in_roles_cannot_be_deleted_and_grants_are_idempotent():
    admin = Role(id=uuid4(), role_id=1, name="Admin", description=None, permissions=["admin"])
    role = Role(id=uuid4(), role_id=2, name="Ops", description=None, permissions=[])

    role.grant({7: "view_customer"})
    role.grant({7: "view_customer"})

    with pytest.raises(ConflictError):
        admin.delete()
    assert role.permissions == ["view_customer"] and len(role.collect_events()) == 2
