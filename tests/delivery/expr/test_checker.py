"""The type checker: what expr.Compile refuses with expr.Env, and valid syntax outside the simulated subset."""

from __future__ import annotations

import re

import pytest

from delivery.expr import (
    ExprError,
    InvalidExpression,
    UnsupportedExpression,
    check,
    expression_compile_error,
)
from tests.delivery.expr.common import run


@pytest.mark.parametrize(
    "source",
    [
        "1 && true",
        '"a" + 1',
        "nil matches 'x'",
        "!1",
        "-'a'",
        "1 ? 2 : 3",
        "lower(1)",
        "len(1)",
        '"abc".x',
        "1.5 % 2",
        "[1, 2]['a']",
    ],
)
def test_type_errors_at_compile_time(source: str) -> None:
    with pytest.raises(ExprError):
        run(source)


def test_unknown_names_do_not_compile() -> None:
    with pytest.raises(InvalidExpression, match="unknown name body"):
        run("body.x")
    with pytest.raises(InvalidExpression, match="unknown name sha256"):  # not a builtin: a call of a variable
        run("sha256(payload.ref)")
    with pytest.raises(InvalidExpression, match=r"map\[string\]interface \{\} is not callable"):
        run("payload()")


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("filter(payload.list, # > 1)", "the predicate builtin filter()"),
        ("map(payload.list, .a)", "the predicate builtin map()"),
        ('{"a": 1}', "a map literal"),
        ("payload.list[0:1]", "a slice"),
        ("payload.list[:1]", "a slice"),
        ("let x = 1; x", "variable declaration (let x)"),
        ("payload.ref.trim()", "the method call .trim()"),
        ("1..3", "the range operator .."),
        ("2 ** 3", "the power operator **"),
        ('split(payload.ref, "/")', "the builtin split()"),
        ("(1..3)[0] + 1", "the range operator .."),
        ("-(2 ** 0.5)", "the power operator **"),
        ("$env.payload", "$env"),
    ],
)
def test_valid_syntax_outside_the_subset_compiles_but_is_not_simulated(source: str, what: str) -> None:
    assert expression_compile_error(source) is None  # Argo compiles it: the config accepts it
    with pytest.raises(UnsupportedExpression, match=re.escape(what)):
        run(source)
    with pytest.raises(UnsupportedExpression, match="outside the subset this simulator evaluates"):
        check(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('trim("x", nil)', "cannot use nil as argument (type string) to call trim"),
        ("upper(nil)", "cannot use nil as argument (type string) to call upper"),
        ("upper(1)", "cannot use int as argument (type string) to call upper"),
        ("upper()", "not enough arguments to call upper"),
        # checkFunction tries every overload of builtin.go's Types and reports the last one's error.
        ("trim(1)", "not enough arguments to call trim"),  # trim(s) failed, then trim(s, cutset)
        ('join(["a"], nil)', "too many arguments to call join"),  # the last overload is join([]string)
        ("join(1)", "cannot use int as argument (type []string) to call join"),
        ("len(nil)", "invalid argument for len (type <nil>)"),
        ("int(1, 2)", "invalid number of arguments (expected 1, got 2)"),
        ("first(1)", "cannot get first element from int"),
    ],
)
def test_builtin_arguments_are_checked_like_go(source: str, message: str) -> None:
    with pytest.raises(InvalidExpression, match=f"^{re.escape(message)}$"):
        run(source)
    assert run('join(["a", "b"])') == "ab"  # join([]interface{}) is one of the overloads
