"""AsyncAPI document and schema export for other teams' subscribers."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnibus.contracts import REGISTRY
from omnibus.contracts.export import asyncapi_document, event_schema, export
from omnibus.contracts.topology import EVENTS_EXCHANGE


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _follow(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and token in node, f"{ref} does not resolve (no {token!r})"
        node = node[token]
    return node


def test_document_is_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"


def test_there_is_one_channel_per_routing_key(document: dict[str, Any]) -> None:
    assert set(document["channels"]) == {cls.routing_key() for cls in REGISTRY}


def test_channel_address_is_the_routing_key(document: dict[str, Any]) -> None:
    assert all(channel["address"] == key for key, channel in document["channels"].items())


def test_every_channel_is_bound_to_the_events_exchange(document: dict[str, Any]) -> None:
    exchanges = [channel["bindings"]["amqp"]["exchange"] for channel in document["channels"].values()]

    assert all(e["name"] == EVENTS_EXCHANGE and e["type"] == "topic" for e in exchanges)


def test_every_channel_has_a_send_operation(document: dict[str, Any]) -> None:
    operations = document["operations"].values()

    assert all(op["action"] == "send" for op in operations)
    assert {op["channel"]["$ref"] for op in operations} == {f"#/channels/{k}" for k in document["channels"]}


def test_every_ref_in_the_document_resolves_inside_the_document(document: dict[str, Any]) -> None:
    refs = sorted(set(_refs(document)))

    unresolved = []
    for ref in refs:
        try:
            _follow(document, ref)
        except AssertionError as error:
            unresolved.append(str(error))

    assert refs and not unresolved, unresolved


def test_every_message_payload_is_the_event_schema(document: dict[str, Any]) -> None:
    for cls in REGISTRY:
        message = document["components"]["messages"][cls.event_type()]

        payload = _follow(document, message["payload"]["$ref"])

        assert payload["properties"].keys() == event_schema(cls)["properties"].keys()


def test_message_headers_describe_the_envelope(document: dict[str, Any]) -> None:
    message = next(iter(document["components"]["messages"].values()))

    headers = _follow(document, message["headers"]["$ref"])

    assert {"event_id", "event_type", "position", "actor"} <= headers["properties"].keys()


def test_the_document_is_plain_json(document: dict[str, Any]) -> None:
    assert json.loads(json.dumps(document)) == document


def test_export_writes_one_schema_per_event_and_the_asyncapi_document(tmp_path: Path) -> None:
    written = export(tmp_path)

    schemas = {tmp_path / "schemas" / f"{cls.event_type()}.json" for cls in REGISTRY}
    expected = schemas | {tmp_path / "asyncapi.json"}
    assert set(written) == expected
    assert all(path.is_file() for path in expected)


def test_exported_schemas_equal_event_schema(tmp_path: Path) -> None:
    export(tmp_path)

    for cls in REGISTRY:
        written = json.loads((tmp_path / "schemas" / f"{cls.event_type()}.json").read_text())
        assert written == event_schema(cls)


def test_exported_asyncapi_equals_the_document(tmp_path: Path, document: dict[str, Any]) -> None:
    export(tmp_path)

    assert json.loads((tmp_path / "asyncapi.json").read_text()) == document


def test_export_into_a_missing_directory_creates_it(tmp_path: Path) -> None:
    written = export(tmp_path / "a" / "b")

    assert all(path.exists() for path in written)
