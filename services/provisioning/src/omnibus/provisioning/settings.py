"""Provisioning settings (provisioning.md §6): environment ``OMNIBUS_PROVISIONING_*`` first, then crm_config.yaml
``provisioning.*``, then the defaults."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.crm_config import CrmConfig

DEFAULT_PLAYS_DIR = Path("deploy/playbooks")
DEFAULT_OCS_SERVICE_TYPES = ("mobile", "data", "dongle", "hotspot", "omnicharge")  # products given an OCS account
HIDDEN_FROM_PLAYS = ("api_keys", "ip_whitelist", "jwt_secret")  # the plays authenticate with their job token


class ProvisioningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_PROVISIONING_", extra="ignore")

    plays_dir: Path | None = None
    job_timeout_minutes: float | None = None
    max_parallel_jobs: int | None = None
    step_timeout_seconds: float | None = None  # deadline of one saga command (then sent again)
    step_attempts: int | None = None  # times a saga command is sent before its step fails
    job_tokens: str | None = None  # identity (default) | local

    def resolved(self, crm: CrmConfig, http_host: str, http_port: int) -> "ResolvedProvisioning":
        section = crm.raw.get("provisioning") or {}
        section = section if isinstance(section, dict) else {}
        plays_dir = self.plays_dir or Path(section.get("plays_dir") or DEFAULT_PLAYS_DIR)
        minutes = self.job_timeout_minutes or float(section.get("job_timeout_minutes") or 120)
        parallel = self.max_parallel_jobs or int(section.get("max_parallel_jobs") or 4)
        step = self.step_timeout_seconds or float(section.get("step_timeout_seconds") or 120)
        attempts = self.step_attempts or int(section.get("step_attempts") or 3)
        tokens = self.job_tokens or str(section.get("job_tokens") or "identity")
        if parallel < 1 or minutes <= 0 or step <= 0 or attempts < 1 or tokens not in ("identity", "local"):
            raise ValueError(
                "provisioning: max_parallel_jobs >= 1, job_timeout_minutes > 0, step_timeout_seconds > 0, "
                "step_attempts >= 1 and job_tokens identity|local"
            )
        hss = crm.raw.get("hss") if isinstance(crm.raw.get("hss"), dict) else {}
        return ResolvedProvisioning(
            plays_dir=plays_dir.resolve(),
            job_timeout_seconds=max(1, round(minutes * 60)),
            max_parallel_jobs=parallel,
            plays_config=plays_config(crm.raw, f"http://{http_host}:{http_port}"),
            step_timeout_seconds=max(1, round(step)),
            step_attempts=attempts,
            job_tokens=tokens,
            hss_peers=_peers(hss.get("hss_peers")),
            ocs_service_types=frozenset(_list(section.get("ocs_service_types")) or DEFAULT_OCS_SERVICE_TYPES),
            failure_list=tuple(_list(section.get("failure_list"))),
        )


@dataclass(frozen=True)
class ResolvedProvisioning:
    plays_dir: Path
    job_timeout_seconds: int
    max_parallel_jobs: int
    plays_config: dict[str, Any]
    step_timeout_seconds: int = 120
    step_attempts: int = 3
    job_tokens: str = "identity"
    hss_peers: tuple[str, ...] = ()
    ocs_service_types: frozenset[str] = frozenset()
    failure_list: tuple[str, ...] = ()  # D67: who the failure notice goes to (integration/failure_notice.py)

    def hss_server(self) -> str | None:
        """``host:port`` of the first HSS peer, the plays' ``hss_server`` default (D62)."""
        if not self.hss_peers:
            return None
        return urlsplit(self.hss_peers[0]).netloc or self.hss_peers[0]


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value] if isinstance(value, list) else []


def _peers(value: Any) -> tuple[str, ...]:
    return tuple(_list(value))


def plays_config(raw: dict[str, Any], own_url: str) -> dict[str, Any]:
    """What the plays read as ``crm_config``: the configuration without the API's own credentials, with
    ``crm.base_url`` defaulting to this API (D63) and the OCS address under both spellings (D62).

    The plays' OCS (``http://{{ crm_config.ocs.cgrates }}/jsonrpc``) is the charging gateway's JSON-RPC relay at
    the CRM's own address (charging.md §4.6: the gateway records what the play changed, and checks the job
    token), unless ``provisioning.plays_ocs`` names another (e.g. CGRateS itself)."""
    view = {k: v for k, v in raw.items() if k not in HIDDEN_FROM_PLAYS}
    crm = dict(view.get("crm") or {})
    crm.setdefault("base_url", own_url)
    view["crm"] = crm
    section = raw.get("provisioning") if isinstance(raw.get("provisioning"), dict) else {}
    ocs = dict(view.get("ocs") or {})
    address = str(section.get("plays_ocs") or urlsplit(str(crm["base_url"])).netloc)
    ocs["cgrates"] = ocs["OCS"] = address
    ocs.setdefault("ocsTenant", "cgrates.org")
    view["ocs"] = ocs
    return view
