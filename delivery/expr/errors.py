"""What a failed compile or run raises, and where in the source it failed (expr's file/error.go)."""

from __future__ import annotations

from typing import NoReturn


class ExprError(Exception):
    """Argo's compile or run of the expression fails, as expr-lang's would (Argo answers the delivery with HTTP 500)."""


class InvalidExpression(ExprError):
    """expr.Compile refuses the expression (syntax, types, a constant regexp): it fails on every single delivery."""


class UnsupportedExpression(ValueError):
    """Valid expr syntax outside the subset this package implements: it cannot be simulated (Argo evaluates it)."""


def _syntax_error(source: str, pos: int, message: str) -> NoReturn:
    line = source.count("\n", 0, pos) + 1
    column = pos - source.rfind("\n", 0, pos)
    raise InvalidExpression(f"{message} at {line}:{column} in {_excerpt(source)}")


def _excerpt(source: str) -> str:
    """The expression for a message: deeply nested ones can be megabytes long."""
    return repr(source) if len(source) <= 200 else repr(source[:200]) + f"... ({len(source)} characters)"
