"""Playbook extra vars (provisioning.md §2.5, §4.3) and secret redaction (D65).

``merge_vars``: ``{**product_vars, **request_vars, **system_vars}``, precedence system > request > product.
``redact``: what is persisted or published never holds a secret: values under secret-looking keys are replaced,
and so is every occurrence of a known secret value inside any string (a token echoed in a task's stdout, an
``Authorization`` header in a ``uri`` task's arguments).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "********"
# Keys whose values are secrets wherever they appear (case-insensitive, matched on the whole key or a suffix).
_SECRET_KEY = re.compile(
    r"(^|_|-)(access_token|refresh_token|token|password|passwd|secret|api_key|apikey|ki|opc|psk|authorization)$",
    re.IGNORECASE,
)
MIN_SECRET_LENGTH = 6  # shorter values are not searched for inside strings (they would blank out ordinary text)


def merge_vars(
    product_vars: Mapping[str, Any], request_vars: Mapping[str, Any], system_vars: Mapping[str, Any]
) -> dict[str, Any]:
    """The extra vars of a run: product vars, overridden by request vars, overridden by system vars."""
    return {**product_vars, **request_vars, **system_vars}


def parse_product_vars(raw: Any) -> dict[str, Any]:
    """A product's ``provisioning_json_vars``: a JSON object string (or an object); empty when unset."""
    if raw is None or raw == "":
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise ValueError("provisioning_json_vars must be a JSON object")
    return value


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def secret_values(variables: Mapping[str, Any]) -> set[str]:
    """Every string held under a secret-looking key, at any depth."""
    found: set[str] = set()

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, secret or is_secret_key(str(k)))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_SECRET_LENGTH:
                found.add(text)

    walk(variables, False)
    return found


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``value`` with secret keys' values replaced and known secret strings masked everywhere."""
    known = sorted((s for s in secrets if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def mask(text: str) -> str:
        for secret in known:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def walk(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {
                k: (REDACTED if is_secret_key(str(k)) and v not in (None, "") else walk(v)) for k, v in item.items()
            }
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        if isinstance(item, str):
            return mask(item)
        return item

    return walk(value)
