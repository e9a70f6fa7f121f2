"""Settings of the charging gateway: ``OMNIBUS_*`` variables, then crm_config.yaml's ``ocs`` keys (charging.md §6).

``OMNIBUS_CGRATES_URL`` (else ``ocs.cgrates``/``ocs.OCS`` as ``host:port``) names CGRateS; ``embedded`` (the
default when neither is set) runs the emulator in-process, so ``make run`` needs no CGRateS.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.crm_config import CrmConfig

EMBEDDED = "embedded"


class ChargingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_", extra="ignore")

    cgrates_url: str | None = Field(default=None, description="CGRateS JSON-RPC URL, or 'embedded'")
    cgrates_tenant: str | None = Field(default=None, description="Tenant (default ocs.ocsTenant, else cgrates.org)")
    cgrates_timeout: float = Field(default=5.0, description="Seconds per JSON-RPC call")
    cgrates_user: str | None = Field(default=None, validation_alias=AliasChoices("CGRATES_API_USER"))
    cgrates_password: str | None = Field(default=None, validation_alias=AliasChoices("CGRATES_API_PASS"))
    charging_public_url: str | None = Field(
        default=None, description="Base URL CGRateS posts callbacks to (default crm.base_url, else http://host:port)"
    )
    charging_webhook_secret: str | None = Field(default=None, description="Token in the callback URL (verification)")
    charging_live_cache_seconds: float = Field(default=2.0, description="Cache of live balances for bursts")
    charging_live_plans_cache_seconds: float = Field(
        default=60.0, description="Cache of an account's ActionPlans for service views (re-read once a run is due)"
    )
    charging_reconcile_interval: float = Field(default=60.0, description="Seconds between reconciler runs (0 = off)")
    charging_topup_cdrlog: bool = Field(
        default=True, description="Top-ups write a *cdrlog CDR with the CRM key (needs schedulers.cdrs_conns)"
    )

    def resolved(self, config: CrmConfig, http_host: str, http_port: int) -> ResolvedCharging:
        ocs: dict[str, Any] = dict(config.raw.get("ocs") or {})
        crm: dict[str, Any] = dict(config.raw.get("crm") or {})
        url = self.cgrates_url or ocs.get("cgrates") or ocs.get("OCS") or EMBEDDED
        base = self.charging_public_url or crm.get("base_url") or f"http://{http_host}:{http_port}"
        secret = self.charging_webhook_secret or secrets.token_urlsafe(24)
        methods = ocs.get("method_names") or {}
        return ResolvedCharging(
            url=str(url),
            tenant=str(self.cgrates_tenant or ocs.get("ocsTenant") or "cgrates.org"),
            timeout=self.cgrates_timeout,
            auth=(self.cgrates_user, self.cgrates_password or "") if self.cgrates_user else None,
            notify_url=f"{str(base).rstrip('/')}/crm/ocs/notify?token={secret}",
            webhook_secret=secret,
            monetary_divisor=int(ocs.get("monetary_divisor") or 100),
            methods={str(k): str(v) for k, v in methods.items()} if isinstance(methods, dict) else {},
            proxy_read=tuple(ocs.get("proxy_read_methods") or ("*.Get*", "*.Ping", "CoreSv1.Status")),
            proxy_write=tuple(
                ocs.get("proxy_write_methods")
                or ("*.Set*", "*.Remove*", "*.Add*", "*.Execute*", "*.Reset*", "*.Debit*", "*.Reload*")
            ),
            live_cache_seconds=self.charging_live_cache_seconds,
            live_plans_cache_seconds=self.charging_live_plans_cache_seconds,
            reconcile_interval=self.charging_reconcile_interval,
            topup_cdrlog=self.charging_topup_cdrlog,
            relay_enabled=bool(ocs.get("relay_enabled", True)),
        )


class ResolvedCharging(BaseModel):
    """The gateway's effective OCS configuration."""

    model_config = ConfigDict(frozen=True)

    url: str
    tenant: str
    timeout: float
    auth: tuple[str, str] | None
    notify_url: str
    webhook_secret: str = Field(repr=False)
    monetary_divisor: int
    methods: dict[str, str]
    proxy_read: tuple[str, ...]
    proxy_write: tuple[str, ...]
    live_cache_seconds: float
    live_plans_cache_seconds: float = 60.0
    reconcile_interval: float
    topup_cdrlog: bool
    relay_enabled: bool = True

    @property
    def embedded(self) -> bool:
        return self.url == EMBEDDED
