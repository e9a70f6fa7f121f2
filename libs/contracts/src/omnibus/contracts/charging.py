"""Events published by the charging context (charging-gateway service; charging.md §8).

They turn CGRateS state into facts. ``service_uuid`` is the OCS account name (D75); ``service_id`` (the CRM's
integer id) is carried when the gateway knows it. OCS amounts travel in OCS units (charging.md §5.2: bytes,
nanoseconds, counts, minor currency units, D77/D78); times are ISO-8601 UTC strings as CGRateS gave them.
"""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from omnibus.contracts.base import IntegrationEvent

BalanceType = str  # "*monetary", "*data", "*voice", "*sms", "*mms", "*generic"


class _ChargingEvent(IntegrationEvent):
    context: ClassVar[str] = "charging"
    aggregate_type: ClassVar[str] = "OcsAccount"

    service_uuid: str = Field(description="OCS account name = the CRM service's service_uuid")
    service_id: int | None = Field(default=None, description="CRM service id, when known to the gateway")


class OcsAccountCreated(_ChargingEvent):
    """A CGRateS account was created for a service (or re-created after removal)."""

    name: ClassVar[str] = "OcsAccountCreated"
    tenant: str = Field(description="CGRateS tenant (ocs.ocsTenant)")
    allow_negative: bool = Field(description="ExtraOptions.AllowNegative")
    disabled: bool = Field(description="ExtraOptions.Disabled")


class OcsAccountDisabled(_ChargingEvent):
    """The account was disabled (rating debits fail; balances kept; D84)."""

    name: ClassVar[str] = "OcsAccountDisabled"
    reason: str = Field(description="Why (e.g. service suspended)")


class OcsAccountEnabled(_ChargingEvent):
    """The account was enabled again."""

    name: ClassVar[str] = "OcsAccountEnabled"
    reason: str = Field(description="Why")


class OcsAccountRemoved(_ChargingEvent):
    """The account was removed from CGRateS (irreversible: balances lost)."""

    name: ClassVar[str] = "OcsAccountRemoved"
    tenant: str = Field(description="CGRateS tenant")


class OcsBalanceAdded(_ChargingEvent):
    """A top-up (``add``) or balance set (``set``) was applied once under the CRM's idempotency key."""

    name: ClassVar[str] = "OcsBalanceAdded"
    idempotency_key: str = Field(description="The CRM's key (payment or transaction id)")
    operation: Literal["add", "set"] = Field(description="add: AddBalance (adds); set: SetBalance (absolute)")
    balance_type: BalanceType = Field(description="CGRateS balance type")
    balance_id: str = Field(description="Balance ID")
    value: float = Field(description="Value in OCS units")
    expiry: str | None = Field(default=None, description="ExpiryTime as sent (e.g. +720h or ISO-8601)")
    weight: float | None = Field(default=None, description="Weight (higher consumed first)")
    blocker: bool = Field(default=False, description="Blocker balance")


class OcsActionExecuted(_ChargingEvent):
    """A named action set ran once against the account (e.g. ``Action_<product_slug>`` top-up)."""

    name: ClassVar[str] = "OcsActionExecuted"
    actions_id: str = Field(description="CGRateS ActionsId")
    idempotency_key: str = Field(description="The CRM's key")


class OcsActionTriggersReset(_ChargingEvent):
    """The account's action triggers were re-armed (Executed=false)."""

    name: ClassVar[str] = "OcsActionTriggersReset"


class OcsActionTriggersAttached(_ChargingEvent):
    """Trigger groups (e.g. a low-balance alert) were attached to the account."""

    name: ClassVar[str] = "OcsActionTriggersAttached"
    group_ids: list[str] = Field(description="ActionTrigger group ids")


class ActionPlanScheduled(_ChargingEvent):
    """An ActionPlan (auto-renewal) was attached to the account."""

    name: ClassVar[str] = "ActionPlanScheduled"
    action_plan_id: str = Field(description="ActionPlan id (D73 form when parseable)")
    product_id: int | None = Field(default=None, description="ProductID parsed from the id")
    customer_id: int | None = Field(default=None, description="CustomerID parsed from the id")
    actions_id: str = Field(description="ActionsId the plan runs")
    next_exec_time: str | None = Field(default=None, description="Next run (ISO-8601)")


class ActionPlanRemoved(_ChargingEvent):
    """An ActionPlan was removed from (or detached off) the account: the service will not renew with it."""

    name: ClassVar[str] = "ActionPlanRemoved"
    action_plan_id: str = Field(description="ActionPlan id")
    by_user: str | None = Field(default=None, description="Acting user id or API key")


class ActionPlanRenewRequested(_ChargingEvent):
    """Staff asked to renew a plan now (D83): provisioning re-runs the product's playbook on the service."""

    name: ClassVar[str] = "ActionPlanRenewRequested"
    action_plan_id: str = Field(description="ActionPlan id")
    product_id: int = Field(description="ProductID parsed from the id")
    by_user: str | None = Field(default=None, description="Acting user id or API key")


class ActionPlanExecuted(_ChargingEvent):
    """A scheduled ActionPlan ran for the account (auto-renewal), as observed in CGRateS."""

    name: ClassVar[str] = "ActionPlanExecuted"
    action_plan_id: str = Field(description="ActionPlan id")
    actions_id: str = Field(description="ActionsId it ran")
    executed_at: str = Field(description="The scheduled run time (ISO-8601)")
    next_exec_time: str | None = Field(default=None, description="Next run (ISO-8601)")


class _BalanceSignal(_ChargingEvent):
    balance_type: BalanceType = Field(description="CGRateS balance type")
    balance_id: str = Field(default="", description="Balance ID, when the trigger names one")
    signal_key: str = Field(description="Identity of this firing (trigger UniqueID@time, or balance Uuid)")
    source: Literal["callback", "reconciler"] = Field(description="Learnt from a *http_post or from a poll")


class BalanceLow(_BalanceSignal):
    """A low-balance trigger fired (D81)."""

    name: ClassVar[str] = "BalanceLow"
    current_balance: float | None = Field(default=None, description="Value when observed, OCS units")
    threshold: float | None = Field(default=None, description="Trigger threshold, OCS units")


class BalanceDepleted(_BalanceSignal):
    """A balance ran out (trigger at or below 0)."""

    name: ClassVar[str] = "BalanceDepleted"
    current_balance: float | None = Field(default=None, description="Value when observed")


class BalanceExpired(_BalanceSignal):
    """A balance expired."""

    name: ClassVar[str] = "BalanceExpired"
    expiry_date: str | None = Field(default=None, description="ExpirationDate (ISO-8601)")


class UsageRecorded(_ChargingEvent):
    """A usage record (CDR) was posted to CGRateS once (its OriginID is the idempotency key)."""

    name: ClassVar[str] = "UsageRecorded"
    origin_id: str = Field(description="Unique event id (CGRateS OriginID)")
    tor: str = Field(description="*voice, *data, *sms")
    usage: int = Field(description="Usage in OCS units (ns, bytes, count)")
    destination: str = Field(default="", description="Destination")
    category: str = Field(default="call", description="Category")
    answer_time: str | None = Field(default=None, description="Answer time (ISO-8601)")


class OcsAccountLeftBehind(_ChargingEvent):
    """A deleted service's OCS account is still in CGRateS (charging.md §9): an alert for operators."""

    name: ClassVar[str] = "OcsAccountLeftBehind"
    aggregate_type: ClassVar[str] = "LeftBehindAccount"
    tenant: str = Field(description="CGRateS tenant")
    action_plan_ids: list[str] = Field(description="ActionPlans still attached (they keep renewing)")
    balance_types: list[str] = Field(description="Balance types the account still holds")


class OcsProxyCallMade(IntegrationEvent):
    """A staff call through ``POST /crm/ocs/proxy`` (audit, D82)."""

    context: ClassVar[str] = "charging"
    name: ClassVar[str] = "OcsProxyCallMade"
    aggregate_type: ClassVar[str] = "ProxyCall"

    user_id: str | None = Field(default=None, description="Acting user id or API key")
    method: str = Field(description="JSON-RPC method")
    params: list[Any] = Field(description="Params as sent (after the tenant default)")
    customer_id: int | None = Field(default=None, description="Customer named in the request")
    service_id: int | None = Field(default=None, description="Service named in the request")
    tenant: str = Field(description="Tenant used")
    result_status: str = Field(description="ok, or the CGRateS error string")
    at: datetime = Field(description="When (UTC)")


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    OcsAccountCreated,
    OcsAccountDisabled,
    OcsAccountEnabled,
    OcsAccountRemoved,
    OcsBalanceAdded,
    OcsActionExecuted,
    OcsActionTriggersReset,
    OcsActionTriggersAttached,
    ActionPlanScheduled,
    ActionPlanRemoved,
    ActionPlanRenewRequested,
    ActionPlanExecuted,
    BalanceLow,
    BalanceDepleted,
    BalanceExpired,
    UsageRecorded,
    OcsAccountLeftBehind,
    OcsProxyCallMade,
)
