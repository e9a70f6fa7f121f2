"""identity's published events: registered, and never carrying a secret (api-conventions.md §9)."""

from omnibus.contracts import REGISTRY
from omnibus.contracts.identity import PUBLISHED, ApiKeyCreated

SECRET_WORDS = ("password", "secret", "token", "backup_code", "totp")
COUNTS = {"backup_codes_issued"}  # a number, not the codes


def test_every_identity_event_is_registered() -> None:
    assert set(REGISTRY.by_context("identity")) == set(PUBLISHED)


def test_no_identity_event_has_a_field_named_like_a_secret() -> None:
    for cls in PUBLISHED:
        for field in set(cls.model_fields) - COUNTS:
            assert not any(word in field for word in SECRET_WORDS), f"{cls.__name__}.{field}"


def test_api_key_events_carry_a_hash_and_a_suffix_not_the_key() -> None:
    fields = set(ApiKeyCreated.model_fields)

    assert {"key_hash", "key_suffix"} <= fields and "api_key" not in fields
