"""The body of ``POST /crm/provision/bulk`` (D68): JSON ``{rows: [...]}``, or CSV with a header row."""

import csv
import io
import json
from typing import Any

from omnibus.platform.http.errors import ApiError

MAX_BODY = 2_000_000


def bulk_rows(content_type: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of a bulk request; 400 when the body is neither."""
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", f"at most {MAX_BODY} bytes")
    if content_type.split(";")[0].strip().lower() == "text/csv":
        return _csv_rows(body)
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, "bad_request", "the body must be JSON {rows: [...]} or text/csv") from None
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ApiError(400, "bad_request", "rows must be a list of provision requests")
    return rows


def _csv_rows(body: bytes) -> list[dict[str, Any]]:
    """One request per line; empty cells are left out; numbers stay text (ids are checked as the API checks them)."""
    try:
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        rows = [{k.strip(): v.strip() for k, v in line.items() if k and v not in (None, "")} for line in reader]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ApiError(400, "bad_request", f"unreadable CSV: {error}") from None
    if reader.fieldnames is None:
        raise ApiError(400, "bad_request", "the CSV has no header row")
    return rows
