"""Commands: requests to ONE context, and the event that answers each (ARCHITECTURE.md §5, §6).

A command travels on the ``omnibus.commands`` direct exchange with routing key ``<context>.<Name>`` to the
receiving service's durable queue ``<service>.commands``. Its body is the command's payload; its headers
(``command_headers``) say who issued it, for which flow (``correlation_id``: e.g. ``provision:456``), under which
trace, and which attempt it is. The issuer records the command as an event first and its relay sends it, so
deciding and sending are atomic.

Every command is answered by exactly one reply event of the receiving context, ``<context>.CommandReplied``,
published on ``omnibus.events`` by the receiver's relay: ``outcome`` ``completed`` (with ``result``) or
``rejected`` (with ``reason``: the receiver refused for good). The reply carries the command's id and
correlation id, and ``issuer``, so an issuer can ignore replies to other contexts' commands. A command that
cannot be decoded is dead-lettered and never answered; its issuer's deadline covers that.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from omnibus.contracts.base import IntegrationEvent
from omnibus.contracts.envelope import ACTOR_FIELDS, Actor

COMMAND_HEADERS = ("command_id", "command_type", "source", "issued_at", "attempt")


class Command(BaseModel):
    """A request to one context. Subclasses set ``context``, ``name`` and ``queue`` (the receiving service's
    command queue). Commands are strict (unknown fields are refused) and must be idempotent for the receiver:
    the same ``command_id`` may arrive more than once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    context: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[int] = 1
    queue: ClassVar[str]

    @classmethod
    def command_type(cls) -> str:
        """The versioned wire type, e.g. ``catalog.ReserveInventoryItem.v1``."""
        return f"{cls.context}.{cls.name}.v{cls.version}"

    @classmethod
    def routing_key(cls) -> str:
        """The routing key on ``omnibus.commands``, e.g. ``catalog.ReserveInventoryItem``."""
        return f"{cls.context}.{cls.name}"


class CommandEnvelope(BaseModel):
    """Metadata of one command message (AMQP headers)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    command_id: str = Field(min_length=1, max_length=255, description="Issuer's id of the command (stable)")
    command_type: str = Field(description="Versioned type, e.g. catalog.ReserveInventoryItem.v1")
    source: str = Field(description="Issuing context, e.g. provisioning")
    issued_at: datetime = Field(description="When the issuer recorded the command (UTC)")
    attempt: int = Field(default=1, ge=1, description="1, or more when the issuer sent it again after a timeout")
    correlation_id: str | None = Field(default=None, description="Business flow id, e.g. provision:456")
    causation_id: str | None = Field(default=None, description="Id of the event or request that caused it")
    traceparent: str | None = Field(default=None, description="W3C trace context of the issuing operation")
    actor: Actor = Field(default_factory=Actor, description="Who caused the command")

    @classmethod
    def from_headers(cls, headers: Mapping[str, Any]) -> "CommandEnvelope":
        data = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}
        if isinstance(data.get("actor"), str):
            data["actor"] = Actor.model_validate_json(data["actor"])
        return cls.model_validate(data)


def command_headers(
    *,
    command_id: str,
    command_type: str,
    source: str,
    issued_at: str,
    attempt: int,
    actor: Mapping[str, Any],
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> dict[str, Any]:
    """The AMQP header table of a command (strings and ints only, no nulls)."""
    known = {k: actor[k] for k in ACTOR_FIELDS if actor.get(k) is not None}
    headers: dict[str, Any] = {
        "command_id": command_id,
        "command_type": command_type,
        "source": source,
        "issued_at": issued_at,
        "attempt": attempt,
        "actor": json.dumps(known, separators=(",", ":")),
    }
    optional = {"correlation_id": correlation_id, "causation_id": causation_id, "traceparent": traceparent}
    headers.update({k: v for k, v in optional.items() if v is not None})
    return headers


class CommandReplied(IntegrationEvent):
    """The answer to one command (base class: each receiving context publishes its own subclass)."""

    name: ClassVar[str] = "CommandReplied"
    aggregate_type: ClassVar[str] = "CommandInbox"

    command_id: str = Field(description="Id of the command answered")
    command_type: str = Field(description="Its versioned type")
    issuer: str = Field(description="Context that issued the command")
    correlation_id: str | None = Field(default=None, description="The command's correlation id")
    outcome: Literal["completed", "rejected"] = Field(description="completed, or rejected for good")
    result: dict[str, Any] = Field(default_factory=dict, description="What the command produced (ids, ...)")
    reason: str | None = Field(default=None, description="Why it was rejected")
    attempt: int = Field(default=1, description="The attempt this reply answers")
