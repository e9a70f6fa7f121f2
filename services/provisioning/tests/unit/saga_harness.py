"""A given/expect harness for the job's saga (CONVENTIONS §6.10.6, ftgo's ``CreateOrderSagaTest``): start a job,
expect the commands it gives, answer them, run its plays, and read what it publishes. No I/O: the aggregate alone,
with a clock the test moves."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from omnibus.contracts import IntegrationEvent
from omnibus.contracts.commands import Command
from omnibus.platform.eventstore import aggregate_uuid
from omnibus.platform.relay import OutgoingCommand
from omnibus.provisioning.domain import Provision, SagaPlan
from omnibus.provisioning.integration.outbound import to_integration

T0 = datetime(2026, 1, 10, 14, 30, tzinfo=UTC)


def a_job(**overrides: Any) -> Provision:
    fields: dict[str, Any] = {
        "provision_id": 456,
        "customer_id": 123,
        "product_id": 42,
        "service_id": None,
        "provisioning_play": "play_local_mobile_sim",
        "playbook_description": "Mobile SIM",
        "provisioning_json_vars": "{}",
        "task_count": 12,
        "initiating_user": 7,
        "action": None,
        "auth_method": "jwt",
        "inventory": {"SIM Card": 5001, "Mobile Number": 5002},
        "granted_permissions": ["create_provision"],
        **overrides,
    }
    return Provision(id=aggregate_uuid("provision", fields["provision_id"]), **fields)


def a_plan(*steps: str, **overrides: Any) -> SagaPlan:
    fields: dict[str, Any] = {
        "steps": list(steps),
        "service_uuid": "Mobile_0123456789ab",
        "setup_charge": {"title": "Mobile 20GB - Setup Costs", "retail_cost": "25.00", "wholesale_cost": "1.00"},
        "deprovision_play": "play_local_mobile_sim",
        "step_timeout_seconds": 60,
        "max_attempts": 2,
        "play_charges": True,
        **overrides,
    }
    return SagaPlan(**fields)


@dataclass
class Issued:
    harness: "SagaHarness"
    event: Provision.CommandIssued

    @property
    def command(self) -> Command:
        outgoing = to_integration(self.event)
        assert isinstance(outgoing, OutgoingCommand)
        return outgoing.command

    def reply(self, outcome: str = "completed", reason: str | None = None, **result: Any) -> "SagaHarness":
        recorded = self.harness.job.record_answer(self.event.command_id, outcome, result, reason, self.harness.now)
        assert recorded, f"{self.event.command_id} was not awaited"
        return self.harness


@dataclass
class SagaHarness:
    job: Provision = field(default_factory=a_job)
    now: datetime = T0
    events: list[Any] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def start(self, plan: SagaPlan) -> "SagaHarness":
        self.job.start_saga(plan, self.now)
        return self

    def collect(self) -> list[Any]:
        self.events.extend(self.job.collect_events())
        return self.events

    def issued(self) -> list[Provision.CommandIssued]:
        return [e for e in self.collect() if isinstance(e, Provision.CommandIssued)]

    def expect(self, name: str, attempt: int = 1) -> Issued:
        """The next command of that name not yet expected (and with that attempt)."""
        for event in self.issued():
            key = f"{event.command_id}#{event.attempt}"
            if event.name == name and event.attempt == attempt and key not in self.answered:
                self.answered.add(key)
                return Issued(self, event)
        raise AssertionError(f"no {name} issued; issued: {[e.name for e in self.issued()]}")

    def expect_nothing_more(self) -> None:
        left = [e for e in self.issued() if f"{e.command_id}#{e.attempt}" not in self.answered]
        assert not left, [e.name for e in left]

    def expect_play(self, mode: str) -> "SagaHarness":
        assert self.job.play_due == mode, (self.job.play_due, mode)
        self.job.start_run("runner-1")
        return self

    def play_ends(
        self, outcome: str = "succeeded", failed_task: str | None = None, error: str | None = None
    ) -> "SagaHarness":
        assert self.job.end_play(outcome, failed_task, error, self.now)
        return self

    def later(self, seconds: float) -> "SagaHarness":
        self.now += timedelta(seconds=seconds)
        self.job.time_out(self.now)
        return self

    def published(self, kind: type[IntegrationEvent]) -> Any:
        found = [p for p in map(to_integration, self.collect()) if isinstance(p, kind)]
        assert len(found) == 1, found
        return found[0]

    def compensations(self) -> list[tuple[str, str]]:
        return [(u["action"], u["outcome"]) for u in self.job.undone]
