"""Provisioning settings (provisioning.md §6): environment ``OMNIBUS_PROVISIONING_*`` first, then crm_config.yaml
``provisioning.*``, then the defaults."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.crm_config import CrmConfig

DEFAULT_PLAYS_DIR = Path("deploy/playbooks")
HIDDEN_FROM_PLAYS = ("api_keys", "ip_whitelist", "jwt_secret")  # the plays authenticate with their job token


class ProvisioningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_PROVISIONING_", extra="ignore")

    plays_dir: Path | None = None
    job_timeout_minutes: float | None = None
    max_parallel_jobs: int | None = None

    def resolved(self, crm: CrmConfig, http_host: str, http_port: int) -> "ResolvedProvisioning":
        section = crm.raw.get("provisioning") or {}
        section = section if isinstance(section, dict) else {}
        plays_dir = self.plays_dir or Path(section.get("plays_dir") or DEFAULT_PLAYS_DIR)
        minutes = self.job_timeout_minutes or float(section.get("job_timeout_minutes") or 120)
        parallel = self.max_parallel_jobs or int(section.get("max_parallel_jobs") or 4)
        if parallel < 1 or minutes <= 0:
            raise ValueError("provisioning.max_parallel_jobs must be >= 1 and job_timeout_minutes > 0")
        return ResolvedProvisioning(
            plays_dir=plays_dir.resolve(),
            job_timeout_seconds=max(1, round(minutes * 60)),
            max_parallel_jobs=parallel,
            plays_config=plays_config(crm.raw, f"http://{http_host}:{http_port}"),
        )


@dataclass(frozen=True)
class ResolvedProvisioning:
    plays_dir: Path
    job_timeout_seconds: int
    max_parallel_jobs: int
    plays_config: dict[str, Any]


def plays_config(raw: dict[str, Any], own_url: str) -> dict[str, Any]:
    """What the plays read as ``crm_config``: the configuration without the API's own credentials, with
    ``crm.base_url`` defaulting to this API (D63) and both spellings of the OCS address (D62)."""
    view = {k: v for k, v in raw.items() if k not in HIDDEN_FROM_PLAYS}
    crm = dict(view.get("crm") or {})
    crm.setdefault("base_url", own_url)
    view["crm"] = crm
    ocs = dict(view.get("ocs") or {})
    if "cgrates" in ocs or "OCS" in ocs:
        ocs.setdefault("cgrates", ocs.get("OCS"))
        ocs.setdefault("OCS", ocs.get("cgrates"))
        view["ocs"] = ocs
    return view
