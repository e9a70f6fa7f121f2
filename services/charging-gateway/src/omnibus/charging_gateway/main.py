"""Composition root of the charging gateway: builds everything from settings; nothing happens at import time.

With ``OMNIBUS_CGRATES_URL`` unset (and no ``ocs.cgrates`` in crm_config.yaml) the CGRateS emulator runs in-process
(embedded mode): the client reaches it through an httpx transport with the real wire format, its ``*http_post``
callbacks come back to the gateway's webhook handler directly, and a ticker runs ActionPlans in real time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omnibus.charging_gateway.api.routes import router
from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSClient, CGRateSError
from omnibus.charging_gateway.demo import seed_demo_accounts
from omnibus.charging_gateway.emulator.engine import Clock, Engine
from omnibus.charging_gateway.emulator.server import EmulatorTransport, Ticker, http_poster
from omnibus.charging_gateway.integration.inventory_directory import InventoryDirectory
from omnibus.charging_gateway.integration.outbound import OUTBOUND
from omnibus.charging_gateway.integration.product_directory import ProductDirectory
from omnibus.charging_gateway.integration.service_deleted import ServiceDeletedCheck
from omnibus.charging_gateway.integration.service_directory import ServiceDirectory
from omnibus.charging_gateway.integration.service_status import ServiceStatusReaction
from omnibus.charging_gateway.live import LiveBalances
from omnibus.charging_gateway.projections.accounts import AccountDirectoryProjection
from omnibus.charging_gateway.readmodel.queries import live_accounts, service_id_of
from omnibus.charging_gateway.readmodel.tables import metadata
from omnibus.charging_gateway.settings import ChargingSettings, ResolvedCharging
from omnibus.platform.eventstore import eventstore_env, sqlite_folder
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


class ChargingRuntime(ServiceRuntime):
    """The platform runtime plus the reconciler loop and, in embedded mode, the emulator's scheduler ticker."""

    reconcile_interval: float = 60.0
    reconcile: Callable[[], dict[str, Any]]
    ticker: Ticker | None = None
    emulator_state: tuple[Engine, Path] | None = None

    async def start(self) -> None:
        await super().start()
        if not self.background:
            return
        if self.ticker is not None:
            self.ticker.start()
        if self.reconcile_interval > 0:
            self._tasks.append(asyncio.create_task(self._reconcile_loop(), name="reconciler:charging-gateway"))

    async def stop(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
        if self.emulator_state is not None:
            engine, path = self.emulator_state
            await asyncio.to_thread(engine.save_state, path)
        await super().stop()

    async def _reconcile_loop(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_interval)
            try:
                await asyncio.to_thread(self.reconcile)
            except CGRateSError as error:
                log.warning("reconciler: CGRateS unavailable: %s", error)
            except Exception:
                log.exception("reconciler run failed")


def build_client(config: ResolvedCharging, engine: Engine | None) -> CGRateSClient:
    transport = EmulatorTransport(engine) if engine is not None else None
    url = "http://cgrates.embedded" if engine is not None else config.url
    return CGRateSClient(
        url, config.tenant, timeout=config.timeout, methods=config.methods, auth=config.auth, transport=transport
    )


def build(
    settings: ServiceSettings,
    infra: Infrastructure,
    *,
    emulator: Engine | None = None,
    clock: Callable[[], datetime] | None = None,
    charging: ChargingSettings | None = None,
) -> ServiceRuntime:
    config = (charging or ChargingSettings()).resolved(
        settings.load_crm_config(), settings.http_host, settings.http_port
    )
    engine = emulator
    state_file: Path | None = None
    if engine is None and config.embedded:
        engine = Engine(Clock(), strict_tenant=True)
        if settings.store_kind == "sqlite":  # keep the emulated OCS data next to the event store
            state_file = sqlite_folder(settings.database_url) / "cgrates-emulator.pickle"
            engine.load_state(state_file)
    ocs = build_client(config, engine)
    read_engine = create_read_engine(settings)
    app = ChargingApp(
        env=eventstore_env(settings, ChargingApp.name),
        ocs=ocs,
        notify_url=config.notify_url,
        clock=clock,
        topup_cdrlog=config.topup_cdrlog,
        service_ids=lambda service_uuid: service_id_of(read_engine, service_uuid),
    )
    if engine is not None and engine.poster is None:
        engine.poster = in_process_poster(app, config)
    live = LiveBalances(
        ocs,
        read_engine,
        app.clock,
        ttl=config.live_cache_seconds,
        plans_ttl=config.live_plans_cache_seconds,
        divisor=config.monetary_divisor,
    )

    def reconcile() -> dict[str, Any]:
        with read_engine.connect() as conn:
            accounts = live_accounts(conn)
        return app.reconcile(accounts)

    parts = ServiceParts(
        routers=(router,),
        app=app,
        outbound=OUTBOUND,
        projections=(AccountDirectoryProjection(),),
        bus_projections=(ServiceDirectory(), InventoryDirectory(), ProductDirectory()),
        reactions=(ServiceStatusReaction(app), ServiceDeletedCheck(app)),
        metadata=(metadata,),
        state={
            "charging_app": app,
            "charging_live": live,
            "charging_config": config,
            "charging_reconcile": reconcile,
            "cgrates_emulator": engine,
        },
        seed_demo_data=lambda: seed_demo_accounts(app),
    )
    runtime = ChargingRuntime("charging-gateway", settings, infra, read_engine, parts)
    runtime.reconcile = reconcile
    runtime.reconcile_interval = config.reconcile_interval
    runtime.ticker = Ticker(engine) if engine is not None and emulator is None and not engine.clock.frozen else None
    runtime.emulator_state = (engine, state_file) if engine is not None and state_file is not None else None
    return runtime


def in_process_poster(app: ChargingApp, config: ResolvedCharging) -> Callable[[str, bytes], None]:
    """Embedded mode: callbacks to the gateway's own webhook are handled in-process (same verification: the
    token); anything else is really POSTed."""
    import json

    from omnibus.charging_gateway.domain import ChargingError

    outside = http_poster()

    def post(url: str, body: bytes) -> None:
        parts = urlsplit(url)
        if parts.path != "/crm/ocs/notify" or url.split("?")[0] != config.notify_url.split("?")[0]:
            outside(url, body)
            return
        token = (parse_qs(parts.query).get("token") or [""])[0]
        if token != config.webhook_secret:
            raise RuntimeError("HTTP 401")
        try:
            app.handle_callback(json.loads(body))
        except ChargingError as error:
            raise RuntimeError(f"HTTP {error.http_status}: {error}") from error

    return post


definition = ServiceDefinition(name="charging-gateway", build=build)

__all__ = ["ChargingRuntime", "build", "definition"]
