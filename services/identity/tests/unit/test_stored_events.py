"""Every version of every identity event ever stored still loads (omnibus.testing.stored_events)."""

import time
from pathlib import Path

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from omnibus.contracts import Actor
from omnibus.identity.application import IdentityApp
from omnibus.identity.domain import (
    ApiKey,
    Impersonation,
    LoginAttempt,
    NameIndex,
    Permission,
    RefreshSession,
    Role,
    User,
)
from omnibus.identity.domain.totp import totp
from omnibus.identity.mail import LocalOutbox
from omnibus.identity.security import fast_passwords
from omnibus.identity.tokens import TokenIssuer
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
AGGREGATES = (User, RefreshSession, Role, Permission, ApiKey, NameIndex, LoginAttempt, Impersonation)
PASSWORD = "sample-password-1"


def _events_of(aggregate: type) -> set[str]:
    """The aggregate's own event classes (not the library's generated ``Event`` and unused ``Created``)."""
    classes = [v for v in vars(aggregate).values() if isinstance(v, type) and issubclass(v, Aggregate.Event)]
    own_creation = any(issubclass(c, Aggregate.Created) and c.__name__ != "Created" for c in classes)
    skipped = {"Event", "Created"} if own_creation else {"Event"}
    return {get_topic(c) for c in classes if c.__name__ not in skipped}


def _scenario(app: IdentityApp) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    app.tokens = TokenIssuer(Ed25519PrivateKey.generate())
    app.seed_defaults()
    staff = app.create_user({"username": "staff", "email": "staff@sample.example"}, PASSWORD, ["Support"])
    user = app.create_user({"username": "jo", "email": "jo@sample.example", "customer_id": 3}, PASSWORD, [])
    app.resend_welcome(user.user_id)
    app.update_user(user.user_id, {"username": "jo2", "first_name": "Jo"}, roles=["Finance"])
    app.update_user(user.user_id, {}, roles=["Customer"])
    app.update_user(user.user_id, {"deleted": True})
    app.update_user(user.user_id, {"deleted": False})
    app.request_email_change(user.user_id, "jo@new.example")
    app.verify_email(user_id=user.user_id, code=app.mailer.messages[-1].variables["verification_code"])
    login = app.login("jo@new.example", PASSWORD)
    assert login.refresh_token is not None
    app.refresh(login.refresh_token)
    app.logout(None, _session_of(login.refresh_token))
    try:
        app.login("jo@new.example", "wrong-password")
    except Exception:
        pass
    app.forgot_password("jo@new.example")
    token = app.mailer.messages[-1].variables["reset_url"].rsplit("/", 1)[1]
    app.reset_password(token, "sample-password-2")
    app.change_password(user.user_id, "sample-password-2", PASSWORD)
    enrollment = app.enable_2fa(user.user_id, PASSWORD)
    app.verify_2fa_setup(user.user_id, totp(enrollment.totp_secret, time.time()))
    app.step_up(user.user_id, enrollment.backup_codes[0])
    app.regenerate_backup_codes(user.user_id)
    app.admin_disable_2fa(user.user_id, staff.user_id)
    role = app.create_role("Sample_Role", "a sample", require_2fa=True)
    app.update_role(role.role_id, "Sample_Role_2", "renamed")
    permission = app.create_permission("view_sample", "sample")
    app.grant_permissions(role.role_id, [permission.permission_id])
    app.revoke_permission(role.role_id, permission.permission_id)
    app.delete_role(role.role_id)
    api_key, _ = app.create_api_key({"name": "Sample key", "permissions": ["view_customer"], "ips": ["10.0.0.0/8"]})
    app.update_api_key(api_key.api_key_id, {"name": "Sample key 2"})
    app.regenerate_api_key(api_key.api_key_id)
    app.revoke_api_key(api_key.api_key_id)
    support = app.permissions_of(["Support"])
    _, impersonation = app.impersonate(staff.user_id, support, user.user_id, already_impersonating=False)
    session_id = _impersonation_session(app, impersonation.impersonation_id)
    app.stop_impersonation(session_id)


def _session_of(refresh_token: str) -> str:
    return refresh_token.split(".")[0]


def _impersonation_session(app: IdentityApp, impersonation_id: int) -> str:
    for notification in app.store.select_notifications(1, 100_000):
        if notification.topic == get_topic(RefreshSession.Started):
            event = app.mapper.to_domain_event(notification)
            if event.impersonation_id == impersonation_id:
                return str(event.originator_id)
    raise AssertionError("no impersonation session")


def test_every_stored_event_version_still_loads() -> None:
    settings = ServiceSettings(database_url="memory://").for_service("identity")
    app = IdentityApp(
        env=eventstore_env(settings, "identity"),
        tokens=TokenIssuer(None, hs256_secret="x" * 32),
        passwords=fast_passwords(),
        mailer=LocalOutbox(),
    )
    actor = Actor(user_id=7, auth_method="jwt", client_ip="192.0.2.1")
    with command_context(CommandContext(actor=actor, correlation_id="sample", causation_id="sample")):
        _scenario(app)
    recorded = app.store.select_notifications(1, 100_000)

    expected = set().union(*(_events_of(a) for a in AGGREGATES))
    assert {n.topic for n in recorded} >= expected, f"the scenario misses {expected - {n.topic for n in recorded}}"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []
