"""The outbox relay: publishes a service's recorded events, in order, from its own event store (ARCHITECTURE §5).

It follows the notification log, maps each domain event to its public contract (unpublished events are
skipped), publishes a batch with pipelined confirms, and records the confirmed position (every 100 ms). A crash
can only cause a re-publish (same ``event_id``), never a loss. One relay runs per service: on PostgreSQL it
holds an advisory lock, so a second instance waits as a standby.

Commands travel the same way (ARCHITECTURE §5, §6): a domain event the mapping turns into an ``OutgoingCommand``
is sent to the ``omnibus.commands`` exchange (message id ``<command_id>#<attempt>``), so recording a decision and
sending its command are atomic. The replies of the service's own command consumer (``CommandInbox`` events) are
published as ``Outbound.replies``.
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine

from omnibus.contracts import IntegrationEvent
from omnibus.contracts.commands import Command, CommandReplied, command_headers
from omnibus.contracts.envelope import envelope_headers
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform import leadership
from omnibus.platform.commands import reply_of
from omnibus.platform.eventstore import ServiceApplication, event_id, event_meta
from omnibus.platform.messaging.bus import Bus, OutgoingMessage
from omnibus.platform.readmodels import read_position, write_position
from omnibus.platform.telemetry import span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingCommand:
    """A command a domain event stands for: sent to its context by the relay (``to_integration`` returns it)."""

    command: Command
    command_id: str
    attempt: int = 1
    correlation_id: str | None = None


ToIntegration = Callable[[Any], IntegrationEvent | OutgoingCommand | None]
LINGER = 0.003  # seconds a woken relay waits so that events committed meanwhile share its batch
CHECKPOINT_INTERVAL = 0.1  # seconds between recordings of the confirmed position


@dataclass(frozen=True)
class Outbound:
    """A service's publishing rules: its context name, the mapping, and the domain-event topics it publishes."""

    source: str
    to_integration: ToIntegration
    topics: tuple[str, ...]
    replies: type[CommandReplied] | None = None  # the context's reply event, when it takes commands


def to_message(outbound: Outbound, notification: Notification, domain_event: Any) -> OutgoingMessage | None:
    """The bus message of one recorded event, or None when the event is private."""
    payload = outbound.to_integration(domain_event)
    if payload is None and outbound.replies is not None:
        payload = reply_of(domain_event, outbound.replies)
    if payload is None:
        return None
    meta = event_meta(domain_event)
    if isinstance(payload, OutgoingCommand):
        return _command_message(outbound, payload, domain_event, meta)
    originator = notification.originator_id
    aggregate = originator if isinstance(originator, UUID) else UUID(str(originator))
    message_id = str(event_id(aggregate, notification.originator_version))
    headers = envelope_headers(
        event_id=message_id,
        event_type=payload.event_type(),
        event_version=payload.version,
        source=outbound.source,
        position=notification.id,
        aggregate_type=payload.aggregate_type,
        aggregate_id=str(aggregate),
        aggregate_version=notification.originator_version,
        occurred_at=domain_event.timestamp.isoformat(),
        actor=meta.get("actor") or {},
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        traceparent=meta.get("traceparent"),
    )
    return OutgoingMessage(
        routing_key=payload.routing_key(),
        body=payload.model_dump_json().encode(),
        message_id=message_id,
        headers=headers,
    )


def _command_message(
    outbound: Outbound, outgoing: OutgoingCommand, domain_event: Any, meta: dict[str, Any]
) -> OutgoingMessage:
    command = outgoing.command
    headers = command_headers(
        command_id=outgoing.command_id,
        command_type=command.command_type(),
        source=outbound.source,
        issued_at=domain_event.timestamp.isoformat(),
        attempt=outgoing.attempt,
        actor=meta.get("actor") or {},
        correlation_id=outgoing.correlation_id or meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        traceparent=meta.get("traceparent"),
    )
    return OutgoingMessage(
        routing_key=command.routing_key(),
        body=command.model_dump_json().encode(),
        message_id=f"{outgoing.command_id}#{outgoing.attempt}",
        headers=headers,
        exchange=COMMANDS_EXCHANGE,
    )


def messages_for(
    app: ServiceApplication, outbound: Outbound, notifications: Sequence[Notification]
) -> list[OutgoingMessage]:
    messages = []
    for notification in notifications:
        message = to_message(outbound, notification, app.mapper.to_domain_event(notification))
        if message is not None:
            messages.append(message)
    return messages


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(callback)


class OutboxRelay:
    """Runs as an asyncio task next to the service; see the module docstring."""

    def __init__(
        self, app: ServiceApplication, engine: Engine, bus: Bus, outbound: Outbound, *, batch_size: int = 500
    ) -> None:
        self.app = app
        self.engine = engine
        self.bus = bus
        self.outbound = outbound
        self.batch_size = batch_size
        self.tracking_name = f"relay:{outbound.source}"
        self.position = 0  # last position confirmed by the broker
        self.saved = 0  # last position recorded in the store (a crash re-publishes from here)
        self.published = 0
        self._wake: asyncio.Event | None = None
        self._lock_conn: Connection | None = None
        self.stopping = threading.Event()  # ends a standby's wait for the lead (it runs in a worker thread)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        wake = self._wake
        self.app.add_listener(lambda _: _call_soon(loop, wake.set))
        await asyncio.to_thread(self._acquire_leadership)
        checkpoints: asyncio.Task[None] | None = None
        try:
            self.position = self.saved = await asyncio.to_thread(self._load_position)
            checkpoints = asyncio.create_task(self._checkpoint_every(CHECKPOINT_INTERVAL))
            backoff = 0.2
            # Not ``while True``: on Python 3.11 ``asyncio.wait_for`` swallows a cancellation that arrives as its
            # inner wait completes (a save waking the relay during shutdown), and the task would then run forever.
            while not self.stopping.is_set():
                wake.clear()
                try:
                    published = await self.relay_once()
                    backoff = 0.2
                except Exception:  # broker or database down: retry from the last confirmed position
                    log.exception("relay %s failed; retrying in %.1fs", self.tracking_name, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if published < self.batch_size:
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=1.0)
                    except TimeoutError:
                        continue
                    await asyncio.sleep(LINGER)  # let concurrent commits join the next batch
        finally:
            if checkpoints is not None:
                checkpoints.cancel()
                await asyncio.gather(checkpoints, return_exceptions=True)
            with contextlib.suppress(Exception):  # best effort: a failed save only means re-publishing
                await self.checkpoint()
            await asyncio.to_thread(self._release_leadership)

    async def relay_once(self) -> int:
        """Publish the next batch; returns the number of notifications consumed from the log."""
        notifications = await asyncio.to_thread(self.app.read_notifications, self.position, self.batch_size)
        if not notifications:
            return 0
        messages = messages_for(self.app, self.outbound, notifications)
        if messages:
            attributes: dict[str, str | int] = {
                "messaging.batch.message_count": len(messages),
                "omnibus.source": self.outbound.source,
            }
            with span("relay.publish", attributes):
                await self.bus.publish(messages)
        self.position = notifications[-1].id
        self.published += len(messages)
        return len(notifications)

    async def checkpoint(self) -> None:
        """Record the confirmed position, if it moved."""
        position = self.position
        if position > self.saved:
            await asyncio.to_thread(self._save_position, position)
            self.saved = position

    async def _checkpoint_every(self, interval: float) -> None:
        # Recording the position is a transaction; once per interval instead of once per batch keeps it off the
        # hot path. A crash re-publishes at most one interval's events, with their stable event_ids.
        while True:
            await asyncio.sleep(interval)
            try:
                await self.checkpoint()
            except Exception:
                log.exception("relay %s could not record its position", self.tracking_name)

    def _load_position(self) -> int:
        with self.engine.connect() as conn:
            return read_position(conn, self.tracking_name)

    def _save_position(self, position: int) -> None:
        with self.engine.begin() as conn:
            write_position(conn, self.tracking_name, position)

    def _acquire_leadership(self) -> None:
        self._lock_conn = leadership.acquire(self.engine, self.tracking_name, self.stopping)

    def _release_leadership(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()
            self._lock_conn = None
