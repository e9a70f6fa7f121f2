"""The staff OCS proxy (``POST /crm/ocs/proxy``, charging.md §3, §4.5; D82): forwards one JSON-RPC call with the
tenant default, allows read methods to ``cgrates_api_access`` and write methods to ``admin``/``cgrates_api_write``,
refuses anything on neither allow-list, and audits every call (``OcsProxyCallMade``) with its params."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from omnibus.charging_gateway.domain import InvalidRequestError


def method_kind(method: str, read: tuple[str, ...], write: tuple[str, ...]) -> str | None:
    """``read``, ``write`` or None (not allowed). Patterns are shell-style (``*.Get*``)."""
    if not isinstance(method, str) or "." not in method or method.startswith("Emulator."):
        return None
    if any(fnmatchcase(method, p) for p in read):
        return "read"
    if any(fnmatchcase(method, p) for p in write):
        return "write"
    return None


def with_tenant(params: Any, tenant: str) -> list[Any]:
    """``params`` must be a JSON array; its first object gets ``Tenant`` when it has none (any case)."""
    if not isinstance(params, list):
        raise InvalidRequestError('params must be a JSON array, e.g. [{"Tenant": ..., ...}]')
    if params and isinstance(params[0], dict) and not any(str(k).lower() == "tenant" for k in params[0]):
        return [{**params[0], "Tenant": tenant}, *params[1:]]
    return list(params)
