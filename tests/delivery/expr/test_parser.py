"""The expr-lang v1.17 interpreter: the values and the failures Argo Server would get for the same strings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from delivery.expr import (
    Binary,
    Chain,
    ExprError,
    Ident,
    InvalidExpression,
    Member,
    Str,
    Unimplemented,
    UnsupportedExpression,
    argo_parameter_value,
    check,
    evaluate,
    expression_compile_error,
    parse,
    quote,
)
from delivery.expr import parser as expr

ENV: dict[str, Any] = {
    "payload": {
        "action": "opened",
        "ref": "refs/heads/main",
        "flag": True,
        "count": 42,
        "ratio": 1.5,
        "text": "1",
        "nothing": None,
        "list": [1, 2],
        "obj": {"b": ["x", "y"], "a": 1},
        "same": {"a": 1, "b": ["x", "y"]},
        "repository": {"name": "Hello", "full_name": "octo/Hello"},
    },
    "metadata": {"x-github-event": ["push"], "x-github-delivery": ["d-1"]},
    "discriminator": "ci",
    "namespace": "argo",
}


def run(source: str, env: dict[str, Any] | None = None) -> Any:
    return evaluate(source, ENV if env is None else env)


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
