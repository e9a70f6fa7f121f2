"""Catalog settings: the secret key and the configured value lists (configuration.md: service_types, D52)."""

import logging
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.catalog.secrets import SecretBox
from omnibus.platform.keyfiles import read_or_create

log = logging.getLogger(__name__)

# D52: the union of every documented value, so that no documented product is rejected.
DEFAULT_SERVICE_TYPES = (
    "omnicharge",
    "mobile",
    "internet",
    "iptv",
    "voip",
    "fixed",
    "fixed-voice",
    "hotspot",
    "dongle",
    "voice",
    "data",
    "generic",
)


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_CATALOG_", extra="ignore")

    secret_key: str | None = Field(default=None, description="base64url of 32 random bytes (AES-256-GCM)")
    secret_key_file: Path = Field(
        default=Path("var/catalog-secret.key"), description="Read (or, in development, created) when no key is set"
    )
    import_batch_size: int = Field(default=2000, ge=1, le=20000)


def secret_box(settings: CatalogSettings) -> SecretBox:
    """The configured key; else the key file, created on first use with a warning (development only)."""
    if settings.secret_key:
        return SecretBox.from_text(settings.secret_key)
    path = settings.secret_key_file
    if not path.exists():
        log.warning("no OMNIBUS_CATALOG_SECRET_KEY: generating a development key in %s", path)
    return SecretBox.from_text(read_or_create(path, lambda: (SecretBox.new_key() + "\n").encode()).decode())


def service_types(crm_config_raw: dict[str, Any]) -> tuple[str, ...]:
    """``service_types`` from crm_config.yaml (a list or a comma-separated string), else the D52 defaults."""
    value = crm_config_raw.get("service_types")
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if isinstance(value, list) and value:
        return tuple(str(v).strip() for v in value if str(v).strip())
    return DEFAULT_SERVICE_TYPES
