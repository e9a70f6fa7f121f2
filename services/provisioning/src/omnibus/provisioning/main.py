"""Composition root of the provisioning service: builds everything from settings; nothing happens at import time.

The job runner (``worker.JobWorker``) runs in the service's workers, beside the relay and the projections.
"""

import asyncio
from typing import Any

from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.runtime import dev_signing_key_path, load_or_create_dev_key
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.api.routes import router
from omnibus.provisioning.application import ProvisioningApp
from omnibus.provisioning.directory import Directory, PeersDirectory
from omnibus.provisioning.integration.outbound import OUTBOUND
from omnibus.provisioning.jobs import JobRequests
from omnibus.provisioning.projections.customer_names import CustomerNames
from omnibus.provisioning.projections.jobs import ProvisionJobsProjection
from omnibus.provisioning.readmodel.tables import metadata
from omnibus.provisioning.runner.ansible import AnsibleRunner
from omnibus.provisioning.settings import ProvisioningSettings
from omnibus.provisioning.tokens import JobTokens
from omnibus.provisioning.worker import JobWorker

LOOKUP_TOKEN_SECONDS = 60


class ProvisioningRuntime(ServiceRuntime):
    """The platform runtime plus the job runner."""

    worker: JobWorker

    async def start(self) -> None:
        await super().start()
        if self.background:
            self._tasks.append(asyncio.create_task(self.worker.run(), name="provisioning-runner"))

    async def stop(self) -> None:
        self.worker.stop()
        await super().stop()


def build(
    settings: ServiceSettings,
    infra: Infrastructure,
    *,
    provisioning: ProvisioningSettings | None = None,
    signing_key: Any = None,
    directory: Directory | None = None,
) -> ServiceRuntime:
    crm = settings.load_crm_config()
    config = (provisioning or ProvisioningSettings()).resolved(crm, settings.http_host, settings.http_port)
    key, algorithm = _token_signing(settings, crm.jwt_secret if crm.auth.jwt_algorithm.upper() == "HS256" else None)
    key = signing_key if signing_key is not None else key
    tokens = JobTokens(key, algorithm, config.job_timeout_seconds + 300)  # lives as long as the job may run
    lookup_tokens = JobTokens(key, algorithm, LOOKUP_TOKEN_SECONDS)
    # A running job records ~2 events per task: cached aggregates are fast-forwarded instead of replayed each time.
    app = ProvisioningApp(env={**eventstore_env(settings, ProvisioningApp.name), "AGGREGATE_CACHE_MAXSIZE": "1000"})
    directory = directory or PeersDirectory(infra.peers, lookup_tokens.lookup)
    requests = JobRequests(app, directory, config.plays_dir)
    read_engine = create_read_engine(settings)
    parts = ServiceParts(
        routers=(router,),
        app=app,
        outbound=OUTBOUND,
        projections=(ProvisionJobsProjection(),),
        bus_projections=(CustomerNames(),),
        metadata=(metadata,),
        state={"provisioning_app": app, "provisioning_requests": requests},
    )
    runtime = ProvisioningRuntime("provisioning", settings, infra, read_engine, parts)
    runtime.worker = JobWorker(
        app=app,
        engine=read_engine,
        ansible=AnsibleRunner(config.plays_dir, config.plays_config, config.job_timeout_seconds, {}),
        tokens=tokens,
        plays_dir=config.plays_dir,
        wait_projected=runtime.wait_projected,
        max_parallel_jobs=config.max_parallel_jobs,
    )
    return runtime


def _token_signing(settings: ServiceSettings, hs256_secret: str | None) -> tuple[Any, str]:
    """Job tokens are signed like the platform's access tokens: the HS256 secret during a migration (D28), else
    the Ed25519 key (the embedded mode's dev key until identity issues job tokens, D65)."""
    if hs256_secret is not None:
        return hs256_secret, "HS256"
    return load_or_create_dev_key(dev_signing_key_path(settings)), "EdDSA"


definition = ServiceDefinition(name="provisioning", build=build)
