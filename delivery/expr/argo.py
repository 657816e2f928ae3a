"""What Argo Server does around expr: the environment it builds, its compile and run, the parameter it stores."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from delivery.expr.ast import Node
from delivery.expr.checker import _Checker
from delivery.expr.errors import ExprError, InvalidExpression, UnsupportedExpression, _excerpt
from delivery.expr.goformat import _SURROGATES, _format_float, _json
from delivery.expr.gotypes import _MAP, _STRING, _Nature, _nature_of
from delivery.expr.optimizer import _optimize
from delivery.expr.parser import _parse
from delivery.expr.recursion import _deep
from delivery.expr.vm import _eval

# The types Argo's event environment has for every delivery (a GitHub payload is always a JSON object).
ARGO_EVENT_NATURES: tuple[tuple[str, _Nature], ...] = (
    ("discriminator", _STRING),
    ("metadata", _MAP),
    ("namespace", _STRING),
    ("payload", _MAP),
)


def _jsonify(value: Any) -> Any:
    """What Argo's environment holds after its JSON round trip: every number a float64, invalid text U+FFFD."""
    if value is None or type(value) is bool:
        return value
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ExprError(f"json: unsupported value: {_format_float(number)}")
        return number
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("JSON object keys must be strings")
        return {_SURROGATES.sub("\ufffd", key): _jsonify(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonify(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not JSON")


@functools.lru_cache(maxsize=1024)
def _compile(source: str, names: tuple[tuple[str, _Nature], ...]) -> Node:
    """Parse, type-check and optimize once per expression and shape of environment, as expr.Compile does."""
    tree = _parse(source)
    checker = _Checker(dict(names))
    checker.visit(tree)
    optimized = _optimize(tree)  # its compile errors (`1 % 0`, a bad constant pattern) come before "unsupported"
    if checker.unimplemented:
        constructs = ", ".join(dict.fromkeys(checker.unimplemented))
        raise UnsupportedExpression(
            f"{_excerpt(source)} is valid expr but uses {constructs}: outside the subset this simulator evaluates"
        )
    return optimized


def check(source: str) -> None:
    """Compile `source` the way Argo does for every delivery (payload and metadata maps, two strings).

    Raises InvalidExpression when expr v1.17 would refuse it, UnsupportedExpression when it compiles there but uses
    syntax this package does not evaluate. Whatever `check` accepts compiles in Argo.
    """
    _deep(_compile, source, ARGO_EVENT_NATURES)


def expression_compile_error(source: str) -> str | None:
    """Why Argo could never compile `source` for a delivery (the message expr gives), or None if it compiles there
    (including valid syntax this package only cannot simulate)."""
    try:
        check(source)
    except InvalidExpression as error:
        return str(error)
    except UnsupportedExpression:
        return None
    return None


@dataclass(frozen=True)
class Environment:
    """An environment as Argo builds it (JSON round trip done, types known): prepare once, evaluate many times."""

    values: Mapping[str, Any]
    natures: tuple[tuple[str, _Nature], ...]


def environment(env: Mapping[str, Any]) -> Environment:
    """Prepare `env` (payload, metadata, discriminator, namespace) the way Argo does before it compiles."""
    values = _deep(_jsonify, env)
    return Environment(values, tuple(sorted((name, _nature_of(value)) for name, value in values.items())))


def evaluate(source: str, env: Mapping[str, Any] | Environment) -> Any:
    """The value Argo computes for `source` over `env` (payload, metadata, discriminator, namespace).

    Raises UnsupportedExpression for syntax outside the subset, InvalidExpression where Argo's compile fails and
    ExprError where its run fails.
    """
    prepared = env if isinstance(env, Environment) else environment(env)
    return _deep(_run, source, prepared)


def _run(source: str, prepared: Environment) -> Any:
    return _eval(_compile(source, prepared.natures), prepared.values)


def argo_parameter_value(value: Any) -> str:
    """The parameter string Argo stores for an evaluated result.

    Argo json.Marshal()s the result and formats it through wfv1.Item.String(): a JSON string loses its quotes but
    keeps its other escapes (`a"b` gives `a\\"b`), and jsonutil.Fix turns \\u003c \\u003e \\u0026 back into < > &.
    """
    data = _deep(_json, value)
    if data.startswith('"'):
        data = data[1:-1]
    for escaped, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        data = data.replace(escaped, char)
    return data


_QUOTE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(text: str) -> str:
    """A double-quoted expr string literal that parse() reads back as exactly `text` (non-printables escaped)."""
    if _SURROGATES.search(text):
        raise ValueError("a lone surrogate cannot be written in an expr string literal")
    out = []
    for char in text:
        if char in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'
