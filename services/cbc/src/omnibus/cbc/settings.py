"""Settings of the cell broadcast service: ``OMNIBUS_CBC_*`` variables, then crm_config.yaml's ``cbc_url`` and
``cbc.*`` keys (configuration.md §1, §3; cbc.md §6), then the defaults. Invalid values fail at startup.

Without a ``cbc_url`` the service starts the local CBC stand-in (``omnibus.cbc.standin``) and talks to it over
HTTP, so ``make run`` and the tests need no CBC.
"""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.cbc.domain import DEFAULT_IDENTIFIERS, ContentRules, IdentifierLabel
from omnibus.cbc.domain.reference import DEFAULT_CHANNELS
from omnibus.platform.crm_config import CrmConfig

SEND_PATH = "/alerts/send"  # the CBC API call the reference documents (cbc.md §7)
STANDIN_PATHS = {"send": SEND_PATH, "status": "/alerts/{reference}", "cancel": "/alerts/cancel", "update": None}


class CbcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_CBC_", extra="ignore")

    url: str | None = Field(default=None, description="CBC base URL (default crm_config cbc_url; none: stand-in)")
    api_paths: str | None = Field(default=None, description='JSON object, e.g. {"cancel": "/alerts/cancel"}')
    timeout_seconds: float | None = Field(default=None, description="Seconds per CBC call (default 10)")
    max_attempts: int | None = Field(default=None, description="Tries of one delivery or cancel (default 5)")
    retry_backoff_seconds: float | None = Field(default=None, description="First retry delay, doubling (default 2)")
    approve_wait_seconds: float | None = Field(default=None, description="An approval waits this long for the CBC")


@dataclass(frozen=True)
class CbcPaths:
    """Paths of the CBC API (``cbc.api_paths``, D112). Only ``send`` is documented; the others exist only when
    configured: without ``status`` a retry relies on the CBC de-duplicating the reference; without ``cancel`` a
    cancellation stays local and ``CbcCancelNotDelivered`` tells the operators."""

    send: str = SEND_PATH
    status: str | None = None  # contains {reference}
    cancel: str | None = None
    update: str | None = None  # where a re-approved (updated) message goes instead of send, if the CBC has one

    def status_of(self, reference: str) -> str:
        if self.status is None:
            raise ValueError("cbc.api_paths has no status path")
        return self.status.replace("{reference}", reference)


@dataclass(frozen=True)
class ResolvedCbc:
    url: str | None  # None: the local stand-in
    paths: CbcPaths
    rules: ContentRules
    two_person: bool
    timeout_seconds: float
    max_attempts: int
    retry_backoff_seconds: float
    approve_wait_seconds: float


def resolve(settings: CbcSettings, crm: CrmConfig) -> ResolvedCbc:
    section = crm.raw.get("cbc") or {}
    if not isinstance(section, dict):
        raise ValueError("cbc in crm_config.yaml must be a mapping")
    url = settings.url or crm.raw.get("cbc_url") or None
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise ValueError(f"cbc_url must be an http(s) URL, not {url!r}")
    try:
        raw_paths = json.loads(settings.api_paths) if settings.api_paths else section.get("api_paths")
    except ValueError:
        raise ValueError(f"OMNIBUS_CBC_API_PATHS must be a JSON object, not {settings.api_paths!r}") from None
    paths = parse_paths(raw_paths if url is not None else STANDIN_PATHS | (raw_paths or {}))
    return ResolvedCbc(
        url=str(url).rstrip("/") if url else None,
        paths=paths,
        rules=ContentRules(
            identifiers=parse_identifiers(section.get("message_identifier_labels")),
            channels=tuple(str(c) for c in section.get("channels") or DEFAULT_CHANNELS),
            max_chars_per_language=_number(section, "max_chars_per_language", 500, int, minimum=0),
        ),
        two_person=bool(section.get("require_two_person", True)),
        timeout_seconds=settings.timeout_seconds or _number(section, "timeout_seconds", 10.0, float, minimum=0.1),
        max_attempts=settings.max_attempts or _number(section, "max_attempts", 5, int, minimum=1),
        retry_backoff_seconds=settings.retry_backoff_seconds
        or _number(section, "retry_backoff_seconds", 2.0, float, minimum=0.01),
        approve_wait_seconds=settings.approve_wait_seconds
        if settings.approve_wait_seconds is not None
        else _number(section, "approve_wait_seconds", 5.0, float, minimum=0),
    )


def parse_paths(raw: Any) -> CbcPaths:
    if raw is None:
        return CbcPaths()
    if not isinstance(raw, dict) or set(raw) - {"send", "status", "cancel", "update"}:
        raise ValueError("cbc.api_paths must map some of send, status, cancel, update to paths")
    for name, path in raw.items():
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise ValueError(f"cbc.api_paths.{name} must be a path starting with /, not {path!r}")
    if raw.get("status") and "{reference}" not in raw["status"]:
        raise ValueError("cbc.api_paths.status must contain {reference}, e.g. /alerts/{reference}")
    return CbcPaths(
        send=raw.get("send") or SEND_PATH, status=raw.get("status"), cancel=raw.get("cancel"), update=raw.get("update")
    )


def parse_identifiers(raw: Any) -> dict[str, IdentifierLabel]:
    """TS 23.041's table (D109) with the configured entries added or replaced; an entry of null removes one."""
    table = dict(DEFAULT_IDENTIFIERS)
    if raw is None:
        return table
    if not isinstance(raw, dict):
        raise ValueError("cbc.message_identifier_labels must map identifiers to labels")
    for key, value in raw.items():
        identifier = str(key).strip()
        if not identifier.isdigit() or int(identifier) > 65535:
            raise ValueError(f"cbc.message_identifier_labels: {key!r} is not a message identifier (0-65535)")
        identifier = str(int(identifier))
        if value is None:
            table.pop(identifier, None)
        elif isinstance(value, str):
            table[identifier] = IdentifierLabel("operator", value)
        elif isinstance(value, dict) and isinstance(value.get("label"), str):
            table[identifier] = IdentifierLabel(str(value.get("system") or "operator"), value["label"])
        else:
            raise ValueError(f"cbc.message_identifier_labels.{key}: a label, {{label, system}} or null")
    return table


def _number(section: dict[str, Any], key: str, default: Any, kind: type, *, minimum: float) -> Any:
    value = section.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"cbc.{key} must be a number, not {value!r}") from None
    if isinstance(value, bool) or number < minimum:
        raise ValueError(f"cbc.{key} must be at least {minimum}")
    return number
