"""Composition root of the cell broadcast service: builds everything from settings; nothing happens at import time.

The delivery worker (``delivery.worker.DeliveryWorker``) runs in the service's workers, beside the relay and the
projections. Without a ``cbc_url`` the local CBC stand-in is started here and reached over HTTP (embedded mode).
"""

import asyncio
import logging
from pathlib import Path

from omnibus.cbc.api.routes import router
from omnibus.cbc.application import CbcApp
from omnibus.cbc.approvals import Approvals
from omnibus.cbc.delivery.client import CbcClient
from omnibus.cbc.delivery.worker import DeliveryWorker
from omnibus.cbc.integration.outbound import OUTBOUND
from omnibus.cbc.projections.messages import CbcMessagesProjection
from omnibus.cbc.projections.second_factor import SecondFactorResets
from omnibus.cbc.readmodel.tables import metadata
from omnibus.cbc.settings import CbcSettings, ResolvedCbc, resolve
from omnibus.cbc.standin import CbcStandIn
from omnibus.platform.eventstore import eventstore_env, sqlite_folder
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


class CbcRuntime(ServiceRuntime):
    """The platform runtime plus the delivery worker, and, where it runs without a configured CBC, the stand-in
    (only in a process that delivers: an HTTP-only process needs neither)."""

    config: ResolvedCbc
    cbc_app: CbcApp
    standin_state: Path | None = None
    worker: DeliveryWorker | None = None
    standin: CbcStandIn | None = None

    async def start(self) -> None:
        await super().start()
        if self.background:
            self.worker = self._worker()
            self._tasks.append(asyncio.create_task(self.worker.run(), name="cbc-delivery"))

    async def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        await super().stop()
        if self.worker is not None:
            self.worker.client.close()
        if self.standin is not None:
            self.standin.stop()

    def _worker(self) -> DeliveryWorker:
        url = self.config.url
        if url is None:
            self.standin = CbcStandIn(state_file=self.standin_state).start()
            url = self.standin.url
            log.info("no cbc_url: using the local CBC stand-in at %s", url)
        return DeliveryWorker(
            app=self.cbc_app,
            engine=self.engine,
            client=CbcClient(url, self.config.paths, self.config.timeout_seconds),
            wait_projected=self.wait_projected,
            max_attempts=self.config.max_attempts,
            retry_backoff_seconds=self.config.retry_backoff_seconds,
        )


def build(settings: ServiceSettings, infra: Infrastructure, *, cbc: CbcSettings | None = None) -> ServiceRuntime:
    config = resolve(cbc or CbcSettings(), settings.load_crm_config())
    app = CbcApp(env=eventstore_env(settings, CbcApp.name), rules=config.rules, two_person=config.two_person)
    engine = create_read_engine(settings)
    parts = ServiceParts(
        routers=(router,),
        app=app,
        outbound=OUTBOUND,
        projections=(CbcMessagesProjection(),),
        bus_projections=(SecondFactorResets(),),
        metadata=(metadata,),
        state={
            "cbc_app": app,
            "cbc_approvals": Approvals(app, engine, infra.peers, config.approve_wait_seconds),
            "cbc_config": config,
        },
    )
    runtime = CbcRuntime("cbc", settings, infra, engine, parts)
    runtime.config, runtime.cbc_app = config, app
    if settings.store_kind == "sqlite":  # the embedded mode keeps the stand-in's broadcasts beside its store
        runtime.standin_state = sqlite_folder(settings.database_url) / "cbc-standin.json"
    return runtime


definition = ServiceDefinition(name="cbc", build=build)
