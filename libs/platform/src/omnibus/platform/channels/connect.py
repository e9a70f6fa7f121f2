"""The e-mail and SMS providers of a service process: the real ones from crm_config.yaml, else local stand-ins.

Without ``mailjet.api_key``/``api_secret`` a Mailjet stand-in is started on a free port of 127.0.0.1, without
``smsc.smsc_url``/``api_key`` an SMSC stand-in, and the real clients talk to them over HTTP. What the stand-ins
accept is kept in ``<outbox dir>/mailjet-outbox.jsonl`` and ``smsc-outbox.jsonl``: ``OMNIBUS_OUTBOX_DIR``, else the
embedded store's folder (``sqlite:///var/omnibus`` -> ``var/omnibus``); otherwise (PostgreSQL, ``memory://``) in
memory only. ``omnibus outbox`` prints them.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from omnibus.platform.channels.mailjet import MailjetClient, mailjet_credentials
from omnibus.platform.channels.mailjet_standin import MailjetStandIn
from omnibus.platform.channels.smsc import SmscClient, SmscConfig, smsc_config
from omnibus.platform.channels.smsc_standin import SmscStandIn
from omnibus.platform.channels.standin import StandIn
from omnibus.platform.eventstore import sqlite_folder
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)
MAILJET_RECORD = "mailjet-outbox.jsonl"
SMSC_RECORD = "smsc-outbox.jsonl"


class OutboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIBUS_", extra="ignore")

    outbox_dir: Path | None = None


def outbox_dir(settings: ServiceSettings) -> Path | None:
    """Where the stand-ins of a process keep what they accepted (None: memory only)."""
    explicit = OutboxSettings().outbox_dir
    if explicit is not None:
        return explicit
    return sqlite_folder(settings.database_url) if settings.store_kind == "sqlite" else None


@dataclass
class Channels:
    """The clients (real providers or stand-ins) and the stand-ins started for them."""

    email: MailjetClient
    sms: SmscClient
    sms_config: SmscConfig
    mailjet_standin: MailjetStandIn | None = None
    smsc_standin: SmscStandIn | None = None
    standins: list[StandIn] = field(default_factory=list)

    def close(self) -> None:
        self.email.close()
        self.sms.close()
        for standin in self.standins:
            standin.stop()


def connect_channels(raw: Mapping[str, Any], settings: ServiceSettings, *, timeout: float = 10.0) -> Channels:
    """Clients for the configured providers; a stand-in (started here) for each one not configured."""
    folder = outbox_dir(settings)
    credentials, mailjet_standin = mailjet_credentials(raw), None
    if credentials is None:
        mailjet_standin = MailjetStandIn(record=folder / MAILJET_RECORD if folder else None).start()
        credentials = mailjet_standin.credentials
        log.info("no mailjet.api_key: e-mails go to the local Mailjet stand-in at %s", mailjet_standin.url)
    sms, smsc_standin = smsc_config(raw), None
    if sms is None:
        smsc_standin = SmscStandIn(record=folder / SMSC_RECORD if folder else None).start()
        source = raw.get("smsc", {}).get("source_msisdn") if isinstance(raw.get("smsc"), Mapping) else None
        sms = smsc_standin.config(str(source or "Omnibus"))
        log.info("no smsc.smsc_url: SMS go to the local SMSC stand-in at %s", smsc_standin.url)
    return Channels(
        email=MailjetClient(credentials, timeout=timeout),
        sms=SmscClient(sms, timeout=timeout),
        sms_config=sms,
        mailjet_standin=mailjet_standin,
        smsc_standin=smsc_standin,
        standins=[s for s in (mailjet_standin, smsc_standin) if s is not None],
    )
