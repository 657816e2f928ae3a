"""The optimizer: `in` over string literals becomes a map lookup, and constant folding changes what runs."""

from __future__ import annotations

from typing import Any

import pytest

from delivery.expr import (
    ExprError,
    InvalidExpression,
)
from tests.delivery.expr.common import run


def test_in() -> None:
    assert run('"push" in metadata["x-github-event"]') is True
    assert run('"pull_request" in metadata["x-github-event"]') is False
    assert run("2 in payload.list") is True
    assert run('"action" in payload') is True
    assert run('"nope" in payload') is False
    assert run('"a" in payload.missing') is False  # `in` nil is false
    with pytest.raises(ExprError, match='operator "in" not defined on string'):
        run('"a" in payload.ref')
    with pytest.raises(ExprError, match="cannot use int as type string in array"):
        run('1 in ["a"]')
    # A non-empty array of string literals becomes a map lookup in expr's optimizer:
    assert run('payload.action in ["opened", "edited"]') is True
    assert run('payload.missing in ["", "opened"]') is True  # nil looks up the zero key ""
    with pytest.raises(ExprError, match="float64 is not assignable to type string"):
        run('payload.count in ["42"]')
    assert run('payload.count in ["42", nil]') is False  # not all strings: element-wise equality instead


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # optimizer/fold.go: `x || true` and `x && false` are constants, x is never evaluated (here it would fail).
        ("payload.missing.x || true", True),
        ("payload.missing.x && false", False),
        ("true || payload.missing.x", True),
        ("false && payload.missing.x", False),
        ("(payload.missing.x || true) && payload.flag", True),  # folds bottom-up: `true && y` is y
        # `x && true` and `x || false` are x itself, returned without the bool check the VM would make.
        ("payload.ref && true", "refs/heads/main"),
        ("payload.ref || false", "refs/heads/main"),
        ("payload.count && true", 42.0),
        # Ternaries are not folded: the condition is still checked at run time.
        ("true ? 1 : payload.missing.x", 1),
        ("-(-9223372036854775807 - 1)", -9223372036854775808),  # constant ints wrap like run-time ones
    ],
)
def test_compile_time_folding(source: str, expected: Any) -> None:
    assert run(source) == expected
    assert type(run(source)) is type(expected)


def test_folding_keeps_type_errors_and_run_time_failures() -> None:
    with pytest.raises(InvalidExpression, match="mismatched types int and bool"):
        run("1 && true")  # the checker runs before the optimizer
    with pytest.raises(ExprError, match="cannot fetch x from <nil>"):
        run("payload.missing.x || payload.flag")  # no constant operand: evaluated
    with pytest.raises(ExprError, match="interface conversion"):
        run("payload.ref && payload.flag")
