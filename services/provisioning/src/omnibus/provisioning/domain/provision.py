"""The Provision aggregate (provisioning.md §2.1, §2.2, §4.1): one job, the orchestrator of its saga (saga.py).

Status codes (§2.3, D61): a job is 1 (running) from its request until it ends 0 (success) or 2 (failed); each task
event is 0 (ok), 1 (running), 2 (failed, critical) or 3 (failed but ignored). A task is recorded twice: with
status 1 when it starts and again, same ``event_number``, with its outcome.

The job moves through its planned steps one at a time. A step's commands are recorded as ``CommandIssued`` events
(the relay sends them, so deciding and sending are atomic) with a deadline; their answers come back by command id
(``record_answer``: an unknown, repeated or late answer records nothing). A play step is queued for the runner,
which claims it (``start_run``: a second claim conflicts) and reports its end (``end_play``). After a failure,
compensations run the same way, in reverse; then the job ends failed, with what was undone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.provisioning.domain.errors import NothingToRunError, ProvisionFinishedError
from omnibus.provisioning.domain.saga import PLAYS, STAGE, SagaFacts, Step, compensations, orders

SUCCESS, RUNNING, FAILED, FAILED_IGNORED = 0, 1, 2, 3
TASK_STATUSES = (SUCCESS, RUNNING, FAILED, FAILED_IGNORED)
FORWARD, COMPENSATING, ENDED = "forward", "compensating", "ended"
PLAY_OUTCOMES = ("succeeded", "failed", "timed_out", "cancelled", "interrupted")


@dataclass(frozen=True)
class SagaPlan:
    """What the request decided (saga.plan_steps and the application)."""

    steps: list[str]
    service_uuid: str | None
    setup_charge: dict[str, str] | None
    deprovision_play: str
    step_timeout_seconds: int = 120
    max_attempts: int = 3
    play_charges: bool = False  # the play may charge the customer (add-ons, top-ups): a rollback voids charges


class Provision(Aggregate):
    """A provision job; its id is derived from the public ``provision_id``."""

    id: UUID  # given by the application: derived from the public integer id

    class Requested(Aggregate.Created):
        provision_id: int
        customer_id: int
        product_id: int | None
        service_id: int | None
        provisioning_play: str
        playbook_description: str
        provisioning_json_vars: str
        task_count: int
        initiating_user: int | None
        action: str | None
        auth_method: str
        inventory: dict[str, int]
        granted_permissions: list[str]

    class SagaPlanned(Aggregate.Event):
        provision_id: int
        steps: list[str]
        service_uuid: str | None
        setup_charge: dict[str, str] | None
        deprovision_play: str
        step_timeout_seconds: int
        max_attempts: int
        play_charges: bool

    class StepStarted(Aggregate.Event):
        provision_id: int
        step: str
        phase: str

    class CommandIssued(Aggregate.Event):
        provision_id: int
        command_id: str
        step: str
        target: str
        name: str
        args: dict[str, Any]
        attempt: int
        deadline: datetime

    class CommandAnswered(Aggregate.Event):
        provision_id: int
        command_id: str
        step: str
        outcome: str  # completed | rejected
        result: dict[str, Any]
        reason: str | None

    class CommandTimedOut(Aggregate.Event):
        provision_id: int
        command_id: str
        step: str
        attempt: int

    class PlayQueued(Aggregate.Event):
        provision_id: int
        mode: str  # provision | deprovision

    class RunStarted(Aggregate.Event):
        provision_id: int
        runner_id: str

    class TaskRecorded(Aggregate.Event):
        provision_id: int
        event_number: int
        event_name: str
        provisioning_status: int
        provisioning_result_json: str

    class PlayEnded(Aggregate.Event):
        provision_id: int
        mode: str
        outcome: str  # PLAY_OUTCOMES
        failed_task: str | None
        error: str | None

    class StepCompleted(Aggregate.Event):
        provision_id: int
        step: str
        result: dict[str, Any]

    class CompensationStarted(Aggregate.Event):
        provision_id: int
        failed_step: str | None
        failed_task: str | None
        error: str
        actions: list[str]
        abandoned: list[str]  # commands still out: no longer awaited

    class CompensationEnded(Aggregate.Event):
        provision_id: int
        action: str
        outcome: str  # completed | failed
        reason: str | None
        abandoned: list[str]

    class CancelRequested(Aggregate.Event):
        provision_id: int
        requested_by: int | None

    class Succeeded(Aggregate.Event):
        class_version = 2
        provision_id: int
        customer_id: int
        service_id: int | None
        action: str | None
        service_uuid: str | None
        inventory: dict[str, int]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("service_uuid", None)
            state.setdefault("inventory", {})

    class Failed(Aggregate.Event):
        class_version = 2
        provision_id: int
        customer_id: int
        failed_task: str | None
        error: str
        failed_step: str | None
        provisioning_play: str | None
        product_id: int | None
        service_id: int | None
        initiating_user: int | None
        compensations: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            for key in ("failed_step", "provisioning_play", "product_id", "service_id", "initiating_user"):
                state.setdefault(key, None)
            state.setdefault("compensations", [])

    @event(Requested)
    def __init__(
        self,
        *,
        provision_id: int,
        customer_id: int,
        product_id: int | None,
        service_id: int | None,
        provisioning_play: str,
        playbook_description: str,
        provisioning_json_vars: str,
        task_count: int,
        initiating_user: int | None,
        action: str | None,
        auth_method: str,
        inventory: dict[str, int],
        granted_permissions: list[str],
    ) -> None:
        self.provision_id = provision_id
        self.customer_id = customer_id
        self.product_id = product_id
        self.service_id = service_id
        self.provisioning_play = provisioning_play
        self.playbook_description = playbook_description
        self.provisioning_json_vars = provisioning_json_vars
        self.task_count = task_count
        self.initiating_user = initiating_user
        self.action = action
        self.auth_method = auth_method
        self.inventory = dict(inventory)
        self.granted_permissions = list(granted_permissions)
        self.provisioning_status = RUNNING
        self.runner_id: str | None = None
        self.tasks: dict[int, tuple[str, int]] = {}
        self.failed_task: str | None = None
        self.error: str | None = None
        self.cancel_requested = False
        # the saga; a job recorded before it existed runs its play only (no SagaPlanned)
        self.plan = SagaPlan([Step.RUN_PLAYBOOK.value], None, None, provisioning_play, 120, 1)
        self.phase = FORWARD
        self.current: str | None = Step.RUN_PLAYBOOK.value  # the step or compensation last begun
        self.in_flight: list[str] = [Step.RUN_PLAYBOOK.value]  # forward steps begun and not completed
        self.done: list[str] = []
        self.undo: list[str] = []
        self.undone: list[dict[str, Any]] = []
        self.outstanding: dict[str, dict[str, Any]] = {}
        self.provisioned_service_id: int | None = None  # what activate_service answered
        self.issued: dict[str, int] = {}  # commands per step (first attempts)
        self.play_due: str | None = "provision"
        self.running_play: str | None = None
        self.failed_step: str | None = None

    @property
    def finished(self) -> bool:
        return self.provisioning_status != RUNNING

    @property
    def created(self) -> datetime:
        return self.created_on

    @property
    def facts(self) -> SagaFacts:
        return SagaFacts(
            provision_id=self.provision_id,
            customer_id=self.customer_id,
            product_id=self.product_id,
            inventory=self.inventory,
            service_uuid=self.plan.service_uuid,
            service_id=self.service_id if self.service_id is not None else self.provisioned_service_id,
            setup_charge=self.plan.setup_charge,
        )

    # ----- the saga ---------------------------------------------------------------------------------------------

    def start_saga(self, plan: SagaPlan, now: datetime) -> None:
        """Record the plan and begin its first step (the same save records both)."""
        self._saga_planned(
            provision_id=self.provision_id,
            steps=list(plan.steps),
            service_uuid=plan.service_uuid,
            setup_charge=plan.setup_charge,
            deprovision_play=plan.deprovision_play,
            step_timeout_seconds=plan.step_timeout_seconds,
            max_attempts=plan.max_attempts,
            play_charges=plan.play_charges,
        )
        self._advance(now)

    @event(SagaPlanned)
    def _saga_planned(
        self,
        provision_id: int,
        steps: list[str],
        service_uuid: str | None,
        setup_charge: dict[str, str] | None,
        deprovision_play: str,
        step_timeout_seconds: int,
        max_attempts: int,
        play_charges: bool,
    ) -> None:
        self.plan = SagaPlan(
            list(steps), service_uuid, setup_charge, deprovision_play, step_timeout_seconds, max_attempts, play_charges
        )
        self.current = None
        self.in_flight = []
        self.play_due = None

    def record_answer(
        self, command_id: str, outcome: str, result: dict[str, Any], reason: str | None, now: datetime
    ) -> bool:
        """A command's answer; False (nothing recorded) when it is not awaited (a duplicate, a late answer)."""
        pending = self.outstanding.get(command_id)
        if pending is None or self.finished:
            return False
        self._answered(
            provision_id=self.provision_id,
            command_id=command_id,
            step=pending["step"],
            outcome=outcome,
            result=dict(result),
            reason=reason,
        )
        step = pending["step"]
        if self.phase == FORWARD and outcome != "completed":
            # another command of the same step may have had its effect (e.g. one of two items reserved)
            self._fail(step, None, reason or "rejected", uncertain=self.issued.get(step, 0) > 1, now=now)
        elif self.phase == FORWARD and not any(p["step"] == step for p in self.outstanding.values()):
            self._step_completed(provision_id=self.provision_id, step=step, result={})
        elif self.phase == COMPENSATING and outcome != "completed" and not self._ended_undo(pending["step"]):
            self._end_undo(pending["step"], "failed", reason)
        self._advance(now)
        return True

    @event(CommandAnswered)
    def _answered(
        self, provision_id: int, command_id: str, step: str, outcome: str, result: dict[str, Any], reason: str | None
    ) -> None:
        self.outstanding.pop(command_id, None)
        if outcome == "completed" and step == Step.ACTIVATE_SERVICE:
            self.provisioned_service_id = result.get("service_id")

    def time_out(self, now: datetime) -> bool:
        """Commands past their deadline are sent again (up to ``max_attempts``), then the step fails (forward)
        or the compensation is given up (compensating). True when something was recorded."""
        late = [(cid, p) for cid, p in sorted(self.outstanding.items()) if p["deadline"] <= now]
        if not late or self.finished:
            return False
        for command_id, pending in late:
            self._timed_out(
                provision_id=self.provision_id, command_id=command_id, step=pending["step"], attempt=pending["attempt"]
            )
            if pending["attempt"] < self.plan.max_attempts:
                again = pending["attempt"] + 1
                self._issue(
                    pending["step"], command_id, pending["target"], pending["name"], pending["args"], again, now
                )
            elif self.phase == FORWARD:
                timeout = self.plan.step_timeout_seconds
                self._fail(pending["step"], None, f"{pending['step']} timed out after {timeout} s", True, now)
                break
            else:
                if not self._ended_undo(pending["step"]):
                    reason = f"timed out {pending['attempt']} times"
                    self._end_undo(pending["step"], "failed", reason)
        self._advance(now)
        return True

    @event(CommandTimedOut)
    def _timed_out(self, provision_id: int, command_id: str, step: str, attempt: int) -> None:
        if attempt >= self.plan.max_attempts:  # given up; else the next CommandIssued sends it again
            self.outstanding.pop(command_id, None)

    # ----- plays (run by the runner) ------------------------------------------------------------------------

    def start_run(self, runner_id: str) -> None:
        """Claim the queued play for one runner (a concurrent claim conflicts on the aggregate's version)."""
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        if self.play_due is None:
            raise NothingToRunError(self.provision_id)
        self._run_started(provision_id=self.provision_id, runner_id=runner_id)

    @event(RunStarted)
    def _run_started(self, provision_id: int, runner_id: str) -> None:
        self.runner_id = runner_id
        self.running_play, self.play_due = self.play_due, None

    @property
    def play_to_run(self) -> str:
        """The play of the queued or running run: the job's, or for a rollback its deprovisioning play."""
        mode = self.running_play or self.play_due
        return self.plan.deprovision_play if mode == "deprovision" else self.provisioning_play

    def record_task(self, event_number: int, event_name: str, status: int, result_json: str) -> None:
        """One task's state; a repeat of the last recorded running state of that task records nothing."""
        if status not in TASK_STATUSES:
            raise ValueError(f"task status must be one of {TASK_STATUSES}, not {status!r}")
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        if self.tasks.get(event_number) == (event_name, status) and status == RUNNING:
            return
        self._task_recorded(
            provision_id=self.provision_id,
            event_number=event_number,
            event_name=event_name,
            provisioning_status=status,
            provisioning_result_json=result_json,
        )

    @event(TaskRecorded)
    def _task_recorded(
        self,
        provision_id: int,
        event_number: int,
        event_name: str,
        provisioning_status: int,
        provisioning_result_json: str,
    ) -> None:
        self.tasks[event_number] = (event_name, provisioning_status)

    @property
    def next_task_number(self) -> int:
        """Task numbers of a later run (the rollback's play) continue after the earlier run's."""
        return max(self.tasks, default=0) + 1

    def end_play(self, outcome: str, failed_task: str | None, error: str | None, now: datetime) -> bool:
        """The running play ended; False when none was running (an interruption reported twice)."""
        if outcome not in PLAY_OUTCOMES:
            raise ValueError(f"play outcome must be one of {PLAY_OUTCOMES}")
        if self.running_play is None or self.finished:
            return False
        mode = self.running_play
        self._play_ended(
            provision_id=self.provision_id, mode=mode, outcome=outcome, failed_task=failed_task, error=error
        )
        if mode == "provision" and outcome == "succeeded":
            self._step_completed(provision_id=self.provision_id, step=Step.RUN_PLAYBOOK.value, result={})
        elif mode == "provision":
            rescued = outcome == "failed"  # a task failed: the play's rescue ran (block/rescue)
            self._fail(Step.RUN_PLAYBOOK.value, failed_task, error or outcome, not rescued, now, rescued=rescued)
        else:
            reason = None if outcome == "succeeded" else f"{failed_task}: {error}" if failed_task else error or outcome
            self._end_undo(self.current or "", "completed" if outcome == "succeeded" else "failed", reason)
        self._advance(now)
        return True

    @event(PlayEnded)
    def _play_ended(
        self, provision_id: int, mode: str, outcome: str, failed_task: str | None, error: str | None
    ) -> None:
        self.running_play = None

    def request_cancel(self, requested_by: int | None, now: datetime) -> None:
        """Stop the job: a running play is stopped by its runner; a job waiting for a command starts its rollback
        at once. No-op when already asked."""
        if self.finished:
            raise ProvisionFinishedError(self.provision_id)
        if self.cancel_requested:
            return
        self._cancel_requested(provision_id=self.provision_id, requested_by=requested_by)
        if self.phase == FORWARD and self.running_play is None:
            # a command still out may have had its effect; a play only queued has not run
            failed = self.in_flight[0] if self.in_flight else None
            self._fail(failed, None, "cancelled", uncertain=bool(self.outstanding), now=now)
            self._advance(now)

    @event(CancelRequested)
    def _cancel_requested(self, provision_id: int, requested_by: int | None) -> None:
        self.cancel_requested = True

    # ----- moving on ------------------------------------------------------------------------------------------

    def _advance(self, now: datetime) -> None:
        """Begin what comes next once the current stage or compensation is over; end the job after the last."""
        while not self.finished and not self.outstanding and self.play_due is None and self.running_play is None:
            if self.phase == FORWARD:
                if self.in_flight:
                    return  # a step waits for its play's end (claimed elsewhere) - nothing to begin yet
                upcoming = [s for s in self.plan.steps if s not in self.done]
                if not upcoming:
                    self._succeed()
                    return
                stage = STAGE.get(upcoming[0], -1)
                for step in [s for s in upcoming if STAGE.get(s, -1) == stage] or upcoming[:1]:
                    self._begin(step, now)
            else:
                if self.current is not None and not self._ended_undo(self.current):
                    self._end_undo(self.current, "completed", None)
                if not self.undo:
                    self._end_failed()
                    return
                self._begin(self.undo[0], now)

    def _begin(self, name: str, now: datetime) -> None:
        self._step_started(provision_id=self.provision_id, step=name, phase=self.phase)
        if name in PLAYS:
            self._play_queued(provision_id=self.provision_id, mode=PLAYS[name])
            return
        given = orders(name, self.facts)
        for index, order in enumerate(given):
            self._issue(
                name, f"provision-{self.provision_id}/{name}/{index}", order.target, order.name, order.args, 1, now
            )
        if not given and self.phase == FORWARD:  # nothing to ask (e.g. no service to activate): done at once
            self._step_completed(provision_id=self.provision_id, step=name, result={})

    @event(StepStarted)
    def _step_started(self, provision_id: int, step: str, phase: str) -> None:
        self.current = step
        if phase == FORWARD:
            self.in_flight.append(step)
        elif self.undo and self.undo[0] == step:
            self.undo.pop(0)

    @event(PlayQueued)
    def _play_queued(self, provision_id: int, mode: str) -> None:
        self.play_due = mode

    def _issue(
        self, step: str, command_id: str, target: str, name: str, args: dict[str, Any], attempt: int, now: datetime
    ) -> None:
        self._command_issued(
            provision_id=self.provision_id,
            command_id=command_id,
            step=step,
            target=target,
            name=name,
            args=dict(args),
            attempt=attempt,
            deadline=now + timedelta(seconds=self.plan.step_timeout_seconds),
        )

    @event(CommandIssued)
    def _command_issued(
        self,
        provision_id: int,
        command_id: str,
        step: str,
        target: str,
        name: str,
        args: dict[str, Any],
        attempt: int,
        deadline: datetime,
    ) -> None:
        self.outstanding[command_id] = {
            "step": step,
            "target": target,
            "name": name,
            "args": args,
            "attempt": attempt,
            "deadline": deadline,
        }
        if attempt == 1:
            self.issued[step] = self.issued.get(step, 0) + 1

    @event(StepCompleted)
    def _step_completed(self, provision_id: int, step: str, result: dict[str, Any]) -> None:
        self.done.append(step)
        if step in self.in_flight:
            self.in_flight.remove(step)

    def _fail(
        self,
        step: str | None,
        failed_task: str | None,
        error: str,
        uncertain: bool,
        now: datetime,
        rescued: bool = False,
    ) -> None:
        self._compensation_started(
            provision_id=self.provision_id,
            failed_step=step,
            failed_task=failed_task,
            error=error,
            actions=compensations(
                self.done, step, uncertain, rescued, self.plan.play_charges, also_uncertain=self.in_flight
            ),
            abandoned=sorted(self.outstanding),
        )

    @event(CompensationStarted)
    def _compensation_started(
        self,
        provision_id: int,
        failed_step: str | None,
        failed_task: str | None,
        error: str,
        actions: list[str],
        abandoned: list[str],
    ) -> None:
        self.phase = COMPENSATING
        self.failed_step, self.failed_task, self.error = failed_step, failed_task, error
        self.undo = list(actions)
        self.outstanding = {}  # answers of the failed step's commands no longer matter
        self.play_due = None
        self.current = None
        self.in_flight = []

    def _ended_undo(self, action: str) -> bool:
        return any(u["action"] == action for u in self.undone)

    def _end_undo(self, action: str, outcome: str, reason: str | None) -> None:
        """One compensation is over; its commands still out (after a refusal) are no longer awaited."""
        abandoned = sorted(k for k, v in self.outstanding.items() if v["step"] == action)
        self._compensation_ended(
            provision_id=self.provision_id, action=action, outcome=outcome, reason=reason, abandoned=abandoned
        )

    @event(CompensationEnded)
    def _compensation_ended(
        self, provision_id: int, action: str, outcome: str, reason: str | None, abandoned: list[str]
    ) -> None:
        self.undone.append({"action": action, "outcome": outcome, "reason": reason})
        for command_id in abandoned:
            self.outstanding.pop(command_id, None)

    def _succeed(self) -> None:
        facts = self.facts
        self._succeeded(
            provision_id=self.provision_id,
            customer_id=self.customer_id,
            service_id=facts.service_id,
            action=self.action,
            service_uuid=facts.service_uuid,
            inventory=dict(self.inventory),
        )

    @event(Succeeded)
    def _succeeded(
        self,
        provision_id: int,
        customer_id: int,
        service_id: int | None,
        action: str | None,
        service_uuid: str | None,
        inventory: dict[str, int],
    ) -> None:
        self.provisioning_status = SUCCESS
        self.phase = ENDED

    def _end_failed(self) -> None:
        self._failed(
            provision_id=self.provision_id,
            customer_id=self.customer_id,
            failed_task=self.failed_task,
            error=self.error or "failed",
            failed_step=self.failed_step,
            provisioning_play=self.provisioning_play,
            product_id=self.product_id,
            service_id=self.facts.service_id,
            initiating_user=self.initiating_user,
            compensations=list(self.undone),
        )

    @event(Failed)
    def _failed(
        self,
        provision_id: int,
        customer_id: int,
        failed_task: str | None,
        error: str,
        failed_step: str | None,
        provisioning_play: str | None,
        product_id: int | None,
        service_id: int | None,
        initiating_user: int | None,
        compensations: list[dict[str, Any]],
    ) -> None:
        self.provisioning_status = FAILED
        self.phase = ENDED
        self.failed_task = failed_task
        self.error = error


ALL_EVENTS = (
    Provision.Requested,
    Provision.SagaPlanned,
    Provision.StepStarted,
    Provision.CommandIssued,
    Provision.CommandAnswered,
    Provision.CommandTimedOut,
    Provision.PlayQueued,
    Provision.RunStarted,
    Provision.TaskRecorded,
    Provision.PlayEnded,
    Provision.StepCompleted,
    Provision.CompensationStarted,
    Provision.CompensationEnded,
    Provision.CancelRequested,
    Provision.Succeeded,
    Provision.Failed,
)
