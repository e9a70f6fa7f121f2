"""Request bodies and their validation (catalog.md §2, §5; api-conventions.md §3: numeric strings coerced, D56)."""

import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from omnibus.catalog.domain.item import STATES
from omnibus.catalog.domain.literals import parse_list
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import UtcDateTime

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PLAY = re.compile(r"^[A-Za-z0-9_.-]+$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_LPA = re.compile(r"^LPA:1\$[^$\s]+\$[^$\s]*(\$[^$\s]*)*$")


def _one_of(values: Sequence[str]) -> Callable[[Any], Any]:
    def normalise(value: Any) -> Any:
        if isinstance(value, bool):
            value = str(value).lower()
        if isinstance(value, str):
            for canonical in values:
                if value.strip().lower() == canonical.lower():
                    return canonical
        return value

    return normalise


def _amount(limit: Decimal | None = None) -> Callable[[Any], Any]:
    """Money and percentages: numbers or numeric strings, exact, not negative."""

    def parse(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite() or number < 0:
            raise ValueError("must be a number of 0 or more")
        if limit is not None and number > limit:
            raise ValueError(f"must be at most {limit}")
        return number

    return parse


def _coordinate(limit: int) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite() or abs(number) > limit:
            raise ValueError(f"must be between -{limit} and {limit}")
        return number

    return parse


def _type_names(value: Any) -> Any:
    names = parse_list(value, "inventory_items_list")
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError("inventory_items_list holds inventory type names (non-empty strings)")
    return [n.strip() for n in names]


def _product_ids(value: Any) -> Any:
    ids = parse_list(value, "relies_on_list")
    try:
        result = [int(v) for v in ids]
    except (TypeError, ValueError):
        raise ValueError("relies_on_list holds product ids (integers)") from None
    if any(v < 1 for v in result) or any(isinstance(v, bool) for v in ids):
        raise ValueError("relies_on_list holds product ids (integers)")
    return result


def _json_vars(value: Any) -> Any:
    """Extra vars: a JSON object (given as an object or as its string); "" or null = none."""
    if value is None or value == "":
        return value
    if isinstance(value, dict):
        return json.dumps(value)
    if not isinstance(value, str):
        raise ValueError("must be a JSON object or its string form")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise ValueError("is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError("must be a JSON object")
    return value


def _pattern(regex: re.Pattern[str], message: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value.strip() and not regex.match(value.strip()):
            raise ValueError(message)
        return value.strip() if isinstance(value, str) else value

    return check


def _play(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith((".yaml", ".yml")):
        value = value.strip().rsplit(".", 1)[0]
    return _pattern(_PLAY, "a playbook name: letters, digits, _ . - (no path)")(value)


def _management_url(value: Any) -> Any:
    if isinstance(value, str) and value.strip().upper().startswith("LPA:") and not _LPA.match(value.strip()):
        raise ValueError("an eSIM LPA string is LPA:1$<SM-DP+ address>$<activation code>")
    return value


Amount = Annotated[Decimal, BeforeValidator(_amount())]
Percentage = Annotated[Decimal, BeforeValidator(_amount(Decimal(100)))]
Text = Annotated[str | None, Field(max_length=65535)]
Text255 = Annotated[str | None, Field(max_length=255)]
Slot = Annotated[str | None, Field(max_length=512)]
Id = Annotated[int, Field(ge=1)]
Category = Annotated[
    Literal["standalone", "addon", "bundle", "promo"],
    BeforeValidator(_one_of(("standalone", "addon", "bundle", "promo"))),
]
AutoRenew = Annotated[Literal["prompt", "true", "false"], BeforeValidator(_one_of(("prompt", "true", "false")))]
ItemState = Annotated[Literal[STATES], BeforeValidator(_one_of(STATES))]  # type: ignore[valid-type]
NewItemState = Annotated[Literal["New", "In Stock"], BeforeValidator(_one_of(("New", "In Stock")))]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductFields(BaseModel):
    model_config = _STRICT

    product_name: Annotated[str, Field(min_length=1, max_length=255)]
    product_slug: Annotated[str, BeforeValidator(_pattern(_SLUG, "letters, digits, . _ - only")), Field(max_length=255)]
    category: Category = "standalone"
    service_type: Annotated[str | None, Field(max_length=50)] = None
    comment: Text = None
    icon: Annotated[str | None, Field(max_length=100)] = None
    retail_cost: Amount = Decimal("0")
    wholesale_cost: Amount = Decimal("0")
    retail_setup_cost: Amount = Decimal("0")
    wholesale_setup_cost: Amount = Decimal("0")
    tax_percentage: Percentage = Decimal("0")
    enabled: bool = True
    residential: bool = True
    business: bool = True
    customer_can_purchase: bool = True
    available_from: UtcDateTime | None = None
    available_until: UtcDateTime | None = None
    contract_days: Annotated[int, Field(ge=0, le=36500)] = 0
    auto_renew: AutoRenew = "false"
    allow_auto_renew: bool = False
    terms: Text = None
    features_list: Text = None
    provisioning_play: Annotated[Annotated[str, Field(max_length=255)] | None, BeforeValidator(_play)] = None
    provisioning_json_vars: Annotated[Annotated[str, Field(max_length=65535)] | None, BeforeValidator(_json_vars)] = (
        None
    )
    deprovisioning_play: Annotated[Annotated[str, Field(max_length=255)] | None, BeforeValidator(_play)] = None
    deprovisioning_json_vars: Annotated[Annotated[str, Field(max_length=65535)] | None, BeforeValidator(_json_vars)] = (
        None
    )
    inventory_items_list: Annotated[list[str], BeforeValidator(_type_names), Field(max_length=50)] = Field(
        default_factory=list
    )
    relies_on_list: Annotated[list[int], BeforeValidator(_product_ids), Field(max_length=100)] = Field(
        default_factory=list
    )

    def fields(self) -> dict[str, Any]:
        # Attribute values, not model_dump(): UtcDateTime's serializer would turn dates into strings.
        return {name: getattr(self, name) for name in type(self).model_fields}


class TemplateFields(BaseModel):
    model_config = _STRICT

    item: Annotated[str, Field(min_length=1, max_length=255)]
    icon: Annotated[str | None, Field(max_length=100)] = None
    wholesale_cost: Amount = Decimal("0")
    retail_cost: Amount = Decimal("0")

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}


_KeyText = Annotated[
    Annotated[str, Field(max_length=64)] | None,
    BeforeValidator(_pattern(_KEY, "a key is lower-case letters, digits, _")),
]
TemplateCreate = create_model(  # type: ignore[call-overload]
    "TemplateCreate",
    __base__=TemplateFields,
    **{f"itemtext{n}_label": (Text255, None) for n in range(1, 21)},
    **{f"itemtext{n}_key": (_KeyText, None) for n in range(1, 21)},
)

_ITEM_SLOTS: dict[str, Any] = {f"itemtext{n}": (Slot, None) for n in range(1, 21)}


class ItemFields(BaseModel):
    model_config = _STRICT

    item_location: Text255 = None
    wholesale_cost: Annotated[Decimal | None, BeforeValidator(_amount())] = None
    retail_cost: Annotated[Decimal | None, BeforeValidator(_amount())] = None
    address_line_1: Text255 = None
    address_line_2: Text255 = None
    city: Annotated[str | None, Field(max_length=100)] = None
    state: Annotated[str | None, Field(max_length=100)] = None
    zip_code: Annotated[str | None, Field(max_length=20)] = None
    country: Annotated[str | None, Field(max_length=100)] = None
    google_maps_place_id: Text255 = None
    plus_code: Annotated[str | None, Field(max_length=64)] = None
    latitude: Annotated[Decimal | None, BeforeValidator(_coordinate(90))] = None
    longitude: Annotated[Decimal | None, BeforeValidator(_coordinate(180))] = None
    management_url: Annotated[Annotated[str, Field(max_length=1024)] | None, BeforeValidator(_management_url)] = None
    management_username: Text255 = None
    management_password: Text255 = None
    config_content: Annotated[str | None, Field(max_length=1_000_000)] = None
    config_file_path: Annotated[str | None, Field(max_length=1024)] = None
    inventory_notes: Text = None


ItemCreate = create_model(  # type: ignore[call-overload]
    "ItemCreate",
    __base__=ItemFields,
    inventory_template_id=(Id, ...),
    item=(Text255, None),
    item_state=(NewItemState, "New"),
    **_ITEM_SLOTS,
)
ItemPatch = create_model(  # type: ignore[call-overload]
    "ItemPatch",
    __base__=ItemFields,
    item_state=(ItemState, None),
    customer_id=(Id | None, None),
    service_id=(Id | None, None),
    sold_date=(UtcDateTime | None, None),
    reason=(Text255, None),
    **_ITEM_SLOTS,
)


class ReserveBody(BaseModel):
    model_config = _STRICT

    job_id: Annotated[str, Field(min_length=1, max_length=255, description="Provisioning job id (idempotency key)")]
    item: Annotated[str, Field(min_length=1, max_length=255, description="Inventory type name, e.g. SIM Card")]
    inventory_id: Id | None = None
    item_location: Text255 = None


class JobBody(BaseModel):
    model_config = _STRICT

    job_id: Annotated[str, Field(min_length=1, max_length=255)]


class AssignReservedBody(JobBody):
    customer_id: Id
    service_id: Id | None = None


PRODUCT_READ_ONLY = ("product_id", "created", "last_modified")
TEMPLATE_READ_ONLY = ("inventory_template_id", "created", "last_modified")
ITEM_READ_ONLY = ("inventory_id", "inventory_template_id", "item", "created", "last_modified")


def parse_body(body: Any, model: type[BaseModel], read_only: Sequence[str], *, partial: bool) -> dict[str, Any]:
    """Validate a create or a partial update: read-only or unknown fields -> 400; returns the fields given."""
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "Request body must be a JSON object")
    if partial and not body:
        raise ApiError(400, "validation_error", "Request body names no field to update")
    locked = sorted(set(body) & set(read_only) - set(model.model_fields))
    if locked:
        raise ApiError(400, "read_only_field", f"Read-only field(s) cannot be changed: {', '.join(locked)}", locked)
    unknown = sorted(set(body) - set(model.model_fields))
    if unknown:
        raise ApiError(400, "unknown_field", f"Unknown field(s): {', '.join(unknown)}", unknown)
    if partial:
        return _validate_partial(model, body)
    validated = model.model_validate(body)
    return {name: getattr(validated, name) for name in type(validated).model_fields}


def _validate_partial(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    """Validate only the fields sent (required fields of the create model may be absent in a PATCH)."""
    fields = {name: model.model_fields[name] for name in body}
    partial_model = create_model(  # type: ignore[call-overload]
        f"{model.__name__}Patch",
        __config__=_STRICT,
        **{name: (field.annotation, field) for name, field in fields.items()},
    )
    parsed = partial_model.model_validate(body)
    for name in body:
        value = getattr(parsed, name)
        if value is None and not _nullable(model, name):
            raise ApiError(400, "validation_error", f"{name} cannot be null", [name])
    return {name: getattr(parsed, name) for name in body}


def _nullable(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return annotation is None or type(None) in get_args(annotation)
