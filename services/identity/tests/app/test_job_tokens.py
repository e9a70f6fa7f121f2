"""Job tokens for provisioning's plays (D65): identity signs them on a client assertion it trusts, and any service
verifies them as access tokens (identity's key, kid and issuer)."""

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt import PyJWK

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import parse_crm_config


def assertion(key: Any, **token: Any) -> str:
    now = int(time.time())
    wanted = {"sub": "7", "permissions": ["view_customer", "create_customer_service"], "ttl_seconds": 600, **token}
    claims = {"iss": "provisioning", "aud": "omnibus-identity", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    return jwt.encode({**claims, "token": wanted}, key, algorithm="EdDSA")


def test_a_trusted_assertion_gets_a_job_token_every_service_verifies(api: Any) -> None:
    response = api.client.post("/crm/auth/job_token", json={"assertion": assertion(api.signing_key, provision_id=456)})

    assert response.status_code == 200, response.text
    token = response.json()["token"]
    [jwk] = api.client.get("/.well-known/jwks.json").json()["keys"]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    verifier = Authenticator(config=parse_crm_config({}), public_key=PyJWK(jwk).key, issuer="omnibus-identity")
    principal = verifier.authenticate(f"Bearer {token}", None, "192.0.2.1")
    assert principal.user_id == 7 and principal.has("create_customer_service") and not principal.has("admin")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["provision_id"], claims["client"], claims["exp"] - claims["iat"]) == (456, "provisioning", 600)


def test_an_untrusted_or_replayed_assertion_is_refused(api: Any) -> None:
    stranger = assertion(Ed25519PrivateKey.generate())
    once = assertion(api.signing_key)

    refused = api.client.post("/crm/auth/job_token", json={"assertion": stranger})
    first = api.client.post("/crm/auth/job_token", json={"assertion": once})
    replayed = api.client.post("/crm/auth/job_token", json={"assertion": once})

    assert (refused.status_code, first.status_code, replayed.status_code) == (401, 200, 401)


def test_a_malformed_request_for_a_token_is_400(api: Any) -> None:
    bad = [
        {"sub": "admin"},
        {"permissions": "admin"},
        {"permissions": ["DROP TABLE"]},
        {"ttl_seconds": 10 * 24 * 3600},
        {"provision_id": -1},
    ]
    answers = [api.client.post("/crm/auth/job_token", json={"assertion": assertion(api.signing_key, **b)}) for b in bad]

    assert [a.status_code for a in answers] == [400] * len(bad)
    assert api.client.post("/crm/auth/job_token", json={"assertion": "x", "extra": 1}).status_code == 400
