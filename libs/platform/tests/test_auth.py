"""Request authentication and authorisation (ARCHITECTURE.md §9, identity.md §4.1)."""

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omnibus.platform.auth import (
    AuthenticationError,
    Authenticator,
    PermissionDenied,
    Principal,
    permissions_for_roles,
)
from omnibus.platform.auth.roles import DEFAULT_ROLES
from omnibus.platform.crm_config import CrmConfig, parse_crm_config

SIGNING_KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
JWT_SECRET = "2b93110f723db60172c8e9a1eaa80027a9a9c3f05b44e50dc3fcf38dba68d87e"
ADMIN_KEY = "admin-key-0123456789abcdefghijklmnopqrstuv"
PINNED_KEY = "pinned-key-0123456789abcdefghijklmnopqrstu"
MONITOR_KEY = "monitor-key-0123456789abcdefghijklmnopqrst"

CONFIG = parse_crm_config(
    {
        "api_keys": {
            ADMIN_KEY: {"roles": ["admin"]},
            PINNED_KEY: {"roles": ["Support"], "ips": ["127.0.0.1", "10.0.1.0/24"]},
            MONITOR_KEY: {"roles": ["view_customer", "view_service"], "description": "Monitoring and alerting"},
        },
        "ip_whitelist": {"192.168.1.100": {"roles": ["provisioning"]}, "172.16.0.0/16": {"roles": ["finance"]}},
        "jwt_secret": JWT_SECRET,  # present but unused: the algorithm is EdDSA
        "security": {"trusted_proxies": ["10.0.0.0/8"]},
    }
)


def claims(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sub": "42",
        "permissions": ["VIEW_CUSTOMER", "view_service", "provisioning"],
        "token_type": "access",
        "exp": int(time.time()) + 600,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def eddsa_token(key: Ed25519PrivateKey = SIGNING_KEY, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="EdDSA")


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(config=CONFIG, public_key=SIGNING_KEY.public_key())


@pytest.fixture
def hs256() -> Authenticator:
    config = parse_crm_config({"auth": {"jwt_algorithm": "HS256"}, "jwt_secret": JWT_SECRET})
    return Authenticator(config=config)


# --- JWT --------------------------------------------------------------------------------------------------------


def test_an_eddsa_access_token_gives_a_jwt_principal_with_an_integer_user_id(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(bearer(eddsa_token()), None, "203.0.113.9")

    assert (principal.auth_method, principal.user_id, principal.client_ip) == ("jwt", 42, "203.0.113.9")


def test_token_permissions_are_lower_cased_and_aliases_resolved(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(bearer(eddsa_token()), None, None)

    assert principal.permissions == {"view_customer", "view_customer_service", "create_provision", "view_provision"}


def test_token_claims_for_customer_and_impersonation_are_integers(authenticator: Authenticator) -> None:
    token = eddsa_token(customer_id="7", impersonating_user_id=3)

    principal = authenticator.authenticate(bearer(token), None, None)

    assert (principal.customer_id, principal.impersonating_user_id) == (7, 3)


def test_an_expired_token_is_refused(authenticator: Authenticator) -> None:
    token = eddsa_token(exp=int(time.time()) - 120)

    with pytest.raises(AuthenticationError, match="expired"):
        authenticator.authenticate(bearer(token), None, None)


def test_a_verified_token_is_not_verified_again_until_it_expires(
    authenticator: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = eddsa_token(exp=int(time.time()) + 60)
    first = authenticator.authenticate(bearer(token), None, None)
    verifications: list[str] = []

    def decode(*args: Any, **kwargs: Any) -> dict[str, Any]:
        verifications.append("decode")
        raise jwt.ExpiredSignatureError("Signature has expired")

    monkeypatch.setattr(jwt, "decode", decode)
    again = authenticator.authenticate(bearer(token), None, None)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    with pytest.raises(AuthenticationError, match="expired"):
        authenticator.authenticate(bearer(token), None, None)
    assert (again.user_id, again.permissions) == (first.user_id, first.permissions)
    assert verifications == ["decode"]  # not on the second request; again once it had expired


def test_a_tampered_copy_of_a_verified_token_is_still_refused(authenticator: Authenticator) -> None:
    token = eddsa_token()
    authenticator.authenticate(bearer(token), None, None)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(forged), None, None)


def test_a_token_without_exp_is_refused(authenticator: Authenticator) -> None:
    token = jwt.encode({"sub": "42", "permissions": ["admin"]}, SIGNING_KEY, algorithm="EdDSA")

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(token), None, None)


def test_a_token_signed_by_another_key_is_refused(authenticator: Authenticator) -> None:
    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(eddsa_token(OTHER_KEY)), None, None)


def test_a_tampered_token_is_refused(authenticator: Authenticator) -> None:
    header, payload, signature = eddsa_token().split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"sub":"1","permissions":["admin"],"exp":9999999999}').decode()

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(f"{header}.{forged_payload}.{signature}"), None, None)


def test_an_hs256_token_is_refused_when_configured_for_eddsa(authenticator: Authenticator) -> None:
    token = jwt.encode(claims(permissions=["admin"]), JWT_SECRET, algorithm="HS256")

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(token), None, None)


def test_hs256_is_dropped_from_the_accepted_algorithms_in_public_key_mode() -> None:
    authenticator = Authenticator(config=CONFIG, public_key=JWT_SECRET, algorithms=("HS256", "EdDSA"))
    token = jwt.encode(claims(permissions=["admin"]), JWT_SECRET, algorithm="HS256")

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(token), None, None)


def test_an_unsigned_token_is_refused(authenticator: Authenticator) -> None:
    token = jwt.encode(claims(permissions=["admin"]), None, algorithm="none")

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(token), None, None)


def test_a_refresh_token_is_refused(authenticator: Authenticator) -> None:
    with pytest.raises(AuthenticationError, match="access token"):
        authenticator.authenticate(bearer(eddsa_token(token_type="refresh")), None, None)


def test_a_token_with_only_roles_gets_the_roles_permissions(authenticator: Authenticator) -> None:
    token = eddsa_token(permissions=None, roles=["Support"])

    principal = authenticator.authenticate(bearer(token), None, None)

    assert "view_customer" in principal.permissions
    assert principal.permissions == DEFAULT_ROLES["support"]
    assert principal.roles == ("Support",)


def test_a_token_with_roles_as_a_comma_separated_string_gets_each_role(authenticator: Authenticator) -> None:
    token = eddsa_token(permissions=None, roles="finance, customer")

    principal = authenticator.authenticate(bearer(token), None, None)

    assert principal.permissions == DEFAULT_ROLES["finance"] | DEFAULT_ROLES["customer"]


def test_the_issuer_is_checked_when_configured() -> None:
    authenticator = Authenticator(config=CONFIG, public_key=SIGNING_KEY.public_key(), issuer="omnibus-identity")

    with pytest.raises(AuthenticationError):
        authenticator.authenticate(bearer(eddsa_token(iss="someone-else")), None, None)


def test_bearer_tokens_are_refused_without_a_verification_key() -> None:
    authenticator = Authenticator(config=CONFIG)

    with pytest.raises(AuthenticationError, match="no verification key"):
        authenticator.authenticate(bearer(eddsa_token()), None, None)


def test_hs256_mode_accepts_a_token_signed_with_jwt_secret(hs256: Authenticator) -> None:
    token = jwt.encode(claims(), JWT_SECRET, algorithm="HS256")

    principal = hs256.authenticate(bearer(token), None, None)

    assert (principal.auth_method, principal.user_id) == ("jwt", 42)


def test_hs256_mode_refuses_a_token_signed_with_another_secret(hs256: Authenticator) -> None:
    token = jwt.encode(claims(), "f" * 64, algorithm="HS256")

    with pytest.raises(AuthenticationError):
        hs256.authenticate(bearer(token), None, None)


def test_hs256_mode_refuses_an_eddsa_token(hs256: Authenticator) -> None:
    with pytest.raises(AuthenticationError):
        hs256.authenticate(bearer(eddsa_token()), None, None)


def test_hs256_mode_uses_jwt_secret_even_when_a_jwks_url_is_configured() -> None:
    config = parse_crm_config({"auth": {"jwt_algorithm": "HS256"}, "jwt_secret": JWT_SECRET})
    authenticator = Authenticator(config=config, jwks_url="http://127.0.0.1:9/jwks")  # nothing listens there
    token = jwt.encode(claims(), JWT_SECRET, algorithm="HS256")

    principal = authenticator.authenticate(bearer(token), None, None)

    assert principal.user_id == 42


def test_hs256_mode_without_jwt_secret_fails_at_startup() -> None:
    with pytest.raises(ValueError, match="jwt_secret"):
        Authenticator(config=parse_crm_config({"auth": {"jwt_algorithm": "HS256"}}))


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", ADMIN_KEY, "Bearer", "Bearer   ", "Token abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(
    authenticator: Authenticator, header: str
) -> None:
    with pytest.raises(AuthenticationError, match="Bearer"):
        authenticator.authenticate(header, None, "192.168.1.100")


def test_the_bearer_scheme_is_case_insensitive(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(f"bearer {eddsa_token()}", None, None)

    assert principal.user_id == 42


# --- static API keys ---------------------------------------------------------------------------------------------


def test_a_static_api_key_gives_an_api_key_principal_named_by_its_description(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(None, MONITOR_KEY, "203.0.113.9")

    assert (principal.auth_method, principal.api_key_id) == ("api_key", "Monitoring and alerting")
    assert principal.permissions == {"view_customer", "view_customer_service"}


def test_a_static_api_key_without_description_is_named_by_its_last_characters(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(None, ADMIN_KEY, None)

    assert principal.api_key_id == "config key ...tuv"
    assert principal.is_admin


def test_a_wrong_api_key_is_refused(authenticator: Authenticator) -> None:
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        authenticator.authenticate(None, ADMIN_KEY[:-1] + "x", "127.0.0.1")


def test_a_prefix_of_an_api_key_is_refused(authenticator: Authenticator) -> None:
    with pytest.raises(AuthenticationError):
        authenticator.authenticate(None, ADMIN_KEY[:32], None)


def test_a_pinned_api_key_from_another_address_is_forbidden(authenticator: Authenticator) -> None:
    with pytest.raises(PermissionDenied):
        authenticator.authenticate(None, PINNED_KEY, "10.0.2.1")


def test_a_pinned_api_key_without_a_client_address_is_forbidden(authenticator: Authenticator) -> None:
    with pytest.raises(PermissionDenied):
        authenticator.authenticate(None, PINNED_KEY, None)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.1.1", "10.0.1.254"])
def test_a_pinned_api_key_from_a_listed_address_or_cidr_member_is_accepted(
    authenticator: Authenticator, address: str
) -> None:
    principal = authenticator.authenticate(None, PINNED_KEY, address)

    assert (principal.auth_method, principal.client_ip) == ("api_key", address)
    assert principal.has("view_customer")


def test_an_api_key_lookup_is_asked_before_the_static_keys() -> None:
    stored = Principal(auth_method="api_key", permissions=frozenset({"view_product"}), api_key_id=17)
    authenticator = Authenticator(config=CONFIG, api_key_lookup=lambda key, ip: stored if key == "db-key" else None)

    assert authenticator.authenticate(None, "db-key", None) is stored
    assert authenticator.authenticate(None, ADMIN_KEY, None).is_admin


def test_a_bearer_token_is_used_before_an_api_key(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(bearer(eddsa_token()), ADMIN_KEY, None)

    assert principal.auth_method == "jwt"


# --- IP whitelist -------------------------------------------------------------------------------------------------


def test_no_credentials_from_a_whitelisted_address_act_with_the_entrys_roles(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(None, None, "192.168.1.100")

    assert (principal.auth_method, principal.roles) == ("ip_whitelist", ("provisioning",))
    assert principal.permissions == DEFAULT_ROLES["provisioning"]


def test_no_credentials_from_a_whitelisted_cidr_member_are_accepted(authenticator: Authenticator) -> None:
    principal = authenticator.authenticate(None, None, "172.16.200.3")

    assert principal.roles == ("finance",)


@pytest.mark.parametrize("address", ["192.168.1.101", "8.8.8.8", "::1", "not-an-ip", None])
def test_no_credentials_from_another_address_are_refused(authenticator: Authenticator, address: str | None) -> None:
    with pytest.raises(AuthenticationError):
        authenticator.authenticate(None, None, address)


def test_a_whitelisted_address_with_a_wrong_api_key_is_refused(authenticator: Authenticator) -> None:
    with pytest.raises(AuthenticationError):
        authenticator.authenticate(None, "wrong-key", "192.168.1.100")


# --- client address -----------------------------------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(authenticator: Authenticator) -> None:
    assert authenticator.client_ip("203.0.113.9", "192.168.1.100") == "203.0.113.9"


def test_x_forwarded_for_from_a_trusted_proxy_gives_the_client(authenticator: Authenticator) -> None:
    assert authenticator.client_ip("10.1.1.1", "192.168.1.100") == "192.168.1.100"


def test_x_forwarded_for_gives_the_right_most_untrusted_hop(authenticator: Authenticator) -> None:
    spoofed = "6.6.6.6, 203.0.113.9, 10.2.2.2"

    assert authenticator.client_ip("10.1.1.1", spoofed) == "203.0.113.9"


def test_x_forwarded_for_of_only_trusted_hops_gives_the_peer(authenticator: Authenticator) -> None:
    assert authenticator.client_ip("10.1.1.1", "10.3.3.3, 10.2.2.2") == "10.1.1.1"


@pytest.mark.parametrize("forwarded", [None, "", " , "])
def test_a_trusted_proxy_without_x_forwarded_for_is_the_client(
    authenticator: Authenticator, forwarded: str | None
) -> None:
    assert authenticator.client_ip("10.1.1.1", forwarded) == "10.1.1.1"


def test_without_trusted_proxies_x_forwarded_for_is_never_believed() -> None:
    authenticator = Authenticator(config=CrmConfig())

    assert authenticator.client_ip("10.1.1.1", "192.168.1.100") == "10.1.1.1"


# --- principal and roles ------------------------------------------------------------------------------------------


def test_admin_has_every_permission() -> None:
    principal = Principal(auth_method="system", permissions=frozenset({"admin"}))

    assert all(principal.has(p) for p in ("view_customer", "delete_provision", "anything_at_all"))


def test_has_is_case_insensitive_and_exact() -> None:
    principal = Principal(auth_method="jwt", permissions=frozenset({"view_customer"}))

    assert principal.has("VIEW_CUSTOMER")
    assert not principal.has("view_customer_site")
    assert not principal.has("update_customer")


def test_principal_actor_carries_who_called() -> None:
    principal = Principal(
        auth_method="api_key", permissions=frozenset(), api_key_id="Monitoring", client_ip="10.0.0.1", user_id=None
    )

    actor = principal.actor()

    assert actor.model_dump(exclude_none=True) == {
        "api_key_id": "Monitoring",
        "client_ip": "10.0.0.1",
        "auth_method": "api_key",
    }


def test_permissions_for_roles_is_case_insensitive() -> None:
    assert permissions_for_roles(["SUPPORT"]) == permissions_for_roles(["support"]) == DEFAULT_ROLES["support"]


def test_permissions_for_roles_treats_an_unknown_role_as_a_permission_name() -> None:
    assert permissions_for_roles(["View_Customer", "view_service"]) == {"view_customer", "view_customer_service"}


def test_permissions_for_roles_is_the_union_of_the_roles() -> None:
    granted = permissions_for_roles(["finance", "customer"])

    assert granted == DEFAULT_ROLES["finance"] | DEFAULT_ROLES["customer"]


def test_read_only_role_views_but_does_not_change() -> None:
    granted = permissions_for_roles(["read-only"])

    assert "view_customer" in granted
    assert not any(p.startswith(("create_", "update_", "delete_")) for p in granted)
