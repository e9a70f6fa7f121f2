"""Shared HTTP value types: dates as the reference product sends them (D7), paging (api-conventions §8)."""

import json
import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator, PlainSerializer

from omnibus.platform.http.errors import ApiError

_SPACE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_datetime(value: Any) -> datetime:
    """Accept YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, ISO-8601 with Z, +0000 or +00:00; naive means UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0000 -> +00:00
        if _SPACE_FORM.match(text):
            text = text.replace(" ", "T", 1)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a date or date-time: {value!r}") from None
    else:
        raise ValueError("expected a date or date-time string")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_z(value: datetime | None) -> str | None:
    """ISO-8601 UTC with ``Z`` (api-conventions §4)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def space_form(value: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` (attributes and tags)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


UtcDateTime = Annotated[datetime, BeforeValidator(parse_datetime), PlainSerializer(iso_z, return_type=str)]


class Paging:
    """``page``, ``per_page``, ``sort``, ``order``, ``filters`` (JSON object field -> [values]), ``search``."""

    def __init__(
        self,
        page: Annotated[int, Query(ge=1, description="1-based page")] = 1,
        per_page: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 50,
        sort: Annotated[str | None, Query(description="Field to sort by")] = None,
        order: Annotated[str, Query(pattern="^(?i)(asc|desc)$", description="asc or desc")] = "desc",
        filters: Annotated[str | None, Query(description='JSON object, e.g. {"customer_status":["Open"]}')] = None,
        search: Annotated[str | None, Query(max_length=200, description="Free-text match")] = None,
    ) -> None:
        self.page = page
        self.per_page = per_page
        self.sort = sort
        self.descending = order.lower() == "desc"
        self.filters = parse_filters(filters)
        self.search = search.strip() if search and search.strip() else None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def envelope(self, data: list[Any], total: int) -> dict[str, Any]:
        return {
            "data": data,
            "pagination": {
                "current_page": self.page,
                "per_page": self.per_page,
                "total_pages": math.ceil(total / self.per_page) if total else 0,
                "total_items": total,
            },
        }


def parse_filters(raw: str | None) -> dict[str, list[Any]]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(400, "bad_filters", "filters must be a URL-encoded JSON object") from None
    if not isinstance(value, dict):
        raise ApiError(400, "bad_filters", "filters must be a JSON object of field -> list of values")
    return {str(k): (v if isinstance(v, list) else [v]) for k, v in value.items()}
