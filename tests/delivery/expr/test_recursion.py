"""Deep nesting: evaluated like Go up to expr's node limit, refused beyond it, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from delivery.expr import (
    InvalidExpression,
    UnsupportedExpression,
    argo_parameter_value,
    check,
    expression_compile_error,
)
from delivery.expr import recursion as expr  # the module whose recursion limit a test lowers
from tests.delivery.expr.common import run


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("(" * 5000 + "payload.count" + ")" * 5000, 42.0),  # brackets create no nodes: no limit in expr
        (" + ".join(["1"] * 5000), 5000),  # 9,999 nodes: just under expr's limit
        (" && ".join(["payload.flag"] * 1500), True),
        ("payload" + "?.a" * 1500 + ' ?? "none"', "none"),
        (" ?? ".join(["payload.missing"] * 1500) + " ?? 1", 1),
        ("-" * 1500 + "1", 1),
        ("len(" + "[" * 1500 + "]" * 1500 + ")", 1),
        ("!" * 1501 + "true", False),
        ("true ? " * 1500 + "1" + " : 2" * 1500, 1),
    ],
)
def test_deep_nesting_evaluates_like_go(source: str, expected: Any) -> None:
    assert run(source) == expected


def test_deep_nesting_beyond_exprs_node_limit_is_a_compile_error_not_a_traceback() -> None:
    with pytest.raises(InvalidExpression, match="exceeds maximum allowed nodes"):
        run(" + ".join(["1"] * 5001))
    with pytest.raises(InvalidExpression, match="exceeds maximum allowed nodes"):
        check(" ?? ".join(["payload.missing"] * 3000))
    result = argo_parameter_value(run("[" * 1500 + "]" * 1500))  # a deep result is formatted without a traceback
    assert result == "[" * 1500 + "]" * 1500


def test_nesting_beyond_the_simulators_room_is_not_simulated_never_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expr, "_DEEP_RECURSION_LIMIT", 2000)
    source = "(" * 4000 + "payload.flag" + ")" * 4000
    with pytest.raises(UnsupportedExpression, match="nests too deeply for this simulator"):
        run(source)
    assert expression_compile_error(source) is None  # Go's parser takes it: the config does too
