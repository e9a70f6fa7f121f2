"""The charging domain: the OcsAccount aggregate, OCS naming rules, balance signals and display rules (pure)."""

from omnibus.charging_gateway.domain.account import OcsAccount, account_uuid
from omnibus.charging_gateway.domain.errors import (
    AccountNotFoundError,
    AccountRemovedError,
    ActionPlanNotFoundError,
    ChargingError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    TopupInProgressError,
)
from omnibus.charging_gateway.domain.left_behind import LeftBehindAccount, left_behind_id
from omnibus.charging_gateway.domain.proxy import ProxyCall

ALL_EVENTS = (
    OcsAccount.Created,
    OcsAccount.Reopened,
    OcsAccount.Disabled,
    OcsAccount.Enabled,
    OcsAccount.Removed,
    OcsAccount.TopupRequested,
    OcsAccount.TopupApplied,
    OcsAccount.TopupFailed,
    OcsAccount.ActionPlanAttached,
    OcsAccount.ActionPlanDetached,
    OcsAccount.ActionPlanExecuted,
    OcsAccount.RenewRequested,
    OcsAccount.TriggersAttached,
    OcsAccount.TriggersReset,
    OcsAccount.BalanceSignalled,
    OcsAccount.UsageRecorded,
    ProxyCall.Made,
    LeftBehindAccount.Found,
)

__all__ = [
    "ALL_EVENTS",
    "AccountNotFoundError",
    "AccountRemovedError",
    "ActionPlanNotFoundError",
    "ChargingError",
    "IdempotencyKeyReusedError",
    "InvalidRequestError",
    "LeftBehindAccount",
    "OcsAccount",
    "ProxyCall",
    "TopupInProgressError",
    "account_uuid",
    "left_behind_id",
]
