"""Envelope <-> AMQP headers."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from omnibus.contracts import Actor, Envelope
from omnibus.contracts.envelope import envelope_headers


def an_envelope(**overrides: object) -> Envelope:
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "event_type": "customers.CustomerCreated.v1",
        "event_version": 1,
        "source": "customers",
        "position": 42,
        "aggregate_type": "Customer",
        "aggregate_id": uuid.uuid4(),
        "aggregate_version": 3,
        "occurred_at": datetime(2025, 1, 4, 10, 30, 15, 123456, tzinfo=UTC),
        "correlation_id": "corr-1",
        "causation_id": "cause-1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "actor": Actor(user_id=7, client_ip="10.0.0.1", auth_method="jwt"),
    }
    fields.update(overrides)
    return Envelope.model_validate(fields)


def test_headers_round_trip_to_an_equal_envelope() -> None:
    envelope = an_envelope()

    parsed = Envelope.from_headers(envelope.to_headers())

    assert parsed == envelope


def test_actor_travels_as_a_json_string_without_nulls() -> None:
    envelope = an_envelope(actor=Actor(user_id=7, auth_method="jwt"))

    headers = envelope.to_headers()

    assert json.loads(headers["actor"]) == {"user_id": 7, "auth_method": "jwt"}


def test_actor_fields_survive_the_round_trip() -> None:
    actor = Actor(user_id=1, api_key_id="Monitoring", client_ip="::1", impersonating_user_id=9, auth_method="api_key")

    parsed = Envelope.from_headers(an_envelope(actor=actor).to_headers())

    assert parsed.actor == actor


def test_optional_fields_that_are_none_are_absent_from_the_headers() -> None:
    envelope = an_envelope(correlation_id=None, causation_id=None, traceparent=None)

    headers = envelope.to_headers()

    assert not {"correlation_id", "causation_id", "traceparent"} & headers.keys()
    assert None not in headers.values()


def test_absent_optional_headers_parse_as_none() -> None:
    headers = an_envelope(correlation_id=None, causation_id=None, traceparent=None).to_headers()

    parsed = Envelope.from_headers(headers)

    assert (parsed.correlation_id, parsed.causation_id, parsed.traceparent) == (None, None, None)


def test_header_values_are_only_strings_and_ints() -> None:
    headers = an_envelope().to_headers()

    assert all(isinstance(v, str | int) for v in headers.values())


def test_bytes_header_values_are_accepted() -> None:
    envelope = an_envelope()
    as_bytes = {k: v.encode() if isinstance(v, str) else v for k, v in envelope.to_headers().items()}

    parsed = Envelope.from_headers(as_bytes)

    assert parsed == envelope


def test_headers_without_an_actor_give_an_empty_actor() -> None:
    headers = an_envelope().to_headers()
    del headers["actor"]

    parsed = Envelope.from_headers(headers)

    assert parsed.actor == Actor()


def test_unknown_headers_are_ignored() -> None:
    envelope = an_envelope()

    parsed = Envelope.from_headers({**envelope.to_headers(), "x-death": "whatever", "x-retry": 2})

    assert parsed == envelope


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"event_id": "not-a-uuid"}, id="bad-event-id"),
        pytest.param({"position": "forty-two"}, id="bad-position"),
        pytest.param({"occurred_at": "yesterday"}, id="bad-occurred-at"),
        pytest.param({"actor": "{not json"}, id="actor-not-json"),
        pytest.param({"actor": '{"user_id": "seven"}'}, id="actor-bad-user-id"),
        pytest.param({"event_type": None}, id="null-event-type"),
    ],
)
def test_malformed_headers_raise_validation_error(change: dict[str, object]) -> None:
    headers = {**an_envelope().to_headers(), **change}

    with pytest.raises(ValidationError):
        Envelope.from_headers(headers)


@pytest.mark.parametrize("missing", ["event_id", "event_type", "source", "position", "aggregate_id", "occurred_at"])
def test_a_missing_required_header_raises_validation_error(missing: str) -> None:
    headers = an_envelope().to_headers()
    del headers[missing]

    with pytest.raises(ValidationError):
        Envelope.from_headers(headers)


def test_envelope_headers_from_wire_values_equal_the_envelope_s_own() -> None:
    envelope = an_envelope(actor=Actor(user_id=3, auth_method="jwt", client_ip="192.0.2.4"), traceparent=None)

    direct = envelope_headers(
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        event_version=envelope.event_version,
        source=envelope.source,
        position=envelope.position,
        aggregate_type=envelope.aggregate_type,
        aggregate_id=str(envelope.aggregate_id),
        aggregate_version=envelope.aggregate_version,
        occurred_at=envelope.occurred_at.isoformat(),
        actor={"user_id": 3, "auth_method": "jwt", "client_ip": "192.0.2.4", "unknown": "dropped", "api_key_id": None},
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
    )

    assert direct == envelope.to_headers()
    assert Envelope.from_headers(direct) == envelope
