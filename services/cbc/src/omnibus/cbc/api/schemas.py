"""Request bodies and their checks (cbc.md §2.1, §3.1; api-conventions.md §3: numbers may arrive as strings).

Types are checked here; the rules that depend on the deployment (identifier table, channels, encoding and policy
limits) are the domain's (``domain.content``). Unknown and read-only fields are refused with their names: a
misspelt field in an emergency alert must not be ignored silently.
"""

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from omnibus.cbc.domain.content import API_NAMES
from omnibus.cbc.domain.reference import RAT_TYPES
from omnibus.platform.http.errors import ApiError

READ_ONLY = (
    "cbc_message_id",
    "cbc_unique_id",
    "initiating_user",
    "approving_user",
    "created",
    "status",
    "approved_at",
    "sent_at",
    "cbc_response",
    "deleted_at",
    "message_reference",
    "delivery_attempts",
    "last_error",
    "cancel_status",
)
FIELD_NAMES = {api: name for name, api in API_NAMES.items()}  # API name -> content field
_STRICT = ConfigDict(extra="forbid")


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    return value


def _digits(value: Any) -> Any:
    """Identifiers and area codes are strings of digits; a JSON number is taken as its digits."""
    if isinstance(value, bool):
        raise ValueError("must be a string of digits")
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], Any]:
    def canonical(value: Any) -> Any:
        if isinstance(value, str):
            for choice in choices:
                if value.strip().lower() == choice.lower():
                    return choice
        return value

    return canonical


Count = Annotated[int, BeforeValidator(_no_bool)]


class LocalizedMessageIn(BaseModel):
    model_config = _STRICT

    language: Annotated[str, BeforeValidator(_lower)] = Field(description="ISO 639-1 code, e.g. en")
    messageBody: str = Field(max_length=10_000, description="The text (GSM-7: 1395 septets, UCS-2: 615 characters)")


class TrackingAreaIn(BaseModel):
    model_config = _STRICT

    tracking_area: Annotated[str, BeforeValidator(_digits)] = Field(description="Area code, e.g. 12345")
    operator: Annotated[str, BeforeValidator(_stripped)] = Field(description="MCC-MNC, e.g. 310-410")
    rat_type: Annotated[str, BeforeValidator(_one_of(RAT_TYPES))] = Field(description="LTE, 5G, UMTS or GSM")


class CbcMessageCreate(BaseModel):
    """The body of ``PUT /crm/cbc/`` (§3.1)."""

    model_config = _STRICT

    messageIdentifier: Annotated[str, BeforeValidator(_digits)] = Field(description="CBS message identifier")
    category: Annotated[str, BeforeValidator(_stripped)] = Field(description="e.g. emergency")
    repetitionPeriod: Count = Field(description="Seconds between repeats (0-4095)")
    numberOfBroadcasts: Count = Field(description="Broadcasts (0: until the warning period ends)")
    warningPeriodSec: Count = Field(description="Seconds the warning is in effect")
    channelIndicator: Annotated[str, BeforeValidator(_lower)] = Field(default="basic", description="basic/extended")
    localized_messages: list[LocalizedMessageIn] = Field(max_length=200, description="One text per language")
    tracking_areas: list[TrackingAreaIn] = Field(max_length=10_000, description="Where to broadcast")


class TextsIn(BaseModel):
    """The body of ``POST /crm/cbc/validate``: texts to measure."""

    model_config = _STRICT

    localized_messages: list[LocalizedMessageIn] = Field(min_length=1, max_length=200)


def parse_content(body: Any, *, partial: bool) -> dict[str, Any]:
    """A create (every field) or a PATCH (the fields sent) -> content field values; 400 names each bad field."""
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "Request body must be a JSON object")
    if partial and not body:
        raise ApiError(400, "validation_error", "Request body names no field to update")
    locked = sorted(set(body) & set(READ_ONLY))
    if locked:
        raise ApiError(400, "read_only_field", f"Read-only field(s) cannot be changed: {', '.join(locked)}", locked)
    unknown = sorted(set(body) - set(CbcMessageCreate.model_fields))
    if unknown:
        raise ApiError(400, "unknown_field", f"Unknown field(s): {', '.join(unknown)}", unknown)
    if partial:
        nulls = sorted(name for name, value in body.items() if value is None)
        if nulls:
            raise ApiError(400, "validation_error", f"Field(s) cannot be null: {', '.join(nulls)}", nulls)
        fields = CbcMessageCreate.model_fields
        patch = create_model(  # type: ignore[call-overload]
            "CbcMessagePatch", __config__=_STRICT, **{name: (fields[name].annotation, fields[name]) for name in body}
        )
        parsed = patch.model_validate(body)
        names = list(body)
    else:
        parsed = CbcMessageCreate.model_validate(body)
        names = list(CbcMessageCreate.model_fields)
    return {FIELD_NAMES[name]: _plain(getattr(parsed, name)) for name in names}


def parse_totp(body: Any) -> str | None:
    """The approval body: nothing, ``{}``, or ``{"totp_code": "123456"}`` (D110)."""
    if body is None or body == {}:
        return None
    if not isinstance(body, dict) or set(body) - {"totp_code"}:
        raise ApiError(400, "validation_error", 'The approval body is {"totp_code": "123456"} or empty')
    code = body.get("totp_code")
    code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
    if code is None:
        return None
    if not isinstance(code, str) or not code.strip().isalnum() or not 6 <= len(code.strip()) <= 8:
        raise ApiError(400, "validation_error", "totp_code must be a 6-digit code or an 8-character backup code")
    return code.strip()


def parse_texts(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", 'Request body must be {"localized_messages": [...]}')
    return [m.model_dump() for m in TextsIn.model_validate(body).localized_messages]


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [item.model_dump() if isinstance(item, BaseModel) else item for item in value]
    return value
