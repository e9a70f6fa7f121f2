"""Service settings from environment variables, plus the reference product's ``crm_config.yaml``.

Every variable has the ``OMNIBUS_`` prefix. URLs may contain ``{service}``, replaced by the service name, so one
variable serves all services: ``OMNIBUS_DATABASE_URL=postgresql://postgres@127.0.0.1/omnibus_{service}``.

Store URLs: ``postgresql://...`` (deployment), ``sqlite:///var/omnibus`` (a folder; embedded mode),
``memory://`` (unit tests). Bus URLs: ``amqp://...`` or ``memory://``.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.crm_config import CrmConfig, load_crm_config


class ServiceSettings(BaseSettings):
    """Settings of one service process (or of all services in the embedded runner)."""

    model_config = SettingsConfigDict(env_prefix="OMNIBUS_", extra="ignore")

    service_name: str = Field(default="omnibus", description="Service this process runs")
    database_url: str = Field(default="sqlite:///var/omnibus", description="Event store and read-model location")
    amqp_url: str = Field(default="memory://", description="RabbitMQ URL, or memory:// for the in-process bus")
    http_host: str = "127.0.0.1"
    http_port: int = 5000
    gateway_url: str | None = Field(
        default=None, description="Where other services are reached for live reads (the gateway); unset: in-process"
    )
    metrics_port: int | None = Field(default=None, description="Port of /metrics in a workers process (API: HTTP port)")
    crm_config: Path | None = Field(default=None, description="Path of a crm_config.yaml (reference product)")
    jwt_public_key: str | None = Field(default=None, description="PEM public key verifying access tokens")
    jwt_public_key_file: Path | None = None
    jwks_url: str | None = Field(default=None, description="identity's JWKS URL (used when no key is given)")
    jwt_algorithms: list[str] = Field(default=["EdDSA", "RS256"])
    jwt_issuer: str | None = None
    dev_signing_key_file: Path | None = Field(
        default=None, description="Ed25519 private key used by `omnibus token` and the embedded mode (dev only)"
    )
    relay_batch_size: int = 500
    projection_batch_size: int = 1000
    read_your_writes_timeout: float = Field(default=5.0, description="Seconds a write waits for its projections")
    otel_exporter: Literal["none", "otlp", "console", "memory"] = "none"
    otel_endpoint: str | None = None
    otel_sample_ratio: float = 1.0
    log_level: str = "INFO"
    demo_data: bool = False

    def for_service(self, name: str) -> "ServiceSettings":
        """A copy for one service, with ``{service}`` placeholders resolved."""
        return self.model_copy(
            update={
                "service_name": name,
                "database_url": self.database_url.replace("{service}", name.replace("-", "_")),
                "amqp_url": self.amqp_url.replace("{service}", name),
            }
        )

    def load_crm_config(self) -> CrmConfig:
        return load_crm_config(self.crm_config)

    @property
    def store_kind(self) -> Literal["postgres", "sqlite", "memory"]:
        if self.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            return "postgres"
        if self.database_url.startswith("sqlite://"):
            return "sqlite"
        if self.database_url.startswith("memory://"):
            return "memory"
        raise ValueError(f"unsupported OMNIBUS_DATABASE_URL scheme: {self.database_url!r}")
