"""Job tokens for provisioning's plays, issued by identity (D65; docs/architecture.md "Job tokens").

Provisioning asks for each token with a client assertion: a JWT signed with its own key, ``iss`` its client name,
``aud`` ``omnibus-identity``, at most 5 minutes of life, a ``jti`` used once, and in ``token`` what it asks for:
``sub`` (the job's initiating user, or ``0``), ``permissions``, ``provision_id``, ``customer_id``,
``ttl_seconds``. Identity trusts the assertion keys it is given (``OMNIBUS_IDENTITY_TOKEN_CLIENT_KEYS``) and its
own (the embedded mode, where provisioning signs with the same dev key). The answer is an ordinary access token
signed by identity (its ``kid`` and ``iss``), so every service verifies it as it verifies any: through the JWKS
or identity's public key file, in the embedded mode and in a deployment. Nothing is stored; the issue is logged.
"""

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from omnibus.identity.domain import InvalidTokenError
from omnibus.identity.tokens import TokenIssuer

log = logging.getLogger(__name__)
AUDIENCE = "omnibus-identity"
ASSERTION_SECONDS = 300
PERMISSION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_PERMISSIONS = 300


class InvalidJobTokenRequest(Exception):
    http_status = 400
    code = "invalid_job_token_request"


@dataclass
class JobTokenDesk:
    issuer: TokenIssuer
    client_keys: Sequence[Any]  # Ed25519 public keys (and the HS256 secret during a migration, D28)
    max_seconds: int = 24 * 3600
    _seen: dict[str, float] = field(default_factory=dict)  # jti -> expiry: each assertion is used once
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, assertion: str) -> dict[str, Any]:
        claims = self._verify(assertion)
        wanted = claims.get("token")
        if not isinstance(wanted, dict):
            raise InvalidJobTokenRequest("the assertion asks for no token")
        token_claims, seconds = _token_claims(wanted, self.max_seconds)
        token = self.issuer.job_token({**token_claims, "client": claims["iss"]}, seconds)
        log.info(
            "job token for %s (sub %s, provision %s, %d s)",
            claims["iss"],
            token_claims["sub"],
            token_claims.get("provision_id"),
            seconds,
        )
        return {"token": token, "token_type": "Bearer", "expires_in": seconds}

    def _verify(self, assertion: str) -> dict[str, Any]:
        for key in self.client_keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    assertion,
                    key,
                    algorithms=["HS256"] if isinstance(key, str) else ["EdDSA"],
                    audience=AUDIENCE,
                    options={"require": ["exp", "iat", "iss", "jti"]},
                )
            except jwt.PyJWTError:
                continue
            self._once(claims)
            return claims
        raise _unauthorized("Invalid client assertion")

    def _once(self, claims: dict[str, Any]) -> None:
        if int(claims["exp"]) - int(claims["iat"]) > ASSERTION_SECONDS:
            raise _unauthorized("Client assertions live at most 5 minutes")
        now = time.time()
        with self._lock:
            self._seen = {jti: until for jti, until in self._seen.items() if until > now}
            if str(claims["jti"]) in self._seen:
                raise _unauthorized("Client assertion already used")
            self._seen[str(claims["jti"])] = float(claims["exp"])


def _token_claims(wanted: dict[str, Any], max_seconds: int) -> tuple[dict[str, Any], int]:
    sub, permissions, seconds = wanted.get("sub"), wanted.get("permissions"), wanted.get("ttl_seconds")
    if not isinstance(sub, str) or not sub.isdigit():
        raise InvalidJobTokenRequest("sub must be a user id (digits; 0 for no user)")
    if not isinstance(permissions, list) or len(permissions) > MAX_PERMISSIONS:
        raise InvalidJobTokenRequest(f"permissions must be a list of at most {MAX_PERMISSIONS} names")
    if not all(isinstance(p, str) and PERMISSION.match(p) for p in permissions):
        raise InvalidJobTokenRequest("permissions are lower-case names (action_resource)")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= max_seconds:
        raise InvalidJobTokenRequest(f"ttl_seconds must be 1 to {max_seconds}")
    claims: dict[str, Any] = {"sub": sub, "permissions": sorted(set(permissions))}
    for name in ("provision_id", "customer_id"):
        value = wanted.get(name)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidJobTokenRequest(f"{name} must be a positive integer")
            claims[name] = value
    return claims, seconds


def _unauthorized(message: str) -> InvalidTokenError:
    error = InvalidTokenError(message)
    error.http_status = 401
    return error
