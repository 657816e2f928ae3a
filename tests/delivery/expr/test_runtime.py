"""The VM and its runtime helpers: nil, equality, bytes, and the failures of a run (HTTP 500 in Argo)."""

from __future__ import annotations

from typing import Any

import pytest

from delivery.expr import (
    ExprError,
    InvalidExpression,
    argo_parameter_value,
)
from tests.delivery.expr.common import ENV, run


def test_member_access_on_nil_fails_and_optional_chaining_short_circuits() -> None:
    with pytest.raises(ExprError, match="cannot fetch b from <nil>"):
        run("payload.missing.b")
    with pytest.raises(ExprError, match="cannot fetch b from <nil>"):
        run('payload["nothing"]["b"]')
    assert run('payload?.missing?.b ?? ""') == ""
    assert run("payload.missing?.b") is None
    assert run('payload?.["missing"]?.["b"]') is None
    assert run("payload.missing?.b.c") is None  # nil before `?.` skips the rest of the chain
    with pytest.raises(ExprError, match="cannot fetch b from <nil>"):
        run("payload?.missing.b")  # `?.` only guards its own left side
    with pytest.raises(ExprError, match="cannot fetch c from <nil>"):
        run('payload.missing?.b["c"]')  # an index does not extend the chain: it reads the chain's nil
    assert run('payload?.repository?.name ?? ""') == "Hello"


def test_a_missing_map_key_is_nil() -> None:
    assert run("payload.missing") is None
    assert run('payload["missing"] == nil') is True
    assert run("payload.nothing == nil") is True
    assert run('metadata["x-github-hook-id"]') is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"x-github-event": ["push"]}, True), ({"x-github-event": ["pull_request"]}, False), ({}, False)],
)
def test_header_lists_compare_element_by_element(headers: dict[str, Any], expected: bool) -> None:
    assert run('metadata["x-github-event"] == ["push"]', {"metadata": headers}) is expected
    assert run('metadata["x-github-event"] != ["push"]', {"metadata": headers}) is not expected


def test_equality() -> None:
    assert run("payload.list == [1, 2]") is True  # float64 payload numbers equal int literals element by element
    assert run("payload.list == [1, 2, 3]") is False
    assert run("payload.obj == payload.same") is True  # maps compare deeply
    assert run("payload.obj == payload.repository") is False
    assert run("1 == 1.0") is True
    assert run("nil == nil") is True
    assert run("payload.missing == false") is False
    assert run("payload.text == 1") is False  # different kinds at run time are simply unequal
    with pytest.raises(ExprError, match="mismatched types string and int"):
        run('"1" == 1')  # ... but known at compile time they do not compile
    with pytest.raises(ExprError, match=r"mismatched types map\[string\]interface \{\} and string"):
        run('payload == "x"')


@pytest.mark.parametrize(
    "source",
    [
        "payload.ref && payload.flag",
        "!payload.ref",
        "payload.ref ? 1 : 2",
        'payload.count + "a"',
        "payload.count < payload.ref",
        "payload.count % 2",  # payload numbers are float64, and % wants integers
        "payload.ratio matches 'x'",
        "payload.list[2]",
        "payload.list['a']",
        "payload.ref.x",
        "len(payload.count)",
        "lower(payload.count)",
        "join(['a', 1])",
        "-payload.ref",
        "1 % 0",
    ],
)
def test_type_errors_at_run_time(source: str) -> None:
    with pytest.raises(ExprError):
        run(source)


def test_the_right_operand_of_and_or_is_not_checked() -> None:
    assert run("true && payload.count") == 42.0
    assert run("false || payload.ref") == "refs/heads/main"
    assert run("false && payload.ref") is False  # not evaluated at all


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("payload.ref[0]", 114),  # "r"
        ("payload.ref[-1]", 110),  # "n"
        ("payload.ref[0] == 114", True),
        ("payload.ref[0] == 114.0", True),
        ("payload.ref[0] + 1", 115),  # uint8 with int: an int
        ("payload.ref[0] + payload.ref[0]", 228),  # uint8 with uint8: an int too, no 8-bit wrap
        ("payload.ref[0] * 1.5", 171.0),
        ("payload.ref[0] % 5", 4),
        ("payload.ref[0] / 2", 57.0),
        ("-payload.ref[0]", 142),  # but negation stays a uint8 and wraps: 256 - 114
        ("string(payload.ref[0])", "114"),
        ("payload.ref[0] in [114]", True),
        ("payload.list[payload.text[0] - 49]", 1.0),  # "1" is 49
        ("payload.accent[1] == 169", True),  # the bytes of the UTF-8 text: "\u00e9" is C3 A9
    ],
)
def test_indexing_a_string_yields_a_byte(source: str, expected: Any) -> None:
    env = {**ENV, "payload": {**ENV["payload"], "accent": "\u00e9"}}
    assert run(source, env) == expected
    assert type(run(source, env)) is type(expected) or type(expected) is int
    assert argo_parameter_value(run("payload.ref[0]", env)) == "114"


def test_a_byte_keeps_its_type_in_failures() -> None:
    with pytest.raises(ExprError, match=r"invalid operation: uint8 \+ string"):
        run('payload.ref[0] + "x"')
    with pytest.raises(ExprError, match=r"interface \{\} is uint8, not bool"):
        run("!payload.ref[0]")
    with pytest.raises(InvalidExpression, match=r"type string\[int\] is undefined"):
        run('"abc"[0]')  # a string known at compile time cannot be indexed at all
