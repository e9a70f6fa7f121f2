"""The provisioning application: provision jobs as event-sourced aggregates, each the orchestrator of its saga
(provisioning.md §4.1-§4.2, ARCHITECTURE.md §6). Every use case loads a job, records one outcome (a request, an
answer, a timeout, a play's end), lets the job decide what comes next, and saves: decision and commands in one
save, sent afterwards by the relay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict
from omnibus.provisioning.domain import Provision, ProvisionNotFoundError, SagaPlan
from omnibus.provisioning.domain.keys import ProvisionKey, key_id

INTERRUPTED = "interrupted: the provisioning runner stopped while the playbook ran"


@dataclass(frozen=True)
class NewProvision:
    """A validated request, ready to be recorded (the API builds it; the runner reads it back from the job)."""

    customer_id: int
    product_id: int | None
    service_id: int | None
    provisioning_play: str
    playbook_description: str
    provisioning_json_vars: str  # merged vars as run, secrets redacted (D65)
    task_count: int
    initiating_user: int | None
    action: str | None
    auth_method: str
    inventory: dict[str, int]
    granted_permissions: list[str]  # the initiating principal's, for the job token minted at run time (D65)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProvisioningApp(ServiceApplication):
    """Provision jobs and their sagas: requested, step by step (commands and plays), then succeeded or failed."""

    name = "provisioning"

    def __init__(self, env: dict[str, str] | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    def request_provision(
        self, request: NewProvision, plan: SagaPlan | None = None, key: str | None = None
    ) -> Provision:
        """A new job, its plan and its first step, in one save. With ``key``, a request seen before answers the job
        it started (e.g. a renewal event delivered twice)."""
        [job] = self.request_many([(request, plan)], keys=[key])
        return job

    def request_many(
        self, requests: Sequence[tuple[NewProvision, SagaPlan | None]], keys: Sequence[str | None] | None = None
    ) -> list[Provision]:
        """Several jobs in ONE save (a bulk submission starts all or none)."""
        claimed = list(keys or [None] * len(requests))
        try:
            return self._new_jobs(requests, claimed)
        except IntegrityError:
            if not any(claimed):
                raise
            return self._new_jobs(requests, claimed)  # a key was claimed meanwhile: its job answers now

    def _new_jobs(
        self, requests: Sequence[tuple[NewProvision, SagaPlan | None]], keys: list[str | None]
    ) -> list[Provision]:
        jobs: list[Provision] = []
        new: list[Any] = []
        for (request, plan), key in zip(requests, keys, strict=True):
            existing = self._keyed(key) if key is not None else None
            if existing is not None:
                jobs.append(self.get_provision(existing))
                continue
            provision_id = self.ids.next("provision_id")
            job = Provision(id=aggregate_uuid("provision", provision_id), provision_id=provision_id, **vars(request))
            if plan is not None:
                job.start_saga(plan, self.clock())
            jobs.append(job)
            new.append(job)
            if key is not None:
                new.append(ProvisionKey(id=key_id(key), key=key, provision_id=provision_id))
        if new:
            self.save(*new)
        return jobs

    def claim_run(self, provision_id: int, runner_id: str) -> Provision | None:
        """Claim the job's queued play for one runner (a concurrent claim conflicts and is not retried). A play
        another runner had claimed was interrupted: its end is recorded, and None is returned."""
        job = self.get_provision(provision_id)
        if job.running_play is not None and job.runner_id != runner_id:
            job.end_play("interrupted", None, INTERRUPTED, self.clock())
            self.save(job)
            return None
        job.start_run(runner_id)
        self.save(job)
        return job

    def record_tasks(self, provision_id: int, records: Sequence[tuple[int, str, int, str]]) -> None:
        """Task states in order, saved together (a runner writes what arrived while it saved the last batch)."""

        def change(job: Provision) -> None:
            for event_number, event_name, status, result in records:
                job.record_task(event_number, event_name, status, result)

        self._change(provision_id, change)

    def record_task(self, provision_id: int, event_number: int, event_name: str, status: int, result: str) -> None:
        self.record_tasks(provision_id, [(event_number, event_name, status, result)])

    def end_play(self, provision_id: int, outcome: str, failed_task: str | None, error: str | None) -> None:
        self._change(provision_id, lambda job: job.end_play(outcome, failed_task, error, self.clock()))

    def play_interrupted(self, provision_id: int) -> None:
        self.end_play(provision_id, "interrupted", None, INTERRUPTED)

    def record_answer(
        self, provision_id: int, command_id: str, outcome: str, result: dict[str, Any], reason: str | None
    ) -> bool:
        """A command's reply (idempotent: a repeated or late reply records nothing)."""
        return bool(
            self._change(provision_id, lambda j: j.record_answer(command_id, outcome, result, reason, self.clock()))
        )

    def time_out(self, provision_id: int) -> bool:
        """The sweeper: commands past their deadline are sent again, or the step fails."""
        return bool(self._change(provision_id, lambda job: job.time_out(self.clock())))

    def request_cancel(self, provision_id: int, requested_by: int | None) -> None:
        self._change(provision_id, lambda job: job.request_cancel(requested_by, self.clock()))

    def get_provision(self, provision_id: int) -> Provision:
        try:
            job: Any = self.repository.get(aggregate_uuid("provision", provision_id))
        except AggregateNotFoundError:
            raise ProvisionNotFoundError(provision_id) from None
        if not isinstance(job, Provision):
            raise ProvisionNotFoundError(provision_id)
        return job

    def _change(self, provision_id: int, change: Callable[[Provision], Any]) -> Any:
        def command() -> Any:
            job = self.get_provision(provision_id)
            outcome = change(job)
            if job.pending_events:
                self.save(job)
            return outcome

        return retry_on_conflict(command)

    def _keyed(self, key: str) -> int | None:
        try:
            claim: Any = self.repository.get(key_id(key))
        except AggregateNotFoundError:
            return None
        return int(claim.provision_id) if isinstance(claim, ProvisionKey) else None
