"""The lexer and parser: precedence, Go's literals and syntax, the tree expr builds, the compile errors of syntax."""

from __future__ import annotations

import re
from typing import Any

import pytest

from delivery.expr import (
    Binary,
    Chain,
    Ident,
    InvalidExpression,
    Member,
    Str,
    Unimplemented,
    check,
    expression_compile_error,
    parse,
)
from tests.delivery.expr.common import run


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("true || false && false", True),
        ("(true || false) && false", False),
        ("false && true || true", True),
        ("true or false and false", True),
        ("false ? 1 : 2 + 3", 5),
        ("true ? 1 : 2 + 3", 1),
        ("1 == 1 ? 'a' : 'b'", "a"),
        ("false ? 1 : true ? 2 : 3", 2),
        # ?? binds tighter than everything: the right operand of `*` is `payload?.missing ?? 3`.
        ("2 * payload?.missing ?? 3", 6),
        ('"x" == payload?.missing ?? "x"', True),
        ('(payload?.missing ?? "") == ""', True),
        ("payload?.missing ?? nil ?? 5", 5),
        # `not` (50) binds tighter than `in` (20): (not flag) in [true, false], whatever the flag.
        ("not payload.flag in [true, false]", True),
        ("!(payload.flag in [true, false])", False),
        ("-2 + 5", 3),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("3 >= 3 > 2", True),
        ("1 < 2 == true", True),
        ('"c" not in ["a", "b"]', True),
        ('"main" not matches "^dev"', True),
        ("payload.flag ?: false", True),
    ],
)
def test_precedence_and_associativity(source: str, expected: Any) -> None:
    assert run(source) == expected
    assert type(run(source)) is type(expected)


def test_coalesce_cannot_be_mixed_with_another_operator_to_its_right() -> None:
    # expr v1.17 refuses to compile `a ?? b == c` (it is not `(a ?? b) == c`); the parentheses are required.
    with pytest.raises(InvalidExpression, match=r"coalesce expressions \(\?\?\) cannot be mixed"):
        run('payload?.missing ?? "" == ""')
    with pytest.raises(InvalidExpression, match="cannot be mixed"):
        run("payload?.missing ?? false || true")
    assert expression_compile_error('payload?.after ?? "" == ""') == (
        "Operator (==) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses. "
        'at 1:22 in \'payload?.after ?? "" == ""\''
    )
    assert run('(payload?.missing ?? "") == ""') is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 +", "unexpected end of expression"),
        ("(1", "unexpected end of expression"),
        ("1 2", "unexpected token '2'"),
        ('"a\\\'b"', "invalid char escape"),  # only the literal's own quote can be escaped
        ('"abc', "literal not terminated"),
        ('"\\u{110000}"', "unable to unescape string"),
        ('"\\u{}"', "invalid char escape"),
        ("/* open", "unclosed comment"),
        ("# > 1", "unexpected token '#'"),  # a pointer outside a predicate
        ("filter(payload.list)", "expected at least 2 arguments"),
        ("filter(payload.list, # > 1; true)", "wrap predicate with brackets"),
        ("let x = 1 x", "unexpected token 'x'"),
        ("if true { 1 }", "unexpected end of expression"),  # `else` is required
        ("9223372036854775808", "invalid integer literal"),
        ("0x8000000000000000", "invalid hex literal"),
        ("1e999", "invalid float literal"),
        ("0xg", "bad number syntax"),
        ("payload.x ?? 1 + 2", "cannot be mixed"),
        # Filter/map/let bodies are type-checked like everything else: what Go refuses is refused here too.
        ("filter(payload.list, # > nope)", "unknown name nope"),
        ("let x = 1; x + y", "unknown name y"),
        ("namespace.trim()", "type string has no method trim"),
        ("$env.nope", "unknown name nope"),
        ("namespace()", "string is not callable"),
        ("1 % 0", "integer divide by zero"),  # folded at compile time
        ("len(upper)", "invalid argument for len"),
        ("upper.x", "has no field x"),
        # Bytes literals are expr v1.17.8 syntax (parsed, see below); Argo v4.0.6 runs expr v1.17.7.
        ('b"abc"', "Argo v4.0.6 embeds expr v1.17.7"),
        ('b"\\u0041"', "unable to unescape string"),  # no \u escapes in bytes, even in v1.17.8
    ],
)
def test_invalid_expressions_are_compile_errors(source: str, message: str) -> None:
    with pytest.raises(InvalidExpression, match=re.escape(message)):
        check(source)
    compile_error = expression_compile_error(source)
    assert compile_error is not None and message in compile_error


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Valid Go syntax the parser used to refuse.
        ('"\\u{1F600}"', "\U0001f600"),
        ('"\\u{41}\\u{e9}"', "A\u00e9"),
        ("1;", 1),
        ("1; 2", 2),
        ('payload.ref; "x";', "x"),
        ("if payload.flag { 1 } else { 2 }", 1),
        ("if !payload.flag { 1 } else if payload.count > 40 { 3 } else { 2 }", 3),
        ("if true { 1; 2 } else { 3 }", 2),
        # Syntax that is now evaluated: pipes are calls, comments, raw strings, hex/octal/binary literals.
        ("payload.ref | lower()", "refs/heads/main"),
        ('payload.ref | trim("/refs")', "heads/main"),
        ("payload.ref // a comment", "refs/heads/main"),
        ("/* a\ncomment */ payload.count", 42.0),
        ("`raw \\n ``quoted```", "raw \\n `quoted`"),
        ("0x1F + 0o17 + 0b11 + 1_000", 1049),
        # A builtin's name alone type-checks as a function (env first, then builtins): no unknown name. Run, it is
        # loaded from the environment map like any name (OpLoadFast), where it is missing: nil.
        ("upper ?? false", False),
        ("string(upper)", "<nil>"),
        ("trim == nil ? 'nil' : 'func'", "nil"),
    ],
)
def test_valid_go_syntax(source: str, expected: Any) -> None:
    assert run(source) == expected
    assert type(run(source)) is type(expected)


def test_bytes_literals_parse_like_expr_v1_17_8() -> None:
    assert parse('b"a\\xff\\101"') == Unimplemented("a bytes literal", (), "bytes")
    assert parse("b") == Ident("b")


def test_parse_builds_the_tree_expr_builds() -> None:
    assert parse("a and b") == parse("a && b") == Binary("&&", Ident("a"), Ident("b"))
    assert parse("a?.b.c") == Chain(Member(Member(Ident("a"), Str("b"), True), Str("c"), False))
    assert parse("'it\\'s'") == Str("it's")
    assert parse('"\\u00e9\\x41\\101\\U0001F600"') == Str("\u00e9AA\U0001f600")
    assert parse("x") is parse("x")  # cached
