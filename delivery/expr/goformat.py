"""Go's formatting: fmt's %v (what string() returns) and encoding/json (Argo's parameters), strconv's float layout."""

from __future__ import annotations

import math
import re
from typing import Any

from delivery.expr.errors import ExprError
from delivery.expr.gotypes import _Byte


def _digits(value: float) -> tuple[str, int]:
    """The shortest round-trip digits of |value| and where the decimal point goes: value = 0.DIGITS * 10**point."""
    if value == 0:
        return "", 0
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    point = len(whole) - len(whole + fraction) + len(significant) + int(exponent or "0")
    return significant.rstrip("0"), point


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits if digits else "0"
    return digits[:point].ljust(point, "0") + ("." + digits[point:] if digits[point:] else "")


def _scientific(digits: str, point: int) -> str:
    exponent = point - 1
    return f"{digits[0]}{'.' if digits[1:] else ''}{digits[1:]}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _sign(value: float) -> str:
    return "-" if math.copysign(1.0, value) < 0 else ""


def _format_float(value: float) -> str:
    """fmt's %v of a float64: strconv 'g', shortest digits, exponent form below 1e-4 and from 1e6 (1e+06)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, point = _digits(value)
    fits = not digits or -4 <= point - 1 < 6
    return _sign(value) + (_fixed(digits, point) if fits else _scientific(digits, point))


def _sprint(value: Any) -> str:
    """fmt.Sprintf("%v", value): what string() returns."""
    if value is None:
        return "<nil>"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float:
        return _format_float(value)
    if type(value) is list:
        return "[" + " ".join(map(_sprint, value)) + "]"
    if type(value) is dict:
        return "map[" + " ".join(f"{key}:{_sprint(value[key])}" for key in sorted(value)) + "]"
    return str(value)


_SURROGATES = re.compile(r"[\ud800-\udfff]")  # not text: Go has U+FFFD where Python may hold these
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JSON_HEX_ESCAPED = re.compile(r"[\x00-\x1f<>&\u2028\u2029]")


def _json_string(text: str) -> str:
    text = "".join(_JSON_ESCAPES.get(char, char) for char in text)
    text = _JSON_HEX_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return '"' + _SURROGATES.sub("\\\\ufffd", text) + '"'


def _json(value: Any) -> str:
    """encoding/json.Marshal: sorted keys, no spaces, HTML-safe strings, Go's float64 layout."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (int, _Byte):
        return str(int(value))
    if type(value) is float:
        if not math.isfinite(value):
            raise ExprError(f"json: unsupported value: {_format_float(value)}")
        digits, point = _digits(value)
        if digits and not 1e-6 <= abs(value) < 1e21:
            return _sign(value) + re.sub(r"e-0(\d)$", r"e-\1", _scientific(digits, point))
        return _sign(value) + _fixed(digits, point)
    if type(value) is str:
        return _json_string(value)
    if type(value) is list:
        return "[" + ",".join(map(_json, value)) + "]"
    if type(value) is dict:
        return "{" + ",".join(f"{_json_string(key)}:{_json(value[key])}" for key in sorted(value)) + "}"
    raise TypeError(f"{type(value).__name__} is not a value an expression can produce")
