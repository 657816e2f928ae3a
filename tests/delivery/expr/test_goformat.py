"""Go's formatting: string() prints like fmt's %v."""

from __future__ import annotations

import pytest

from tests.delivery.expr.common import run


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("string(42.0)", "42"),
        ("string(payload.count)", "42"),
        ("string(42)", "42"),
        ("string(1.5)", "1.5"),
        ("string(-0.25)", "-0.25"),
        ("string(0.0001)", "0.0001"),
        ("string(1e-7)", "1e-07"),
        ("string(123456.0)", "123456"),
        ("string(1234567.0)", "1.234567e+06"),
        ("string(1e21)", "1e+21"),
        ("string(nil)", "<nil>"),
        ("string(true)", "true"),
        ("string('x')", "x"),
        ('string([1, "a", nil])', "[1 a <nil>]"),
        ("string(payload.obj)", "map[a:1 b:[x y]]"),
        ("string(7 / 2)", "3.5"),
        ("string(1 / 0)", "+Inf"),
    ],
)
def test_string_formats_like_go_percent_v(source: str, expected: str) -> None:
    assert run(source) == expected
