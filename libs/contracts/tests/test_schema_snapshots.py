"""JSON-Schema snapshots of every published event: changes must be additive.

The committed snapshots live in ``schemas/<event_type>.json``. To accept a (reviewed, additive) change run

    OMNIBUS_UPDATE_SNAPSHOTS=1 uv run pytest libs/contracts/tests/test_schema_snapshots.py

The comparison is structural: every property and every ``required`` entry of a snapshot must still be there
with the same type; new optional properties are allowed; descriptions, titles and defaults may change.
"""

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from omnibus.contracts import REGISTRY, IntegrationEvent
from omnibus.contracts.customers import CustomerCreated, CustomerStatusChanged
from omnibus.contracts.export import event_schema

SNAPSHOTS = Path(__file__).parent / "schemas"
UPDATING = os.environ.get("OMNIBUS_UPDATE_SNAPSHOTS") == "1"
DOCUMENTATION_KEYS = {"title", "description", "default", "examples"}


def _resolve(schema: Any, defs: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """A property schema with local ``$ref``s inlined and documentation keys dropped: its 'type'."""
    if isinstance(schema, list):
        return [_resolve(item, defs, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in seen:
            return {"$ref": name}
        return _resolve(defs[name], defs, seen | {name})
    return {k: _resolve(v, defs, seen) for k, v in schema.items() if k not in DOCUMENTATION_KEYS}


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` breaks readers written against ``old`` (empty when the change is additive)."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"property {name!r} was removed or renamed")
        elif _resolve(old_prop, old.get("$defs", {})) != _resolve(new_props[name], new.get("$defs", {})):
            problems.append(f"property {name!r} changed type")
    for name in sorted(old_required - new_required):
        problems.append(f"required property {name!r} is no longer required")
    for name in sorted(new_required - old_required):
        what = "optional property" if name in old_props else "new property"
        problems.append(f"{what} {name!r} became required")
    return problems


def _snapshot_path(cls: type[IntegrationEvent]) -> Path:
    return SNAPSHOTS / f"{cls.event_type()}.json"


@pytest.mark.parametrize("cls", list(REGISTRY), ids=lambda c: c.event_type())
def test_event_schema_is_compatible_with_its_snapshot(cls: type[IntegrationEvent]) -> None:
    path, schema = _snapshot_path(cls), event_schema(cls)
    if UPDATING:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"no snapshot of {cls.event_type()}: run with OMNIBUS_UPDATE_SNAPSHOTS=1, commit it"

    problems = breaking_changes(json.loads(path.read_text()), schema)

    assert not problems, f"{cls.event_type()} changed incompatibly (publish a v{cls.version + 1}): {problems}"


def test_every_snapshot_belongs_to_a_registered_event() -> None:
    registered = {f"{cls.event_type()}.json" for cls in REGISTRY}

    stale = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in registered)

    assert not stale, f"published events were removed (a breaking change): {stale}"


@pytest.fixture
def customer_created() -> dict[str, Any]:
    return event_schema(CustomerCreated)


def test_an_unchanged_schema_has_no_breaking_changes(customer_created: dict[str, Any]) -> None:
    assert breaking_changes(customer_created, copy.deepcopy(customer_created)) == []


def test_a_new_optional_property_is_allowed(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["properties"]["loyalty_tier"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}

    assert breaking_changes(customer_created, new) == []


def test_a_changed_description_is_allowed(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["properties"]["customer_name"]["description"] = "Something else"
    new["properties"]["customer_name"]["title"] = "Name"

    assert breaking_changes(customer_created, new) == []


def test_a_removed_property_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    del new["properties"]["tax_identifier"]

    assert breaking_changes(customer_created, new) == ["property 'tax_identifier' was removed or renamed"]


def test_a_renamed_property_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["properties"]["name"] = new["properties"].pop("customer_name")
    new["required"] = ["name" if r == "customer_name" else r for r in new["required"]]

    assert "property 'customer_name' was removed or renamed" in breaking_changes(customer_created, new)


def test_a_changed_type_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["properties"]["customer_id"] = {"type": "string"}

    assert breaking_changes(customer_created, new) == ["property 'customer_id' changed type"]


def test_a_changed_enum_is_breaking() -> None:
    old = event_schema(CustomerStatusChanged)
    new = copy.deepcopy(old)
    new["properties"]["to"]["enum"] = ["Open", "Closed"]

    assert breaking_changes(old, new) == ["property 'to' changed type"]


def test_an_optional_property_made_required_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["required"] = [*new["required"], "tax_identifier"]

    assert breaking_changes(customer_created, new) == ["optional property 'tax_identifier' became required"]


def test_a_new_required_property_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["properties"]["region"] = {"type": "string"}
    new["required"] = [*new["required"], "region"]

    assert breaking_changes(customer_created, new) == ["new property 'region' became required"]


def test_a_required_property_made_optional_is_breaking(customer_created: dict[str, Any]) -> None:
    new = copy.deepcopy(customer_created)
    new["required"] = [r for r in new["required"] if r != "created"]

    assert breaking_changes(customer_created, new) == ["required property 'created' is no longer required"]


def test_a_type_change_inside_a_referenced_definition_is_breaking() -> None:
    old = {
        "properties": {"amount": {"$ref": "#/$defs/Money"}},
        "$defs": {"Money": {"type": "object", "properties": {"value": {"type": "string"}}}},
    }
    new = copy.deepcopy(old)
    new["$defs"]["Money"]["properties"]["value"] = {"type": "number"}

    assert breaking_changes(old, new) == ["property 'amount' changed type"]
