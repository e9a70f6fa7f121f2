"""Request bodies of the charging API. Unknown fields are refused (400); numbers and booleans may arrive as strings
from playbook templates (api-conventions.md §3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnibus.charging_gateway.application import IDEMPOTENCY_KEY
from omnibus.charging_gateway.domain.naming import check_service_uuid

BalanceType = Literal["*monetary", "*data", "*voice", "*sms", "*mms", "*generic"]

ID_TEXT = r"^[A-Za-z0-9_.:@+*-]{1,128}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceUuid(Strict):
    service_uuid: str = Field(description="OCS account name (D75)")

    @field_validator("service_uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        check_service_uuid(value)
        return value


class AccountCreate(ServiceUuid):
    allow_negative: bool = False
    disabled: bool = False
    action_plan_ids: list[str] = Field(default_factory=list, max_length=50)
    trigger_ids: list[str] = Field(default_factory=list, max_length=50)


class Reason(Strict):
    reason: str = Field(default="", max_length=500)


class _Keyed(Strict):
    idempotency_key: str = Field(description="The CRM's key (payment/transaction id): applied at most once")
    rearm_triggers: bool = Field(default=True, description="Re-arm low-balance triggers afterwards (§4.8)")

    @field_validator("idempotency_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not IDEMPOTENCY_KEY.match(value):
            raise ValueError("1-200 characters of A-Z a-z 0-9 _ . : @ + / = -")
        return value


class Topup(_Keyed):
    operation: Literal["add", "set"] = Field(default="add", description="add (AddBalance) or set (SetBalance)")
    balance_type: BalanceType
    value: float = Field(ge=0, le=1e15, description="OCS units: bytes, ns, count, minor currency units")
    balance_id: str = Field(pattern=ID_TEXT, description="Balance ID (always sent: §4.2)")
    expiry: str | None = Field(default=None, max_length=40, description="+720h, *month_end, ISO-8601, ...")
    weight: float | None = Field(default=None, ge=-1e6, le=1e6)
    blocker: bool = False
    destination_ids: str | None = Field(default=None, max_length=200)

    def request(self) -> dict[str, Any]:
        return self.model_dump(exclude={"idempotency_key"})


class ExecuteAction(_Keyed):
    actions_id: str = Field(pattern=ID_TEXT)

    def request(self) -> dict[str, Any]:
        return {"operation": "action", "actions_id": self.actions_id, "rearm_triggers": self.rearm_triggers}


class ActionPlans(Strict):
    action_plan_ids: list[str] = Field(min_length=1, max_length=50)

    @field_validator("action_plan_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item or len(item) > 200 or ";" in item:
                raise ValueError(f"invalid ActionPlan id {item!r}")
        return value


class BalanceTrigger(Strict):
    kind: Literal["low", "depleted", "expired"] = "low"
    balance_type: BalanceType
    threshold: float = Field(default=0, ge=0, le=1e15)
    balance_id: str | None = Field(default=None, pattern=ID_TEXT)


class Usage(Strict):
    origin_id: str = Field(pattern=r"^[A-Za-z0-9_.:@+/=-]{1,128}$", description="Unique event id (idempotency)")
    tor: Literal["*voice", "*data", "*sms", "*mms", "*generic"]
    usage: int = Field(ge=0, le=10**15, description="OCS units: ns, bytes, count")
    destination: str = Field(default="", max_length=64)
    category: str = Field(default="call", max_length=64)
    answer_time: str | None = Field(default=None, max_length=40)
    request_type: Literal["*prepaid", "*pseudoprepaid", "*postpaid", "*rated", "*none"] = "*pseudoprepaid"


class ProxyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    method: str = Field(min_length=3, max_length=100)
    params: list[Any] = Field(default_factory=list)
    customer_id: int | None = None
    service_id: int | None = None
    tenant: str | None = Field(default=None, max_length=255)


class UsageEndpoint(ServiceUuid):
    address: str = Field(min_length=1, max_length=64, description="Source IP or IMSI that identifies the service")
    service_name: str | None = Field(default=None, max_length=255)
    service_status: str | None = Field(default=None, max_length=40)
    imsi: str | None = Field(default=None, pattern=r"^\d{5,15}$")


class Renew(Strict):
    service_id: int | None = Field(default=None, description="CRM service id")
