"""The provisioning application: provision jobs as event-sourced aggregates (provisioning.md §4.1-§4.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict
from omnibus.provisioning.domain import Provision, ProvisionNotFinishedError, ProvisionNotFoundError

INTERRUPTED = "interrupted: the provisioning runner stopped while the playbook ran; retry it as a new job"


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


class ProvisioningApp(ServiceApplication):
    """Provision jobs: requested, claimed by a runner, task by task, then succeeded or failed."""

    name = "provisioning"

    def request_provision(self, request: NewProvision) -> Provision:
        provision_id = self.ids.next("provision_id")
        job_id = aggregate_uuid("provision", provision_id)
        job = Provision(id=job_id, provision_id=provision_id, **vars(request))  # type: ignore[call-arg]
        self.save(job)
        return job

    def retry(
        self, provision_id: int, initiating_user: int | None, auth_method: str, permissions: list[str]
    ) -> Provision:
        """A new job with the same play and vars as an ended one (provisioning.md §10), started by this caller."""
        old = self.get_provision(provision_id)
        if not old.finished:
            raise ProvisionNotFinishedError(provision_id)
        variables = json.loads(old.provisioning_json_vars) | {"initiating_user": initiating_user}
        return self.request_provision(
            NewProvision(
                customer_id=old.customer_id,
                product_id=old.product_id,
                service_id=old.service_id,
                provisioning_play=old.provisioning_play,
                playbook_description=old.playbook_description,
                provisioning_json_vars=json.dumps(variables, sort_keys=True),
                task_count=old.task_count,
                initiating_user=initiating_user,
                action=old.action,
                auth_method=auth_method,
                inventory=old.inventory,
                granted_permissions=permissions,
            )
        )

    def claim_run(self, provision_id: int, runner_id: str) -> Provision | None:
        """Claim the job for one runner (a concurrent claim conflicts and is not retried). A job another runner
        had claimed was interrupted: it ends failed, and None is returned (see worker.py for why not re-run)."""
        job = self.get_provision(provision_id)
        if job.runner_id is not None and job.runner_id != runner_id:
            job.fail(None, INTERRUPTED)
            self.save(job)
            return None
        job.start_run(runner_id)
        self.save(job)
        return job

    def record_task(self, provision_id: int, event_number: int, event_name: str, status: int, result: str) -> None:
        self.record_tasks(provision_id, [(event_number, event_name, status, result)])

    def record_tasks(self, provision_id: int, records: Sequence[tuple[int, str, int, str]]) -> None:
        """Task states in order, saved together (a runner writes what arrived while it saved the last batch)."""

        def command() -> None:
            job = self.get_provision(provision_id)
            for event_number, event_name, status, result in records:
                job.record_task(event_number, event_name, status, result)
            self.save(job)

        retry_on_conflict(command)

    def request_cancel(self, provision_id: int, requested_by: int | None) -> None:
        def command() -> None:
            job = self.get_provision(provision_id)
            job.request_cancel(requested_by)
            self.save(job)

        retry_on_conflict(command)

    def succeed(self, provision_id: int) -> None:
        def command() -> None:
            job = self.get_provision(provision_id)
            job.succeed()
            self.save(job)

        retry_on_conflict(command)

    def fail(self, provision_id: int, failed_task: str | None, error: str) -> None:
        def command() -> None:
            job = self.get_provision(provision_id)
            job.fail(failed_task, error)
            self.save(job)

        retry_on_conflict(command)

    def get_provision(self, provision_id: int) -> Provision:
        try:
            job: Any = self.repository.get(aggregate_uuid("provision", provision_id))
        except AggregateNotFoundError:
            raise ProvisionNotFoundError(provision_id) from None
        if not isinstance(job, Provision):
            raise ProvisionNotFoundError(provision_id)
        return job
