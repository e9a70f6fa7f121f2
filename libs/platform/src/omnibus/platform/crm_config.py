"""The reference product's ``crm_config.yaml``, read with its key names (configuration.md §1, §3).

Only the parts the platform needs are typed here (static API keys, IP whitelist, JWT and security settings);
services read their own keys from ``CrmConfig.raw``. Invalid configuration fails at startup with a clear message.
"""

import ipaddress
import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """crm_config.yaml is unreadable or invalid."""


class StaticApiKey(BaseModel):
    """A config-defined API key (D12): the map key is the secret."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    secret: str = Field(repr=False)
    roles: tuple[str, ...]
    ips: tuple[IpNetwork, ...] = ()
    description: str | None = None

    @property
    def label(self) -> str:
        """How logs and events name this key: its description, else its last three characters."""
        return self.description or f"config key ...{self.secret[-3:]}"


class WhitelistEntry(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    network: IpNetwork
    roles: tuple[str, ...]


class AuthConfig(BaseModel):
    jwt_algorithm: str = "EdDSA"
    access_token_minutes: int = 15


class SecurityConfig(BaseModel):
    trusted_proxies: tuple[str, ...] = ()
    password_min_length: int = 8

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        for item in value or ():
            ipaddress.ip_network(str(item), strict=False)
        return tuple(str(v) for v in value or ())


class CrmConfig(BaseModel):
    """Typed view of crm_config.yaml; ``raw`` keeps every key for the services."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    raw: dict[str, Any] = Field(default_factory=dict, repr=False)  # holds secrets (api_keys, jwt_secret, ...)
    api_keys: tuple[StaticApiKey, ...] = ()
    ip_whitelist: tuple[WhitelistEntry, ...] = ()
    jwt_secret: str | None = Field(default=None, repr=False)
    auth: AuthConfig = AuthConfig()
    security: SecurityConfig = SecurityConfig()

    def trusted_proxy_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.security.trusted_proxies)


def load_crm_config(path: Path | None) -> CrmConfig:
    """Read and validate a crm_config.yaml; no path means an empty configuration."""
    if path is None:
        return CrmConfig()
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    return parse_crm_config(data)


def parse_crm_config(data: Any) -> CrmConfig:
    if not isinstance(data, dict):
        raise ConfigError("crm_config.yaml must be a mapping at the top level")
    try:
        return CrmConfig(
            raw=data,
            api_keys=_api_keys(data.get("api_keys") or {}),
            ip_whitelist=_whitelist(data.get("ip_whitelist") or {}),
            jwt_secret=data.get("jwt_secret"),
            auth=AuthConfig.model_validate(data.get("auth") or {}),
            security=SecurityConfig.model_validate(data.get("security") or {}),
        )
    except (ValidationError, ValueError, TypeError) as error:
        raise ConfigError(f"invalid crm_config.yaml: {error}") from error


def _api_keys(section: Any) -> tuple[StaticApiKey, ...]:
    if not isinstance(section, dict):
        raise ConfigError("api_keys must map each key to {roles, ips?, description?}")
    keys = []
    for secret, entry in section.items():
        secret = str(secret)
        if len(secret) < 32:  # D15: config keys shorter than 32 characters are refused at startup
            raise ConfigError(f"api_keys: key ...{secret[-3:]} is shorter than 32 characters")
        entry = entry or {}
        if not isinstance(entry, dict) or not entry.get("roles") or not isinstance(entry["roles"], list):
            raise ConfigError(f"api_keys: key ...{secret[-3:]} needs a non-empty roles list")
        keys.append(
            StaticApiKey(
                secret=secret,
                roles=tuple(str(r) for r in entry["roles"]),
                ips=tuple(_network(ip) for ip in entry.get("ips") or ()),
                description=entry.get("description"),
            )
        )
    return tuple(keys)


def _whitelist(section: Any) -> tuple[WhitelistEntry, ...]:
    if isinstance(section, list):  # D12: list form means admin rights; recommend the map form
        if section:
            log.warning("ip_whitelist uses the list form: every entry acts as admin; prefer {address: {roles: [...]}}")
        return tuple(WhitelistEntry(network=_network(item), roles=("admin",)) for item in section)
    if not isinstance(section, dict):
        raise ConfigError("ip_whitelist must be a list of addresses or a map {address: {roles: [...]}}")
    entries = []
    for address, entry in section.items():
        listed = entry.get("roles") if isinstance(entry, dict) else None
        roles = tuple(str(r) for r in listed) if isinstance(listed, list) else ()
        if not roles:
            raise ConfigError(f"ip_whitelist: {address} needs a non-empty roles list")
        entries.append(WhitelistEntry(network=_network(address), roles=roles))
    return tuple(entries)


def _network(value: Any) -> IpNetwork:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError as error:
        raise ConfigError(f"not an IP address or CIDR: {value!r}") from error
