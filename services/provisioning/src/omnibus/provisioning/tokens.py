"""Job-scoped access tokens for playbooks (D65): minted when a run starts, never stored.

The subject is the initiating user (or 0 for a key or address without a user); the permissions are the initiating
principal's plus the rights the plays need on services, inventory, products and transactions (permissions.md
§4); the token lives as long as the job may run and carries ``provision_id``.
"""

import time
from dataclasses import dataclass
from typing import Any

import jwt

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
    "view_provision",
)


@dataclass(frozen=True)
class JobTokens:
    signing_key: Any  # Ed25519 private key (EdDSA) or the shared secret (HS256, D28)
    algorithm: str
    ttl_seconds: int

    def mint(self, job: Provision) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(job.initiating_user or 0),
            "permissions": sorted(set(job.granted_permissions) | set(PLAYBOOK_PERMISSIONS)),
            "token_type": "access",
            "provision_id": job.provision_id,
            "customer_id": job.customer_id,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self.signing_key, algorithm=self.algorithm)

    def lookup(self) -> str:
        """A short token of provisioning's own, to read products and services when a job is requested."""
        now = int(time.time())
        claims = {
            "sub": "0",
            "permissions": ["view_product", "view_customer_service"],
            "token_type": "access",
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self.signing_key, algorithm=self.algorithm)
