"""List-literal strings (D56): ``"['SIM Card', 'Mobile Number']"`` or JSON arrays in, arrays stored, strings out."""

from __future__ import annotations

import ast
import json
from typing import Any


def parse_list(value: Any, what: str) -> list[Any]:
    """A list from a JSON array, a Python-list literal string (parsed, never evaluated) or "" / None (empty).

    Raises ValueError with a readable message for anything else.
    """
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a list or a list literal string such as \"['A', 'B']\"")
    text = value.strip()
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{what} is not a valid list literal: {value!r}") from None
    if isinstance(parsed, tuple):
        parsed = list(parsed)
    if not isinstance(parsed, list):
        raise ValueError(f"{what} must be a list, got {type(parsed).__name__}")
    return parsed


def list_literal(values: list[Any]) -> str:
    """The reference product's string form: ``"['SIM Card', 'Mobile Number']"``, ``"[]"`` when empty."""
    return repr(list(values))


def parse_features(value: str | None) -> list[str]:
    """``features_list`` as bullets: a list literal, else sentences separated by ". " (catalog.md §5.2)."""
    if not value or not value.strip():
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            return [str(v) for v in parse_list(text, "features_list")]
        except ValueError:
            pass
    return [s.strip().rstrip(".") for s in text.split(". ") if s.strip().rstrip(".")]
