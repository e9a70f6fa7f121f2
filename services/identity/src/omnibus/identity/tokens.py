"""Signed tokens identity issues: access tokens (15 min), 2FA challenge tokens (5 min, D21), step-up tokens
(5 min), and the JWKS that other services verify them with (D28).

Access tokens carry role names, not permissions: every service resolves them through its local copy of identity's
roles, so an admin's change to a role applies on the next request (identity.md §4.1 step 5).
"""

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from omnibus.identity.domain import InvalidTokenError

ISSUER = "omnibus-identity"
CHALLENGE_SECONDS = 300
STEP_UP_SECONDS = 300


@dataclass(frozen=True)
class Identity:
    """Who an access token is for (and, when impersonating, who really acts)."""

    user_id: int
    roles: Sequence[str]
    customer_id: int | None = None
    session_id: str | None = None
    impersonating_user_id: int | None = None
    impersonation_start: int | None = None


class TokenIssuer:
    """Signs with an Ed25519 key (EdDSA), or with ``jwt_secret`` when ``auth.jwt_algorithm: HS256`` (D28)."""

    def __init__(
        self, private_key: Ed25519PrivateKey | None, *, access_minutes: int = 15, hs256_secret: str | None = None
    ) -> None:
        if private_key is None and hs256_secret is None:
            raise ValueError("identity needs a signing key")
        self.private_key = private_key
        self.hs256_secret = hs256_secret
        self.access_seconds = access_minutes * 60
        self.jwk: dict[str, Any] = {}
        if private_key is not None and hs256_secret is None:
            self.jwk = json.loads(OKPAlgorithm.to_jwk(private_key.public_key()))
            self.jwk.update({"use": "sig", "alg": "EdDSA", "kid": _thumbprint(self.jwk)})

    @property
    def algorithm(self) -> str:
        return "HS256" if self.hs256_secret is not None else "EdDSA"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk] if self.jwk else []}

    def access_token(self, identity: Identity) -> str:
        claims: dict[str, Any] = {"sub": str(identity.user_id), "roles": list(identity.roles)}
        if identity.customer_id is not None:
            claims["customer_id"] = identity.customer_id
        if identity.session_id is not None:
            claims["sid"] = identity.session_id
        if identity.impersonating_user_id is not None:
            claims["impersonating_user_id"] = identity.impersonating_user_id
            claims["target_user_id"] = identity.user_id
            claims["impersonation_start"] = identity.impersonation_start
        return self._sign("access", claims, self.access_seconds)

    def challenge_token(self, user_id: int, remember_me: bool) -> str:
        return self._sign("2fa_challenge", {"sub": str(user_id), "remember_me": remember_me}, CHALLENGE_SECONDS)

    def step_up_token(self, user_id: int) -> str:
        claims = {"sub": str(user_id), "amr": ["otp"], "auth_time": int(time.time())}
        return self._sign("step_up", claims, STEP_UP_SECONDS)

    def job_token(self, claims: dict[str, Any], seconds: int) -> str:
        """An access token for a provisioning job's play (``job_tokens.JobTokenDesk`` checked what it asks)."""
        return self._sign("access", claims, seconds)

    def verify(self, token: str, token_type: str) -> dict[str, Any]:
        """Claims of a token identity signed, of the given type; InvalidTokenError (401) otherwise."""
        key: Any = self.hs256_secret if self.hs256_secret is not None else self.private_key.public_key()  # type: ignore[union-attr]
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[self.algorithm], issuer=ISSUER, options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            claims = {}
        if claims.get("token_type") != token_type:
            error = InvalidTokenError(f"Invalid or expired {token_type.replace('_', ' ')} token")
            error.http_status = 401
            raise error
        return claims

    def _sign(self, token_type: str, claims: dict[str, Any], seconds: int) -> str:
        now = int(time.time())
        body = {**claims, "token_type": token_type, "iss": ISSUER, "iat": now, "exp": now + seconds}
        body["jti"] = uuid.uuid4().hex
        if self.hs256_secret is not None:
            return jwt.encode(body, self.hs256_secret, algorithm="HS256")
        return jwt.encode(body, self.private_key, algorithm="EdDSA", headers={"kid": self.jwk["kid"]})


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an OKP key (base64url SHA-256 of the required members, sorted)."""
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
