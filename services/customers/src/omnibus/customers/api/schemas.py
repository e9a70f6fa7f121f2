"""Request bodies and their validation (customers.md §2, §5; api-conventions.md §3, §4)."""

import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import UtcDateTime

CONTACT_TYPES = ("primary", "billing", "technical")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")
_PLUS_CODE = re.compile(r"^[23456789CFGHJMPQRVWX]{2,8}\+[23456789CFGHJMPQRVWX]{0,3}$", re.IGNORECASE)


def _one_of(values: Sequence[str]) -> Callable[[Any], Any]:
    """Case-insensitive enum input, normalised to the canonical spelling."""

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            for canonical in values:
                if value.strip().lower() == canonical.lower():
                    return canonical
        return value

    return normalise


def _email(value: Any) -> Any:
    if isinstance(value, str) and value.strip() and not _EMAIL.match(value.strip()):
        raise ValueError("not a valid e-mail address")
    return value.strip() if isinstance(value, str) else value


def _phone(value: Any) -> Any:
    if isinstance(value, str) and value.strip() and not _PHONE.match(value.strip()):
        raise ValueError("not a valid phone number (digits, spaces, + ( ) . / - allowed)")
    return value.strip() if isinstance(value, str) else value


def _contact_types(value: Any) -> Any:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("contact_types must be a list or a comma-separated string")
    result: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if name not in CONTACT_TYPES:
            raise ValueError(f"unknown contact type {item!r}; use {', '.join(CONTACT_TYPES)}")
        if name not in result:
            result.append(name)
    return result


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


def _plus_code(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        if not _PLUS_CODE.match(value.strip()):
            raise ValueError("not an Open Location Code (e.g. 8C3MFJV8+2F)")
        return value.strip().upper()
    return value


AccountType = Annotated[Literal["Individual", "Business"], BeforeValidator(_one_of(("Individual", "Business")))]
CustomerStatus = Annotated[
    Literal["Open", "Closed", "Suspended", "Archived"],
    BeforeValidator(_one_of(("Open", "Closed", "Suspended", "Archived"))),
]
PaymentType = Annotated[Literal["prepaid", "postpaid"], BeforeValidator(_one_of(("prepaid", "postpaid")))]
# The length applies to the string, not to the union: an explicit null stays allowed.
Email = Annotated[Annotated[str, Field(max_length=254)] | None, BeforeValidator(_email)]
Phone = Annotated[Annotated[str, Field(max_length=32)] | None, BeforeValidator(_phone)]
ContactTypes = Annotated[list[str], BeforeValidator(_contact_types)]
Latitude = Annotated[Decimal | None, BeforeValidator(_coordinate(90))]
Longitude = Annotated[Decimal | None, BeforeValidator(_coordinate(180))]
PlusCode = Annotated[Annotated[str, Field(max_length=16)] | None, BeforeValidator(_plus_code)]
Text100 = Annotated[str | None, Field(max_length=100)]
Text255 = Annotated[str | None, Field(max_length=255)]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactFields(BaseModel):
    model_config = _STRICT

    contact_firstname: Text100 = None
    contact_lastname: Text100 = None
    contact_email: Email = None
    contact_phone: Phone = None
    contact_types: ContactTypes = Field(default_factory=list)
    user_id: Annotated[int | None, Field(ge=1)] = None


class SiteFields(BaseModel):
    model_config = _STRICT

    site_name: Text255 = None
    address_line_1: Text255 = None
    address_line_2: Text255 = None
    city: Text100 = None
    state: Text100 = None
    zip_code: Annotated[str | None, Field(max_length=20)] = None
    country: Text100 = None
    latitude: Latitude = None
    longitude: Longitude = None
    google_maps_place_id: Text255 = None
    plus_code: PlusCode = None
    address_source: Annotated[Literal["google", "manual"] | None, BeforeValidator(_one_of(("google", "manual")))] = None


class CustomerFields(BaseModel):
    model_config = _STRICT

    customer_name: Annotated[str, Field(min_length=1, max_length=255)]
    customer_account_type: AccountType = "Individual"
    customer_payment_type: PaymentType = "prepaid"
    customer_enabled: bool = True
    tax_identifier: Annotated[str | None, Field(max_length=64)] = None
    contract_start_date: UtcDateTime | None = None
    contract_end_date: UtcDateTime | None = None


class CustomerCreate(CustomerFields):
    """A new customer, optionally with its first contact(s) and site(s)."""

    customer_status: CustomerStatus = "Open"
    contact: ContactFields | None = None
    site: SiteFields | None = None
    contacts: Annotated[list[ContactFields], Field(max_length=20)] = Field(default_factory=list)
    sites: Annotated[list[SiteFields], Field(max_length=20)] = Field(default_factory=list)

    def all_contacts(self) -> list[dict[str, Any]]:
        return [c.model_dump() for c in ([self.contact] if self.contact else []) + self.contacts]

    def all_sites(self) -> list[dict[str, Any]]:
        return [s.model_dump() for s in ([self.site] if self.site else []) + self.sites]

    def customer_fields(self) -> dict[str, Any]:
        # Attribute values, not model_dump(): UtcDateTime's serializer would turn dates into strings.
        nested = {"contact", "site", "contacts", "sites"}
        return {name: getattr(self, name) for name in type(self).model_fields if name not in nested}


class ContactCreate(ContactFields):
    customer_id: Annotated[int, Field(ge=1)]


class SiteCreate(SiteFields):
    customer_id: Annotated[int, Field(ge=1)]


class CustomerPatch(BaseModel):
    """Fields a PATCH may change; a non-nullable field sent as null is refused."""

    model_config = _STRICT

    customer_name: Annotated[str, Field(min_length=1, max_length=255)] = None  # type: ignore[assignment]
    customer_account_type: AccountType = None  # type: ignore[assignment]
    customer_status: CustomerStatus = None  # type: ignore[assignment]
    customer_payment_type: PaymentType = None  # type: ignore[assignment]
    customer_enabled: bool = None  # type: ignore[assignment]
    tax_identifier: Annotated[str | None, Field(max_length=64)] = None
    contract_start_date: UtcDateTime | None = None
    contract_end_date: UtcDateTime | None = None


class ContactPatch(ContactFields):
    contact_types: ContactTypes = None  # type: ignore[assignment]


SitePatch = SiteFields

CUSTOMER_READ_ONLY = ("customer_id", "created", "last_modified")
CONTACT_READ_ONLY = ("contact_id", "customer_id", "created", "last_modified")
SITE_READ_ONLY = ("site_id", "customer_id", "created", "last_modified")


def patch_fields(body: Any, model: type[BaseModel], read_only: Sequence[str]) -> dict[str, Any]:
    """Validate a partial update: read-only or unknown fields -> 400; returns only the fields sent."""
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "Request body must be a JSON object")
    if not body:
        raise ApiError(400, "validation_error", "Request body names no field to update")
    locked = sorted(set(body) & set(read_only))
    if locked:
        raise ApiError(400, "read_only_field", f"Read-only field(s) cannot be changed: {', '.join(locked)}", locked)
    unknown = sorted(set(body) - set(model.model_fields))
    if unknown:
        raise ApiError(400, "unknown_field", f"Unknown field(s): {', '.join(unknown)}", unknown)
    parsed = model.model_validate(body)
    return {name: getattr(parsed, name) for name in parsed.model_fields_set}
