"""Ansible runner events -> provision task records (provisioning.md §2.2, §4.2 step 10).

A task gets its ``event_number`` when it starts (status 1) and is recorded again with its outcome: ``runner_on_ok``
and ``runner_on_skipped`` -> 0, ``runner_on_failed`` -> 2, or 3 when the task has ``ignore_errors: true``,
``runner_on_unreachable`` -> 2. The result JSON is the task's result (module output, stdout, stderr, msg), redacted.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from omnibus.provisioning.domain import FAILED, FAILED_IGNORED, RUNNING, SUCCESS
from omnibus.provisioning.domain.variables import redact

_OUTCOMES = {"runner_on_ok": SUCCESS, "runner_on_skipped": SUCCESS, "runner_on_unreachable": FAILED}
_MAX_RESULT_CHARS = 64_000


@dataclass(frozen=True)
class TaskRecord:
    event_number: int
    event_name: str
    status: int
    result_json: str


@dataclass
class TaskNumbering:
    """Turns a run's event stream into task records; remembers each task's number and the first critical failure
    (the task that sent the play to its ``rescue:``, not the rescue's closing ``assert``)."""

    secrets: frozenset[str] = frozenset()
    first: int = 1  # a later run of the same job (its rollback) numbers its tasks after the earlier run's
    numbers: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    failed_task: str | None = None
    failure: str | None = None

    def record_for(self, runner_event: dict[str, Any]) -> TaskRecord | None:
        kind = runner_event.get("event")
        data = runner_event.get("event_data") or {}
        uuid = str(data.get("task_uuid") or data.get("uuid") or "")
        if kind == "playbook_on_task_start" and uuid:
            number = self.numbers.setdefault(uuid, len(self.numbers) + self.first)
            name = str(data.get("task") or data.get("name") or f"task {number}")
            self.names[uuid] = name
            return TaskRecord(number, name, RUNNING, "{}")
        if kind in _OUTCOMES or kind == "runner_on_failed":
            if uuid not in self.numbers:
                self.numbers[uuid] = len(self.numbers) + self.first
            name = self.names.get(uuid) or str(data.get("task") or f"task {self.numbers[uuid]}")
            status = _OUTCOMES.get(str(kind), FAILED)
            if kind == "runner_on_failed" and data.get("ignore_errors"):
                status = FAILED_IGNORED
            result = self.result_json(data.get("res"), skipped=kind == "runner_on_skipped")
            if status == FAILED and self.failed_task is None:  # the first: a rescue's own failure comes after it
                self.failed_task, self.failure = name, redact(_message(data.get("res")), self.secrets)
            return TaskRecord(self.numbers[uuid], name, status, result)
        return None

    def result_json(self, result: Any, *, skipped: bool = False) -> str:
        value = redact(result if isinstance(result, dict) else {"result": result}, self.secrets)
        if skipped:
            value = {"skipped": True, **value}
        text = json.dumps(value, default=str, sort_keys=True)
        if len(text) > _MAX_RESULT_CHARS:
            text = json.dumps({"truncated": True, "head": text[:_MAX_RESULT_CHARS]})
        return text


def _message(result: Any) -> str:
    if isinstance(result, dict):
        for key in ("msg", "stderr", "reason"):
            if result.get(key):
                return str(result[key])[:2000]
    return "task failed"
