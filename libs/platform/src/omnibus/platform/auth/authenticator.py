"""Request authentication: Bearer JWT, then X-API-KEY, then the IP whitelist (api-conventions.md §5).

JWTs are verified locally with identity's public key (PEM from settings, or its JWKS), or with ``jwt_secret``
when ``auth.jwt_algorithm: HS256`` (D28). Config API keys are compared in constant time; a key pinned to
addresses is refused (403) from others. Whitelisted addresses act with their entry's roles (D12, D14).
The client address is the socket peer; ``X-Forwarded-For`` is believed only from ``security.trusted_proxies``.

Identity's UI-managed API keys and roles come from the service's local copy of identity's events (``directory``:
``omnibus.platform.auth.directory``): keys are looked up there by hash before the config keys (D13), and role
names in tokens resolve through identity's current role definitions, so a role change applies on the next request.
"""

import copy
import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import jwt

from omnibus.platform.auth.principal import Principal
from omnibus.platform.auth.roles import permissions_for_roles, resolve_permissions
from omnibus.platform.crm_config import CrmConfig, IpNetwork, StaticApiKey

log = logging.getLogger(__name__)

VERIFIED_TOKENS = 10_000  # verified access tokens remembered per process

ApiKeyLookup = Callable[[str, str | None], Principal | None]


class Directory(Protocol):
    """Identity's roles and API keys as this service knows them (``omnibus.platform.auth.directory``)."""

    def roles(self) -> Mapping[str, frozenset[str]]: ...

    def lookup_api_key(self, presented: str, client_ip: str | None) -> Principal | None: ...


class AuthenticationError(Exception):
    """401: no or invalid credentials."""

    http_status = 401


class PermissionDenied(Exception):
    """403: authenticated but not allowed (or a pinned key used from another address)."""

    http_status = 403


class Authenticator:
    """Turns request credentials into a Principal; see the module docstring for the order and rules."""

    def __init__(
        self,
        *,
        config: CrmConfig,
        public_key: Any = None,
        jwks_url: str | None = None,
        algorithms: Sequence[str] = ("EdDSA", "RS256"),
        issuer: str | None = None,
        api_key_lookup: ApiKeyLookup | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.config = config
        self.issuer = issuer
        self.api_key_lookup = api_key_lookup
        self.directory = directory
        self._trusted_proxies = config.trusted_proxy_networks()
        if config.auth.jwt_algorithm.upper() == "HS256":
            if not config.jwt_secret:
                raise ValueError("auth.jwt_algorithm is HS256 but jwt_secret is not set")
            self._key: Any = config.jwt_secret
            self._algorithms = ["HS256"]
        else:
            self._key = public_key
            self._algorithms = [a for a in algorithms if a != "HS256"]  # never accept HMAC with a public key
        use_jwks = public_key is None and self._algorithms != ["HS256"]  # HS256 verifies with jwt_secret only
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url and use_jwks else None
        self._verified: dict[str, dict[str, Any]] = {}  # token -> claims whose signature was checked
        self._verified_lock = threading.Lock()

    def with_directory(self, directory: Directory) -> "Authenticator":
        """The same authenticator, resolving keys and roles through one service's local directory."""
        bound = copy.copy(self)
        bound.directory = directory
        if self.api_key_lookup is None:
            bound.api_key_lookup = directory.lookup_api_key
        return bound

    def role_permissions(self, roles: Sequence[str]) -> frozenset[str]:
        if self.directory is None:
            return permissions_for_roles(roles)
        return permissions_for_roles(roles, self.directory.roles())

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The caller's address (D36): trust X-Forwarded-For only when the peer is a trusted proxy."""
        if peer is None or not forwarded_for or not _in(peer, self._trusted_proxies):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not _in(hop, self._trusted_proxies):
                return hop
        return peer

    def authenticate(self, authorization: str | None, api_key: str | None, client_ip: str | None) -> Principal:
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationError("Authorization must be 'Bearer <token>'; send API keys as X-API-KEY")
            return self._from_jwt(token.strip(), client_ip)
        if api_key:
            return self._from_api_key(api_key, client_ip)
        entry = self._whitelisted(client_ip)
        if entry is not None:
            return Principal(
                auth_method="ip_whitelist",
                permissions=self.role_permissions(entry),
                roles=entry,
                client_ip=client_ip,
            )
        raise AuthenticationError("Authentication required: send a Bearer token or an X-API-KEY header")

    def verify_step_up(self, token: str, user_id: int | None) -> dict[str, Any]:
        """Claims of a step-up token (identity's ``/2fa/step-up``: a fresh second factor, 5 minutes) issued to
        ``user_id``; AuthenticationError otherwise. Operations that need a second person's fresh 2FA (the
        cell-broadcast approval) ask for it in the ``X-Step-Up-Token`` header."""
        claims = self._decode(token)
        if claims.get("token_type") != "step_up" or user_id is None or claims.get("sub") != str(user_id):
            raise AuthenticationError("Invalid step-up token: a fresh second factor of this user is required")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        """Verified claims. A token seen before (the same bytes, signature included) is not verified again: a
        client sends the same access token on every request for its 15 minutes, and an EdDSA verification costs
        about 100 us. Only the expiry is checked again; roles are resolved per request by the caller."""
        claims = self._verified.get(token)
        if claims is not None and claims["exp"] > time.time():
            return claims
        claims = self._verify(token)
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_TOKENS:
                del self._verified[next(iter(self._verified))]  # the oldest entry
            self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks is not None else self._key
            if key is None:
                raise AuthenticationError("Bearer tokens are not accepted: no verification key is configured")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self.issuer,
                options={"require": ["exp", "sub"], "verify_iss": self.issuer is not None},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise AuthenticationError(f"Invalid or expired token: {error}") from None
        return claims

    def _from_jwt(self, token: str, client_ip: str | None) -> Principal:
        claims = self._decode(token)
        if claims.get("token_type", "access") != "access":
            raise AuthenticationError("Invalid token: not an access token")
        if "permissions" in claims:
            permissions = resolve_permissions(_strings(claims["permissions"]))
        else:
            permissions = self.role_permissions(_strings(claims.get("roles", [])))
        return Principal(
            auth_method="jwt",
            permissions=permissions,
            roles=tuple(_strings(claims.get("roles", []))),
            user_id=_int_or_none(claims.get("sub")),
            customer_id=_int_or_none(claims.get("customer_id")),
            impersonating_user_id=_int_or_none(claims.get("impersonating_user_id")),
            client_ip=client_ip,
            token=token,
        )

    def _from_api_key(self, presented: str, client_ip: str | None) -> Principal:
        if self.api_key_lookup is not None:
            principal = self.api_key_lookup(presented, client_ip)
            if principal is not None:
                return principal
        match = self._static_key(presented)
        if match is None:
            log.info("API key authentication failed from %s (key ...%s)", client_ip, presented[-3:])
            raise AuthenticationError("Invalid API key")
        if match.ips and not _in(client_ip, match.ips):
            raise PermissionDenied(f"API key not allowed from {client_ip}")
        return Principal(
            auth_method="api_key",
            permissions=self.role_permissions(match.roles),
            roles=match.roles,
            api_key_id=match.label,
            client_ip=client_ip,
        )

    def _static_key(self, presented: str) -> StaticApiKey | None:
        found = None
        for key in self.config.api_keys:  # compare against every key: time does not reveal which matched
            if hmac.compare_digest(key.secret.encode(), presented.encode()):
                found = key
        return found

    def _whitelisted(self, client_ip: str | None) -> tuple[str, ...] | None:
        roles: list[str] = []
        for entry in self.config.ip_whitelist:
            if _in(client_ip, (entry.network,)):
                roles.extend(entry.roles)
        return tuple(roles) if roles else None


def _in(address: str | None, networks: Sequence[IpNetwork]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
