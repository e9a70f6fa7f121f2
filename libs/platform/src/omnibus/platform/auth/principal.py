"""The authenticated caller of a request."""

from dataclasses import dataclass, field
from typing import Literal

from omnibus.contracts import Actor

AuthMethod = Literal["jwt", "api_key", "ip_whitelist", "system"]


@dataclass(frozen=True)
class Principal:
    """Who calls, with which effective permissions (lower-case, aliases resolved; ``admin`` passes everything)."""

    auth_method: AuthMethod
    permissions: frozenset[str]
    roles: tuple[str, ...] = ()
    user_id: int | None = None
    customer_id: int | None = None
    api_key_id: int | str | None = None
    client_ip: str | None = None
    impersonating_user_id: int | None = None
    token: str | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.permissions

    def has(self, permission: str) -> bool:
        return self.is_admin or permission.lower() in self.permissions

    def actor(self) -> Actor:
        return Actor(
            user_id=self.user_id,
            api_key_id=self.api_key_id,
            client_ip=self.client_ip,
            impersonating_user_id=self.impersonating_user_id,
            auth_method=self.auth_method,
        )
