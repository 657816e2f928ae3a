"""What Argo does around expr: the expressions this program writes, the parameter string, quoting, the environment."""

from __future__ import annotations

from typing import Any

import pytest

from delivery.expr import (
    ExprError,
    Str,
    argo_parameter_value,
    evaluate,
    parse,
    quote,
)
from tests.delivery.expr.common import ENV, run


def test_expressions_this_program_generates() -> None:
    env = {**ENV, "payload": {"pull_request": {"number": 7}, "action": "synchronize"}}
    assert run('(metadata["x-github-event"] ?? [""])[0]') == "push"
    assert run('(metadata["x-github-hook"] ?? [""])[0]') == ""
    assert run('(payload?.repository?.name ?? "") matches "(?i)^(?:hello)$"') is True
    assert run('(payload?.ref ?? "") matches "^refs/heads/(?:main|release/[^/]*)$"') is True
    pull_request_ref = (
        'payload?.pull_request?.number != nil ? "refs/pull/" + string(payload.pull_request.number) + "/head" : ""'
    )
    assert run(pull_request_ref, env) == "refs/pull/7/head"
    assert run(pull_request_ref) == ""
    assert run('(payload?.action ?? "") in ["opened", "synchronize"]', env) is True
    assert run('discriminator == "ci" && payload?.deleted != true') is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        (42.0, "42"),
        (42, "42"),
        (1.5, "1.5"),
        (-0.0, "-0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (["a", 1.0, None], '["a",1,null]'),
        ({"b": 1.0, "a": {"y": [], "x": True}}, '{"a":{"x":true,"y":[]},"b":1}'),
        # json.Marshal escapes < > & as \u003c \u003e \u0026; Argo's jsonutil.Fix turns them back.
        ("a<b>&c", "a<b>&c"),
        ({"k": "<&>"}, '{"k":"<&>"}'),
        # A string only loses its quotes: its other JSON escapes stay.
        ('say "hi"\n', 'say \\"hi\\"\\n'),
        ("tab\tback\\slash\u2028", "tab\\tback\\\\slash\\u2028"),
        (['q"', "\x01"], '["q\\"","\\u0001"]'),
    ],
)
def test_argo_parameter_value(value: Any, expected: str) -> None:
    assert argo_parameter_value(value) == expected


def test_argo_parameter_value_refuses_what_json_cannot_encode() -> None:
    with pytest.raises(ExprError, match="unsupported value: NaN"):
        argo_parameter_value(float("nan"))
    with pytest.raises(ExprError, match=r"unsupported value: \+Inf"):
        argo_parameter_value(run("1 / 0"))


TRICKY_STRINGS = [
    "",
    "plain",
    'double "quotes"',
    "single 'quotes'",
    "back\\slash\\",
    "\\u0041 is not escaped",
    "new\nline",
    "carriage\rreturn\r\n",
    "tab\tand\vvertical\fform\bback\a",
    "nul\x00 and \x1f and \x7f",
    "caf\u00e9 \u6f22\u5b57 \U0001f680",
    "line\u2028separator\u2029and\u00a0nbsp\ufeff",
    "${{ expr }} # // /* */ `raw`",
    '\\"',
]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_quote_round_trips(text: str) -> None:
    literal = quote(text)
    assert "\n" not in literal and "\r" not in literal
    assert parse(literal) == Str(text)
    assert evaluate(literal, {}) == text
    assert evaluate(f"{literal} == {quote(text)}", {}) is True


def test_quote_round_trips_every_character_class() -> None:
    text = "".join(chr(code) for code in [*range(0x00, 0x180), 0x2028, 0x202E, 0xE000, 0xFFFD, 0xFFFF, 0x10FFFF])
    assert evaluate(quote(text), {}) == text
    with pytest.raises(ValueError, match="surrogate"):
        quote("\ud800")


def test_environment_is_read_after_a_json_round_trip() -> None:
    assert run("payload.count") == 42.0 and type(run("payload.count")) is float
    assert evaluate("payload", {"payload": ({"a": (1, 2)},)}) == [{"a": [1.0, 2.0]}]
    with pytest.raises(ExprError, match="unsupported value: NaN"):
        evaluate("payload", {"payload": float("nan")})
