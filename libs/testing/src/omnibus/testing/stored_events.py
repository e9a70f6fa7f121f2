"""Every event version a service has ever stored must still load (docs/architecture.md, "Event schema evolution").

A service keeps one JSON sample per event class and class version in its tests, written from a real store by
``check_stored_events`` when ``OMNIBUS_WRITE_EVENT_SAMPLES=1`` and committed. Samples are never edited or
deleted: they stand for what stores in the field hold. Changing an event's shape means raising its
``class_version`` and adding ``upcast_v<n>_v<n+1>`` (eventsourcing applies it when loading older events); the
check then loads every old sample through the current classes and asks for a sample of the new version.
"""

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

WRITE_ENV = "OMNIBUS_WRITE_EVENT_SAMPLES"


def sample_path(folder: Path, topic: str, version: int) -> Path:
    return folder / f"{topic.replace(':', '.')}.v{version}.json"


def check_stored_events(mapper: Mapper[Any], folder: Path, recorded: Iterable[StoredEvent]) -> list[str]:
    """Load every committed sample through ``mapper``; then make sure each (topic, class version) among the
    ``recorded`` events has a sample (written when ``OMNIBUS_WRITE_EVENT_SAMPLES=1``). Returns the problems."""
    problems = []
    for path in sorted(folder.glob("*.json")):
        sample = json.loads(path.read_text())
        stored = StoredEvent(
            originator_id=uuid.UUID(sample["originator_id"]),
            originator_version=sample["originator_version"],
            topic=sample["topic"],
            state=json.dumps(sample["state"], separators=(",", ":"), ensure_ascii=False).encode(),
        )
        try:
            event = mapper.to_domain_event(stored)
        except Exception as error:
            problems.append(f"{path.name} no longer loads: {type(error).__name__}: {error}")
            continue
        if not isinstance(event, resolve_topic(sample["topic"])):
            problems.append(f"{path.name} loads as {type(event).__qualname__}, not as its topic's class")
    write = os.environ.get(WRITE_ENV) == "1"
    for stored in recorded:
        state = json.loads(stored.state)
        path = sample_path(folder, stored.topic, int(state.get("class_version", 1)))
        if path.exists():
            continue
        if not write:
            problems.append(f"no sample {path.name}: run the test with {WRITE_ENV}=1 and commit the file")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        sample = {
            "topic": stored.topic,
            "originator_id": str(stored.originator_id),
            "originator_version": stored.originator_version,
            "state": state,
        }
        path.write_text(json.dumps(sample, indent=2, ensure_ascii=False) + "\n")
    return problems
