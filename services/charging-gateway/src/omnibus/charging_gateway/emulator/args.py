"""Go ``encoding/json`` argument decoding as CGRateS sees it (cgrates-reference.md §1.4).

Struct fields match case-insensitively, unknown members are ignored, ``null`` leaves the zero value, and a type
mismatch fails the whole call with Go's message. Map arguments (``Balance``, ``ActionTrigger``, ``ExtraOptions``)
keep their keys exactly (case-sensitive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class RpcError(Exception):
    """A JSON-RPC error: the plain string CGRateS puts in ``error``."""


@dataclass(frozen=True)
class Struct:
    """A Go argument struct: its type name and fields (name -> kind; a kind may be a nested ``Struct`` list)."""

    name: str
    fields: dict[str, Any]

    def decode(self, raw: Any, path: str = "") -> dict[str, Any]:
        out = {name: _zero(kind) for name, kind in self.fields.items()}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            raise RpcError(f"json: cannot unmarshal {_json_type(raw)} into Go value of type {self._go_name()}")
        by_lower = {name.lower(): name for name in self.fields}
        for key, value in raw.items():
            name = by_lower.get(str(key).lower())
            if name is None or value is None:
                continue
            out[name] = self._field(name, self.fields[name], value, path)
        return out

    def _go_name(self) -> str:
        return f"v1.{self.name}"

    def _field(self, name: str, kind: Any, value: Any, path: str) -> Any:
        where = f"{self.name}.{path}{name}"
        if isinstance(kind, StructList):
            if not isinstance(value, list):
                raise _mismatch(value, where, f"[]*{kind.item.name}")
            return [kind.item.decode(item, f"{name}.") if item is not None else None for item in value]
        check = _CHECKS[kind]
        if not check(value):
            shown = f"number {value}" if kind == "int" and _is_number(value) else _json_type(value)
            raise _mismatch(shown, where, _GO_TYPES[kind], raw=True)
        if kind in ("float", "optfloat"):
            return float(value)
        if kind == "int":
            return int(value)
        if kind == "strlist":
            bad = next((v for v in value if v is not None and not isinstance(v, str)), None)
            if bad is not None:
                raise _mismatch(bad, where, "string")
            return [v or "" for v in value]
        return value


@dataclass(frozen=True)
class StructList:
    item: Struct


def _mismatch(value: Any, where: str, go_type: str, *, raw: bool = False) -> RpcError:
    shown = value if raw else _json_type(value)
    return RpcError(f"json: cannot unmarshal {shown} into Go struct field {where} of type {go_type}")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "float": _is_number,
    "optfloat": _is_number,
    "int": lambda v: _is_number(v) and float(v).is_integer(),
    "bool": lambda v: isinstance(v, bool),
    "strlist": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
    "boolmap": lambda v: isinstance(v, dict) and all(isinstance(x, bool) for x in v.values()),
    "strmap": lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    "any": lambda v: True,
}
_GO_TYPES = {
    "str": "string",
    "float": "float64",
    "optfloat": "float64",
    "int": "int",
    "bool": "bool",
    "strlist": "[]string",
    "map": "map[string]interface {}",
    "boolmap": "map[string]bool",
    "strmap": "map[string]string",
    "any": "interface {}",
}


def _zero(kind: Any) -> Any:
    if isinstance(kind, StructList):
        return []
    zeros: dict[str, Any] = {
        "str": "",
        "float": 0.0,
        "optfloat": None,
        "int": 0,
        "bool": False,
        "strlist": [],
        "any": None,
    }
    return zeros.get(kind, {})


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def missing(args: dict[str, Any], *names: str) -> None:
    """CGRateS's mandatory check: an empty string, list or map, or an int zero, is missing (never a float)."""
    absent = [n for n in names if args.get(n) in ("", [], {}, None) or (type(args.get(n)) is int and args[n] == 0)]
    if absent:
        raise RpcError(f"MANDATORY_IE_MISSING: [{' '.join(absent)}]")


def map_str(m: dict[str, Any], key: str) -> str | None:
    value = m.get(key)
    return None if value is None else str(value)


def map_bool(m: dict[str, Any], key: str) -> bool | None:
    value = m.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def map_float(m: dict[str, Any], key: str) -> float | None:
    value = m.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise RpcError(f"cannot convert field: {value} to float64")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RpcError(f"cannot convert field: {value} to float64") from None


def id_set(value: str | None) -> dict[str, bool] | None:
    """A ``;``-separated ID list as the Account JSON shows it: ``{"ID": true, "EXCLUDED": false}``."""
    if value is None:
        return None
    out: dict[str, bool] = {}
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        if item.startswith("!"):
            out[item[1:]] = False
        else:
            out[item] = True
    return out
