"""Domain events -> public contracts (charging.md §8). TopupRequested/TopupFailed stay private."""

from functools import singledispatch
from typing import Any

from omnibus.charging_gateway.domain import ALL_EVENTS, LeftBehindAccount, OcsAccount, ProxyCall
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import charging as c
from omnibus.platform.eventstore import topics_of
from omnibus.platform.relay import Outbound


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: OcsAccount.Created) -> IntegrationEvent:
    return c.OcsAccountCreated(
        service_uuid=e.service_uuid, tenant=e.tenant, allow_negative=e.allow_negative, disabled=e.disabled
    )


@to_integration.register
def _(e: OcsAccount.Reopened) -> IntegrationEvent:
    return c.OcsAccountCreated(
        service_uuid=e.service_uuid, tenant=e.tenant, allow_negative=e.allow_negative, disabled=e.disabled
    )


@to_integration.register
def _(e: OcsAccount.Disabled) -> IntegrationEvent:
    return c.OcsAccountDisabled(service_uuid=e.service_uuid, reason=e.reason)


@to_integration.register
def _(e: OcsAccount.Enabled) -> IntegrationEvent:
    return c.OcsAccountEnabled(service_uuid=e.service_uuid, reason=e.reason)


@to_integration.register
def _(e: OcsAccount.Removed) -> IntegrationEvent:
    return c.OcsAccountRemoved(service_uuid=e.service_uuid, tenant=e.tenant)


@to_integration.register
def _(e: OcsAccount.TopupApplied) -> IntegrationEvent:
    r: dict[str, Any] = e.request
    if r["operation"] == "action":
        return c.OcsActionExecuted(service_uuid=e.service_uuid, actions_id=r["actions_id"], idempotency_key=e.key)
    return c.OcsBalanceAdded(
        service_uuid=e.service_uuid,
        idempotency_key=e.key,
        operation=r["operation"],
        balance_type=r["balance_type"],
        balance_id=r["balance_id"],
        value=r["value"],
        expiry=r.get("expiry"),
        weight=r.get("weight"),
        blocker=bool(r.get("blocker")),
    )


@to_integration.register
def _(e: OcsAccount.TriggersReset) -> IntegrationEvent:
    return c.OcsActionTriggersReset(service_uuid=e.service_uuid)


@to_integration.register
def _(e: OcsAccount.RenewRequested) -> IntegrationEvent:
    return c.ActionPlanRenewRequested(
        service_uuid=e.service_uuid,
        service_id=e.service_id,
        action_plan_id=e.action_plan_id,
        product_id=e.product_id,
        by_user=e.by_user,
    )


@to_integration.register
def _(e: OcsAccount.TriggersAttached) -> IntegrationEvent:
    return c.OcsActionTriggersAttached(service_uuid=e.service_uuid, group_ids=list(e.group_ids))


@to_integration.register
def _(e: OcsAccount.ActionPlanAttached) -> IntegrationEvent:
    return c.ActionPlanScheduled(
        service_uuid=e.service_uuid,
        action_plan_id=e.action_plan_id,
        product_id=e.product_id,
        customer_id=e.customer_id,
        actions_id=e.actions_id,
        next_exec_time=e.next_exec_time,
    )


@to_integration.register
def _(e: OcsAccount.ActionPlanDetached) -> IntegrationEvent:
    return c.ActionPlanRemoved(
        service_uuid=e.service_uuid, service_id=e.service_id, action_plan_id=e.action_plan_id, by_user=e.by_user
    )


@to_integration.register
def _(e: OcsAccount.ActionPlanExecuted) -> IntegrationEvent:
    return c.ActionPlanExecuted(
        service_uuid=e.service_uuid,
        action_plan_id=e.action_plan_id,
        actions_id=e.actions_id,
        executed_at=e.executed_at,
        next_exec_time=e.next_exec_time,
    )


@to_integration.register
def _(e: OcsAccount.BalanceSignalled) -> IntegrationEvent:
    common: dict[str, Any] = {
        "service_uuid": e.service_uuid,
        "service_id": e.service_id,
        "balance_type": e.balance_type,
        "balance_id": e.balance_id,
        "signal_key": e.signal_key,
        "source": e.source,
    }
    if e.kind == "low":
        return c.BalanceLow(**common, current_balance=e.value, threshold=e.threshold)
    if e.kind == "depleted":
        return c.BalanceDepleted(**common, current_balance=e.value)
    return c.BalanceExpired(**common, expiry_date=e.expiry)


@to_integration.register
def _(e: OcsAccount.UsageRecorded) -> IntegrationEvent:
    return c.UsageRecorded(
        service_uuid=e.service_uuid,
        origin_id=e.origin_id,
        tor=e.tor,
        usage=e.usage,
        destination=e.destination,
        category=e.category,
        answer_time=e.answer_time,
    )


@to_integration.register
def _(e: LeftBehindAccount.Found) -> IntegrationEvent:
    return c.OcsAccountLeftBehind(
        service_uuid=e.service_uuid,
        service_id=e.service_id,
        tenant=e.tenant,
        action_plan_ids=list(e.action_plan_ids),
        balance_types=list(e.balance_types),
    )


@to_integration.register
def _(e: ProxyCall.Made) -> IntegrationEvent:
    return c.OcsProxyCallMade(
        user_id=e.user_id,
        method=e.method,
        params=e.params,
        customer_id=e.customer_id,
        service_id=e.service_id,
        tenant=e.tenant,
        result_status=e.result_status,
        at=e.timestamp,
    )


OUTBOUND = Outbound(source="charging", to_integration=to_integration, topics=topics_of(*ALL_EVENTS))
