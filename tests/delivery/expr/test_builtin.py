"""The builtins this package evaluates, with Go's conversions and failures."""

from __future__ import annotations

import re
from typing import Any

import pytest

from delivery.expr import (
    ExprError,
)
from tests.delivery.expr.common import ENV, run


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('len("h\u00e9llo")', 5),  # runes, not bytes
        ("len(payload.list)", 2),
        ("len(payload)", len(ENV["payload"])),
        ('lower("\u00c0B")', "\u00e0b"),
        ('upper("stra\u00dfe")', "STRA\u00dfE"),  # Go's simple case mapping keeps the sharp s
        ('trim("  x \\t")', "x"),
        ('trim("\\x1c x ")', "\x1c x"),  # U+001C is not a space for Go
        ('trim("--x-", "-")', "x"),
        ('join(["a", "b"], "-")', "a-b"),
        ('join(["a", "b"])', "ab"),
        ("first(payload.list)", 1.0),
        ("first([])", None),
        ("first(payload.missing)", None),
        ("payload.list[-1]", 2.0),
        ("payload.list[payload.list[0]]", 2.0),  # a float64 index is truncated
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ("-7 % 3", -1),  # Go's remainder takes the dividend's sign
        ("9223372036854775807 + 1", -9223372036854775808),  # Go's int wraps around
        ("payload.count + 1", 43.0),
        ("payload.ratio * 2", 3.0),
        ("'a' + 'b'", "ab"),
    ],
)
def test_builtins_and_arithmetic(source: str, expected: Any) -> None:
    assert run(source) == expected
    assert type(run(source)) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Go's float64-to-int conversion on amd64: NaN, infinities and out-of-range values give math.MinInt64.
        ("int(payload.huge)", -9223372036854775808),
        ("int(-payload.huge)", -9223372036854775808),
        ("int(1 / 0)", -9223372036854775808),
        ("int(0 / 0)", -9223372036854775808),
        ("int(9223372036854775807.0)", -9223372036854775808),  # 2**63 as a float64: out of range
        ("int(-9223372036854775808.0)", -9223372036854775808),
        ("int(9.2e18)", 9200000000000000000),
        ("int(-2.9)", -2),
        ("int('-9223372036854775808')", -9223372036854775808),
        ("int('+42')", 42),
        ("int(payload.text)", 1),
    ],
)
def test_int_conversions(source: str, expected: int) -> None:
    env = {**ENV, "payload": {**ENV["payload"], "huge": 1e300}}
    assert run(source, env) == expected
    assert type(run(source, env)) is int


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("int('9223372036854775808')", "invalid operation: int(9223372036854775808)"),  # Atoi: out of range
        ("int('99999999999999999999')", "invalid operation: int(99999999999999999999)"),
        ("int('1.5')", "invalid operation: int(1.5)"),
        ("int(' 1')", "invalid operation: int( 1)"),
        ("int(payload.missing)", "reflect: call of reflect.Value.Type on zero Value"),
        ("int(payload.flag)", "invalid operation: int(bool)"),
    ],
)
def test_int_failures(source: str, message: str) -> None:
    with pytest.raises(ExprError, match=re.escape(message)):
        run(source)


@pytest.mark.parametrize(
    "source",
    [
        'trim("  x ", payload.missing)',  # a nil cutset is not "no cutset": strings.Trim's assertion panics
        "trim(payload.missing)",
        "upper(payload.missing)",
        "lower(payload.missing)",
        'join(["a", "b"], payload.missing)',
        "join([payload.missing])",
    ],
)
def test_string_builtins_with_a_nil_argument_fail_at_run_time(source: str) -> None:
    with pytest.raises(ExprError, match=r"^interface conversion: interface \{\} is nil, not string$"):
        run(source)
