"""Tokens provisioning needs (D65, docs/architecture.md "Job tokens"): the job token a play calls the API with, and
a short token of its own to look up products and services.

A job token's subject is the initiating user (or 0 for a key or address without a user); its permissions are the
initiating principal's plus the rights plays need (services, inventory, products, transactions, the OCS relay,
the saved cards); it carries ``provision_id`` and lives as long as the job may run. It is never stored.

Who signs them: **identity** (``IdentityJobTokens``, the default), so that every service accepts them exactly like
an access token (identity's key, ``iss``, ``kid``: its JWKS or public key file), in the embedded mode and in a
deployment. Provisioning asks identity's ``POST /crm/auth/job_token`` with a client assertion signed by its own
key, which identity trusts (``OMNIBUS_IDENTITY_TOKEN_CLIENT_KEYS``; in the embedded mode both use the dev key).
``LocalJobTokens`` signs them here (``job_tokens: local``), for setups whose services verify provisioning's key.
"""

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt

from omnibus.platform.peers import Peers
from omnibus.provisioning.domain import Provision

PLAYBOOK_PERMISSIONS = (
    "view_customer",
    "view_customer_site",
    "view_customer_contact",
    "view_customer_service",
    "create_customer_service",
    "update_customer_service",
    "delete_customer_service",
    "view_inventory",
    "update_inventory",
    "view_product",
    "view_customer_transaction",
    "create_customer_transaction",
    "view_customer_stripe_card",
    "view_provision",
    "cgrates_api_access",
    "cgrates_api_write",
)
LOOKUP_PERMISSIONS = ("view_product", "view_customer_service")
LOOKUP_SECONDS = 60
CLIENT = "provisioning"
AUDIENCE = "omnibus-identity"
JOB_TOKEN_PATH = "/crm/auth/job_token"


class JobTokenIssuer(Protocol):
    def mint(self, job: Provision) -> str: ...

    def lookup(self) -> str: ...


def job_claims(job: Provision) -> dict[str, Any]:
    """What a job's token says (subject, permissions, the job), whoever signs it."""
    return {
        "sub": str(job.initiating_user or 0),
        "permissions": sorted(set(job.granted_permissions) | set(PLAYBOOK_PERMISSIONS)),
        "provision_id": job.provision_id,
        "customer_id": job.customer_id,
    }


@dataclass(frozen=True)
class LocalJobTokens:
    """Signs with provisioning's own key (Ed25519, or the HS256 secret during a migration, D28)."""

    signing_key: Any
    algorithm: str
    ttl_seconds: int

    def mint(self, job: Provision) -> str:
        return self.sign(job_claims(job), self.ttl_seconds)

    def lookup(self) -> str:
        return self.sign({"sub": "0", "permissions": list(LOOKUP_PERMISSIONS)}, LOOKUP_SECONDS)

    def sign(self, claims: dict[str, Any], seconds: int) -> str:
        now = int(time.time())
        body = {**claims, "token_type": "access", "iat": now, "exp": now + seconds}
        return jwt.encode(body, self.signing_key, algorithm=self.algorithm)


class TokenUnavailable(Exception):
    """identity could not be asked, or refused."""


@dataclass
class IdentityJobTokens:
    """Asks identity for each token with a client assertion signed by ``client`` (provisioning's key)."""

    peers: Peers
    client: LocalJobTokens
    ttl_seconds: int
    loop: asyncio.AbstractEventLoop | None = None  # the service's loop, set when it starts
    _lookup: tuple[str, float] = ("", 0.0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mint(self, job: Provision) -> str:
        return self._issue(job_claims(job), self.ttl_seconds)

    def lookup(self) -> str:
        with self._lock:
            token, until = self._lookup
            if time.monotonic() < until:
                return token
        token = self._issue({"sub": "0", "permissions": list(LOOKUP_PERMISSIONS)}, LOOKUP_SECONDS)
        with self._lock:
            self._lookup = (token, time.monotonic() + LOOKUP_SECONDS - 15)
        return token

    def _issue(self, claims: dict[str, Any], seconds: int) -> str:
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": CLIENT,
                "aud": AUDIENCE,
                "iat": now,
                "exp": now + 60,
                "jti": uuid.uuid4().hex,
                "token": {**claims, "ttl_seconds": seconds},
            },
            self.client.signing_key,
            algorithm=self.client.algorithm,
        )
        if self.loop is None:
            raise TokenUnavailable("the provisioning service has not started")
        call = self.peers.post(JOB_TOKEN_PATH, {}, {"assertion": assertion})
        try:
            answer = asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=10)
        except Exception as error:
            raise TokenUnavailable(f"identity did not answer: {error}") from None
        if answer.status_code != 200:
            raise TokenUnavailable(f"identity refused a job token ({answer.status_code}): {answer.text[:300]}")
        return str(answer.json()["token"])
