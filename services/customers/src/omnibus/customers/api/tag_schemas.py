"""Attribute and tag bodies and their validation (customers.md §2.4, §2.5, §5; D40, D41)."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from omnibus.platform.http.types import UtcDateTime

_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")
TAG_DEACTIVATE_DEFAULT = datetime(2099, 1, 1, tzinfo=UTC)  # D41


def _attribute_name(value: Any) -> Any:
    if isinstance(value, str) and not _ATTRIBUTE_NAME.match(value.strip()):
        raise ValueError("attribute_name must be snake_case: a-z, 0-9 and _, starting with a letter (D40)")
    return value


def _attribute_value(value: Any) -> Any:
    """Always stored as a string (§2.4): booleans as "true"/"false", numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _hex_colour(value: Any) -> Any:
    if isinstance(value, str) and not _HEX.match(value.strip()):
        raise ValueError("tag_hex_color must be 6 hex digits without '#', e.g. FFD700")
    return value.strip().upper() if isinstance(value, str) else value


def _link(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("tag_link must be an http(s) URL")
        return value.strip()
    return value


AttributeName = Annotated[str, BeforeValidator(_attribute_name), Field(min_length=1, max_length=150)]
AttributeValue = Annotated[str, BeforeValidator(_attribute_value), Field(max_length=150)]
TagText = Annotated[str, Field(min_length=1, max_length=100)]
HexColour = Annotated[str, BeforeValidator(_hex_colour)]
TagLink = Annotated[Annotated[str, Field(max_length=2048)] | None, BeforeValidator(_link)]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AttributeCreate(BaseModel):
    model_config = _STRICT

    customer_id: Annotated[int, Field(ge=1)]
    attribute_name: AttributeName
    attribute_value: AttributeValue


class AttributePatch(BaseModel):
    """Only the value changes; the name is the attribute's identity for integrations (§4.2)."""

    model_config = _STRICT

    attribute_value: AttributeValue


class TagCreate(BaseModel):
    model_config = _STRICT

    customer_id: Annotated[int, Field(ge=1)]
    tag_text: TagText
    tag_hex_color: HexColour
    tag_link: TagLink = None
    tag_active_date: UtcDateTime | None = None  # D41: now
    tag_deactivate_date: UtcDateTime | None = None  # D41: 2099-01-01 00:00:00

    def tag_fields(self, now: datetime) -> dict[str, Any]:
        return {
            "tag_text": self.tag_text,
            "tag_hex_color": self.tag_hex_color,
            "tag_link": self.tag_link,
            "tag_active_date": self.tag_active_date or now.replace(microsecond=0),
            "tag_deactivate_date": self.tag_deactivate_date or TAG_DEACTIVATE_DEFAULT,
        }


class TagPatch(BaseModel):
    model_config = _STRICT

    tag_text: TagText = None  # type: ignore[assignment]
    tag_hex_color: HexColour = None  # type: ignore[assignment]
    tag_link: TagLink = None
    tag_active_date: UtcDateTime = None  # type: ignore[assignment]
    tag_deactivate_date: UtcDateTime = None  # type: ignore[assignment]


ATTRIBUTE_READ_ONLY = ("attribute_id", "customer_id", "attribute_name", "created", "last_modified")
TAG_READ_ONLY = ("tag_id", "customer_id", "created", "last_modified", "tag_active")
