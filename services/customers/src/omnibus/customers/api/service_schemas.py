"""Service record bodies and their validation (customers.md §2.6, §4.4; D37, D51, D52, D65, D75)."""

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from omnibus.customers.api.schemas import _one_of
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import UtcDateTime

SERVICE_STATUSES = ("Active", "Inactive", "Suspended", "Deactivated")
# D52: the union of every documented value; crm_config.yaml ``service_types`` replaces it.
DEFAULT_SERVICE_TYPES = (
    "omnicharge",
    "mobile",
    "internet",
    "iptv",
    "voip",
    "fixed",
    "fixed-voice",
    "hotspot",
    "dongle",
    "voice",
    "data",
    "generic",
)
# Read-only through PATCH (§2.6): set by the system or once, by the playbook that created the service.
SERVICE_READ_ONLY = (
    "service_id",
    "customer_id",
    "product_id",
    "service_uuid",
    "service_provisioned_date",
    "invoiced",
    "provisioning_play",
    "provisioning_json_vars",
    "deprovisioning_play",
    "deprovisioning_json_vars",
    "bundled_parent",
    "created",
    "last_modified",
)
SECRET_VARS = ("access_token", "refresh_token")  # D65: never persisted with the play's variables
_SERVICE_UUID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _service_uuid(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not _SERVICE_UUID.match(value) or "__" in value:
            raise ValueError("service_uuid must be 1-64 of A-Z a-z 0-9 _ . : - without '__' (D75)")
    return value


def _money(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, str) and not value.strip():
        raise ValueError("must be a number")
    return value


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _json_vars(value: Any) -> Any:
    """Play variables arrive as a JSON string or an object; stored as a JSON string, tokens removed (D65)."""
    if value is None or value == "":
        return None
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return value  # free text: kept as sent
    if isinstance(parsed, dict):
        return json.dumps({k: v for k, v in parsed.items() if k not in SECRET_VARS})
    if isinstance(parsed, list):
        return json.dumps(parsed)
    raise ValueError("must be a JSON object (or its JSON text)")


ServiceStatus = Annotated[
    Literal["Active", "Inactive", "Suspended", "Deactivated"], BeforeValidator(_one_of(SERVICE_STATUSES))
]
Money = Annotated[Decimal, BeforeValidator(_money), Field(ge=0, le=Decimal("999999999999"))]
JsonVars = Annotated[Annotated[str, Field(max_length=65535)] | None, BeforeValidator(_json_vars)]
Id = Annotated[int, Field(ge=1)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Short = Annotated[str | None, Field(max_length=100)]
Notes = Annotated[str | None, Field(max_length=10000)]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ServiceCreate(BaseModel):
    """``PUT /crm/service/`` as playbooks send it (§4.4)."""

    model_config = _STRICT

    customer_id: Id
    product_id: Id | None = None
    site_id: Id | None = None
    service_name: Name
    service_type: Annotated[str | None, Field(max_length=50)] = None
    service_uuid: Annotated[str, BeforeValidator(_service_uuid)]
    icon: Short = None
    service_status: Annotated[
        Literal["Active", "Inactive", "Suspended"], BeforeValidator(_one_of(("Active", "Inactive", "Suspended")))
    ] = "Active"
    service_provisioned_date: UtcDateTime | None = None
    service_active_date: UtcDateTime | None = None
    service_deactivate_date: UtcDateTime | None = None
    contract_end_date: UtcDateTime | None = None
    retail_cost: Money = Decimal("0")
    wholesale_cost: Money = Decimal("0")
    service_billed: bool = True
    service_taxable: bool = True
    promo_code: Short = None
    service_visible_to_customer: bool = True
    service_usage_visible_to_customer: bool = True
    provisioning_play: Annotated[str | None, Field(max_length=255)] = None
    provisioning_json_vars: JsonVars = None
    deprovisioning_play: Annotated[str | None, Field(max_length=255)] = None
    deprovisioning_json_vars: JsonVars = None
    bundled_parent: Id | None = None
    service_notes: Notes = None

    def service_fields(self) -> dict[str, Any]:
        fields = {n: getattr(self, n) for n in type(self).model_fields if n not in ("customer_id", "service_status")}
        fields["retail_cost"] = _two_places(self.retail_cost)
        fields["wholesale_cost"] = _two_places(self.wholesale_cost)
        return fields


class ServicePatch(BaseModel):
    """Fields a PATCH may change (§2.6 "editable"); a non-nullable field sent as null is refused."""

    model_config = _STRICT

    site_id: Id | None = None
    service_name: Name = None  # type: ignore[assignment]
    service_type: Annotated[str | None, Field(max_length=50)] = None
    icon: Short = None
    service_status: ServiceStatus = None  # type: ignore[assignment]
    service_active_date: UtcDateTime | None = None
    service_deactivate_date: UtcDateTime | None = None
    contract_end_date: UtcDateTime | None = None
    retail_cost: Money = None  # type: ignore[assignment]
    wholesale_cost: Money = None  # type: ignore[assignment]
    service_billed: bool = None  # type: ignore[assignment]
    service_taxable: bool = None  # type: ignore[assignment]
    promo_code: Short = None
    service_visible_to_customer: bool = None  # type: ignore[assignment]
    service_usage_visible_to_customer: bool = None  # type: ignore[assignment]
    service_notes: Notes = None


def money_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (_two_places(v) if k in ("retail_cost", "wholesale_cost") else v) for k, v in changes.items()}


def check_service_type(value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        message = f"Unknown service_type {value!r}; use one of {', '.join(allowed)}"
        raise ApiError(400, "validation_error", message, ["service_type"])
