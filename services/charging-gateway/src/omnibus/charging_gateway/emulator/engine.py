"""The CGRateS emulator's engine: accounts, balances, actions, plans, triggers and CDRs with CGRateS's rules.

One lock serialises every mutation (CGRateS locks per account; one lock is the same for a single client and
simpler). Action sets are all-or-nothing (§4.6): they run on a copy of the account that is stored only on success.
``*http_post`` bodies are recorded at once and delivered after the lock is released, before the API call returns
(synchronous, like CGRateS), so a webhook receiver may call back into the emulator without deadlocking.

The clock is injectable (``Clock``): frozen for tests (``advance`` runs due plans in order) or following real
time (the server runs ``tick`` every second).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from omnibus.charging_gateway.emulator.args import RpcError, map_float
from omnibus.charging_gateway.emulator.model import Account, Balance, BalanceFilter, Trigger
from omnibus.charging_gateway.emulator.scheduler import QueueEntry, Timing, next_run
from omnibus.charging_gateway.emulator.timeutil import (
    format_time,
    number,
    parse_time,
    parse_usage,
    round_value,
)

log = logging.getLogger(__name__)

DEFAULT_TENANT = "cgrates.org"
BALANCE_ACTIONS = {
    "*topup",
    "*topup_reset",
    "*debit",
    "*debit_reset",
    "*set_balance",
    "*remove_balance",
    "*remove_expired",
    "*set_expiry",
    "*topup_zero_negative",
}
CDRLOG_ACTIONS = {
    "*topup",
    "*topup_reset",
    "*debit",
    "*debit_reset",
    "*set_balance",
    "*remove_balance",
    "*remove_expired",
    "*transfer_balance",
}
ACCOUNTLESS = {"*http_post", "*http_post_async", "*log", "*cdrlog", "*post_event"}
MAX_TRIGGER_DEPTH = 5


class Clock:
    """The emulator's notion of now: frozen at a set time (tests) or real time plus an offset."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._frozen = frozen_at
        self._offset = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        if self._frozen is not None:
            self._frozen = when
        else:
            self._offset = when - datetime.now(UTC)


@dataclass
class Action:
    """One item of an action set (§5.2); balance fields kept as given, expiry evaluated when it runs."""

    type: str
    weight: float
    extra_parameters: str = ""
    filters: list[str] = field(default_factory=list)
    balance: dict[str, Any] = field(default_factory=dict)  # Balance-map style keys
    balance_type: str | None = None
    units: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # for GetActions


@dataclass
class Plan:
    id: str
    timings: list[Timing]
    account_ids: dict[str, bool] = field(default_factory=dict)


@dataclass
class Delivery:
    """A recorded ``*http_post``: what was sent, where, and how it went."""

    url: str
    body: dict[str, Any]
    action: str
    at: datetime
    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "URL": self.url,
            "Body": self.body,
            "Action": self.action,
            "Time": format_time(self.at),
            "Status": self.status,
            "Attempts": self.attempts,
            "Error": self.error,
        }


Poster = Callable[[str, bytes], None]  # raises on failure


@dataclass
class _Run:
    """State of one API call: pending posts and CDRs written by *cdrlog."""

    posts: list[Delivery] = field(default_factory=list)
    extra_data: dict[str, Any] = field(default_factory=dict)
    cdrlog: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    """The emulated CGRateS state and its operations (called by the JSON-RPC methods)."""

    def __init__(self, clock: Clock | None = None, poster: Poster | None = None, *, strict_tenant: bool = True):
        self.clock = clock or Clock()
        self.poster = poster
        self.strict_tenant = strict_tenant
        self.poster_attempts = 3
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.accounts: dict[str, Account] = {}
            self.actions: dict[str, list[Action]] = {}
            self.plans: dict[str, Plan] = {}
            self.trigger_groups: dict[str, list[Trigger]] = {}
            self.cdrs: list[dict[str, Any]] = []
            self.tasks: list[tuple[str, Timing, str]] = []  # (plan id, *asap timing, account key)
            self.queue: list[QueueEntry] = []
            self.deliveries: list[Delivery] = []
            self.destinations: dict[str, list[str]] = {}
            self.prices: dict[str, float] = {}  # ToR -> monetary price per unit (optional rating)
            self.executions: list[dict[str, Any]] = []  # scheduled runs, for inspection
            self._order_id = 0
            self._pending_posts: list[Delivery] = []
            self.failing_posts = False

    STATE = ("accounts", "actions", "plans", "trigger_groups", "cdrs", "destinations", "prices", "_order_id")

    def save_state(self, path: Any) -> None:
        """Persist the emulated data (embedded mode keeps it across restarts, like CGRateS's DataDB)."""
        import pickle
        from pathlib import Path

        with self._lock:
            data = pickle.dumps({name: getattr(self, name) for name in self.STATE})
        Path(path).write_bytes(data)

    def load_state(self, path: Any) -> bool:
        import pickle
        from pathlib import Path

        if not Path(path).exists():
            return False
        state = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own local file
        with self._lock:
            for name in self.STATE:
                if name in state:
                    setattr(self, name, state[name])
            self._reload()
        return True

    # ----- plumbing -------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def tenant(self, args: dict[str, Any]) -> str:
        tenant = args.get("Tenant") or ""
        if not tenant:
            if self.strict_tenant:
                raise RpcError("MANDATORY_IE_MISSING: [Tenant]")
            tenant = DEFAULT_TENANT
        return str(tenant)

    def locked(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` under the engine lock, then deliver the ``*http_post`` it recorded (before answering)."""
        with self._lock:
            result = fn()
            posts, self._pending_posts = self._pending_posts, []
        for delivery in posts:
            with self._lock:
                self.deliveries.append(delivery)
            self._deliver(delivery)
        return result

    def deliveries_view(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def _deliver(self, delivery: Delivery) -> None:
        if self.failing_posts:
            delivery.status, delivery.attempts, delivery.error = "failed", self.poster_attempts, "emulated failure"
            return
        if self.poster is None:
            delivery.status = "recorded"
            return
        body = json.dumps(delivery.body).encode()
        for attempt in range(1, self.poster_attempts + 1):
            delivery.attempts = attempt
            try:
                self.poster(delivery.url, body)
                delivery.status, delivery.error = "delivered", None
                return
            except Exception as error:  # spooled to failed posts, never returned as an API error (§5.1)
                delivery.status, delivery.error = "failed", str(error)
        log.warning("*http_post to %s failed after %d attempts: %s", delivery.url, delivery.attempts, delivery.error)

    # ----- accounts -------------------------------------------------------------------------------------------

    def get_account(self, tenant: str, account: str) -> Account:
        found = self.accounts.get(f"{tenant}:{account}")
        if found is None:
            raise RpcError("NOT_FOUND")
        return found

    def set_account_v2(self, args: dict[str, Any]) -> str:
        tenant = self.tenant(args)

        def run() -> str:
            key = f"{tenant}:{args['Account']}"
            existing = self.accounts.get(key)
            acc = copy.deepcopy(existing) if existing else Account(tenant, args["Account"])
            plan_ids = args["ActionPlanIDs"]
            changed = False
            for plan_id in plan_ids:  # a missing plan: nothing saved, tasks queued so far stay queued
                if plan_id not in self.plans:
                    raise RpcError("SERVER_ERROR: NOT_FOUND")
            new_plans = dict(self.plans)
            for plan_id in plan_ids:
                plan = copy.deepcopy(new_plans[plan_id])
                for timing in plan.timings:
                    if timing.asap:
                        self.tasks.append((plan_id, timing, key))
                if not all(t.asap for t in plan.timings) and key not in plan.account_ids:
                    plan.account_ids[key] = True
                    changed = True
                new_plans[plan_id] = plan
            if args["ActionPlansOverwrite"]:
                for plan_id, plan in list(new_plans.items()):
                    if plan_id not in plan_ids and key in plan.account_ids:
                        plan = copy.deepcopy(plan)
                        del plan.account_ids[key]
                        new_plans[plan_id] = plan
                        changed = True
            triggers = self._trigger_copies(args["ActionTriggerIDs"])
            if args["ActionTriggerOverwrite"]:
                acc.triggers = []
            self._append_triggers(acc, triggers)
            self._extra_options(acc, args["ExtraOptions"])
            acc.update_time = self.now()
            self.plans = new_plans
            self.accounts[key] = acc
            if args["ReloadScheduler"] and (changed or plan_ids):
                self._reload()
            return "OK"

        return str(self.locked(run))

    def set_account_v1(self, args: dict[str, Any]) -> str:
        tenant = self.tenant(args)

        def run() -> str:
            key = f"{tenant}:{args['Account']}"
            existing = self.accounts.get(key)
            acc = copy.deepcopy(existing) if existing else Account(tenant, args["Account"])
            changed = False
            plan_id = args["ActionPlanID"]
            if plan_id:
                if plan_id not in self.plans:
                    raise RpcError("SERVER_ERROR: NOT_FOUND")
                for other in self.plans.values():  # exclusive: leave every other plan
                    if other.id != plan_id and key in other.account_ids:
                        del other.account_ids[key]
                        changed = True
                plan = self.plans[plan_id]
                if key not in plan.account_ids:
                    plan.account_ids[key] = True
                    changed = True
                for timing in plan.timings:
                    if timing.asap:
                        self.tasks.append((plan_id, timing, key))
            if args["ActionTriggersID"]:
                acc.triggers = []
                self._append_triggers(acc, self._trigger_copies([args["ActionTriggersID"]]))
            self._extra_options(acc, args["ExtraOptions"])
            acc.update_time = self.now()
            self.accounts[key] = acc
            if args["ReloadScheduler"] and changed:
                self._reload()
            return "OK"

        return str(self.locked(run))

    @staticmethod
    def _extra_options(acc: Account, options: dict[str, Any]) -> None:
        for name, attr in (("AllowNegative", "allow_negative"), ("Disabled", "disabled")):
            if name in options:
                value = options[name]
                if not isinstance(value, bool):
                    kind = (
                        "string" if isinstance(value, str) else "number" if isinstance(value, int | float) else "object"
                    )
                    raise RpcError(f"json: cannot unmarshal {kind} into Go struct field .ExtraOptions of type bool")
                setattr(acc, attr, value)

    def _trigger_copies(self, group_ids: list[str]) -> list[Trigger]:
        copies: list[Trigger] = []
        for group_id in group_ids:
            if group_id not in self.trigger_groups:
                raise RpcError("SERVER_ERROR: NOT_FOUND")
            copies.extend(t.copy() for t in self.trigger_groups[group_id])
        return copies

    @staticmethod
    def _append_triggers(acc: Account, triggers: list[Trigger]) -> None:
        have = {(t.id, t.unique_id) for t in acc.triggers}
        for trigger in triggers:
            if (trigger.id, trigger.unique_id) not in have:
                acc.triggers.append(trigger)
                have.add((trigger.id, trigger.unique_id))

    def remove_account(self, args: dict[str, Any]) -> str:
        tenant = self.tenant(args)

        def run() -> str:
            key = f"{tenant}:{args['Account']}"
            for plan in self.plans.values():
                plan.account_ids.pop(key, None)
            self.accounts.pop(key, None)
            return "OK"

        return str(self.locked(run))

    # ----- action sets ----------------------------------------------------------------------------------------

    def run_actions(
        self, key: str | None, actions: list[Action], run: _Run, *, create: bool = True, depth: int = 0
    ) -> None:
        """Run an action set against one account, all or nothing (§4.6). Call with the lock held."""
        if key is None:
            for action in sorted(actions, key=lambda a: -a.weight):
                if action.type in ACCOUNTLESS:
                    self._accountless(action, run)
            return
        existing = self.accounts.get(key)
        if existing is None and not create:
            raise RpcError("NOT_FOUND")
        tenant, _, name = key.partition(":")
        acc = copy.deepcopy(existing) if existing else Account(tenant, name)
        self._apply(acc, actions, run, depth)
        self.store(acc, run, cdrlog=any(a.type == "*cdrlog" for a in actions))

    def store(self, acc: Account, run: _Run, *, cdrlog: bool = False) -> None:
        """Save a changed account with what its run produced (posts to deliver, *cdrlog rows)."""
        acc.update_time = self.now()
        self.accounts[acc.key] = acc
        self._pending_posts.extend(run.posts)
        if cdrlog:
            for row in run.cdrlog:
                self.store_cdr(row)
        run.posts, run.cdrlog = [], []

    def _apply(self, acc: Account, actions: list[Action], run: _Run, depth: int) -> None:
        now = self.now()
        for action in sorted(actions, key=lambda a: -a.weight):
            try:
                self._one(acc, action, run, depth, now)
            except (RpcError, ValueError) as error:  # the rest is skipped and nothing is saved
                log.info("action %s failed: %s", action.type, error)
                raise RpcError("PARTIALLY_EXECUTED") from error

    def _filter(self, action: Action, now: datetime) -> BalanceFilter:
        return BalanceFilter.from_map(action.balance, action.balance_type, now)

    def _one(self, acc: Account, action: Action, run: _Run, depth: int, now: datetime) -> None:
        kind = action.type
        if kind not in KNOWN_ACTIONS:
            raise RpcError(f"unsupported action {kind}")
        if kind in BALANCE_ACTIONS:
            self._balance_action(acc, action, run, now)
            self._evaluate_triggers(acc, run, depth)
            acc.clean_expired(now)
        elif kind == "*reset_triggers":
            self._reset_triggers(acc, action)
            self._evaluate_triggers(acc, run, depth)
        elif kind in ("*set_recurrent", "*unset_recurrent"):
            for trigger in self._matching_triggers(acc, action):
                trigger.recurrent = kind == "*set_recurrent"
        elif kind == "*reset_account":
            for balance_type in acc.balance_map:
                acc.balance_map[balance_type] = [BalanceFilter().new_balance(full=True)]
            for trigger in acc.triggers:
                trigger.executed = False
        elif kind in ("*enable_account", "*disable_account"):
            acc.disabled = kind == "*disable_account"
        elif kind in ("*allow_negative", "*deny_negative"):
            acc.allow_negative = kind == "*allow_negative"
        elif kind == "*remove_account":
            for plan in self.plans.values():
                plan.account_ids.pop(acc.key, None)
        elif kind in ("*http_post", "*http_post_async"):
            run.posts.append(Delivery(action.extra_parameters, acc.to_json(), kind, now))
        elif kind == "*post_event":
            run.posts.append(Delivery(action.extra_parameters, dict(run.extra_data), kind, now))
        elif kind == "*log":
            log.info("*log %s", json.dumps(acc.to_json()))
        elif kind == "*cdrlog":
            pass  # written with the money-moving actions (see _cdrlog)

    def _accountless(self, action: Action, run: _Run) -> None:
        now = self.now()
        if action.type in ("*http_post", "*http_post_async", "*post_event"):
            self._pending_posts.append(Delivery(action.extra_parameters, dict(run.extra_data), action.type, now))

    def _balance_action(self, acc: Account, action: Action, run: _Run, now: datetime) -> None:
        kind = action.type
        if not action.balance_type:
            raise RpcError("MANDATORY_IE_MISSING: [BalanceType]")
        f = self._filter(action, now)
        value = action.units if action.units else (f.value or 0.0)
        balances = acc.balance_map.setdefault(action.balance_type, [])
        live = [b for b in balances if not b.expired(now)]
        if kind in ("*topup", "*topup_reset", "*debit", "*debit_reset"):
            sign = 1 if kind.startswith("*topup") else -1
            matched = [b for b in live if f.matches(b)]
            if not matched:
                fresh = f.new_balance(full=True)
                balances.append(fresh)
                matched = [fresh]
            for b in matched:
                if kind.endswith("_reset"):
                    b.value = 0.0
                b.value = round_value(b.value + sign * abs(value))
                b.dirty = True
        elif kind == "*set_balance":
            if not f.uuid and not f.id:
                raise RpcError("MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]")
            if f.uuid:
                target = next((b for bs in acc.balance_map.values() for b in bs if b.uuid == f.uuid), None)
                if target is None or target.expired(now):
                    raise RpcError("NOT_FOUND")
            else:
                target = next((b for b in live if b.id == f.id), None)
            if target is None:
                target = f.new_balance(full=False)
                target.value = 0.0
                balances.append(target)
            given = action.units if action.units else f.value
            f.apply_set(target, given)
        elif kind == "*remove_balance":
            matched = [b for b in live if f.matches(b)]
            if not matched:
                raise RpcError("NOT_FOUND")
            acc.balance_map[action.balance_type] = [b for b in balances if b not in matched]
        elif kind == "*remove_expired":
            match_filter = BalanceFilter(**{**f.__dict__, "expiry_given": False})
            expired = [b for b in balances if b.expired(now) and match_filter.matches(b)]
            if not expired:
                raise RpcError("NOT_FOUND")
            acc.balance_map[action.balance_type] = [b for b in balances if b not in expired]
        elif kind == "*set_expiry":
            match_filter = BalanceFilter(**{**f.__dict__, "expiry_given": False})
            for b in balances:
                if match_filter.matches(b):
                    b.expiration = f.expiration
                    b.dirty = True
        elif kind == "*topup_zero_negative":
            for b in [b for b in live if f.matches(b)]:
                if b.value < 0:
                    b.value = 0.0
                    if value:
                        b.value = round_value(b.value - abs(value))
                    b.dirty = True
        if kind in CDRLOG_ACTIONS:
            run_value = value if kind != "*set_balance" else (action.units or f.value or 0.0)
            run.cdrlog.append(self._cdrlog_row(acc, kind, action.balance_type, run_value, f, run))

    def _cdrlog_row(
        self, acc: Account, kind: str, balance_type: str, value: float, f: BalanceFilter, run: _Run
    ) -> dict[str, Any]:
        now = self.now()
        extra: dict[str, str] = {}
        row: dict[str, Any] = {
            "CGRID": hashlib.sha1(uuid.uuid4().bytes).hexdigest(),
            "RunID": kind,
            "OrderID": 0,
            "OriginHost": "127.0.0.1",
            "Source": "*cdrlog",
            "OriginID": str(uuid.uuid4()),
            "ToR": balance_type,
            "RequestType": "*none",
            "Tenant": acc.tenant,
            "Category": "",
            "Account": acc.account,
            "Subject": acc.account,
            "Destination": "",
            "SetupTime": format_time(now),
            "AnswerTime": format_time(now),
            "Usage": 1,
            "ExtraFields": extra,
            "ExtraInfo": "",
            "Partial": False,
            "PreRated": True,
            "CostSource": "",
            "Cost": number(round_value(abs(value))),
            "CostDetails": None,
        }
        if kind in ("*remove_balance", "*remove_expired") and f.id:
            extra["BalanceID"] = f.id
        for name, value_ in run.extra_data.items():
            if name in row and name not in ("ExtraFields",):
                row[name] = value_
            else:
                extra[name] = str(value_)
        return row

    # ----- triggers -------------------------------------------------------------------------------------------

    def _matching_triggers(self, acc: Account, action: Action) -> list[Trigger]:
        params: dict[str, Any] = {}
        if action.extra_parameters.strip().startswith("{"):
            try:
                params = json.loads(action.extra_parameters)
            except ValueError:
                params = {}
        out = []
        for trigger in acc.triggers:
            if params.get("GroupID") and trigger.id != params["GroupID"]:
                continue
            if params.get("UniqueID") and trigger.unique_id != params["UniqueID"]:
                continue
            if params.get("ThresholdType") and trigger.threshold_type != params["ThresholdType"]:
                continue
            if action.raw.get("_v1_filter"):  # v1 SetActions always attaches a balance filter (§5.2 gotcha 1)
                if (action.balance_type or "") != (trigger.balance.type or ""):
                    continue
            out.append(trigger)
        return out

    def _reset_triggers(self, acc: Account, action: Action) -> None:
        for trigger in self._matching_triggers(acc, action):
            trigger.executed = False

    def _evaluate_triggers(self, acc: Account, run: _Run, depth: int) -> None:
        """§6.2: after a balance change, on the dirty balances of each trigger's type; fired actions run on it."""
        if acc.disabled or depth >= MAX_TRIGGER_DEPTH:
            self._clear_dirty(acc)
            return
        now = self.now()
        for trigger in sorted(acc.triggers, key=lambda t: -t.weight):
            if trigger.executed or (trigger.expiration and trigger.expiration < now):
                continue
            if trigger.activation and trigger.activation > now:
                continue
            if trigger.min_sleep and trigger.last_execution:
                if now - trigger.last_execution < timedelta(microseconds=trigger.min_sleep / 1000):
                    continue
            if trigger.threshold_type not in ("*min_balance", "*max_balance", "*balance_expired"):
                continue
            balance_type = trigger.balance.type or ""
            for balance in acc.balance_map.get(balance_type, []):
                expired = balance.expired(now)
                if trigger.threshold_type != "*balance_expired" and (not balance.dirty or expired):
                    continue
                if not _trigger_matches(trigger, balance):
                    continue
                fires = (
                    (trigger.threshold_type == "*min_balance" and balance.value <= trigger.threshold_value)
                    or (trigger.threshold_type == "*max_balance" and balance.value >= trigger.threshold_value)
                    or (trigger.threshold_type == "*balance_expired" and expired)
                )
                if fires:
                    self._fire(acc, trigger, run, depth)
                    break
        self._clear_dirty(acc)

    def _fire(self, acc: Account, trigger: Trigger, run: _Run, depth: int) -> None:
        trigger.executed = True
        trigger.last_execution = self.now()
        actions = self.actions.get(trigger.actions_id)
        if actions is None:
            log.warning("trigger %s names a missing action set %s", trigger.unique_id, trigger.actions_id)
        else:
            self._clear_dirty(acc)
            try:
                self._apply(acc, actions, run, depth + 1)
            except RpcError as error:  # a failed triggered set is only logged
                log.warning("trigger %s: actions %s failed: %s", trigger.unique_id, trigger.actions_id, error)
        if trigger.recurrent:
            trigger.executed = False

    @staticmethod
    def _clear_dirty(acc: Account) -> None:
        for balances in acc.balance_map.values():
            for balance in balances:
                balance.dirty = False

    # ----- the scheduler --------------------------------------------------------------------------------------

    def _reload(self) -> None:
        """SchedulerSv1.Reload: run queued *asap tasks, then snapshot every plan's timings and accounts."""
        tasks, self.tasks = self.tasks, []
        for plan_id, timing, key in tasks:
            self._execute_timing(plan_id, timing, (key,))
        now = self.now()
        old = {(e.plan_id, e.timing.uuid): e for e in self.queue}
        queue = []
        for plan in self.plans.values():
            for timing in plan.timings:
                if timing.asap:
                    continue
                at = next_run(timing, now, inclusive=False, loaded_at=now)
                if at is None:
                    continue
                previous = old.get((plan.id, timing.uuid))
                keep = previous is not None and not timing.start_time.startswith("+")  # "+dur" re-arms on reload
                if (
                    keep
                    and previous is not None
                    and previous.timing.start_time == timing.start_time
                    and previous.at >= now
                ):
                    at = previous.at
                queue.append(QueueEntry(at, plan.id, copy.deepcopy(timing), tuple(plan.account_ids), now))
        self.queue = queue

    def reload(self) -> str:
        def run() -> str:
            self._reload()
            return "OK"

        return str(self.locked(run))

    def _execute_timing(self, plan_id: str, timing: Timing, accounts: tuple[str, ...]) -> None:
        actions = self.actions.get(timing.actions_id)
        for key in accounts:
            record = {"ActionPlanID": plan_id, "ActionsID": timing.actions_id, "Account": key}
            record["Time"] = format_time(self.now())
            if actions is None:
                record["Error"] = "NOT_FOUND"
            else:
                try:
                    self.run_actions(key, actions, _Run())
                except RpcError as error:  # errors of scheduled runs are only logged
                    record["Error"] = str(error)
            self.executions.append(record)

    def advance_to(self, until: datetime) -> int:
        """Move the clock to ``until``, running every due timing in order at its own time. Returns the runs."""

        def run() -> int:
            runs = 0
            while True:
                due = [e for e in self.queue if e.at <= until]
                if not due:
                    break
                entry = min(due, key=lambda e: (e.at, -e.timing.weight))
                if self.clock.frozen and entry.at > self.now():
                    self.clock.set(entry.at)
                self._execute_timing(entry.plan_id, entry.timing, entry.accounts)
                runs += 1
                following = next_run(entry.timing, entry.at, inclusive=False, loaded_at=entry.loaded_at)
                if following is None:
                    self.queue.remove(entry)
                else:
                    entry.at = following
            if self.clock.frozen and until > self.now():
                self.clock.set(until)
            return runs

        return int(self.locked(run))

    def tick(self) -> int:
        """Real-time mode: run what is due now."""
        return self.advance_to(self.now())

    # ----- usage ----------------------------------------------------------------------------------------------

    def debit_usage(
        self,
        key: str,
        tor: str,
        usage: int,
        category: str,
        destination: str,
        at: datetime,
    ) -> tuple[float, Account]:
        """§7.5: unit balances by weight, then monetary by a flat price, remainder on a negative *default.
        Returns the cost and the changed account (not stored: the caller stores it on success)."""
        existing = self.accounts.get(key)
        if existing is None:
            raise RpcError("ACCOUNT_NOT_FOUND")
        if existing.disabled:
            raise RpcError("ACCOUNT_DISABLED")
        limits = {"*voice": 72 * 3600 * 10**9, "*data": 107374182400, "*sms": 10000}
        if tor in limits and usage > limits[tor]:
            raise RpcError("MAX_USAGE_EXCEEDED")
        acc = copy.deepcopy(existing)
        remaining = float(usage)
        candidates = [
            b
            for balance_type in (tor, "*generic")
            if balance_type != "*monetary"
            for b in acc.balance_map.get(balance_type, [])
            if self._usable(b, at, category, destination)
        ]
        candidates.sort(key=lambda b: (-self._destination_precision(b, destination), -b.weight))
        for balance in candidates:
            if remaining <= 0:
                break
            if balance.value <= 0:
                if balance.blocker:
                    raise RpcError("INSUFFICIENT_CREDIT_BALANCE_BLOCKER")
                continue
            increment = 10**9 if tor == "*voice" and not balance.rating_subject else 1
            whole = -(-remaining // increment) * increment  # rounded up to the increment
            take = min(whole, (balance.value // increment) * increment)
            if take <= 0:
                if balance.blocker:
                    raise RpcError("INSUFFICIENT_CREDIT_BALANCE_BLOCKER")
                continue
            balance.value = round_value(balance.value - take)
            balance.dirty = True
            remaining = max(0.0, remaining - take)
            if remaining > 0 and balance.blocker:
                raise RpcError("INSUFFICIENT_CREDIT_BALANCE_BLOCKER")
        cost = 0.0
        price = self.prices.get(tor)
        if remaining > 0 and price is not None:
            cost = round_value(remaining * price)
            due = cost
            monetary = [
                b
                for b in acc.balance_map.get("*monetary", [])
                if self._usable(b, at, category, destination) and b.value > 0
            ]
            for balance in sorted(monetary, key=lambda b: -b.weight):
                take = min(due, balance.value)
                balance.value = round_value(balance.value - take)
                balance.dirty = True
                due = round_value(due - take)
                if due <= 0:
                    break
            if due > 0:
                default = next((b for b in acc.balance_map.get("*monetary", []) if b.id == "*default"), None)
                if default is None:
                    default = Balance(uuid=str(uuid.uuid4()), id="*default")
                    acc.balance_map.setdefault("*monetary", []).append(default)
                default.value = round_value(default.value - due)
                default.dirty = True
        return cost, acc

    def _usable(self, b: Balance, at: datetime, category: str, destination: str) -> bool:
        if b.disabled or b.expired(at):
            return False
        if b.categories and "*any" not in b.categories:
            if not b.categories.get(category, False):
                return False
        return self._destination_precision(b, destination) >= 0

    def _destination_precision(self, b: Balance, destination: str) -> int:
        """-1 when excluded; 0 for any; else the length of the matching prefix."""
        ids = b.destination_ids or {}
        if not ids or ids.get("*any"):
            return 0
        best = -1
        for dest_id, include in ids.items():
            prefixes = self.destinations.get(dest_id, [dest_id])
            length = max((len(p) for p in prefixes if destination.startswith(p)), default=-1)
            if length >= 0 and not include:
                return -1
            if include and length > best:
                best = length
        return best

    def store_cdr(self, cdr: dict[str, Any]) -> None:
        self._order_id += 1
        cdr["OrderID"] = self._order_id
        self.cdrs.append(cdr)


def _trigger_matches(trigger: Trigger, balance: Balance) -> bool:
    f = trigger.balance
    if f.id:
        return balance.id == f.id
    return BalanceFilter(**{**f.__dict__, "id": None, "uuid": f.uuid}).matches(balance)


KNOWN_ACTIONS = BALANCE_ACTIONS | {
    "*reset_triggers",
    "*set_recurrent",
    "*unset_recurrent",
    "*reset_account",
    "*enable_account",
    "*disable_account",
    "*allow_negative",
    "*deny_negative",
    "*remove_account",
    "*log",
    "*cdrlog",
    "*http_post",
    "*http_post_async",
    "*post_event",
}


def action_from_v1(item: dict[str, Any], now: datetime) -> Action:
    """A V1TPAction (``Units`` float, ``Filters`` list, Balance* strings) as an Action."""
    balance: dict[str, Any] = {}
    for key, name in (
        ("BalanceId", "ID"),
        ("BalanceUuid", "UUID"),
        ("ExpiryTime", "ExpiryTime"),
        ("DestinationIds", "DestinationIDs"),
        ("RatingSubject", "RatingSubject"),
        ("Categories", "Categories"),
        ("SharedGroups", "SharedGroups"),
        ("TimingTags", "TimingIDs"),
        ("BalanceBlocker", "Blocker"),
        ("BalanceDisabled", "Disabled"),
    ):
        if item.get(key):
            balance[name] = item[key]
    if item.get("BalanceWeight") is not None:
        balance["Weight"] = item["BalanceWeight"]
    raw = dict(item)
    raw["_v1_filter"] = True
    return Action(
        type=item["Identifier"],
        weight=item["Weight"],
        extra_parameters=item["ExtraParameters"],
        filters=list(item["Filters"]),
        balance=balance,
        balance_type=item["BalanceType"] or None,
        units=item["Units"] or None,
        raw=raw,
    )


def action_from_v2(item: dict[str, Any], now: datetime) -> Action:
    """A TPAction (``Units`` and ``BalanceWeight`` strings, ``Filters`` ``;``-joined)."""
    units: float | None = None
    if item["Units"]:
        text = item["Units"]
        try:
            units = float(text)
        except ValueError:
            try:
                units = float(parse_usage(text))
            except ValueError:
                raise RpcError(f"SERVER_ERROR: invalid Units {text!r}") from None
    weight = map_float({"w": item["BalanceWeight"]}, "w") if item["BalanceWeight"] else None
    action = action_from_v1({**item, "Units": units or 0.0, "Filters": [], "BalanceWeight": weight}, now)
    action.filters = [f for f in item["Filters"].split(";") if f] if item["Filters"] else []
    action.raw = dict(item)
    if action.type == "*reset_triggers":  # v2 attaches no balance filter to *reset_triggers
        action.balance_type, action.balance = None, {}
    return action


def parse_time_arg(value: str, now: datetime) -> datetime | None:
    try:
        return parse_time(value, now)
    except ValueError as error:
        raise RpcError(str(error)) from None
