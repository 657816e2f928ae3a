"""The builtins (expr's builtin/builtin.go): every name, the checker's view of those implemented, their Go behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from delivery.expr.errors import ExprError
from delivery.expr.goformat import _sprint
from delivery.expr.gotypes import _go_type
from delivery.expr.lexer import _GO_SPACE
from delivery.expr.runtime import _as_string, _fetch, _is_number, _to_int

# The builtins implemented here, with their numbers of arguments.
_ARITY = {
    "len": (1, 1),
    "string": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "trim": (1, 2),
    "join": (1, 2),
    "first": (1, 1),
    "int": (1, 1),
}
# Predicate builtins and their arguments: "e" an expression, "p" a predicate (closure), "?" marks an optional one.
# fmt: off
_PREDICATES = {
    "all": "ep", "none": "ep", "any": "ep", "one": "ep", "filter": "ep", "map": "ep", "count": "ep?", "sum": "ep?",
    "find": "ep", "findIndex": "ep", "findLast": "ep", "findLastIndex": "ep", "groupBy": "ep", "sortBy": "epe?",
    "reduce": "epe?",
}
# The predicate builtins evaluated here: each tests a boolean predicate on every element (compiler.go: OpBegin, a
# loop of OpJumpIfTrue / OpJumpIfFalse, OpEnd).
_EVALUATED_PREDICATES = frozenset({"all", "any", "none"})
# Every builtin of expr v1.17.8 (builtin/builtin.go): a call of any other name is a call of an (unknown) variable.
_BUILTIN_NAMES = frozenset(_PREDICATES) | frozenset({
    "len", "type", "abs", "ceil", "floor", "round", "int", "float", "string", "trim", "trimPrefix", "trimSuffix",
    "upper", "lower", "split", "splitAfter", "replace", "repeat", "join", "indexOf", "lastIndexOf", "hasPrefix",
    "hasSuffix", "max", "min", "mean", "median", "toJSON", "fromJSON", "toBase64", "fromBase64", "now", "duration",
    "date", "timezone", "first", "last", "get", "take", "keys", "values", "toPairs", "fromPairs", "reverse", "uniq",
    "concat", "flatten", "sort", "bitand", "bitor", "bitxor", "bitnand", "bitnot", "bitshl", "bitshr", "bitushr",
})
# fmt: on


# The builtins checked through their Go signatures (builtin.go `Types`): checker.checkFunction tries each overload in
# turn and reports the last one's error. "any" is interface{}, the only parameter type nil may be passed as.
_OVERLOADS: dict[str, tuple[tuple[str, ...], ...]] = {
    "string": (("any",),),
    "upper": (("string",),),
    "lower": (("string",),),
    "trim": (("string",), ("string", "string")),
    "join": (
        ("[]string", "string"),
        ("[]interface {}", "string"),
        ("[]interface {}",),
        ("[]string", "string"),
        ("[]string",),
    ),
}
# The builtins with a Validate function instead: one argument, of these kinds (or interface{}).
_VALIDATED = {
    "len": (("array", "map", "string", "bytes"), "invalid argument for len (type {})"),
    "int": (("int", "float", "string"), "invalid argument for int (type {})"),
    "first": (("array", "bytes"), "cannot get first element from {}"),
}


def _len(value: Any) -> int:
    if type(value) in (str, list, dict):
        return len(value)  # a str's length is its number of runes, as in expr
    raise ExprError(f"invalid argument for len (type {_go_type(value)})")


def _go_case(text: Any, upper: bool) -> str:
    """strings.ToUpper/ToLower map rune by rune with Unicode's simple mappings (Python's str methods use full ones)."""
    chars = []
    for char in _as_string(text):
        mapped = char.upper() if upper else char.lower()
        if len(mapped) != 1:  # e.g. "\u00df".upper() is "SS"; its simple uppercase is itself
            title = char.title()
            mapped = (title if len(title) == 1 else char) if upper else mapped[0]
        chars.append(mapped)
    return "".join(chars)


_ABSENT: Any = object()  # an argument not given at all, unlike nil, which strings.Trim's assertion refuses


def _trim(text: Any, cutset: Any = _ABSENT) -> str:
    text = _as_string(text)
    return text.strip(_GO_SPACE if cutset is _ABSENT else _as_string(cutset))


def _join(items: Any, *glue: Any) -> str:
    separator = _as_string(glue[0]) if glue else ""
    if type(items) is not list:
        raise ExprError(f"invalid argument for join (type {_go_type(items)})")
    return separator.join(map(_as_string, items))


def _first(value: Any) -> Any:
    """first() recovers from any failure of fetching index 0 and answers nil."""
    try:
        return _fetch(value, 0)
    except ExprError:
        return None


def _int(value: Any) -> int:
    """builtin.Int: Go's conversion of a number (truncation; see _to_int beyond int64), strconv.Atoi of a string."""
    if _is_number(value):
        return _to_int(value)
    if type(value) is str:
        text = value[1:] if value[:1] in "+-" else value
        if text.isascii() and text.isdigit() and -(2**63) <= int(value) < 2**63:
            return int(value)
        raise ExprError(f"invalid operation: int({value})")  # Atoi's syntax and range errors alike
    if value is None:  # reflect.ValueOf(nil).CanConvert(...) panics
        raise ExprError("reflect: call of reflect.Value.Type on zero Value")
    raise ExprError(f"invalid operation: int({_go_type(value)})")


_BUILTINS: dict[str, Callable[..., Any]] = {
    "int": _int,
    "len": _len,
    "string": _sprint,
    "lower": lambda text: _go_case(text, upper=False),
    "upper": lambda text: _go_case(text, upper=True),
    "trim": _trim,
    "join": _join,
    "first": _first,
}
