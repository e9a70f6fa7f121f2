"""A service as the platform runs it: its application, read models, relay, projections, consumers and HTTP API.

Each service package exposes a ``ServiceDefinition`` under the ``omnibus.services`` entry-point group; the CLI
discovers them, builds their runtimes from settings and runs them (all in one process, or one per process).
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Engine, MetaData

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.consumers import BusProjection, ProjectionConsumer
from omnibus.platform.eventstore import ServiceApplication
from omnibus.platform.http.app import create_api
from omnibus.platform.messaging.bus import Bus
from omnibus.platform.projections import LocalProjectionRunner, Projection
from omnibus.platform.readmodels import create_tables, read_position
from omnibus.platform.relay import Outbound, OutboxRelay
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Infrastructure:
    """What services share in one process: the bus and the request authenticator."""

    bus: Bus
    authenticator: Authenticator


@dataclass
class ServiceParts:
    """What a service's composition root hands to the platform."""

    routers: Sequence[APIRouter] = ()
    app: ServiceApplication | None = None
    outbound: Outbound | None = None
    projections: Sequence[Projection] = ()
    bus_projections: Sequence[BusProjection] = ()
    metadata: Sequence[MetaData] = ()
    state: dict[str, Any] = field(default_factory=dict)
    seed_demo_data: Callable[[], None] | None = None


class ServiceRuntime:
    """Runs one service's parts; ``start``/``stop`` are called by the CLI around the HTTP server."""

    def __init__(
        self, name: str, settings: ServiceSettings, infra: Infrastructure, engine: Engine, parts: ServiceParts
    ) -> None:
        self.name = name
        self.settings = settings
        self.infra = infra
        self.engine = engine
        self.parts = parts
        self.app = parts.app
        create_tables(engine, *parts.metadata)
        self.runners = {
            p.name: LocalProjectionRunner(parts.app, engine, p, batch_size=settings.projection_batch_size)
            for p in parts.projections
            if parts.app is not None
        }
        self.relay = (
            OutboxRelay(parts.app, engine, infra.bus, parts.outbound, batch_size=settings.relay_batch_size)
            if parts.app is not None and parts.outbound is not None
            else None
        )
        self.consumers = [ProjectionConsumer(name, engine, p) for p in parts.bus_projections]
        self._tasks: list[asyncio.Task[None]] = []
        self.background = True  # False: serve HTTP only (another process runs relay, projections, consumers)
        self.api = create_api(
            title=f"Omnibus {name}",
            routers=parts.routers,
            authenticator=infra.authenticator,
            state={**parts.state, "runtime": self, "wait_projected": self.wait_projected, "readiness": [self.ready]},
        )

    async def start(self) -> None:
        if not self.background:
            return
        if self.app is not None:
            self.app.start_change_feed()
        for runner in self.runners.values():
            runner.start()
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"relay:{self.name}"))
        for consumer in self.consumers:
            for subscription in consumer.subscriptions():
                await self.infra.bus.subscribe(subscription)
        if self.settings.demo_data and self.parts.seed_demo_data is not None:
            await asyncio.to_thread(self.parts.seed_demo_data)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for runner in self.runners.values():
            runner.stop()
        if self.app is not None:
            self.app.close()

    async def wait_projected(self, position: int) -> None:
        """Read-your-writes: wait until this service's projections include ``position``."""
        timeout = self.settings.read_your_writes_timeout
        for runner in self.runners.values():
            if self.background:
                caught_up = await runner.wait_for_async(position, timeout)
            else:  # the projector runs in another process: watch its stored position
                caught_up = await self._poll_position(runner.projection.name, position, timeout)
            if not caught_up:
                log.warning("projection %s lags behind position %d", runner.projection.name, position)

    async def _poll_position(self, name: str, position: int, timeout: float) -> bool:
        def stored() -> int:
            with self.engine.connect() as conn:
                return read_position(conn, name)

        deadline = asyncio.get_running_loop().time() + timeout
        while await asyncio.to_thread(stored) < position:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    async def ready(self) -> bool:
        def store_ok() -> bool:
            if self.app is not None:
                self.app.max_notification_id()
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True

        return await asyncio.to_thread(store_ok) and await self.infra.bus.is_ready()


@dataclass(frozen=True)
class ServiceDefinition:
    """Entry point of a service: its name and how to build it."""

    name: str
    build: Callable[[ServiceSettings, Infrastructure], ServiceRuntime]


def discover_services() -> dict[str, ServiceDefinition]:
    """Every installed service, from the ``omnibus.services`` entry points."""
    found: dict[str, ServiceDefinition] = {}
    for ep in entry_points(group="omnibus.services"):
        definition = ep.load()
        if not isinstance(definition, ServiceDefinition):
            raise TypeError(f"entry point {ep.name} is not a ServiceDefinition")
        found[definition.name] = definition
    return dict(sorted(found.items()))
