"""The VM's runtime helpers (expr's vm/runtime): equality, fetch, arithmetic and the operators, as Go runs them."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from delivery.expr.errors import ExprError
from delivery.expr.goformat import _sprint
from delivery.expr.goregexp import _go_regexp
from delivery.expr.gotypes import _Byte, _go_type, _interface_type

_INT_MIN = -(2**63)


class _NilChain(Exception):
    """An optional member access met nil: unwinds to the enclosing Chain, whose value is then nil."""


def _plain(value: Any) -> Any:
    """A byte as the int expr's arithmetic helpers turn it into; any other value unchanged."""
    return int(value) if type(value) is _Byte else value


def _wrap(value: int) -> int:
    """Go's int is 64 bits wide and wraps around."""
    return (value - _INT_MIN) % 2**64 + _INT_MIN


def _is_number(value: Any) -> bool:
    return type(value) in (int, float, _Byte)


def _as_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ExprError(f"interface conversion: interface {{}} is {_interface_type(value)}, not bool")
    return value


def _as_string(value: Any) -> str:
    if type(value) is not str:
        raise ExprError(f"interface conversion: interface {{}} is {_interface_type(value)}, not string")
    return value


def _map_key(key: Any) -> str:
    """reflect's MapIndex on a map[string]...: nil looks up the zero key "", anything but a string panics."""
    if key is None:
        return ""
    if type(key) is not str:
        raise ExprError(f"reflect.Value.MapIndex: value of type {_go_type(key)} is not assignable to type string")
    return key


def _to_int(value: Any) -> int:
    """runtime.ToInt. Go's float64-to-int conversion of NaN, an infinity or a value outside the int64 range gives
    math.MinInt64 on amd64 (CVTTSD2SQ); arm64 saturates instead. Argo images mostly run on amd64: that is modelled."""
    if type(value) in (int, _Byte):
        return int(value)
    if type(value) is float:
        return int(value) if math.isfinite(value) and abs(value) < 2**63 else _INT_MIN
    raise ExprError(f"invalid operation: int({_go_type(value)})")


def _fetch(base: Any, key: Any) -> Any:
    """runtime.Fetch: a missing map key gives nil; arrays (and strings, bytewise) take integer indexes from the end."""
    if type(base) is dict:
        return base.get(_map_key(key))
    if type(base) in (list, str):
        items = base if type(base) is list else base.encode()
        index = _to_int(key)
        if index < 0:
            index += len(items)
        if not 0 <= index < len(items):
            raise ExprError(f"index out of range: {index} (array length is {len(items)})")
        return items[index] if type(base) is list else _Byte(items[index])  # a string yields a byte (uint8)
    raise ExprError(f"cannot fetch {_sprint(key)} from {_go_type(base)}")


def _equal(left: Any, right: Any) -> bool:
    """runtime.Equal: numbers by value, []interface{} element by element, anything else like reflect.DeepEqual."""
    if _is_number(left) and _is_number(right):
        left, right = _plain(left), _plain(right)
        return left == right if type(left) is type(right) is int else float(left) == float(right)
    if type(left) is list and type(right) is list:
        return len(left) == len(right) and all(map(_equal, left, right))
    return _deep_equal(left, right)


def _deep_equal(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if type(left) is dict:
        return left.keys() == right.keys() and all(_deep_equal(left[key], right[key]) for key in left)
    if type(left) is list:
        return len(left) == len(right) and all(map(_deep_equal, left, right))
    return bool(left == right)


def _in(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if type(haystack) is list:
        return any(_equal(item, needle) for item in haystack)
    if type(haystack) is dict:
        return _map_key(needle) in haystack
    raise ExprError(f'operator "in" not defined on {_go_type(haystack)}')


def _numeric(symbol: str, apply: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A Go arithmetic or ordering operator: int with int stays int, a float64 on either side makes both float64."""

    def run(left: Any, right: Any) -> Any:
        plain_left, plain_right = _plain(left), _plain(right)
        if type(plain_left) is type(plain_right) is int:
            result = apply(plain_left, plain_right)
            return _wrap(result) if type(result) is int else result
        if _is_number(left) and _is_number(right):
            return apply(float(left), float(right))
        if symbol in ("+", "<", ">", "<=", ">=") and type(left) is type(right) is str:
            return apply(left, right)
        raise ExprError(f"invalid operation: {_go_type(left)} {symbol} {_go_type(right)}")

    return run


def _divide(left: Any, right: Any) -> float:
    """runtime.Divide is always float64 division, with IEEE infinities instead of errors."""
    if not (_is_number(left) and _is_number(right)):
        raise ExprError(f"invalid operation: {_go_type(left)} / {_go_type(right)}")
    dividend, divisor = float(left), float(right)
    if divisor == 0:
        if dividend == 0 or math.isnan(dividend):
            return math.nan
        return math.copysign(math.inf, dividend) * math.copysign(1.0, divisor)
    return dividend / divisor


def _modulo(left: Any, right: Any) -> int:
    """runtime.Modulo takes integers only, and Go's remainder has the sign of the dividend."""
    if not type(_plain(left)) is type(_plain(right)) is int:
        raise ExprError(f"invalid operation: {_go_type(left)} % {_go_type(right)}")
    left, right = int(left), int(right)
    if right == 0:
        raise ExprError("runtime error: integer divide by zero")
    remainder = abs(left) % abs(right)
    return -remainder if left < 0 else remainder


def _string_test(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    """`matches`, `contains`, `startsWith`, `endsWith`: nil on either side is false, other non-strings fail."""

    def run(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        return test(_as_string(left), _as_string(right))

    return run


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<": _numeric("<", operator.lt),
    ">": _numeric(">", operator.gt),
    "<=": _numeric("<=", operator.le),
    ">=": _numeric(">=", operator.ge),
    "+": _numeric("+", operator.add),
    "-": _numeric("-", operator.sub),
    "*": _numeric("*", operator.mul),
    "/": _divide,
    "%": _modulo,
    "in": _in,
    "matches": _string_test(lambda text, pattern: _go_regexp(pattern).search(text) is not None),
    "contains": _string_test(lambda text, part: part in text),
    "startsWith": _string_test(str.startswith),
    "endsWith": _string_test(str.endswith),
}


def _negate(value: Any) -> Any:
    if type(value) is _Byte:
        return _Byte(-value % 256)  # uint8 arithmetic wraps within 8 bits
    if type(value) is int:
        return _wrap(-value)
    if type(value) is float:
        return -value
    raise ExprError(f"invalid operation: - {_go_type(value)}")
