"""The job runner: runs the plays of the jobs' sagas, at most ``max_parallel_jobs`` at a time, and sweeps deadlines.

It runs in the service's workers (never in an HTTP request), one active runner per deployment (a PostgreSQL
advisory lock; a standby takes over when the holder dies). Jobs whose saga queued a play (the job's play, or for a
rollback its deprovision path) are found in the read model (``run_state``), woken at once by saves in this process
and by a poll otherwise. The same loop times out saga commands past their deadline (``ProvisioningApp.time_out``).

Restarts: a play still queued is run by the next runner. A play a previous runner had claimed (``running``) when it
stopped or died was interrupted: it is reported so (``interrupted``), not re-run, because a half-run play may have
created records or OCS accounts that re-running could duplicate. The saga then compensates: it runs the play's
deprovision path and undoes the job's other steps, exactly once, and the job ends failed.
"""

import asyncio
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError
from sqlalchemy import Connection, Engine

from omnibus.platform import leadership
from omnibus.platform.eventstore import ConcurrencyConflictError
from omnibus.provisioning.application import ProvisioningApp
from omnibus.provisioning.domain import (
    NothingToRunError,
    Provision,
    ProvisionFinishedError,
    ProvisioningError,
    ProvisionNotFoundError,
)
from omnibus.provisioning.domain.variables import REDACTED, secret_values
from omnibus.provisioning.readmodel.queries import get_job, jobs_in_state, jobs_past_deadline
from omnibus.provisioning.runner.ansible import AnsibleRunner, RunResult
from omnibus.provisioning.runner.events import TaskNumbering
from omnibus.provisioning.runner.playbooks import resolve_play
from omnibus.provisioning.tokens import JobTokenIssuer

log = logging.getLogger(__name__)
TaskState = tuple[int, str, int, str]  # event_number, event_name, status, result JSON


@dataclass
class JobWorker:
    app: ProvisioningApp
    engine: Engine
    ansible: AnsibleRunner
    tokens: JobTokenIssuer
    plays_dir: Path
    wait_projected: Callable[[int], Awaitable[None]]
    max_parallel_jobs: int = 4
    poll_interval: float = 1.0
    cancel_check_interval: float = 0.5
    play_defaults: dict[str, Any] = field(default_factory=dict)  # e.g. hss_server (D62), under the job's vars

    def __post_init__(self) -> None:
        self.runner_id = f"runner-{uuid.uuid4().hex[:12]}"
        self.stopping = threading.Event()
        self.active: set[int] = set()
        self._wake = asyncio.Event()
        self._lock: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._saved = 0  # the last notification id saved in this process: the queue scan waits for its projection

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._lock = await asyncio.to_thread(leadership.acquire, self.engine, "provisioning-runner", self.stopping)
        if self.stopping.is_set():
            return
        self.app.add_listener(self._on_save)
        # plays run in threads of their own: they must not take the loop's default executor from the relay
        pool = ThreadPoolExecutor(self.max_parallel_jobs, thread_name_prefix="provision-run")
        running: set[asyncio.Future[None]] = set()
        interrupted_checked = False
        try:
            while not self.stopping.is_set():
                self._wake.clear()
                try:
                    if not interrupted_checked:
                        await asyncio.to_thread(self.report_interrupted)
                        interrupted_checked = True
                    await self.wait_projected(self._saved)
                    await asyncio.to_thread(self.sweep)
                    free = self.max_parallel_jobs - len(self.active)
                    queued = await asyncio.to_thread(self._queued, free) if free > 0 else []
                except Exception:  # the stores unreachable: try again at the next wake or poll
                    log.exception("provisioning runner: cannot read the jobs")
                    queued = []
                for provision_id in queued:
                    self.active.add(provision_id)
                    future = self._loop.run_in_executor(pool, self.execute, provision_id)
                    running.add(future)
                    future.add_done_callback(running.discard)
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except TimeoutError:
                    pass
        finally:
            self.stopping.set()  # running plays are cancelled; their jobs stay claimed (see the module docstring)
            await asyncio.gather(*running, return_exceptions=True)
            pool.shutdown(wait=False)
            if self._lock is not None:
                self._lock.close()

    def stop(self) -> None:
        self.stopping.set()

    def _queued(self, limit: int) -> list[int]:
        with self.engine.connect() as conn:
            rows = jobs_in_state(conn, "queued", limit + len(self.active))
        return [r["provision_id"] for r in rows if r["provision_id"] not in self.active][:limit]

    def sweep(self) -> None:
        """Commands past their deadline: sent again, or their step fails (the job's saga decides)."""
        with self.engine.connect() as conn:
            due = jobs_past_deadline(conn, datetime.now(UTC))
        for provision_id in due:
            try:
                self.app.time_out(provision_id)
            except ProvisionNotFoundError:
                log.warning("provision %s: a deadline of an unknown job", provision_id)

    def report_interrupted(self) -> None:
        """Plays claimed by an earlier runner that never ended were interrupted (the lock says that runner is
        gone): the saga is told, and compensates."""
        with self.engine.connect() as conn:
            running = jobs_in_state(conn, "running", 10_000)
        for row in running:
            if row["runner_id"] != self.runner_id:
                log.warning("provision %s: its play was interrupted; the saga rolls it back", row["provision_id"])
                try:
                    self.app.play_interrupted(row["provision_id"])
                except ProvisionFinishedError:
                    pass

    def execute(self, provision_id: int) -> None:
        try:
            self._execute(provision_id)
        except Exception:
            log.exception("provision %s: the runner failed", provision_id)
            try:
                self.app.end_play(provision_id, "interrupted", None, "the runner failed unexpectedly; see its log")
            except ProvisioningError:
                pass
        finally:
            self.active.discard(provision_id)
            self._wake_from_thread()

    def _execute(self, provision_id: int) -> None:
        try:
            token = self.tokens.mint(self.app.get_provision(provision_id))
        except Exception as error:  # identity unreachable: the play stays queued and is tried again
            log.warning("provision %s: no job token yet (%s); trying again", provision_id, error)
            return
        try:
            job = self.app.claim_run(provision_id, self.runner_id)
        except (IntegrityError, ConcurrencyConflictError, ProvisionFinishedError, NothingToRunError):
            return  # another runner claimed it, or it ended or moved on meanwhile
        if job is None:
            return
        mode = job.running_play or "provision"
        try:
            play = resolve_play(self.plays_dir, job.play_to_run)
        except ProvisioningError as error:
            self.app.end_play(provision_id, "failed", None, str(error))  # nothing ran
            return
        extra_vars = self._extra_vars(job, mode, token)
        numbering = TaskNumbering(secrets=frozenset({token} | secret_values(extra_vars)), first=job.next_task_number)
        writer = TaskWriter(self.app, provision_id)

        def on_event(runner_event: dict[str, Any]) -> None:
            record = numbering.record_for(runner_event)
            if record is not None:
                writer.put((record.event_number, record.event_name, record.status, record.result_json))

        cancelled = self._cancel_check(provision_id) if mode == "provision" else self.stopping.is_set
        try:
            result = self.ansible.run(play.path, extra_vars, on_event, cancelled)
        finally:
            writer.close()
        if self.stopping.is_set() and result.status == "canceled":
            return  # the service is stopping: the next runner reports the play interrupted
        outcome, reason = _outcome(result, numbering, self.ansible.timeout_seconds)
        self.app.end_play(provision_id, outcome, numbering.failed_task, reason)

    def _extra_vars(self, job: Provision, mode: str, token: str) -> dict[str, Any]:
        """The stored vars (secrets were never stored, D65: redacted values are left out), the runner's defaults
        under them, the fresh job token over them; a rollback also gets ``action: deprovision`` (D64)."""
        stored: dict[str, Any] = json.loads(job.provisioning_json_vars)
        kept = {k: v for k, v in stored.items() if v != REDACTED}
        extra = {**self.play_defaults, **kept, "access_token": token, "provision_id": job.provision_id}
        if mode == "deprovision":
            service_id = job.facts.service_id
            extra |= {"action": "deprovision", "rollback": True, "deprovision_subscriber": True}
            if service_id is not None:
                extra["service_id"] = service_id
        return extra

    def _on_save(self, position: int) -> None:
        self._saved = max(self._saved, position)
        self._wake_from_thread()

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def _cancel_check(self, provision_id: int) -> Any:
        """ansible-runner's cancel callback: the service is stopping, or someone asked (read at most twice a second)."""
        last = [0.0, False]

        def cancelled() -> bool:
            if self.stopping.is_set():
                return True
            now = time.monotonic()
            if now - float(last[0]) >= self.cancel_check_interval:
                last[0] = now
                with self.engine.connect() as conn:
                    row = get_job(conn, provision_id)
                last[1] = bool(row and row["cancel_requested"])
            return bool(last[1])

        return cancelled


class TaskWriter:
    """Saves a run's task states from a thread of its own, so ansible-runner's output reading never waits for the
    database; states that arrive during a save are saved together in the next one (one transaction)."""

    def __init__(self, app: ProvisioningApp, provision_id: int) -> None:
        self.app = app
        self.provision_id = provision_id
        self._queue: queue.SimpleQueue[TaskState | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"provision-{provision_id}-tasks", daemon=True)
        self._thread.start()

    def put(self, state: TaskState) -> None:
        self._queue.put(state)

    def close(self) -> None:
        """Wait until every state put so far is saved."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        done = False
        while not done:
            batch: list[TaskState] = []
            item = self._queue.get()
            while item is not None:
                batch.append(item)
                if self._queue.empty():
                    break
                item = self._queue.get()
            done = item is None
            if batch:
                try:
                    self.app.record_tasks(self.provision_id, batch)
                except Exception:
                    log.exception("provision %s: task states could not be saved", self.provision_id)


def _outcome(result: RunResult, numbering: TaskNumbering, timeout_seconds: int) -> tuple[str, str | None]:
    """ansible-runner's status -> the play's outcome for the saga, and the reason."""
    if result.status == "successful":
        return "succeeded", None
    if result.status == "timeout":
        return "timed_out", f"timed out after {timeout_seconds} s"
    if result.status == "canceled":
        return "cancelled", "cancelled"
    return "failed", numbering.failure or f"ansible-playbook ended with {result.status} (rc {result.rc})"
