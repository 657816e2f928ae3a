"""Go's regular expressions (through RE2) and the string operators: values and refusals in Go's words."""

from __future__ import annotations

import pytest

from delivery.expr import (
    ExprError,
    InvalidExpression,
    evaluate,
    expression_compile_error,
    quote,
)
from tests.delivery.expr.common import run


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"main" matches "^main$"', True),
        ('"main\\n" matches "^main$"', False),  # Go's $ is the very end of the text
        ('"a\\nmain" matches "(?m)^main$"', True),
        ('"release/1" matches "^release/[^/]*$"', True),
        ('"refs/heads/main" matches "main"', True),  # unanchored, like regexp.MatchString
        ('"MAIN" matches "(?i)^main$"', True),
        ('"\u0663" matches "^\\\\d$"', False),  # \d is ASCII in Go
        ('"ab" matches "a{,1}b"', False),  # `{,1}` is literal text in Go
        ('"a{,1}b" matches "a{,1}b"', True),
        ('payload.missing matches "x"', False),  # nil matches nothing (expr v1.17 VM)
        ('"x" contains ""', True),
        ('"refs/heads/main" startsWith "refs/"', True),
        ('"refs/heads/main" endsWith "/dev"', False),
    ],
)
def test_string_operators(source: str, expected: bool) -> None:
    assert run(source) is expected


def test_regexp_failures() -> None:
    # A constant pattern is compiled by expr.Compile: refused at compile time, in Go's words.
    with pytest.raises(InvalidExpression, match=r"^error parsing regexp: missing closing \): `\(`$"):
        run('"a" matches "("')
    with pytest.raises(InvalidExpression, match=r"invalid escape sequence: `\\1`"):
        run('"aa" matches "(a)\\\\1"')  # Go has no backreferences
    with pytest.raises(InvalidExpression, match="invalid nested repetition operator"):
        run('"a" matches "a**"')
    with pytest.raises(InvalidExpression, match="invalid repeat count"):
        run('"a" matches "(?:a{100}){11}"')
    with pytest.raises(InvalidExpression, match="invalid or unsupported Perl syntax"):
        run('"a" matches "(?x)a"')  # neither has the extended flag
    # RE2 takes \C (any byte); Go refuses it: the one syntax shim. Inside \Q...\E it is literal text for both.
    with pytest.raises(InvalidExpression, match=r"invalid escape sequence: `\\C`"):
        run('"a" matches "a\\\\C"')
    assert run('"a\\\\C" matches "\\\\Qa\\\\C\\\\E"') is True
    # The compiler compiles a pattern that folding made constant, too: a compile error as well.
    with pytest.raises(InvalidExpression, match="missing closing"):
        run('"a" matches ("(" + "")')
    # A pattern computed at run time fails at run time (HTTP 500), which is no compile error.
    with pytest.raises(ExprError, match="missing closing") as raised:
        run('payload.ref matches payload.ref + "("')
    assert not isinstance(raised.value, InvalidExpression)
    assert expression_compile_error('payload.ref matches payload.ref + "("') is None


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        # Patterns the hand-written translator refused (valid Go): Unicode classes, POSIX classes, Perl classes
        # inside brackets, duplicate group names (Go allows them), `(?<name>...)`, large Unicode repeats.
        ("\u03b1\u03b2\u03b3", "^\\p{Greek}+$", True),
        ("abc", "\\p{Greek}", False),
        ("\u00e9", "^\\pL$", True),
        ("1", "\\PL", True),
        ("\u00c9", "[\\p{Lu}]", True),
        ("x", "[[:alpha:]]", True),
        ("\u00e9", "[[:alpha:]]", False),  # POSIX classes are ASCII
        ("x1", "^[[:^digit:]][[:digit:]]$", True),
        ("a", "[\\D]", True),
        ("1", "[^\\S]", False),
        ("ab", "(?P<n>a)(?P<n>b)", True),
        ("x", "(?<name>x)", True),
        ("\u00e9" * 700, "^\\pL{700}$", True),  # beyond RE2's default memory budget, not beyond Go's
        # Go's semantics, kept: `$` only at the very end, ASCII \d \w \s \b, `{,n}` literal, flags mid-pattern.
        ("main\n", "^main$", False),
        ("\u0663", "\\d", False),
        ("\u00e9", "\\w", False),
        ("\u00a0", "\\s", False),
        ("\u00e9", "\\b", False),
        ("ab", "a{,1}b", False),
        ("xMAIN", "x(?i)main", True),
        ("XMAIN", "x(?i)main", False),
        ("a\nb", "a.b", False),
        ("a\nb", "(?s)a.b", True),
        ("\u212a", "(?i)k", True),  # the Kelvin sign folds to k, as in Go's simple folding
    ],
)
def test_go_regexp_syntax_and_semantics(text: str, pattern: str, expected: bool) -> None:
    assert evaluate(f"{quote(text)} matches {quote(pattern)}", {}) is expected
