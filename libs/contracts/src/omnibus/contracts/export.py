"""Export the published language for other teams' subscribers: one JSON Schema per event and an AsyncAPI 3
document describing the ``omnibus.events`` exchange, its routing keys, headers and payloads.

    uv run omnibus contracts export docs/contracts     (or: omnibus-contracts docs/contracts)
"""

import json
import sys
from pathlib import Path
from typing import Any

from omnibus.contracts.base import IntegrationEvent
from omnibus.contracts.envelope import Envelope
from omnibus.contracts.registry import REGISTRY
from omnibus.contracts.topology import EVENTS_EXCHANGE


def event_schema(cls: type[IntegrationEvent]) -> dict[str, Any]:
    """The wire schema of an event's body (serialization mode: aliases, decimals as strings)."""
    schema = cls.model_json_schema(mode="serialization", by_alias=True)
    schema["$id"] = f"urn:omnibus:event:{cls.event_type()}"
    schema["title"] = cls.__name__
    schema["description"] = (cls.__doc__ or "").strip()
    schema["x-routing-key"] = cls.routing_key()
    schema["x-event-type"] = cls.event_type()
    return schema


def headers_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    schema["description"] = "AMQP headers of every event message; actor travels as a JSON string."
    return schema


def _components(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (or its ``$defs``) moved under ``#/components/schemas``, with local refs rewritten."""
    moved: dict[str, Any] = json.loads(json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/'))
    return moved


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    headers = headers_schema()
    schemas: dict[str, Any] = _components(headers.pop("$defs", {}))  # e.g. Actor: refs must resolve here
    schemas["EventHeaders"] = _components(headers)
    for cls in REGISTRY:
        key, message_id = cls.routing_key(), cls.event_type()
        schema = event_schema(cls)
        defs = schema.pop("$defs", {})
        schemas.update(_components(defs))
        schemas[message_id] = _components(schema)
        messages[message_id] = {
            "name": cls.name,
            "title": cls.__name__,
            "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.name,
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/EventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{message_id}"},
        }
        channels[key] = {
            "address": key,
            "messages": {cls.name: {"$ref": f"#/components/messages/{message_id}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": EVENTS_EXCHANGE, "type": "topic", "durable": True, "autoDelete": False},
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"publish.{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"{cls.context} publishes {cls.name}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Omnibus domain events",
            "version": "1.0.0",
            "description": (
                f"Every bounded context publishes its facts on the durable topic exchange `{EVENTS_EXCHANGE}` with "
                "routing key `<context>.<EventName>`. Messages are persistent JSON; headers carry the envelope "
                "(event_id is stable across re-publishes: deduplicate on it or on source+position)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def export(directory: str | Path) -> list[Path]:
    """Write ``schemas/<event_type>.json`` and ``asyncapi.json``; returns the written paths."""
    root = Path(directory)
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    written = []
    for cls in REGISTRY:
        path = root / "schemas" / f"{cls.event_type()}.json"
        path.write_text(json.dumps(event_schema(cls), indent=2, sort_keys=True) + "\n")
        written.append(path)
    path = root / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True) + "\n")
    written.append(path)
    return written


def main() -> None:
    for path in export(sys.argv[1] if len(sys.argv) > 1 else "contracts"):
        print(path)  # noqa: T201


if __name__ == "__main__":
    main()
