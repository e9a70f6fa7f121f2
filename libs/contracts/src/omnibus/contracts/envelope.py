"""The message envelope: AMQP headers that travel with every published event (ARCHITECTURE.md §5)."""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who caused the event (api-conventions.md §9, §10). Impersonated actions name the real staff user."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: int | None = Field(default=None, description="Acting user id (the real staff user when impersonating)")
    api_key_id: int | str | None = Field(default=None, description="API key id, or config key description")
    client_ip: str | None = Field(default=None, description="Client IP address of the request")
    impersonating_user_id: int | None = Field(default=None, description="Staff user impersonating a customer user")
    auth_method: str | None = Field(default=None, description="jwt | api_key | ip_whitelist | system")


class Envelope(BaseModel):
    """Metadata of one published event; carried as AMQP headers, the body is the event payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(description="Deterministic id: uuid5 of aggregate id and version; equal on re-publish")
    event_type: str = Field(description="Versioned type, e.g. customers.CustomerCreated.v1")
    event_version: int = Field(description="Schema version of the payload")
    source: str = Field(description="Publishing context, e.g. customers")
    position: int = Field(description="The event's notification id in the source's event store")
    aggregate_type: str = Field(description="Aggregate kind, e.g. Customer")
    aggregate_id: UUID = Field(description="Aggregate UUID (derived from the public integer id)")
    aggregate_version: int = Field(description="Version of the aggregate after this event")
    occurred_at: datetime = Field(description="When the event happened (UTC)")
    correlation_id: str | None = Field(default=None, description="Business flow id (request id, provision_id, ...)")
    causation_id: str | None = Field(default=None, description="Id of the message or request that caused this event")
    traceparent: str | None = Field(default=None, description="W3C trace context of the causing operation")
    actor: Actor = Field(default_factory=Actor, description="Who caused the event")

    def to_headers(self) -> dict[str, Any]:
        """AMQP header table (strings and ints only, no nulls)."""
        return envelope_headers(
            event_id=str(self.event_id),
            event_type=self.event_type,
            event_version=self.event_version,
            source=self.source,
            position=self.position,
            aggregate_type=self.aggregate_type,
            aggregate_id=str(self.aggregate_id),
            aggregate_version=self.aggregate_version,
            occurred_at=self.occurred_at.isoformat(),
            actor=self.actor.model_dump(),
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            traceparent=self.traceparent,
        )

    @classmethod
    def from_headers(cls, headers: dict[str, Any]) -> "Envelope":
        """Parse and validate an AMQP header table (raises pydantic.ValidationError when malformed)."""
        data = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}
        actor = data.get("actor")
        if isinstance(actor, str):
            data["actor"] = Actor.model_validate_json(actor)
        return cls.model_validate(data)


ACTOR_FIELDS = tuple(Actor.model_fields)


def envelope_headers(
    *,
    event_id: str,
    event_type: str,
    event_version: int,
    source: str,
    position: int,
    aggregate_type: str,
    aggregate_id: str,
    aggregate_version: int,
    occurred_at: str,
    actor: Mapping[str, Any],
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> dict[str, Any]:
    """The header table of an envelope from values already in wire form: the relay's path, which skips building
    (and validating) an ``Envelope`` per event. ``Envelope.from_headers`` reads it back."""
    known = {k: actor[k] for k in ACTOR_FIELDS if actor.get(k) is not None}
    headers: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "event_version": event_version,
        "source": source,
        "position": position,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "aggregate_version": aggregate_version,
        "occurred_at": occurred_at,
        "actor": json.dumps(known, separators=(",", ":")),
    }
    for key, value in (
        ("correlation_id", correlation_id),
        ("causation_id", causation_id),
        ("traceparent", traceparent),
    ):
        if value is not None:
            headers[key] = value
    return headers
