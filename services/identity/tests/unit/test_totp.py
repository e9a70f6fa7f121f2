"""TOTP against the RFC 6238 Appendix B vectors (SHA-1 key "12345678901234567890"), truncated to 6 digits."""

import pytest

from omnibus.identity.domain.totp import matching_step, provisioning_uri, step_at, totp

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of b"12345678901234567890"


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_rfc_6238_vectors(unix_time, code):
    assert totp(RFC_SECRET, unix_time) == code


def test_one_step_of_drift_either_way_is_accepted_and_two_are_not():
    now = 1111111111

    assert matching_step(RFC_SECRET, totp(RFC_SECRET, now - 30), now) == step_at(now) - 1
    assert matching_step(RFC_SECRET, totp(RFC_SECRET, now + 30), now) == step_at(now) + 1
    assert matching_step(RFC_SECRET, totp(RFC_SECRET, now + 60), now) is None


def test_malformed_codes_match_nothing():
    assert matching_step(RFC_SECRET, "12345", 59) is None
    assert matching_step(RFC_SECRET, "abcdef", 59) is None


def test_the_provisioning_uri_is_what_authenticator_apps_read():
    uri = provisioning_uri("JBSWY3DPEHPK3PXP", "user@example.com", "OmniCRM")

    assert uri == "otpauth://totp/OmniCRM:user@example.com?secret=JBSWY3DPEHPK3PXP&issuer=OmniCRM"
