"""Go's types: the static ones expr's checker reasons with (natures) and the dynamic ones of values (Go's %T)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Nature:
    """A static type as expr's checker sees it: "any" is interface{}, "unknown" has no type at all."""

    kind: str
    elem: _Nature | None = None  # element type of an "array"


_ANY, _UNKNOWN, _NIL = _Nature("any"), _Nature("unknown"), _Nature("nil")
_BOOL, _INT, _FLOAT = _Nature("bool"), _Nature("int"), _Nature("float")
_STRING, _MAP = _Nature("string"), _Nature("map")
_GO_TYPES = {
    "any": "interface {}",
    "unknown": "unknown",
    "nil": "nil",
    "bool": "bool",
    "int": "int",
    "float": "float64",
    "string": "string",
    "array": "[]interface {}",
    "map": "map[string]interface {}",
    "bytes": "[]uint8",
    "func": "func(...)",
}


def _array_of(elem: _Nature) -> _Nature:
    return _Nature("array", elem)


def _nature_of(value: Any) -> _Nature:
    """The static type expr.Env gives a top-level variable: that of its (JSON) value."""
    natures = {type(None): _NIL, bool: _BOOL, float: _FLOAT, str: _STRING, list: _array_of(_ANY), dict: _MAP}
    return natures[type(value)]


class _Byte(int):
    """A Go uint8: what indexing a string yields (runtime.Fetch). Arithmetic with it gives an int (expr's helpers
    convert both sides), but it negates within 8 bits, prints as a number and keeps its type in error messages."""


_VALUE_KINDS = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "map"}


def _go_type(value: Any) -> str:
    """Go's %T of a value."""
    if value is None:
        return "<nil>"
    if type(value) is _Byte:
        return "uint8"
    return _GO_TYPES[_VALUE_KINDS[type(value)]]


def _interface_type(value: Any) -> str:
    """The dynamic type a failed type assertion names: "nil" for nil (where %T prints "<nil>")."""
    return "nil" if value is None else _go_type(value)
