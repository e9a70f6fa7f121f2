"""The emulator's objects: accounts, balances, balance filters, action triggers (cgrates-reference.md §3, §4, §6).

Each object renders the JSON CGRateS returns (field names, ``{}``/``null`` maps, zero-time strings).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omnibus.charging_gateway.emulator.args import id_set, map_bool, map_float, map_str
from omnibus.charging_gateway.emulator.timeutil import format_time, number, parse_time, parse_usage, round_value

FILTER_SET_KEYS = ("DestinationIDs", "Categories", "SharedGroups", "TimingIDs")


@dataclass
class Balance:
    uuid: str
    id: str
    value: float = 0.0
    expiration: datetime | None = None
    weight: float = 0.0
    destination_ids: dict[str, bool] | None = None
    rating_subject: str = ""
    categories: dict[str, bool] | None = None
    shared_groups: dict[str, bool] | None = None
    timing_ids: dict[str, bool] | None = None
    disabled: bool = False
    factors: dict[str, float] | None = None
    blocker: bool = False
    dirty: bool = field(default=False, compare=False)

    def expired(self, now: datetime) -> bool:
        return self.expiration is not None and self.expiration < now

    def to_json(self) -> dict[str, Any]:
        return {
            "Uuid": self.uuid,
            "ID": self.id,
            "Value": number(self.value),
            "ExpirationDate": format_time(self.expiration),
            "Weight": number(self.weight),
            "DestinationIDs": self.destination_ids,
            "RatingSubject": self.rating_subject,
            "Categories": self.categories,
            "SharedGroups": self.shared_groups,
            "Timings": None,
            "TimingIDs": self.timing_ids,
            "Disabled": self.disabled,
            "Factors": self.factors,
            "Blocker": self.blocker,
        }


@dataclass
class BalanceFilter:
    """The ``Balance`` map of §4.1 (or an action's balance fields): a filter for matching and a setter."""

    type: str | None = None
    uuid: str | None = None
    id: str | None = None
    value: float | None = None
    expiration: datetime | None = None
    expiry_given: bool = False
    weight: float | None = None
    destination_ids: dict[str, bool] | None = None
    categories: dict[str, bool] | None = None
    shared_groups: dict[str, bool] | None = None
    timing_ids: dict[str, bool] | None = None
    rating_subject: str | None = None
    disabled: bool | None = None
    blocker: bool | None = None
    factors: dict[str, float] | None = None

    @classmethod
    def from_map(cls, m: dict[str, Any] | None, balance_type: str | None, now: datetime) -> BalanceFilter:
        m = m or {}
        f = cls(type=balance_type)
        f.uuid = map_str(m, "UUID")
        f.id = map_str(m, "ID")
        raw_value = m.get("Value")
        if isinstance(raw_value, str) and not _is_float(raw_value):
            f.value = float(parse_usage(raw_value))
        else:
            f.value = map_float(m, "Value")
        if "ExpiryTime" in m and m["ExpiryTime"] is not None:
            if not isinstance(m["ExpiryTime"], str):
                from omnibus.charging_gateway.emulator.args import RpcError

                raise RpcError(f"cannot convert field: {m['ExpiryTime']} to time.Time")
            f.expiration = parse_time(m["ExpiryTime"], now)
            f.expiry_given = True
        weight = m.get("Weight")
        if not (isinstance(weight, str) and weight.startswith("*time_")):
            f.weight = map_float(m, "Weight")
        f.destination_ids = id_set(map_str(m, "DestinationIDs"))
        f.categories = id_set(map_str(m, "Categories"))
        f.shared_groups = id_set(map_str(m, "SharedGroups"))
        f.timing_ids = id_set(map_str(m, "TimingIDs"))
        f.rating_subject = map_str(m, "RatingSubject")
        f.disabled = map_bool(m, "Disabled")
        f.blocker = map_bool(m, "Blocker")
        factors = m.get("Factors")
        if isinstance(factors, dict):
            f.factors = {str(k): float(v) for k, v in factors.items()}
        return f

    def matches(self, b: Balance) -> bool:
        """§4.2 matching: by UUID, else by ID, else every given field must be equal."""
        if self.uuid:
            return b.uuid == self.uuid
        if self.id is not None and self.id != "":
            return b.id == self.id
        checks: list[tuple[Any, Any]] = [
            (self.id, b.id),
            (self.weight, b.weight),
            (self.destination_ids, b.destination_ids or {}),
            (self.categories, b.categories or {}),
            (self.shared_groups, b.shared_groups or {}),
            (self.timing_ids, b.timing_ids or {}),
            (self.rating_subject, b.rating_subject),
            (self.disabled, b.disabled),
            (self.blocker, b.blocker),
        ]
        if self.expiry_given and self.expiration != b.expiration:
            return False
        return all(want is None or want == have for want, have in checks)

    def new_balance(self, *, full: bool) -> Balance:
        """A balance built from this filter: ``full`` (top-up) gives ``{}`` maps, else unset stays ``null``."""
        empty: dict[str, bool] | None = {} if full else None
        return Balance(
            uuid=str(uuid.uuid4()),
            id=self.id or "",
            expiration=self.expiration,
            weight=self.weight or 0.0,
            destination_ids=self.destination_ids if self.destination_ids is not None else empty,
            rating_subject=self.rating_subject or "",
            categories=self.categories if self.categories is not None else empty,
            shared_groups=self.shared_groups if self.shared_groups is not None else empty,
            timing_ids=self.timing_ids if self.timing_ids is not None else empty,
            disabled=bool(self.disabled),
            factors=self.factors,
            blocker=bool(self.blocker),
        )

    def apply_set(self, b: Balance, value: float | None) -> None:
        """SetBalance: overwrite only the fields given."""
        if self.id:
            b.id = self.id
        if value is not None:
            b.value = round_value(abs(value))
        if self.expiry_given:
            b.expiration = self.expiration
        for name in ("rating_subject", "categories", "destination_ids", "shared_groups", "timing_ids", "factors"):
            if getattr(self, name) is not None:
                setattr(b, name, getattr(self, name))
        if self.weight is not None:
            b.weight = self.weight
        if self.blocker is not None:
            b.blocker = self.blocker
        if self.disabled is not None:
            b.disabled = self.disabled
        b.dirty = True

    def to_json(self) -> dict[str, Any]:
        """The BalanceFilter JSON inside an ActionTrigger (pointer fields, ``null`` = any)."""
        return {
            "Uuid": self.uuid,
            "ID": self.id,
            "Type": self.type,
            "Value": None if self.value is None else {"Static": number(self.value)},
            "ExpirationDate": format_time(self.expiration) if self.expiry_given else None,
            "Weight": None if self.weight is None else number(self.weight),
            "DestinationIDs": self.destination_ids,
            "RatingSubject": self.rating_subject,
            "Categories": self.categories,
            "SharedGroups": self.shared_groups,
            "TimingIDs": self.timing_ids,
            "Timings": None,
            "Disabled": self.disabled,
            "Factors": self.factors,
            "Blocker": self.blocker,
        }


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@dataclass
class Trigger:
    """An ActionTrigger (§6.1); accounts own copies of their groups' triggers."""

    id: str
    unique_id: str
    threshold_type: str
    threshold_value: float
    actions_id: str
    balance: BalanceFilter
    recurrent: bool = False
    min_sleep: int = 0
    expiration: datetime | None = None
    activation: datetime | None = None
    weight: float = 0.0
    min_queued_items: int = 0
    executed: bool = False
    last_execution: datetime | None = None

    def copy(self) -> Trigger:
        return Trigger(**{k: getattr(self, k) for k in self.__dataclass_fields__})

    def to_json(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "UniqueID": self.unique_id,
            "ThresholdType": self.threshold_type,
            "ThresholdValue": number(self.threshold_value),
            "Recurrent": self.recurrent,
            "MinSleep": self.min_sleep,
            "ExpirationDate": format_time(self.expiration),
            "ActivationDate": format_time(self.activation),
            "Balance": self.balance.to_json(),
            "Weight": number(self.weight),
            "ActionsID": self.actions_id,
            "MinQueuedItems": self.min_queued_items,
            "Executed": self.executed,
            "LastExecutionTime": format_time(self.last_execution),
        }


@dataclass
class Account:
    tenant: str
    account: str
    balance_map: dict[str, list[Balance]] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    allow_negative: bool = False
    disabled: bool = False
    update_time: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.tenant}:{self.account}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ID": self.key,
            "BalanceMap": {t: [b.to_json() for b in bs] for t, bs in self.balance_map.items()} or None,
            "UnitCounters": None,
            "ActionTriggers": [t.to_json() for t in self.triggers] or None,
            "AllowNegative": self.allow_negative,
            "Disabled": self.disabled,
            "UpdateTime": format_time(self.update_time),
        }

    def to_v1_json(self) -> dict[str, Any]:
        """The "old structure" of APIerSv1.GetAccount (§3.2)."""

        def joined(ids: dict[str, bool] | None) -> str:
            return ";".join(k if v else f"!{k}" for k, v in (ids or {}).items())

        return {
            "Id": f"*out:{self.key}",
            "BalanceMap": {
                f"{t}*out": [
                    {
                        "Uuid": b.uuid,
                        "Id": b.id,
                        "Value": number(b.value),
                        "ExpirationDate": format_time(b.expiration),
                        "Weight": number(b.weight),
                        "DestinationIds": joined(b.destination_ids),
                        "RatingSubject": b.rating_subject,
                        "Category": joined(b.categories),
                        "SharedGroup": joined(b.shared_groups),
                        "Timings": None,
                        "TimingIDs": joined(b.timing_ids),
                        "Disabled": b.disabled,
                    }
                    for b in bs
                ]
                for t, bs in self.balance_map.items()
            },
            "UnitCounters": [],
            "ActionTriggers": [
                {
                    "Id": t.id,
                    "ThresholdType": t.threshold_type,
                    "ThresholdValue": number(t.threshold_value),
                    "Recurrent": t.recurrent,
                    "MinSleep": str(t.min_sleep),
                    "BalanceId": t.balance.id or "",
                    "BalanceType": t.balance.type or "",
                    "ActionsId": t.actions_id,
                    "Executed": t.executed,
                }
                for t in self.triggers
            ],
            "AllowNegative": self.allow_negative,
            "Disabled": self.disabled,
        }

    def clean_expired(self, now: datetime) -> None:
        """CleanExpiredStuff (§4.7): drop expired balances (``rals.remove_expired``) and expired triggers."""
        for balance_type in list(self.balance_map):
            self.balance_map[balance_type] = [b for b in self.balance_map[balance_type] if not b.expired(now)]
        self.triggers = [t for t in self.triggers if t.expiration is None or t.expiration >= now]
