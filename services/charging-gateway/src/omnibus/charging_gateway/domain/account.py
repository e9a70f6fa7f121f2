"""The OcsAccount aggregate: what the CRM has asked of, and learnt from, one CGRateS account (one per service).

CGRateS holds the balances (they change with every session and are read live, charging.md §5.1); this aggregate
records the facts: the account's lifecycle, each top-up under the CRM's idempotency key (requested, applied or
failed: a key is applied at most once), ActionPlans attached and their executions, trigger signals (low, depleted,
expired) and usage, each with the key that makes a repeated callback or poll a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from omnibus.charging_gateway.domain.errors import (
    AccountRemovedError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    TopupInProgressError,
)
from omnibus.charging_gateway.domain.naming import check_service_uuid, parse_action_plan_id

NAMESPACE = UUID("6f6d6e69-6275-5300-8000-0000000000c6")
SIGNAL_KINDS = ("low", "depleted", "expired")
OPERATIONS = ("add", "set", "action")


def account_uuid(service_uuid: str) -> UUID:
    return uuid5(NAMESPACE, f"ocs_account:{service_uuid}")


class OcsAccount(Aggregate):
    """One CGRateS account, named by the CRM service's ``service_uuid`` (D75)."""

    id: UUID

    class Created(Aggregate.Created):
        service_uuid: str
        tenant: str
        allow_negative: bool
        disabled: bool

    class Reopened(Aggregate.Event):
        service_uuid: str
        tenant: str
        allow_negative: bool
        disabled: bool

    class Disabled(Aggregate.Event):
        service_uuid: str
        reason: str

    class Enabled(Aggregate.Event):
        service_uuid: str
        reason: str

    class Removed(Aggregate.Event):
        service_uuid: str
        tenant: str

    class TopupRequested(Aggregate.Event):
        service_uuid: str
        key: str
        request: dict[str, Any]
        requested_at: datetime

    class TopupApplied(Aggregate.Event):
        service_uuid: str
        key: str
        request: dict[str, Any]
        verified_by: str  # "reply" | "cdrlog"

    class TopupFailed(Aggregate.Event):
        service_uuid: str
        key: str
        error: str

    class ActionPlanAttached(Aggregate.Event):
        service_uuid: str
        action_plan_id: str
        product_id: int | None
        customer_id: int | None
        actions_id: str
        next_exec_time: str | None

    class ActionPlanDetached(Aggregate.Event):
        class_version = 2
        service_uuid: str
        action_plan_id: str
        by_user: str | None
        service_id: int | None  # v2: the CRM service, when the gateway knows it (charging.md §8)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["service_id"] = None

    class ActionPlanExecuted(Aggregate.Event):
        service_uuid: str
        action_plan_id: str
        actions_id: str
        executed_at: str
        next_exec_time: str | None

    class RenewRequested(Aggregate.Event):
        service_uuid: str
        action_plan_id: str
        service_id: int | None
        product_id: int
        by_user: str | None

    class TriggersAttached(Aggregate.Event):
        service_uuid: str
        group_ids: list[str]

    class TriggersReset(Aggregate.Event):
        service_uuid: str

    class BalanceSignalled(Aggregate.Event):
        class_version = 2
        service_uuid: str
        kind: str  # low | depleted | expired
        signal_key: str
        balance_type: str
        balance_id: str
        value: float | None
        threshold: float | None
        expiry: str | None
        source: str  # callback | reconciler
        service_id: int | None  # v2: the CRM service, for notifications (charging.md §8, §9)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["service_id"] = None

    class UsageRecorded(Aggregate.Event):
        service_uuid: str
        origin_id: str
        tor: str
        usage: int
        destination: str
        category: str
        answer_time: str | None

    @event(Created)
    def __init__(self, service_uuid: str, tenant: str, allow_negative: bool, disabled: bool) -> None:
        check_service_uuid(service_uuid)
        self.service_uuid = service_uuid
        self.tenant = tenant
        self.allow_negative = allow_negative
        self.disabled = disabled
        self.removed = False
        self.topups: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        # Seen keys (dicts, not sets: snapshots are JSON).
        self.plan_runs: dict[str, bool] = {}
        self.signals: dict[str, bool] = {}
        self.usage: dict[str, bool] = {}
        self.trigger_groups: list[str] = []

    # ----- lifecycle --------------------------------------------------------------------------------------

    def reopen(self, tenant: str, allow_negative: bool, disabled: bool) -> bool:
        if not self.removed:
            return False
        self._reopened(service_uuid=self.service_uuid, tenant=tenant, allow_negative=allow_negative, disabled=disabled)
        return True

    @event(Reopened)
    def _reopened(self, service_uuid: str, tenant: str, allow_negative: bool, disabled: bool) -> None:
        self.tenant, self.allow_negative, self.disabled, self.removed = tenant, allow_negative, disabled, False
        self.plans = {}

    def disable(self, reason: str) -> bool:
        self._live()
        if self.disabled:
            return False
        self._disabled(service_uuid=self.service_uuid, reason=reason)
        return True

    @event(Disabled)
    def _disabled(self, service_uuid: str, reason: str) -> None:
        self.disabled = True

    def enable(self, reason: str) -> bool:
        self._live()
        if not self.disabled:
            return False
        self._enabled(service_uuid=self.service_uuid, reason=reason)
        return True

    @event(Enabled)
    def _enabled(self, service_uuid: str, reason: str) -> None:
        self.disabled = False

    def remove(self) -> bool:
        if self.removed:
            return False
        self._removed(service_uuid=self.service_uuid, tenant=self.tenant)
        return True

    @event(Removed)
    def _removed(self, service_uuid: str, tenant: str) -> None:
        self.removed = True
        self.plans = {}

    def _live(self) -> None:
        if self.removed:
            raise AccountRemovedError(self.service_uuid)

    # ----- top-ups under the CRM's idempotency key --------------------------------------------------------

    def request_topup(self, key: str, request: dict[str, Any], now: datetime, stale_after: timedelta) -> str:
        """Record the intent to apply ``request`` once under ``key``. Returns what the caller must do:
        ``send`` (first attempt), ``done`` (already applied: do nothing), ``verify`` (an earlier attempt's outcome
        is unknown and old enough to be finished: check CGRateS before sending again)."""
        self._live()
        if not key or len(key) > 200:
            raise InvalidRequestError("idempotency_key is required (at most 200 characters)")
        if request.get("operation") not in OPERATIONS:
            raise InvalidRequestError(f"operation must be one of {OPERATIONS}")
        known = self.topups.get(key)
        if known is not None and known["request"] != request:
            raise IdempotencyKeyReusedError(f"idempotency key {key!r} was used for a different top-up")
        if known is None or known["status"] == "failed":
            self._topup_requested(service_uuid=self.service_uuid, key=key, request=request, requested_at=now)
            return "send"
        if known["status"] == "applied":
            return "done"
        if now - known["requested_at"] < stale_after:
            raise TopupInProgressError(f"top-up {key!r} is being applied; try again later")
        return "verify"

    @event(TopupRequested)
    def _topup_requested(self, service_uuid: str, key: str, request: dict[str, Any], requested_at: datetime) -> None:
        self.topups[key] = {"request": request, "status": "pending", "requested_at": requested_at}

    def retry_topup(self, key: str, now: datetime) -> None:
        """After verifying that a stale attempt left nothing in CGRateS: a new attempt of the same key."""
        known = self.topups[key]
        self._topup_requested(service_uuid=self.service_uuid, key=key, request=known["request"], requested_at=now)

    def topup_applied(self, key: str, verified_by: str = "reply") -> bool:
        known = self.topups.get(key)
        if known is None or known["status"] == "applied":
            return False
        self._topup_applied(service_uuid=self.service_uuid, key=key, request=known["request"], verified_by=verified_by)
        return True

    @event(TopupApplied)
    def _topup_applied(self, service_uuid: str, key: str, request: dict[str, Any], verified_by: str) -> None:
        self.topups[key]["status"] = "applied"

    def topup_failed(self, key: str, error: str) -> None:
        """CGRateS refused it (nothing saved there): the key may be used again."""
        if self.topups.get(key, {}).get("status") == "pending":
            self._topup_failed(service_uuid=self.service_uuid, key=key, error=error)

    @event(TopupFailed)
    def _topup_failed(self, service_uuid: str, key: str, error: str) -> None:
        self.topups[key]["status"] = "failed"

    def topup_status(self, key: str) -> str | None:
        known = self.topups.get(key)
        return None if known is None else str(known["status"])

    # ----- action plans and triggers ----------------------------------------------------------------------

    def attach_plan(self, plan_id: str, actions_id: str, next_exec_time: str | None) -> bool:
        self._live()
        if plan_id in self.plans:
            return False
        parts = parse_action_plan_id(plan_id)
        product, customer = parts.get("ProductID"), parts.get("CustomerID")
        self._plan_attached(
            service_uuid=self.service_uuid,
            action_plan_id=plan_id,
            product_id=product if isinstance(product, int) else None,
            customer_id=customer if isinstance(customer, int) else None,
            actions_id=actions_id,
            next_exec_time=next_exec_time,
        )
        return True

    @event(ActionPlanAttached)
    def _plan_attached(
        self,
        service_uuid: str,
        action_plan_id: str,
        product_id: int | None,
        customer_id: int | None,
        actions_id: str,
        next_exec_time: str | None,
    ) -> None:
        self.plans[action_plan_id] = {"actions_id": actions_id, "next_exec_time": next_exec_time}

    def detach_plan(self, plan_id: str, by_user: str | None, service_id: int | None = None) -> bool:
        if plan_id not in self.plans:
            return False
        self._plan_detached(
            service_uuid=self.service_uuid, action_plan_id=plan_id, by_user=by_user, service_id=service_id
        )
        return True

    @event(ActionPlanDetached)
    def _plan_detached(
        self, service_uuid: str, action_plan_id: str, by_user: str | None, service_id: int | None
    ) -> None:
        self.plans.pop(action_plan_id, None)

    def observe_plan(self, plan_id: str, actions_id: str, next_exec_time: str | None, now: datetime) -> bool:
        """A poll saw the plan's next run: when the run we knew of is past and the plan moved on, it executed."""
        known = self.plans.get(plan_id)
        if known is None:
            return False
        previous = known.get("next_exec_time")
        if not previous or previous.startswith("0001-") or previous == next_exec_time:
            return False
        if _parse_iso(previous) > now or f"{plan_id}@{previous}" in self.plan_runs:
            return False
        self._plan_executed(
            service_uuid=self.service_uuid,
            action_plan_id=plan_id,
            actions_id=actions_id,
            executed_at=previous,
            next_exec_time=next_exec_time,
        )
        return True

    @event(ActionPlanExecuted)
    def _plan_executed(
        self, service_uuid: str, action_plan_id: str, actions_id: str, executed_at: str, next_exec_time: str | None
    ) -> None:
        self.plan_runs[f"{action_plan_id}@{executed_at}"] = True
        if action_plan_id in self.plans:
            self.plans[action_plan_id] = {**self.plans[action_plan_id], "next_exec_time": next_exec_time}

    def request_renewal(self, plan_id: str, service_id: int | None, by_user: str | None) -> int:
        """D83: "Renew" re-runs the product's playbook; the product comes from the plan id."""
        self._live()
        product = parse_action_plan_id(plan_id).get("ProductID")
        if not isinstance(product, int):
            raise InvalidRequestError(f"no ProductID in ActionPlan id {plan_id!r}")
        self._renew_requested(
            service_uuid=self.service_uuid,
            action_plan_id=plan_id,
            service_id=service_id,
            product_id=product,
            by_user=by_user,
        )
        return product

    @event(RenewRequested)
    def _renew_requested(
        self, service_uuid: str, action_plan_id: str, service_id: int | None, product_id: int, by_user: str | None
    ) -> None:
        pass

    def attach_triggers(self, group_ids: list[str]) -> bool:
        self._live()
        new = [g for g in group_ids if g not in self.trigger_groups]
        if not new:
            return False
        self._triggers_attached(service_uuid=self.service_uuid, group_ids=new)
        return True

    @event(TriggersAttached)
    def _triggers_attached(self, service_uuid: str, group_ids: list[str]) -> None:
        self.trigger_groups.extend(group_ids)

    def triggers_reset(self) -> None:
        self._live()
        self._triggers_reset(service_uuid=self.service_uuid)

    @event(TriggersReset)
    def _triggers_reset(self, service_uuid: str) -> None:
        pass

    # ----- facts learnt from CGRateS ----------------------------------------------------------------------

    def signal(self, signal: dict[str, Any], source: str, service_id: int | None = None) -> bool:
        """Record a balance signal once per ``signal_key`` (a callback and a poll of the same firing agree)."""
        if signal["kind"] not in SIGNAL_KINDS:
            raise InvalidRequestError(f"unknown balance signal {signal['kind']!r}")
        if signal["signal_key"] in self.signals:
            return False
        self._signalled(service_uuid=self.service_uuid, source=source, service_id=service_id, **signal)
        return True

    @event(BalanceSignalled)
    def _signalled(
        self,
        service_uuid: str,
        kind: str,
        signal_key: str,
        balance_type: str,
        balance_id: str,
        value: float | None,
        threshold: float | None,
        expiry: str | None,
        source: str,
        service_id: int | None,
    ) -> None:
        self.signals[signal_key] = True

    def record_usage(
        self, origin_id: str, tor: str, usage: int, destination: str, category: str, answer_time: str | None
    ) -> bool:
        if origin_id in self.usage:
            return False
        self._usage_recorded(
            service_uuid=self.service_uuid,
            origin_id=origin_id,
            tor=tor,
            usage=usage,
            destination=destination,
            category=category,
            answer_time=answer_time,
        )
        return True

    @event(UsageRecorded)
    def _usage_recorded(
        self,
        service_uuid: str,
        origin_id: str,
        tor: str,
        usage: int,
        destination: str,
        category: str,
        answer_time: str | None,
    ) -> None:
        self.usage[origin_id] = True


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
