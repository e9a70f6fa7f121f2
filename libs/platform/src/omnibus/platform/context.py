"""The context of the command being handled: who, on behalf of which flow, under which trace.

HTTP middleware and message consumers set it; the event store stamps it on every event it records, so the
relay can publish actor, correlation, causation and trace context with each event.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from omnibus.contracts import Actor


@dataclass
class CommandContext:
    """Mutable on purpose: the auth dependency fills ``actor`` after the middleware opened the context."""

    actor: Actor = field(default_factory=Actor)
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    last_position: int | None = None  # notification id of the last event this command recorded
    # While a bus command is handled (omnibus.platform.commands), saves are collected here instead of committed:
    # the consumer commits them together with the command's reply, in one transaction.
    deferred_saves: list[Any] | None = None

    def as_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        actor = self.actor.model_dump(exclude_none=True)
        if actor:
            meta["actor"] = actor
        for key in ("correlation_id", "causation_id", "traceparent"):
            value = getattr(self, key)
            if value:
                meta[key] = value
        return meta


_current: ContextVar[CommandContext | None] = ContextVar("omnibus_command_context", default=None)


def current_context() -> CommandContext | None:
    return _current.get()


@contextmanager
def command_context(ctx: CommandContext) -> Iterator[CommandContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
