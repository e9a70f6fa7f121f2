"""The plays folder (provisioning.md §5.1-§5.2): resolve a play name, read its description and count its tasks.

Play names resolve only inside the folder: letters, digits, ``_``, ``-`` and ``.``; no paths [new].
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from omnibus.provisioning.domain import InvalidProvisionRequest

_PLAY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks")
_BLOCK_PARTS = ("block", "rescue", "always")


@dataclass(frozen=True)
class Play:
    name: str  # the request's ``provisioning_play``, e.g. ``play_psim_only``
    path: Path
    description: str  # the first play's ``name:``
    task_count: int


def resolve_play(plays_dir: Path, name: str) -> Play:
    """The play called ``name`` in ``plays_dir`` (``name``, ``name.yaml`` or ``name.yml``), or 400."""
    stem = name.strip()
    if not _PLAY_NAME.match(stem) or ".." in stem:
        raise InvalidProvisionRequest(f"provisioning_play {name!r} is not a play name")
    stem = stem.removesuffix(".yaml").removesuffix(".yml")
    for candidate in (plays_dir / f"{stem}.yaml", plays_dir / f"{stem}.yml"):
        if candidate.is_file():
            return _read(stem, candidate)
    raise InvalidProvisionRequest(f"Unknown provisioning_play {stem!r}")


def _read(name: str, path: Path) -> Play:
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise InvalidProvisionRequest(f"Play {name!r} is not valid YAML: {error}") from None
    if not isinstance(document, list) or not document or not all(isinstance(p, dict) for p in document):
        raise InvalidProvisionRequest(f"Play {name!r} is not a list of plays")
    description = str(document[0].get("name") or name)
    count = sum(count_tasks(play.get(key)) for play in document for key in _TASK_LISTS)
    return Play(name=name, path=path, description=description, task_count=count)


def count_tasks(tasks: Any) -> int:
    """Tasks as written in the YAML (blocks count their block, rescue and always tasks; includes count as one)."""
    if not isinstance(tasks, list):
        return 0
    total = 0
    for task in tasks:
        if isinstance(task, dict) and any(part in task for part in _BLOCK_PARTS):
            total += sum(count_tasks(task.get(part)) for part in _BLOCK_PARTS)
        elif isinstance(task, dict):
            total += 1
    return total
