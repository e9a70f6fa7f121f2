"""Bulk import of inventory items (CSV or JSON): parsing, line-by-line validation and the batched run.

Columns name item fields: ``itemtextN``, a slot's key alias from the template (``iccid``, ``imsi``, ``ki``, ...)
or its label (``ICCID``), case-insensitively, plus ``item_location``, ``item_state`` (New or In Stock), costs,
notes, address and management fields. Each line is validated on its own; a bad line is reported with its number
and reasons and does not stop the others. A line whose ``itemtext1`` already exists is skipped, so importing the
same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from omnibus.catalog.application import CatalogApp
from omnibus.catalog.domain import InventoryTemplate
from omnibus.catalog.domain.item import LOCATION, MANAGEMENT

TEXTS = tuple(f"itemtext{n}" for n in range(1, 21))
OTHER_COLUMNS = (
    "item_location",
    "item_state",
    "wholesale_cost",
    "retail_cost",
    "inventory_notes",
    *LOCATION,
    *MANAGEMENT,
)
MAX_TEXT = 512
# Formats of well-known slot aliases (D59).
FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "iccid": (re.compile(r"^\d{18,22}F?$"), "an ICCID is 18 to 22 digits"),
    "imsi": (re.compile(r"^\d{14,15}$"), "an IMSI is 14 or 15 digits"),
    "ki": (re.compile(r"^[0-9A-Fa-f]{32}$"), "Ki is 32 hexadecimal characters"),
    "opc": (re.compile(r"^[0-9A-Fa-f]{32}$"), "OPc is 32 hexadecimal characters"),
    "msisdn": (re.compile(r"^\+?\d{6,15}$"), "an MSISDN is 6 to 15 digits, optionally with +"),
}


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (not its lines: those are reported one by one)."""


def parse_lines(payload: bytes, source_format: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, raw row)`` pairs. CSV numbers count the header as line 1; JSON numbers are 1-based."""
    if source_format == "csv":
        try:
            text = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFormatError("the CSV file is not UTF-8") from None
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ImportFormatError("the CSV file has no header line")
        names = [h.strip() for h in header]
        rows = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                rows.append((number, {"__error__": f"{len(values)} values for {len(names)} columns"}))
                continue
            rows.append((number, dict(zip(names, values, strict=True))))
        return rows
    try:
        data = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ImportFormatError("the JSON body is not valid JSON") from None
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list):
        raise ImportFormatError('JSON imports are an array of objects or {"items": [...]}')
    return [(n, row if isinstance(row, dict) else {"__error__": "not an object"}) for n, row in enumerate(data, 1)]


class LineValidator:
    """Turns raw rows into item fields for one template, or into reasons for rejecting them."""

    def __init__(self, template: InventoryTemplate) -> None:
        self.columns: dict[str, str] = {name: name for name in (*TEXTS, *OTHER_COLUMNS)}
        self.formats: dict[str, tuple[re.Pattern[str], str]] = {}
        for n in range(1, 21):
            slot = f"itemtext{n}"
            key, label = getattr(template, f"{slot}_key"), getattr(template, f"{slot}_label")
            for alias in (key, label):
                if alias:
                    self.columns.setdefault(alias.strip().lower(), slot)
            if key and key.lower() in FORMATS:
                self.formats[slot] = FORMATS[key.lower()]
        self.seen: dict[str, int] = {}

    def validate(self, number: int, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        if "__error__" in raw:
            return None, [str(raw["__error__"])]
        fields: dict[str, Any] = {}
        errors: list[str] = []
        for name, value in raw.items():
            column = self.columns.get(str(name).strip().lower()) or self.columns.get(str(name).strip())
            if column is None:
                errors.append(f"unknown column {name!r}")
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                errors.append(f"{name}: must be text or a number")
                continue
            fields[column] = str(value).strip()
        for slot, (pattern, message) in self.formats.items():
            if slot in fields and not pattern.match(fields[slot]):
                errors.append(f"{slot}: {message}")
        for name, value in fields.items():
            if name in TEXTS and len(value) > MAX_TEXT:
                errors.append(f"{name}: longer than {MAX_TEXT} characters")
        for name in ("wholesale_cost", "retail_cost"):
            if name in fields:
                try:
                    cost = Decimal(fields[name])
                    if not cost.is_finite() or cost < 0:
                        raise InvalidOperation
                    fields[name] = cost
                except InvalidOperation:
                    errors.append(f"{name}: not a non-negative amount")
        if fields.get("item_state", "New") not in ("New", "In Stock"):
            errors.append("item_state: imported items are New or In Stock")
        key = fields.get("itemtext1")
        if not key:
            errors.append("itemtext1 (the key identifier) is required")
        elif key in self.seen:
            errors.append(f"itemtext1 {key!r} repeats line {self.seen[key]}")
        if errors:
            return None, errors
        self.seen[str(key)] = number
        return fields, []


def batches(
    lines: list[tuple[int, dict[str, Any]]], validator: LineValidator, size: int
) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]]:
    """Validated lines in batches of ``size``: (good lines, rejected lines with reasons)."""
    for start in range(0, len(lines), size):
        good, rejected = [], []
        for number, raw in lines[start : start + size]:
            fields, errors = validator.validate(number, raw)
            if fields is None:
                rejected.append({"line": number, "errors": errors})
            else:
                good.append((number, fields))
        yield good, rejected


def run_import(app: CatalogApp, import_id: int, lines: list[tuple[int, dict[str, Any]]], batch_size: int) -> None:
    """Validate and store every line, one batch (and one progress event) at a time; then finish the import."""
    try:
        job = app.get_import(import_id)
        validator = LineValidator(app.get_template(job.inventory_template_id))
        app.import_batches(import_id, batches(lines, validator, batch_size))
    except Exception as error:
        app.finish_import(import_id, error=f"{type(error).__name__}: {error}")
        raise
    app.finish_import(import_id)
