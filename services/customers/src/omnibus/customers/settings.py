"""Settings of customer communications: ``OMNIBUS_COMMUNICATIONS_*`` variables (the rest is crm_config.yaml)."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommunicationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_COMMUNICATIONS_", extra="ignore")

    retry_delays: list[float] = Field(
        default=[30, 120, 600, 1800, 7200], description="Seconds before each retry; then the message is given up"
    )
    lease_seconds: float = Field(default=120, description="An attempt still unanswered after this was interrupted")
    provider_timeout: float = Field(default=10, description="Seconds a Mailjet or SMSC call may take")
    poll_seconds: float = Field(default=1.0, description="How often the dispatcher looks for due messages")
    concurrency: int = Field(default=4, ge=1, description="Messages sent at once")
    expiry_sweep_seconds: float = Field(default=3600, description="How often service expiry reminders are looked for")

    @model_validator(mode="after")
    def _lease_outlasts_a_call(self) -> "CommunicationSettings":
        if self.lease_seconds <= self.provider_timeout:
            raise ValueError("OMNIBUS_COMMUNICATIONS_LEASE_SECONDS must be longer than the provider timeout")
        return self
