"""The charging application: commands other contexts give the OCS, and facts learnt from it (charging.md §4, §8).

Every command that changes CGRateS is checked (``"OK"``) before its event is recorded (charging.md §5.1). A
command never retries its CGRateS call inside ``retry_on_conflict``: the call happens once, between a load-save
that records the intent and a load-save that records the outcome, so a concurrent webhook (which records on the
same aggregate) can make only the bookkeeping retry, never the top-up.

Top-ups follow cgrates-reference.md §9: the CRM's idempotency key is recorded first (``TopupRequested``), a
repeated key is answered from the record, and an attempt whose outcome is unknown (timeout) is verified in
CGRateS (the ``*cdrlog`` CDR carrying ``CrmTxnID``) before anything is sent again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.charging_gateway.cgrates.client import (
    CGRateSClient,
    CGRateSError,
    NotFound,
    OutcomeUnknown,
    Unavailable,
)
from omnibus.charging_gateway.domain import (
    AccountNotFoundError,
    ActionPlanNotFoundError,
    InvalidRequestError,
    LeftBehindAccount,
    OcsAccount,
    ProxyCall,
    TopupInProgressError,
    account_uuid,
    left_behind_id,
)
from omnibus.charging_gateway.domain.naming import check_service_uuid, service_uuid_of_plan, trigger_group_id
from omnibus.charging_gateway.domain.signals import (
    account_name,
    check_account_json,
    expired_balance_signals,
    simple_signal,
    trigger_signals,
)
from omnibus.platform.eventstore import ServiceApplication, retry_on_conflict

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:@+/=-]{1,200}$")  # no ';' or '~' (RSR syntax, §9)
NOTIFY_ACTIONS = "Action_Omnibus_Notify"
BALANCE_TYPES = ("*monetary", "*data", "*voice", "*sms", "*mms", "*generic")


class ChargingApp(ServiceApplication):
    """OCS accounts of services: lifecycle, top-ups, ActionPlans, triggers, usage and signals."""

    name = "charging_gateway"
    # An account collects events for years (every top-up, signal, usage record): snapshots bound its load time.
    snapshotting_intervals = {OcsAccount: 50}  # noqa: RUF012

    def __init__(
        self,
        env: dict[str, str] | None,
        ocs: CGRateSClient,
        *,
        notify_url: str,
        clock: Callable[[], datetime] | None = None,
        stale_after: timedelta = timedelta(seconds=30),
        topup_cdrlog: bool = True,
        service_ids: Callable[[str], int | None] | None = None,
    ) -> None:
        super().__init__(env)
        self.ocs = ocs
        self.notify_url = notify_url
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stale_after = stale_after
        self.topup_cdrlog = topup_cdrlog
        # service_uuid -> the CRM's service_id, from customers' ServiceCreated (charging.md §9); None when unknown.
        self.service_id_of: Callable[[str], int | None] = service_ids or (lambda _uuid: None)

    # ----- loading --------------------------------------------------------------------------------------------

    def find(self, service_uuid: str) -> OcsAccount | None:
        try:
            account = self.repository.get(account_uuid(service_uuid))
        except AggregateNotFoundError:
            return None
        return account if isinstance(account, OcsAccount) else None

    def get_account(self, service_uuid: str) -> OcsAccount:
        account = self.find(check_service_uuid(service_uuid))
        if account is None:
            raise AccountNotFoundError(service_uuid)
        return account

    def _change(self, service_uuid: str, change: Callable[[OcsAccount], Any]) -> Any:
        def command() -> Any:
            account = self.get_account(service_uuid)
            result = change(account)
            self.save(account)
            return result

        return retry_on_conflict(command)

    # ----- account lifecycle ------------------------------------------------------------------------------------

    def create_account(
        self,
        service_uuid: str,
        *,
        allow_negative: bool = False,
        disabled: bool = False,
        action_plan_ids: Iterable[str] = (),
        trigger_ids: Iterable[str] = (),
    ) -> OcsAccount:
        """``APIerSv2.SetAccount`` (an upsert, so a retried create is harmless), then ``OcsAccountCreated``."""
        check_service_uuid(service_uuid)
        plans, triggers = list(action_plan_ids), list(trigger_ids)
        self.ocs.set_account(
            service_uuid,
            allow_negative=allow_negative,
            disabled=disabled,
            action_plan_ids=plans,
            trigger_ids=triggers,
        )

        def command() -> OcsAccount:
            account = self.find(service_uuid)
            if account is None:
                account = OcsAccount(
                    id=account_uuid(service_uuid),
                    service_uuid=service_uuid,
                    tenant=self.ocs.tenant,
                    allow_negative=allow_negative,
                    disabled=disabled,
                )
            else:
                account.reopen(self.ocs.tenant, allow_negative, disabled)
                (account.disable if disabled else account.enable)("set at creation")
            self.save(account)
            return account

        retry_on_conflict(command)
        if plans:
            self._record_plans(service_uuid, plans)
        if triggers:
            self._change(service_uuid, lambda a: a.attach_triggers(triggers))
        return self.get_account(service_uuid)

    def disable_account(self, service_uuid: str, reason: str) -> bool:
        """D84: reversible, balances kept; rating debits fail with ACCOUNT_DISABLED."""
        self.get_account(service_uuid)
        self.ocs.set_account(service_uuid, disabled=True)
        return bool(self._change(service_uuid, lambda a: a.disable(reason)))

    def enable_account(self, service_uuid: str, reason: str) -> bool:
        self.get_account(service_uuid)
        self.ocs.set_account(service_uuid, disabled=False)
        return bool(self._change(service_uuid, lambda a: a.enable(reason)))

    def remove_account(self, service_uuid: str) -> bool:
        """``RemoveAccount`` (idempotent; the scheduler is reloaded so a plan cannot resurrect it, §3.7)."""
        self.get_account(service_uuid)
        self.ocs.remove_account(service_uuid)
        return bool(self._change(service_uuid, lambda a: a.remove()))

    def check_account_removed(self, service_uuid: str, service_id: int) -> bool:
        """Customers deleted the service (a provisioning rollback), so its OCS account must be gone (charging.md
        §9). Gone: recorded as removed if the gateway still had it live (the play removed it in CGRateS directly).
        Still there: an alert (``OcsAccountLeftBehind``, once per service) and a warning; the account is kept.
        Returns whether the account is gone. CGRateS unreachable raises, so the event is retried."""
        try:
            account_json = check_account_json(self.ocs.get_account(check_service_uuid(service_uuid)))
        except NotFound:
            known = self.find(service_uuid)
            if known is not None and not known.removed:
                self._change(service_uuid, lambda a: a.remove())
            return True
        plans = sorted(str(row["ActionPlanId"]) for row in self.ocs.get_account_action_plans(service_uuid))
        log.warning(
            "service %s (%s) was deleted but its OCS account is still in CGRateS (ActionPlans: %s)",
            service_id,
            service_uuid,
            ", ".join(plans) or "none",
        )
        alert = LeftBehindAccount(
            id=left_behind_id(service_uuid, service_id),
            service_uuid=service_uuid,
            service_id=service_id,
            tenant=self.ocs.tenant,
            action_plan_ids=plans,
            balance_types=sorted(t for t, balances in (account_json.get("BalanceMap") or {}).items() if balances),
        )
        try:
            self.save(alert)
        except IntegrityError:  # already recorded (a redelivered ServiceDeleted)
            pass
        return False

    # ----- top-ups and named actions (exactly once per idempotency key) ----------------------------------------

    def top_up(self, service_uuid: str, key: str, request: dict[str, Any]) -> dict[str, Any]:
        """Apply ``request`` at most once under ``key``. ``request``: ``{operation: add|set, balance_type, value,
        balance_id, expiry, weight, blocker, rearm_triggers}`` or ``{operation: action, actions_id, ...}``."""
        if not IDEMPOTENCY_KEY.match(key or ""):
            raise InvalidRequestError("idempotency_key: 1-200 characters of A-Z a-z 0-9 _ . : @ + / = -")
        now = self.clock()
        decision = self._change(service_uuid, lambda a: a.request_topup(key, request, now, self.stale_after))
        if decision == "done":
            return {"status": "applied", "duplicate": True}
        if decision == "verify":
            if request["operation"] == "add" and self.topup_cdrlog and self._topup_in_cdrs(service_uuid, key):
                self._change(service_uuid, lambda a: a.topup_applied(key, "cdrlog"))
                return {"status": "applied", "duplicate": True}
            if request["operation"] == "action" or (request["operation"] == "add" and not self.topup_cdrlog):
                raise TopupInProgressError(
                    f"the outcome of top-up {key!r} is unknown (CGRateS did not answer); check the balance in the "
                    "OCS before sending it under a new key"
                )
            self._change(service_uuid, lambda a: a.retry_topup(key, self.clock()))  # set is idempotent; add absent
        try:
            self._send_topup(service_uuid, key, request)
        except OutcomeUnknown:
            raise  # stays pending: a retry verifies before re-sending
        except (Unavailable, CGRateSError) as error:  # never applied (unreachable, or refused with nothing saved)
            message = error.message
            self._change(service_uuid, lambda a: a.topup_failed(key, message))
            raise
        self._change(service_uuid, lambda a: a.topup_applied(key))
        if request.get("rearm_triggers", True):
            self._rearm(service_uuid)
        return {"status": "applied", "duplicate": False}

    def _send_topup(self, service_uuid: str, key: str, request: dict[str, Any]) -> None:
        operation = request["operation"]
        if operation == "action":
            self.ocs.execute_action(service_uuid, request["actions_id"])
            return
        balance: dict[str, Any] = {"ID": request["balance_id"]}
        if request.get("expiry"):
            balance["ExpiryTime"] = request["expiry"]
        if request.get("weight") is not None:
            balance["Weight"] = request["weight"]
        if request.get("blocker"):
            balance["Blocker"] = True
        if request.get("destination_ids"):
            balance["DestinationIDs"] = request["destination_ids"]
        if operation == "set":
            self.ocs.set_balance(service_uuid, request["balance_type"], request["value"], balance)
        else:
            extra = {"CrmTxnID": key} if self.topup_cdrlog else None
            self.ocs.add_balance(service_uuid, request["balance_type"], request["value"], balance, extra_data=extra)

    def _topup_in_cdrs(self, service_uuid: str, key: str) -> bool:
        rows = self.ocs.get_cdrs(
            {"Sources": ["*cdrlog"], "Accounts": [service_uuid], "ExtraFields": {"CrmTxnID": key}, "Limit": 1}
        )
        return bool(rows)

    def _rearm(self, service_uuid: str) -> None:
        """Top-ups re-arm the low-balance triggers (charging.md §4.8); non-critical."""
        try:
            self.ocs.reset_triggers(service_uuid)
        except CGRateSError as error:
            log.warning("re-arming the triggers of %s failed: %s", service_uuid, error)
            return
        self._change(service_uuid, lambda a: a.triggers_reset())

    # ----- ActionPlans and triggers ------------------------------------------------------------------------------

    def attach_action_plans(self, service_uuid: str, plan_ids: list[str]) -> None:
        self.get_account(service_uuid)
        self.ocs.set_account(service_uuid, action_plan_ids=plan_ids, plans_overwrite=False)
        self._record_plans(service_uuid, plan_ids)

    def _record_plans(self, service_uuid: str, plan_ids: list[str]) -> None:
        rows = self.ocs.get_account_action_plans(service_uuid)

        def change(account: OcsAccount) -> None:
            for plan_id in plan_ids:
                timings = [r for r in rows if r.get("ActionPlanId") == plan_id]
                first = timings[0] if timings else {}
                account.attach_plan(plan_id, str(first.get("ActionsId") or ""), first.get("NextExecTime"))

        self._change(service_uuid, change)

    def detach_action_plan(self, service_uuid: str, plan_id: str, by_user: str | None) -> None:
        self.get_account(service_uuid)
        self.ocs.detach_action_plan(service_uuid, plan_id)
        self._detached(service_uuid, [plan_id], by_user)

    def _detached(self, service_uuid: str, plan_ids: list[str], by_user: str | None) -> None:
        if self.find(service_uuid) is None:
            return
        service_id = self.service_id_of(service_uuid)
        self._change(service_uuid, lambda a: [a.detach_plan(p, by_user, service_id) for p in plan_ids])

    def remove_action_plan(self, plan_id: str, by_user: str | None) -> str:
        """``DELETE /crm/oam/remove_action_plan/{id}``: delete the plan in CGRateS (and reload the scheduler so it
        stops firing), then record it on every account it served. Returns the service it was parsed from.
        ``ServiceID_{service_uuid}__*`` (the deprovision play's wildcard, D73) removes each of that account's plans
        whose id matches."""
        if "*" in plan_id:
            owner, removed = self.remove_matching_action_plans(plan_id, by_user)
            if not removed:
                raise ActionPlanNotFoundError(plan_id)
            return owner
        plans = self.ocs.get_action_plan(plan_id)  # NotFound -> 404
        accounts = {
            key.rpartition(":")[2] for plan in plans for key in (plan.get("AccountIDs") or {}) if isinstance(key, str)
        }
        owner = service_uuid_of_plan(plan_id)
        if owner:
            accounts.add(owner)
        self.ocs.remove_action_plan(plan_id)
        for service_uuid in sorted(accounts):
            self._detached(service_uuid, [plan_id], by_user)
        return owner or ", ".join(sorted(accounts)) or "no account"

    def remove_matching_action_plans(self, pattern: str, by_user: str | None) -> tuple[str, list[str]]:
        """D73: CGRateS has no wildcard removal, so the gateway lists the account's plans (in CGRateS and in its own
        record) and removes each one matching ``pattern`` (``*`` = any text). Returns the account and the plans."""
        owner = service_uuid_of_plan(pattern)
        if not owner or "*" in owner:
            raise InvalidRequestError(
                f"a wildcard ActionPlan id must name its service (ServiceID_<service_uuid>__*), not {pattern!r}"
            )
        check_service_uuid(owner)
        live = {str(row["ActionPlanId"]) for row in self.ocs.get_account_action_plans(owner)}
        account = self.find(owner)
        known = set(account.plans) if account is not None else set()
        wildcard = re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")
        matching = sorted(p for p in live | known if wildcard.match(p))
        for plan_id in matching:
            if plan_id in live:
                self.ocs.remove_action_plan(plan_id)
        self._detached(owner, matching, by_user)
        return owner, matching

    def request_renewal(self, plan_id: str, service_id: int | None, by_user: str | None) -> dict[str, Any]:
        """``POST /crm/oam/renew_action_plan/{id}`` (D83): publish ``ActionPlanRenewRequested``; provisioning
        re-runs the product's playbook on the service."""
        service_uuid = service_uuid_of_plan(plan_id)
        if not service_uuid:
            raise InvalidRequestError(f"cannot parse ActionPlan id {plan_id!r} (D73)")
        product = self._change(service_uuid, lambda a: a.request_renewal(plan_id, service_id, by_user))
        return {"service_uuid": service_uuid, "product_id": product}

    def set_balance_trigger(
        self, service_uuid: str, *, kind: str, balance_type: str, threshold: float, balance_id: str | None
    ) -> str:
        """A low-balance (or depleted/expired) trigger whose action posts the Account JSON to the gateway's
        verified webhook (D81). Returns the trigger's UniqueID."""
        self.get_account(service_uuid)
        if kind not in ("low", "depleted", "expired"):
            raise InvalidRequestError("kind must be low, depleted or expired")
        if balance_type not in BALANCE_TYPES:
            raise InvalidRequestError(f"balance_type must be one of {BALANCE_TYPES}")
        self.ocs.set_actions(
            NOTIFY_ACTIONS, [{"Identifier": "*http_post", "ExtraParameters": self.notify_url, "Weight": 10}]
        )
        group = trigger_group_id(service_uuid)
        unique = f"{kind}_{balance_type.lstrip('*')}_{balance_id or 'any'}"
        trigger: dict[str, Any] = {
            "ThresholdType": "*balance_expired" if kind == "expired" else "*min_balance",
            "ThresholdValue": 0 if kind == "depleted" else threshold,
            "BalanceType": balance_type,
            "Recurrent": False,
            "Weight": 10,
            "ActionsID": NOTIFY_ACTIONS,
        }
        if balance_id:
            trigger["BalanceID"] = balance_id
        self.ocs.set_action_trigger(group, unique, trigger)
        self.ocs.add_account_triggers(service_uuid, [group])
        self._change(service_uuid, lambda a: a.attach_triggers([group]))
        return unique

    def reset_triggers(self, service_uuid: str) -> None:
        self.get_account(service_uuid)
        self.ocs.reset_triggers(service_uuid)
        self._change(service_uuid, lambda a: a.triggers_reset())

    # ----- usage ------------------------------------------------------------------------------------------------

    def post_usage(self, service_uuid: str, record: dict[str, Any]) -> dict[str, Any]:
        """``CDRsV1.ProcessExternalCDR``; its OriginID is the idempotency key (a duplicate answers EXISTS). The
        OriginHost names the account, so the CGRID (sha1 of OriginID+OriginHost) is unique per account: the same
        origin id on two services is two records, never a silent EXISTS for the second."""
        self.get_account(service_uuid)
        cdr = {
            "OriginID": record["origin_id"],
            "OriginHost": f"omnibus/{service_uuid}",
            "Source": "omnibus",
            "ToR": record["tor"],
            "RequestType": record.get("request_type") or "*pseudoprepaid",
            "Account": service_uuid,
            "Subject": service_uuid,
            "Destination": record.get("destination") or "",
            "Category": record.get("category") or "call",
            "Usage": str(record["usage"]),
            "SetupTime": record.get("answer_time") or "*now",
            "AnswerTime": record.get("answer_time") or "*now",
        }
        new_in_ocs = self.ocs.process_cdr(cdr)
        recorded = self._change(
            service_uuid,
            lambda a: a.record_usage(
                record["origin_id"],
                record["tor"],
                int(record["usage"]),
                cdr["Destination"],
                cdr["Category"],
                record.get("answer_time"),
            ),
        )
        return {"recorded": True, "duplicate": not (new_in_ocs and recorded)}

    # ----- facts from CGRateS: callbacks and the reconciler --------------------------------------------------

    def handle_callback(self, body: Any) -> int:
        """A verified ``*http_post`` (the Account JSON, §6.3) or a D81 notify body; returns the new signals."""
        if isinstance(body, dict) and "ID" in body:
            account_json = check_account_json(body)
            tenant, service_uuid = account_name(account_json)
            if tenant != self.ocs.tenant:  # another tenant's account is not one of ours
                raise AccountNotFoundError(f"{tenant}:{service_uuid}")
            signals = trigger_signals(account_json) + expired_balance_signals(account_json, self.clock())
        elif isinstance(body, dict) and isinstance(body.get("account"), str):
            service_uuid = body["account"].rpartition(":")[2]
            signals = [simple_signal(body)]
        else:
            raise InvalidRequestError("expected the CGRateS Account JSON or {account, event, balance_type, value}")
        self.get_account(service_uuid)
        service_id = self.service_id_of(service_uuid)
        return int(self._change(service_uuid, lambda a: sum(a.signal(s, "callback", service_id) for s in signals)))

    def reconcile(self, service_uuids: list[str], batch: int = 100) -> dict[str, int]:
        """Poll CGRateS for the given accounts and record what the callbacks missed (signals, plan runs); the
        signal keys make a repeated poll, or a late callback, a no-op."""
        summary = {"accounts": 0, "signals": 0, "plan_runs": 0, "missing": 0}
        now = self.clock()
        for start in range(0, len(service_uuids), batch):
            chunk = service_uuids[start : start + batch]
            found = {}
            for account_json in self.ocs.get_accounts(chunk):
                try:
                    _, name = account_name(check_account_json(account_json))
                except InvalidRequestError:
                    log.warning("reconciler: ignoring a malformed account from CGRateS")
                    continue
                found[name] = account_json
            for service_uuid in chunk:
                account_json = found.get(service_uuid)
                if account_json is None:
                    summary["missing"] += 1
                    continue
                summary["accounts"] += 1
                signals = trigger_signals(account_json) + expired_balance_signals(account_json, now)
                plans = self.ocs.get_account_action_plans(service_uuid) if self._has_plans(service_uuid) else []
                service_id = self.service_id_of(service_uuid) if signals else None

                def change(
                    a: OcsAccount,
                    signals: list[dict[str, Any]] = signals,
                    plans: list[Any] = plans,
                    service_id: int | None = service_id,
                ) -> None:
                    summary["signals"] += sum(a.signal(s, "reconciler", service_id) for s in signals)
                    for row in plans:
                        summary["plan_runs"] += a.observe_plan(
                            str(row.get("ActionPlanId")), str(row.get("ActionsId") or ""), row.get("NextExecTime"), now
                        )

                self._change(service_uuid, change)
        return summary

    def _has_plans(self, service_uuid: str) -> bool:
        account = self.find(service_uuid)
        return bool(account and account.plans)

    # ----- the staff proxy's audit --------------------------------------------------------------------------

    def record_proxy_call(self, **fields: Any) -> None:
        self.save(ProxyCall(id=uuid4(), **fields))


def is_not_found(error: Exception) -> bool:
    return isinstance(error, NotFound)
