"""Composition root of the provisioning service: builds everything from settings; nothing happens at import time.

The job runner (``worker.JobWorker``: plays and the saga's deadline sweeper) runs in the service's workers, beside
the relay, the projections and the reactions to the saga's replies. Without ``hss.hss_peers`` the HSS stand-in is
started here (embedded mode), and plays get its address as ``hss_server``.
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
from omnibus.provisioning.hss import HssStandIn
from omnibus.provisioning.integration.outbound import OUTBOUND, SENDS
from omnibus.provisioning.integration.renewals import Renewals
from omnibus.provisioning.integration.replies import SagaReplies
from omnibus.provisioning.jobs import JobRequests, SagaSettings
from omnibus.provisioning.projections.customer_names import CustomerNames
from omnibus.provisioning.projections.jobs import ProvisionJobsProjection
from omnibus.provisioning.readmodel.tables import metadata
from omnibus.provisioning.runner.ansible import AnsibleRunner
from omnibus.provisioning.settings import ProvisioningSettings
from omnibus.provisioning.tokens import IdentityJobTokens, JobTokenIssuer, LocalJobTokens
from omnibus.provisioning.worker import JobWorker


class ProvisioningRuntime(ServiceRuntime):
    """The platform runtime plus the job runner (and, embedded, the HSS stand-in)."""

    worker: JobWorker
    directory: Directory
    tokens: JobTokenIssuer
    hss: HssStandIn | None = None

    async def start(self) -> None:
        # directory lookups and identity's tokens are asked from worker threads, through this loop's peers
        if isinstance(self.directory, PeersDirectory):
            self.directory.loop = asyncio.get_running_loop()
        if isinstance(self.tokens, IdentityJobTokens):
            self.tokens.loop = asyncio.get_running_loop()
        await super().start()
        if self.background:
            self._tasks.append(asyncio.create_task(self.worker.run(), name="provisioning-runner"))

    async def stop(self) -> None:
        self.worker.stop()
        await super().stop()
        if self.hss is not None:
            self.hss.stop()


def build(
    settings: ServiceSettings,
    infra: Infrastructure,
    *,
    provisioning: ProvisioningSettings | None = None,
    signing_key: Any = None,
    directory: Directory | None = None,
    job_tokens: JobTokenIssuer | None = None,
) -> ServiceRuntime:
    crm = settings.load_crm_config()
    config = (provisioning or ProvisioningSettings()).resolved(crm, settings.http_host, settings.http_port)
    key, algorithm = _token_signing(settings, crm.jwt_secret if crm.auth.jwt_algorithm.upper() == "HS256" else None)
    key = signing_key if signing_key is not None else key
    if job_tokens is None:
        ttl = config.job_timeout_seconds + 300  # lives as long as the job may run
        local = LocalJobTokens(key, algorithm, ttl)
        job_tokens = local if config.job_tokens == "local" else IdentityJobTokens(infra.peers, local, ttl)
    # A running job records ~2 events per task: cached aggregates are fast-forwarded instead of replayed each time.
    app = ProvisioningApp(env={**eventstore_env(settings, ProvisioningApp.name), "AGGREGATE_CACHE_MAXSIZE": "1000"})
    directory = directory or PeersDirectory(infra.peers, job_tokens.lookup)
    saga = SagaSettings(config.step_timeout_seconds, config.step_attempts, config.ocs_service_types)
    requests = JobRequests(app, directory, config.plays_dir, saga)
    read_engine = create_read_engine(settings)
    hss = HssStandIn().start() if not config.hss_peers else None
    parts = ServiceParts(
        routers=(router,),
        app=app,
        outbound=OUTBOUND,
        projections=(ProvisionJobsProjection(),),
        bus_projections=(CustomerNames(),),
        reactions=(SagaReplies(app), Renewals(requests, directory)),
        sends=SENDS,
        metadata=(metadata,),
        state={"provisioning_app": app, "provisioning_requests": requests},
    )
    runtime = ProvisioningRuntime("provisioning", settings, infra, read_engine, parts)
    runtime.directory, runtime.tokens, runtime.hss = directory, job_tokens, hss
    runtime.worker = JobWorker(
        app=app,
        engine=read_engine,
        ansible=AnsibleRunner(config.plays_dir, config.plays_config, config.job_timeout_seconds, {}),
        tokens=job_tokens,
        plays_dir=config.plays_dir,
        wait_projected=runtime.wait_projected,
        max_parallel_jobs=config.max_parallel_jobs,
        play_defaults={"hss_server": hss.address if hss is not None else config.hss_server()},
    )
    return runtime


def _token_signing(settings: ServiceSettings, hs256_secret: str | None) -> tuple[Any, str]:
    """Provisioning's own short tokens (lookups; job tokens with ``job_tokens: local``) are signed like the
    platform's access tokens: the HS256 secret during a migration (D28), else the Ed25519 dev key of the embedded
    mode (``OMNIBUS_DEV_SIGNING_KEY_FILE``)."""
    if hs256_secret is not None:
        return hs256_secret, "HS256"
    return load_or_create_dev_key(dev_signing_key_path(settings)), "EdDSA"


definition = ServiceDefinition(name="provisioning", build=build)
