"""Login throttling with a fake clock; tokens and their verification by the platform (EdDSA and HS256)."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omnibus.identity.domain import InvalidTokenError, TooManyAttemptsError
from omnibus.identity.throttle import LoginThrottle, ThrottlePolicy
from omnibus.identity.tokens import Identity, TokenIssuer
from omnibus.platform.auth import AuthenticationError, Authenticator
from omnibus.platform.crm_config import parse_crm_config


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_lockout_ends_after_its_time():
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(account_limit=3, lockout_seconds=60), clock=clock)
    for _ in range(3):
        throttle.failed("a@example.com", "10.0.0.1")

    with pytest.raises(TooManyAttemptsError):
        throttle.check("A@example.com", "10.0.0.2")
    clock.now += 61
    throttle.check("a@example.com", "10.0.0.2")


def test_failures_outside_the_window_do_not_count():
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(account_limit=3, window_seconds=60), clock=clock)
    for _ in range(2):
        throttle.failed("a@example.com", None)
    clock.now += 61
    throttle.failed("a@example.com", None)

    throttle.check("a@example.com", None)


def test_a_success_clears_the_account_count():
    throttle = LoginThrottle(ThrottlePolicy(account_limit=3))
    throttle.failed("a@example.com", None)
    throttle.failed("a@example.com", None)
    throttle.succeeded("a@example.com")
    throttle.failed("a@example.com", None)

    throttle.check("a@example.com", None)


def test_an_eddsa_access_token_is_verified_by_the_platform_with_roles_resolved():
    key = Ed25519PrivateKey.generate()
    token = TokenIssuer(key).access_token(Identity(user_id=5, roles=["Finance"], customer_id=None))

    principal = Authenticator(config=parse_crm_config({}), public_key=key.public_key()).authenticate(
        f"Bearer {token}", None, None
    )

    assert principal.user_id == 5 and "view_customer_invoice" in principal.permissions


def test_hs256_is_used_only_when_configured_d28():
    secret = "s" * 40
    config = parse_crm_config({"jwt_secret": secret, "auth": {"jwt_algorithm": "HS256"}})
    token = TokenIssuer(None, hs256_secret=secret).access_token(Identity(user_id=5, roles=["Admin"]))

    principal = Authenticator(config=config).authenticate(f"Bearer {token}", None, None)

    assert principal.is_admin
    with pytest.raises(AuthenticationError):
        Authenticator(config=parse_crm_config({}), public_key=Ed25519PrivateKey.generate().public_key()).authenticate(
            f"Bearer {token}", None, None
        )


def test_a_challenge_token_is_refused_where_a_step_up_token_is_expected():
    issuer = TokenIssuer(Ed25519PrivateKey.generate())

    with pytest.raises(InvalidTokenError):
        issuer.verify(issuer.challenge_token(1, False), "step_up")
