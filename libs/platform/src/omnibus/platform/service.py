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

from omnibus.contracts.commands import Command
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform import metrics
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.auth.directory import AccessDirectory, AccessDirectoryProjection
from omnibus.platform.auth.directory import metadata as access_metadata
from omnibus.platform.commands import CommandConsumer
from omnibus.platform.consumers import BusProjection, Reaction, source_consumers
from omnibus.platform.eventstore import ServiceApplication
from omnibus.platform.http.app import create_api
from omnibus.platform.messaging.bus import Bus
from omnibus.platform.peers import Peers
from omnibus.platform.projections import LocalProjectionRunner, Projection
from omnibus.platform.readmodels import create_tables, read_position
from omnibus.platform.relay import Outbound, OutboxRelay
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Infrastructure:
    """What services share in one process: the bus, the request authenticator, and the way to other services."""

    bus: Bus
    authenticator: Authenticator
    peers: Peers = field(default_factory=lambda: Peers(None))


@dataclass
class ServiceParts:
    """What a service's composition root hands to the platform."""

    routers: Sequence[APIRouter] = ()
    app: ServiceApplication | None = None
    outbound: Outbound | None = None
    projections: Sequence[Projection] = ()
    bus_projections: Sequence[BusProjection] = ()
    reactions: Sequence[Reaction] = ()
    commands: CommandConsumer | None = None  # the service's command queue (omnibus.platform.commands)
    sends: Sequence[type[Command]] = ()  # commands it issues: their queues are declared before it runs
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
        create_tables(engine, *parts.metadata, access_metadata)
        # Every service keeps its own copy of identity's roles and API keys and checks them without calling it.
        self.directory = AccessDirectory(engine)
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
        access = AccessDirectoryProjection(self.directory)
        self.consumers = source_consumers(name, engine, [*parts.bus_projections, access, *parts.reactions])
        self._tasks: list[asyncio.Task[None]] = []
        self.background = True  # False: serve HTTP only (another process runs relay, projections, consumers)
        self._stored_positions = StoredPositions(engine, list(self.runners))
        self.api = create_api(
            title=f"Omnibus {name}",
            service=name,
            routers=parts.routers,
            authenticator=infra.authenticator.with_directory(self.directory),
            state={**parts.state, "runtime": self, "wait_projected": self.wait_projected, "readiness": [self.ready]},
        )

    async def start(self) -> None:
        # Declare this service's subscription queues first, whatever the role: a queue bound late would miss the
        # events published before it existed (RabbitMQ drops what no queue is bound to receive).
        for consumer in self.consumers:
            for subscription in consumer.subscriptions():
                await self.infra.bus.declare_queue(subscription.queue, subscription.bindings)
        # Command queues likewise: the direct exchange drops a command no queue is bound to receive.
        for queue, keys in self._command_queues().items():
            await self.infra.bus.declare_queue(queue, keys, exchange=COMMANDS_EXCHANGE)
        if not self.background:
            return
        if self.app is not None:
            self.app.start_change_feed()
            metrics.watch(self)
        for runner in self.runners.values():
            runner.start()
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"relay:{self.name}"))
        for consumer in self.consumers:
            for subscription in consumer.subscriptions():
                await self.infra.bus.subscribe(subscription)
        if self.parts.commands is not None:
            await self.infra.bus.subscribe(self.parts.commands.subscription())
        if self.settings.demo_data and self.parts.seed_demo_data is not None:
            await asyncio.to_thread(self.parts.seed_demo_data)

    def _command_queues(self) -> dict[str, tuple[str, ...]]:
        """Queues of the commands this service takes and sends, with their routing keys."""
        queues: dict[str, set[str]] = {}
        if self.parts.commands is not None:
            queues[self.parts.commands.queue] = set(self.parts.commands.bindings())
        for command in self.parts.sends:
            queues.setdefault(command.queue, set()).add(command.routing_key())
        return {queue: tuple(sorted(keys)) for queue, keys in queues.items()}

    async def stop(self) -> None:
        metrics.unwatch(self)
        if self.relay is not None:
            self.relay.stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for runner in self.runners.values():
            runner.stop()
        if self.app is not None:
            # Not app.close(): a cancelled relay's last read may still run in a worker thread, and closing the
            # store under it crashes SQLite. The connections go with the application object.
            self.app.stop_change_feed()

    async def wait_projected(self, position: int) -> None:
        """Read-your-writes: wait until this service's projections include ``position``."""
        timeout = self.settings.read_your_writes_timeout
        if self.background:
            for runner in self.runners.values():
                if not await runner.wait_for_async(position, timeout):
                    log.warning("projection %s lags behind position %d", runner.projection.name, position)
        elif self.runners and not await self._stored_positions.wait(position, timeout):
            log.warning("projections of %s lag behind position %d", self.name, position)

    def metric_positions(self) -> tuple[int | None, int | None, dict[str, int]]:
        """For the metrics scrape: the store's head, the relay's confirmed position, each projection's."""
        if self.app is None:
            return None, None, {}
        relayed = self.relay.position if self.relay is not None else None
        return self.app.max_notification_id(), relayed, {n: r.position for n, r in self.runners.items()}

    async def ready(self) -> bool:
        def store_ok() -> bool:
            if self.app is not None:
                self.app.max_notification_id()
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True

        return await asyncio.to_thread(store_ok) and await self.infra.bus.is_ready()


class StoredPositions:
    """Read-your-writes when the projections run in another process: ONE poller reads their stored positions
    while requests wait, however many requests wait."""

    def __init__(self, engine: Engine, names: list[str]) -> None:
        self.engine = engine
        self.names = names
        self.known = -1
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def wait(self, position: int, timeout: float) -> bool:
        if self.known >= position:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (position, future)
        self._waiters.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def _poll(self) -> None:
        while self._waiters:
            try:
                self.known = await asyncio.to_thread(self._read)
            except Exception:  # database unreachable: the waiters time out and log; keep watching meanwhile
                log.exception("cannot read the projection positions of %s", self.names)
                await asyncio.sleep(0.5)
                continue
            for _, future in [w for w in self._waiters if w[0] <= self.known]:
                if not future.done():
                    future.set_result(None)
            await asyncio.sleep(0.003)

    def _read(self) -> int:
        with self.engine.connect() as conn:
            return min(read_position(conn, name) for name in self.names)


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
