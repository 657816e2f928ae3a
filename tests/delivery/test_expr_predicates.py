"""all / any / none and the `#` pointer, as expr v1.17 checks and runs them (checker.BuiltinNode, the VM's loop)."""

from __future__ import annotations

import re

import pytest

from delivery.expr import ExprError, InvalidExpression, UnsupportedExpression, check, evaluate

ENV = {"payload": {"commits": [{"added": ["a.md"], "removed": ["x/y.py"]}, {"added": []}], "n": 3.0}}


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('any(payload.commits, any(#?.added ?? [], # endsWith ".md"))', True),
        ('any(payload.commits, any(#?.modified ?? [], # endsWith ".md"))', False),
        ("all(payload.commits, len(#?.added ?? []) > 0)", False),
        ("all(payload.commits, #?.added != nil)", True),
        ("none(payload.commits, #?.removed == nil)", False),
        ("none([1, 2], # > 3)", True),
        ("any([], #)", False),
        ("all([], #)", True),
        ("none([], #)", True),
        ("any([1, 2, 3], {# > 2})", True),
        ("any(payload.commits[0].added[0], # == 97)", True),  # a string of unknown type runs over its bytes: "a"
    ],
)
def test_values(source: str, value: bool) -> None:
    assert evaluate(source, ENV) is value


def test_the_loop_stops_at_the_deciding_element() -> None:
    """any stops at the first true, all at the first false: a later element that would fail is never reached."""
    assert evaluate('any([1, "x"], # == 1)', ENV) is True
    assert evaluate('all([1, "x"], # == 2)', ENV) is False
    with pytest.raises(ExprError, match=re.escape("interface conversion: interface {} is nil, not bool")):
        evaluate("any(payload.commits, #?.modified)", ENV)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("any(payload.missing, true)", "reflect: call of reflect.Value.Len on zero Value"),
        ("any(payload.n, true)", "reflect: call of reflect.Value.Len on float64 Value"),
        ("any(payload.commits[0], true)", "reflect: call of reflect.Value.Index on map Value"),
    ],
)
def test_run_time_failures(source: str, error: str) -> None:
    with pytest.raises(ExprError, match=re.escape(error)):
        evaluate(source, ENV)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("any(1, true)", "builtin any takes only array (got int)"),
        ("any(payload, true)", "builtin any takes only array (got map[string]interface {})"),
        ('all("ab" + "c", true)', "builtin all takes only array (got string)"),
        ("any([1], 1)", "predicate should return boolean (got int)"),
        ("none([1], #)", "predicate should return boolean (got int)"),
    ],
)
def test_compile_failures(source: str, error: str) -> None:
    with pytest.raises(InvalidExpression, match=re.escape(error)):
        check(source)


def test_other_predicates_stay_outside_the_subset() -> None:
    for source in ("filter([1], true)", "any([1], #index > 0)", "count([1], true) > 0"):
        with pytest.raises(UnsupportedExpression):
            check(source)
