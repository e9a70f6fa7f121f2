"""Command consumers: the ``omnibus.commands`` exchange -> one service's application (ARCHITECTURE.md §5, §6).

A service that takes commands declares one durable queue (``<service>.commands``) bound to its routing keys
(``<context>.<CommandName>``) and one handler per command: ``handler(command, app) -> result`` (a dict), or
``CommandRejected`` to refuse it for good.

Exactly once in effect. Each handled command leaves a ``CommandInbox`` aggregate, keyed by the command's id, whose
creation event IS the reply. While the handler runs, the application's saves are collected instead of committed
(``CommandContext.deferred_saves``); afterwards the consumer commits them together with the inbox in ONE save: the
handler's effects and the fact that the command was handled are one transaction, like an event consumer's rows
and tracking. A redelivered command finds its inbox and is acknowledged without effect; two deliveries racing
conflict on the inbox's version and one of them wins. A concurrent change of the same aggregates (an optimistic
concurrency conflict) makes the handler decide again, on fresh state.

Handlers whose use cases must commit before an external call, or read back what they saved (the charging
gateway's CGRateS calls), run with ``deferred=False``: their saves commit as they happen and the inbox follows, so
they must be idempotent by state (as every consumer is, CONVENTIONS 6.1.5).

The reply is published by the service's relay as ``<context>.CommandReplied`` (``Outbound.replies``) with the
command's correlation id. A command sent again by its issuer after a timeout (header ``attempt`` > the one
answered) gets its reply again (``ReplyRepeated``): the first reply may have been lost with an in-process bus.

Failures: an undecodable command (unknown routing key, invalid body or headers) is dead-lettered at once with the
reason; any other error is retried by the bus with back-off, then dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from omnibus.contracts.commands import Command, CommandEnvelope, CommandReplied
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import NAMESPACE, ServiceApplication
from omnibus.platform.messaging.bus import Delivery, Outcome, PermanentError, RetryPolicy, Subscription
from omnibus.platform.telemetry import current_traceparent, span

log = logging.getLogger(__name__)

CommandHandler = Callable[[Any, Any], Mapping[str, Any] | None]
DECIDE_ATTEMPTS = 5  # a handler decides again this often when its saves conflict with a concurrent change


class CommandRejected(Exception):
    """The receiver refuses the command for good (a business reason): answered ``rejected``, not retried."""


def inbox_id(issuer: str, command_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"command:{issuer}:{command_id}")


class CommandInbox(Aggregate):
    """A handled command and its reply (the creation event is the reply; see the module docstring)."""

    id: uuid.UUID

    class Replied(Aggregate.Created):
        command_id: str
        command_type: str
        issuer: str
        correlation_id: str | None
        outcome: str  # completed | rejected
        result: dict[str, Any]
        reason: str | None
        attempt: int

    class ReplyRepeated(Aggregate.Event):
        command_id: str
        command_type: str
        issuer: str
        correlation_id: str | None
        outcome: str
        result: dict[str, Any]
        reason: str | None
        attempt: int

    @event(Replied)
    def __init__(
        self,
        *,
        command_id: str,
        command_type: str,
        issuer: str,
        correlation_id: str | None,
        outcome: str,
        result: dict[str, Any],
        reason: str | None,
        attempt: int,
    ) -> None:
        self.reply: dict[str, Any] = {
            "command_id": command_id,
            "command_type": command_type,
            "issuer": issuer,
            "correlation_id": correlation_id,
            "outcome": outcome,
            "result": result,
            "reason": reason,
        }
        self.attempt = attempt

    def repeat_reply(self, attempt: int) -> bool:
        """Answer a later attempt of the same command again (no effect is applied twice)."""
        if attempt <= self.attempt:
            return False
        self._reply_repeated(**self.reply, attempt=attempt)
        return True

    @event(ReplyRepeated)
    def _reply_repeated(
        self,
        command_id: str,
        command_type: str,
        issuer: str,
        correlation_id: str | None,
        outcome: str,
        result: dict[str, Any],
        reason: str | None,
        attempt: int,
    ) -> None:
        self.attempt = attempt


def reply_of(event: Any, reply_class: type[CommandReplied]) -> CommandReplied | None:
    """The public reply of an inbox event (the relay's mapping), or None for any other event."""
    if not isinstance(event, CommandInbox.Replied | CommandInbox.ReplyRepeated):
        return None
    return reply_class(
        command_id=event.command_id,
        command_type=event.command_type,
        issuer=event.issuer,
        correlation_id=event.correlation_id,
        outcome=event.outcome,  # type: ignore[arg-type]
        result=event.result,
        reason=event.reason,
        attempt=event.attempt,
    )


class CommandConsumer:
    """One service's command queue; see the module docstring."""

    def __init__(
        self,
        app: ServiceApplication,
        queue: str,
        handlers: Mapping[type[Command], CommandHandler],
        *,
        deferred: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.app = app
        self.queue = queue
        self.handlers = dict(handlers)
        self.deferred = deferred
        self.retry = retry or RetryPolicy()
        self.by_routing_key = {cls.routing_key(): cls for cls in self.handlers}

    def bindings(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_routing_key))

    def subscription(self) -> Subscription:
        return Subscription(
            self.queue, self.bindings(), self.handle, self.retry, prefetch=64, max_batch=32, exchange=COMMANDS_EXCHANGE
        )

    async def handle(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        # one at a time, in order: a duplicate later in the batch then finds the inbox its original just saved
        return [await asyncio.to_thread(self.handle_one, delivery) for delivery in deliveries]

    def handle_one(self, delivery: Delivery) -> Outcome:
        try:
            command, envelope = self._decode(delivery)
        except PermanentError as error:
            log.warning("%s: %s", self.queue, error)
            return error
        attributes: dict[str, str | int] = {"omnibus.command_id": envelope.command_id, "omnibus.queue": self.queue}
        with span(f"handle {envelope.command_type}", attributes, parent=envelope.traceparent, kind=SpanKind.CONSUMER):
            try:
                self._handle(command, envelope)
            except Exception as error:  # transient (database, broker, a peer): retried by the bus with back-off
                log.warning("%s: %s %s failed: %r", self.queue, envelope.command_type, envelope.command_id, error)
                return error
        return None

    def _decode(self, delivery: Delivery) -> tuple[Command, CommandEnvelope]:
        command_class = self.by_routing_key.get(delivery.routing_key)
        if command_class is None:
            raise PermanentError(f"unknown command {delivery.routing_key!r}")
        try:
            envelope = CommandEnvelope.from_headers(delivery.headers)
            command = command_class.model_validate_json(delivery.body)
        except (ValidationError, ValueError, TypeError) as error:
            raise PermanentError(f"invalid {command_class.name} {delivery.message_id}: {error}") from None
        if envelope.command_type != command_class.command_type():
            raise PermanentError(f"routing key {delivery.routing_key} carries a {envelope.command_type}")
        return command, envelope

    def _handle(self, command: Command, envelope: CommandEnvelope) -> None:
        for _ in range(DECIDE_ATTEMPTS):
            inbox = self._inbox(envelope)
            if inbox is not None:  # handled before: no effect; a later attempt of the issuer gets the reply again
                if inbox.repeat_reply(envelope.attempt):
                    with command_context(self._context(envelope, None)):
                        self.app.save(inbox)
                return
            try:
                self._decide_and_commit(command, envelope)
                return
            except IntegrityError:  # a concurrent change (or a concurrent delivery): decide again on fresh state
                continue
        raise IntegrityError(f"{envelope.command_type} {envelope.command_id} kept conflicting")

    def _decide_and_commit(self, command: Command, envelope: CommandEnvelope) -> None:
        saves: list[Any] | None = [] if self.deferred else None
        ctx = self._context(envelope, saves)
        with command_context(ctx):
            try:
                result, outcome, reason = dict(self.handlers[type(command)](command, self.app) or {}), "completed", None
            except CommandRejected as refusal:
                log.info("%s: %s %s rejected: %s", self.queue, envelope.command_type, envelope.command_id, refusal)
                result, outcome, reason = {}, "rejected", str(refusal)
            ctx.deferred_saves = None
            inbox = CommandInbox(
                id=inbox_id(envelope.source, envelope.command_id),  # type: ignore[call-arg]
                command_id=envelope.command_id,
                command_type=envelope.command_type,
                issuer=envelope.source,
                correlation_id=envelope.correlation_id,
                outcome=outcome,
                result=result,
                reason=reason,
                attempt=envelope.attempt,
            )
            self.app.save(*_unique(saves or []), inbox)

    def _inbox(self, envelope: CommandEnvelope) -> CommandInbox | None:
        try:
            found: Any = self.app.repository.get(inbox_id(envelope.source, envelope.command_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, CommandInbox) else None

    @staticmethod
    def _context(envelope: CommandEnvelope, saves: list[Any] | None) -> CommandContext:
        return CommandContext(
            actor=envelope.actor,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.command_id,
            traceparent=current_traceparent() or envelope.traceparent,
            deferred_saves=saves,
        )


def _unique(objects: Sequence[Any]) -> list[Any]:
    seen: set[int] = set()
    unique = []
    for obj in objects:
        if id(obj) not in seen:
            seen.add(id(obj))
            unique.append(obj)
    return unique
