"""Identity's settings: ``OMNIBUS_IDENTITY_*`` variables and its keys of crm_config.yaml (identity.md §6)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.crm_config import CrmConfig


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_IDENTITY_", extra="ignore")

    signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM) signing access tokens; default: the embedded mode's dev key",
    )
    secret_key_file: Path = Field(
        default=Path("var/identity-secret.key"),
        description="32-byte AES key sealing TOTP secrets at rest (created on first use; share it between processes)",
    )
    mailer: Literal["local", "mailjet"] = Field(default="local", description="local stand-in or Mailjet")
    outbox_file: Path = Field(default=Path("var/identity-outbox.jsonl"), description="local stand-in's record")
    public_url: str = Field(default="http://127.0.0.1:5000", description="Base URL of links in e-mails")
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    token_client_keys: str | None = Field(
        default=None,
        description="PEM public keys (files, comma-separated) whose client assertions may ask for job tokens "
        "(provisioning's); identity's own key is always trusted (the embedded mode)",
    )
    job_token_max_minutes: int = Field(default=24 * 60, description="Longest job token identity issues")


@dataclass(frozen=True)
class Policy:
    """Rules read from crm_config.yaml (defaults from D20, D25, D27)."""

    access_token_minutes: int = 15
    refresh_session_hours: int = 12
    remember_me_days: int = 30
    password_min_length: int = 8
    totp_issuer: str = "OmniCRM"
    require_2fa: bool = False
    support_email: str = "support@localhost"
    public_url: str = "http://127.0.0.1:5000"
    login_account_limit: int = 5
    login_address_limit: int = 20
    lockout_seconds: int = 900

    @classmethod
    def from_config(cls, config: CrmConfig, public_url: str) -> "Policy":
        raw: dict[str, Any] = config.raw
        auth = raw.get("auth") or {}
        security = raw.get("security") or {}
        limits = security.get("rate_limit") or {}
        return cls(
            access_token_minutes=int(auth.get("access_token_minutes", 15)),
            refresh_session_hours=int(auth.get("refresh_session_hours", 12)),
            remember_me_days=int(auth.get("remember_me_days", 30)),
            password_min_length=config.security.password_min_length,
            totp_issuer=str(security.get("totp_issuer", "OmniCRM")),
            require_2fa=bool(security.get("require_2fa", False)),
            support_email=str(raw.get("support_email", "support@localhost")),
            public_url=str(raw.get("crm_base_url", public_url)).rstrip("/"),
            login_account_limit=int(limits.get("login_per_account", 5)),
            login_address_limit=int(limits.get("login_per_address", 20)),
            lockout_seconds=int(limits.get("lockout_seconds", 900)),
        )
