"""An exact, offline interpreter for the subset of expr-lang/expr v1.17 that this program writes into Kubernetes.

Argo Server evaluates WorkflowEventBinding selectors and `valueFrom.event` parameters with expr v1.17:
`expr.Compile(source, expr.Env(env))`, then `expr.Run`. Evaluating the very same strings here lets the simulator and
the tests see what Argo will see, including its failures. So this module follows expr's own pipeline (v1.17.8):

* the lexer and parser, for ALL of expr's syntax (precedence table, `??` not mixable with other operators, chained
  `<`, `;` sequences, `if {} else {}`, `"\\u{1F600}"`, comments, raw and bytes literals, at most 10,000 nodes), so that
  an invalid expression (InvalidExpression: Argo fails every delivery) is told apart from valid syntax this module does
  not evaluate (UnsupportedExpression: predicates, map literals, slices, `let`, most builtins: "not simulated");
* the type checker, because with `expr.Env` some mistakes fail at compile time even on branches never taken;
* the optimizer's rewrites that change results: `x in ["a", "b"]` becomes a map lookup, and constant folding
  (`x || true` is true without evaluating x, `x && true` is x unchecked, `1 % 0` does not compile);
* the VM's runtime helpers (equality, fetch, arithmetic) and the builtins used here, with Go's formatting;
* Go's regexp through RE2 (google-re2), which Go's regexp package was ported from.

Values are what Argo's JSON round trip leaves: None, bool, str, list, dict, float (float64; every JSON number),
int (Go int: only from integer literals and what is computed from them) and _Byte (a uint8, from indexing a string).
"""

from __future__ import annotations

import functools
import math
import operator
import re
import string
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import re2


class ExprError(Exception):
    """Argo's compile or run of the expression fails, as expr-lang's would (Argo answers the delivery with HTTP 500)."""


class InvalidExpression(ExprError):
    """expr.Compile refuses the expression (syntax, types, a constant regexp): it fails on every single delivery."""


class UnsupportedExpression(ValueError):
    """Valid expr syntax outside the subset this module implements: it cannot be simulated (Argo evaluates it)."""


# --- Syntax tree ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nil:
    """The `nil` literal."""


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Int:
    """An integer literal: a Go int, unlike the float64 numbers of the payload."""

    value: int


@dataclass(frozen=True)
class Float:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Ident:
    name: str


@dataclass(frozen=True)
class Member:
    """`obj.name` or `obj[prop]`; `optional` (`?.`) turns a nil `obj` into nil for the whole enclosing Chain."""

    obj: Node
    prop: Node
    optional: bool


@dataclass(frozen=True)
class Chain:
    """Where an optional member access on nil jumps to (expr's ChainNode): the chain's value is then nil."""

    node: Node


@dataclass(frozen=True)
class Unary:
    op: str  # "!" (also written `not`), "-" or "+"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # `and`/`or` are stored as "&&"/"||"
    left: Node
    right: Node


@dataclass(frozen=True)
class Conditional:
    """`c ? a : b`, `c ?: b` and `if c { a } else { b }` (one node in expr too)."""

    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call:
    """A builtin call (also `x | f(y)`, which expr parses as `f(x, y)`), or a call of a name that is no builtin."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Sequence:
    """`a; b`: every expression is evaluated, the last one is the value."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class InStrings:
    """What expr's optimizer makes of `x in ["a", "b"]` (string literals only): a map[string]struct{} lookup."""

    needle: Node
    keys: frozenset[str]


@dataclass(frozen=True)
class Unimplemented:
    """Valid expr syntax this module does not evaluate (map literals, predicates, slices, ...): type-checked as far as
    expr's checker would refuse it for sure, then reported as outside the subset."""

    what: str
    children: tuple[Node, ...] = ()
    nature: str = "any"  # the static type expr gives it; "" for that of its only child


Node = (
    Nil
    | Bool
    | Int
    | Float
    | Str
    | Array
    | Ident
    | Member
    | Chain
    | Unary
    | Binary
    | Conditional
    | Call
    | Sequence
    | InStrings
    | Unimplemented
)


# --- Lexer (parser/lexer) ------------------------------------------------------------------------------------------

# unicode.IsSpace, which both the lexer and strings.TrimSpace use (Python's str.isspace also takes \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
# fmt: off
_WORD_OPERATORS = frozenset(
    {"not", "in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"}
)
# fmt: on
_STRING_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_NUMERIC_ESCAPES = {"x": (16, 2), "u": (16, 4), "U": (16, 8)}
# Operators that may take a second character, and which ones (`<*` is a token too: the parser then refuses it).
_TWO_CHAR_OPERATORS = {"?": ".?", "|": "|", ":": ":", ".": ".", **dict.fromkeys("&!=*<>", "&=*")}
# conf.DefaultMaxNodes: expr.Compile refuses a tree of more nodes than this (counted as the parser creates them).
_MAX_NODES = 10_000


@dataclass(frozen=True)
class _Token:
    kind: str  # "operator", "bracket", "identifier", "number", "string", "bytes" or "eof"
    value: str
    pos: int


def _is_alphabetic(char: str) -> bool:
    return char in "_$" or char.isalpha()


def _is_alphanumeric(char: str) -> bool:
    return _is_alphabetic(char) or char.isdecimal()


def _is_identifier(text: str) -> bool:
    return bool(text) and _is_alphabetic(text[0]) and all(map(_is_alphanumeric, text[1:]))


def _syntax_error(source: str, pos: int, message: str) -> NoReturn:
    line = source.count("\n", 0, pos) + 1
    column = pos - source.rfind("\n", 0, pos)
    raise InvalidExpression(f"{message} at {line}:{column} in {_excerpt(source)}")


def _excerpt(source: str) -> str:
    """The expression for a message: deeply nested ones can be megabytes long."""
    return repr(source) if len(source) <= 200 else repr(source[:200]) + f"... ({len(source)} characters)"


def _lex(source: str) -> list[_Token]:
    """Tokens exactly as expr's lexer cuts them (comments are skipped, as there)."""
    tokens = []
    pos = 0
    while pos < len(source):
        char, start = source[pos], pos
        following = source[pos + 1 : pos + 2]
        if char in _GO_SPACE:
            pos += 1
            continue
        if char in "\"'" or (char in "bB" and following and following in "\"'"):
            is_bytes = char in "bB"
            text, pos = _scan_string(source, pos + is_bytes, is_bytes)
            tokens.append(_Token("bytes" if is_bytes else "string", text, start))
            continue
        if char == "`":
            text, pos = _scan_raw_string(source, pos)
            tokens.append(_Token("string", text, start))
            continue
        if "0" <= char <= "9" or (char == "." and "0" <= following <= "9"):
            pos = _scan_number(source, pos + 1 if char == "." else pos)
            tokens.append(_Token("number", source[start:pos], start))
            continue
        if char == "#":  # a predicate's pointer, with its name (`#acc`, `#index`) as an identifier token
            tokens.append(_Token("operator", "#", start))
            pos += 1
            while pos < len(source) and _is_alphanumeric(source[pos]):
                pos += 1
            if pos > start + 1:
                tokens.append(_Token("identifier", source[start + 1 : pos], start + 1))
            continue
        if _is_alphanumeric(char):
            while pos < len(source) and _is_alphanumeric(source[pos]):
                pos += 1
            word = source[start:pos]
            tokens.append(_Token("operator" if word in _WORD_OPERATORS else "identifier", word, start))
            continue
        if char in "([{)]}":
            tokens.append(_Token("bracket", char, start))
            pos += 1
            continue
        if char == "/" and following == "/":
            end = source.find("\n", pos)
            pos = len(source) if end < 0 else end + 1
            continue
        if char == "/" and following == "*":
            end = source.find("*/", pos + 2)
            if end < 0:
                _syntax_error(source, len(source), "unclosed comment")
            pos = end + 2
            continue
        if char in _TWO_CHAR_OPERATORS:
            pos += 2 if following and following in _TWO_CHAR_OPERATORS[char] else 1
        elif char in ",;%+-^/":
            pos += 1
        else:
            _syntax_error(source, start, f"unrecognized character: U+{ord(char):04X} {char!r}")
        tokens.append(_Token("operator", source[start:pos], start))
    tokens.append(_Token("eof", "", len(source)))
    return tokens


def _scan_string(source: str, start: int, is_bytes: bool = False) -> tuple[str, int]:
    """A quoted literal's value: Go-style escapes, only the literal's own quote escapable, CR read as LF.

    A bytes literal (b"...") keeps \\x and octal escapes as byte values (chr(0..255) here) and has no \\u escapes.
    """
    quote_char = source[start]
    pos = start + 1
    out = []
    while True:
        if pos >= len(source) or source[pos] == "\n":
            _syntax_error(source, start, "literal not terminated")
        char = source[pos]
        if char == quote_char:
            return "".join(out), pos + 1
        if char != "\\":
            out.append("\n" if char == "\r" else char)
            pos += 1
            continue
        escape = source[pos + 1 : pos + 2]
        if escape in _STRING_ESCAPES or escape == quote_char:
            out.append(_STRING_ESCAPES.get(escape, escape))
            pos += 2
            continue
        if escape == "u" and source.startswith("{", pos + 2):  # \u{1F600}: one to six hex digits
            end = source.find("}", pos + 3)
            digits = source[pos + 3 : end] if end >= 0 else ""
            if not 1 <= len(digits) <= 6 or any(digit not in string.hexdigits for digit in digits):
                _syntax_error(source, pos, "invalid char escape")
            code, pos = int(digits, 16), end + 1
            if code > 0x10FFFF or is_bytes:
                _syntax_error(source, pos, "unable to unescape string")
            out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))
            continue
        if escape and escape in "01234567":
            base, width, digits_at = 8, 3, pos + 1
        elif escape and escape in _NUMERIC_ESCAPES:
            (base, width), digits_at = _NUMERIC_ESCAPES[escape], pos + 2
        else:
            _syntax_error(source, pos, "invalid char escape")
        digits = source[digits_at : digits_at + width]
        allowed = string.octdigits if base == 8 else string.hexdigits
        if len(digits) != width or any(digit not in allowed for digit in digits):
            _syntax_error(source, pos, "invalid char escape")
        code = int(digits, base)
        if (base == 8 and escape > "3") or code > 0x10FFFF or (is_bytes and escape in "uU"):
            _syntax_error(source, pos, "unable to unescape string")
        out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))  # utf8.EncodeRune writes U+FFFD for these
        pos = digits_at + width


def _scan_raw_string(source: str, start: int) -> tuple[str, int]:
    """A `raw` literal: no escapes at all, a doubled backtick stands for one."""
    out = []
    pos = start + 1
    while True:
        end = source.find("`", pos)
        if end < 0:
            _syntax_error(source, len(source), "literal not terminated")
        out.append(source[pos:end])
        if not source.startswith("``", end):
            return "".join(out), end + 1
        out.append("`")
        pos = end + 2


def _scan_number(source: str, pos: int) -> int:
    """The end of a number token (scanNumber): `1..2` leaves the range operator alone."""
    digits = "0123456789_"
    if source.startswith("0", pos):
        pos += 1
        prefix = source[pos : pos + 1].lower()
        if prefix and prefix in "xob":
            digits = {"x": string.hexdigits, "o": "01234567", "b": "01"}[prefix] + "_"
            pos += 1
    while pos < len(source) and source[pos] in digits:
        pos += 1
    if source.startswith(".", pos):
        if source.startswith("..", pos):
            return pos
        pos += 1
        while pos < len(source) and source[pos] in digits:
            pos += 1
    if source[pos : pos + 1] in ("e", "E"):
        pos += 1
        if source[pos : pos + 1] in ("+", "-"):
            pos += 1
        while pos < len(source) and source[pos] in digits:
            pos += 1
    if pos < len(source) and _is_alphanumeric(source[pos]):
        _syntax_error(source, pos, "bad number syntax")
    return pos


# --- Parser (parser/parser.go, parser/operator) --------------------------------------------------------------------

# Binary precedence; `**` and `^` are right-associative, every other operator left-associative.
# fmt: off
_BINARY_PRECEDENCE = {
    "|": 0, "or": 10, "||": 10, "and": 15, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
}
# fmt: on
_RIGHT_ASSOCIATIVE = frozenset({"**", "^"})
_UNIMPLEMENTED_BINARY = {"..": "the range operator ..", "**": "the power operator **", "^": "the power operator ^"}
_UNARY_PRECEDENCE = {"not": 50, "!": 50, "-": 90, "+": 90}
_NEGATABLE = frozenset({"contains", "matches", "startsWith", "endsWith", "in"})
_ORDERING = frozenset({"<", ">", "<=", ">="})  # the only operators expr v1.17 chains: `a < b < c`
_CANONICAL = {"and": "&&", "or": "||", "not": "!"}
_LITERALS: dict[str, Node] = {"true": Bool(True), "false": Bool(False), "nil": Nil()}
# The builtins implemented here, with their numbers of arguments.
_ARITY = {
    "len": (1, 1),
    "string": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "trim": (1, 2),
    "join": (1, 2),
    "first": (1, 1),
    "int": (1, 1),
}
# Predicate builtins and their arguments: "e" an expression, "p" a predicate (closure), "?" marks an optional one.
# fmt: off
_PREDICATES = {
    "all": "ep", "none": "ep", "any": "ep", "one": "ep", "filter": "ep", "map": "ep", "count": "ep?", "sum": "ep?",
    "find": "ep", "findIndex": "ep", "findLast": "ep", "findLastIndex": "ep", "groupBy": "ep", "sortBy": "epe?",
    "reduce": "epe?",
}
# Every builtin of expr v1.17.8 (builtin/builtin.go): a call of any other name is a call of an (unknown) variable.
_BUILTIN_NAMES = frozenset(_PREDICATES) | frozenset({
    "len", "type", "abs", "ceil", "floor", "round", "int", "float", "string", "trim", "trimPrefix", "trimSuffix",
    "upper", "lower", "split", "splitAfter", "replace", "repeat", "join", "indexOf", "lastIndexOf", "hasPrefix",
    "hasSuffix", "max", "min", "mean", "median", "toJSON", "fromJSON", "toBase64", "fromBase64", "now", "duration",
    "date", "timezone", "first", "last", "get", "take", "keys", "values", "toPairs", "fromPairs", "reverse", "uniq",
    "concat", "flatten", "sort", "bitand", "bitor", "bitxor", "bitnand", "bitnot", "bitshl", "bitshr", "bitushr",
})
# fmt: on


class _Parser:
    """A port of expr's recursive-descent parser; it stops at the first error, which is the one expr reports.

    It accepts all of expr's syntax: what this module does not evaluate becomes an Unimplemented node, so that an
    invalid expression is told apart from a valid one outside the subset.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _lex(source)
        self.index = 0
        self.current = self.tokens[0]
        self.nodes = 0
        self.predicate_depth = 0

    def fail(self, message: str, token: _Token | None = None) -> NoReturn:
        _syntax_error(self.source, (token or self.current).pos, message)

    def unexpected(self) -> NoReturn:
        token = self.current
        self.fail("unexpected end of expression" if token.kind == "eof" else f"unexpected token {token.value!r}")

    def node(self, node: Node) -> Node:
        """Every node expr's parser creates counts towards conf.DefaultMaxNodes."""
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            self.fail("compilation failed: expression exceeds maximum allowed nodes")
        return node

    def is_(self, kind: str, value: str | None = None) -> bool:
        return self.current.kind == kind and value in (None, self.current.value)

    def next(self) -> None:
        self.index += 1
        if self.index >= len(self.tokens):
            self.fail("unexpected end of expression", self.tokens[-1])
        self.current = self.tokens[self.index]

    def expect(self, kind: str, value: str | None = None) -> None:
        if not self.is_(kind, value):
            self.unexpected()
        self.next()

    def parse(self) -> Node:
        node = self.sequence_expression()
        if not self.is_("eof"):
            self.unexpected()
        return node

    def sequence_expression(self) -> Node:
        """`a; b; c` (a trailing `;` is allowed)."""
        nodes = [self.expression(0)]
        while self.is_("operator", ";"):
            self.next()
            if self.is_("eof"):
                break
            nodes.append(self.expression(0))
        return nodes[0] if len(nodes) == 1 else self.node(Sequence(tuple(nodes)))

    def expression(self, precedence: int) -> Node:
        if precedence == 0 and self.is_("operator", "let"):
            return self.variable_declaration()
        if precedence == 0 and self.is_("operator", "if"):
            return self.conditional_if()
        left = self.primary()
        previous = ""
        token = self.current
        while token.kind == "operator":
            negate = token.value == "not"
            if negate:  # `not in`, `not matches`, ...
                saved = self.index
                self.next()
                if self.current.value not in _NEGATABLE:
                    self.unexpected()
                if _BINARY_PRECEDENCE[self.current.value] < precedence:
                    self.index, self.current = saved, token
                    break
                token = self.current
            op_precedence = _BINARY_PRECEDENCE.get(token.value)
            if op_precedence is None or op_precedence < precedence:
                break
            self.next()
            if token.value == "|":  # `x | f(y)` is `f(x, y)`
                name = self.current
                self.expect("identifier")
                left = self.call(name, [left])
            elif previous == "??" and token.value != "??":
                self.fail(
                    f"Operator ({token.value}) and coalesce expressions (??) cannot be mixed. Wrap either by "
                    "parentheses.",
                    token,
                )
            elif token.value in _ORDERING:
                left = self.comparison(left, token.value, op_precedence)
            else:
                associativity = 0 if token.value in _RIGHT_ASSOCIATIVE else 1
                right = self.expression(op_precedence + associativity)
                left = self.node(self.binary(token.value, left, right))
                if negate:
                    left = self.node(Unary("!", left))
            previous = token.value
            token = self.current
        return self.conditional(left) if precedence == 0 else left

    @staticmethod
    def binary(op: str, left: Node, right: Node) -> Node:
        if op in _UNIMPLEMENTED_BINARY:
            return Unimplemented(_UNIMPLEMENTED_BINARY[op], (Binary(op, left, right),), "")
        return Binary(_CANONICAL.get(op, op), left, right)

    def variable_declaration(self) -> Node:
        self.expect("operator", "let")
        name = self.current
        self.expect("identifier")
        self.expect("operator", "=")
        value = self.expression(0)
        self.expect("operator", ";")
        body = self.sequence_expression()
        return self.node(Unimplemented(f"variable declaration (let {name.value})", (Str(name.value), value, body)))

    def conditional_if(self) -> Node:
        """`if c { a } else { b }`, `else if` chains (expr creates these nodes without counting them)."""
        self.next()
        cond = self.expression(0)
        self.expect("bracket", "{")
        then = self.sequence_expression()
        self.expect("bracket", "}")
        self.expect("operator", "else")
        if self.is_("operator", "if"):
            return Conditional(cond, then, self.conditional_if())
        self.expect("bracket", "{")
        otherwise = self.sequence_expression()
        self.expect("bracket", "}")
        return Conditional(cond, then, otherwise)

    def comparison(self, left: Node, op: str, precedence: int) -> Node:
        """`a < b <= c` is `a < b && b <= c` (b is evaluated twice, as in expr)."""
        root: Node | None = None
        while True:
            right = self.expression(precedence + 1)
            test = self.node(Binary(op, left, right))
            root = test if root is None else self.node(Binary("&&", root, test))
            left, op = right, self.current.value
            if not (self.current.kind == "operator" and op in _ORDERING):
                return root
            self.next()

    def conditional(self, node: Node) -> Node:
        while self.is_("operator", "?"):
            self.next()
            if self.is_("operator", ":"):  # `a ?: b`
                self.next()
                node = self.node(Conditional(node, node, self.expression(0)))
            else:
                then = self.expression(0)
                self.expect("operator", ":")
                node = self.node(Conditional(node, then, self.expression(0)))
        return node

    def primary(self) -> Node:
        token = self.current
        if token.kind == "operator" and token.value in _UNARY_PRECEDENCE:
            self.next()
            operand = self.expression(_UNARY_PRECEDENCE[token.value])
            return self.postfix(self.node(Unary(_CANONICAL.get(token.value, token.value), operand)))
        if self.is_("bracket", "("):
            self.next()
            node = self.sequence_expression()
            self.expect("bracket", ")")
            return self.postfix(node)
        if self.predicate_depth and token.kind == "operator" and token.value in ("#", "."):
            name = ""
            if token.value == "#":  # `.name` leaves the dot for postfix(): a member of the pointer
                self.next()
                if self.is_("identifier"):
                    name = self.current.value
                    self.next()
            return self.postfix(self.node(Unimplemented(f"the predicate pointer #{name}")))
        if self.is_("operator", "::"):
            self.next()
            name = self.current
            self.expect("identifier")
            return self.postfix(self.call(name, []))
        return self.secondary()

    def secondary(self) -> Node:
        token = self.current
        node: Node
        if token.kind == "identifier":
            self.next()
            if token.value in _LITERALS:
                return self.node(_LITERALS[token.value])
            node = self.call(token, []) if self.is_("bracket", "(") else self.node(Ident(token.value))
        elif token.kind == "number":
            self.next()
            return self.number(token)
        elif token.kind == "string":
            self.next()
            node = self.node(Str(token.value))
        elif token.kind == "bytes":
            self.next()
            node = self.node(Unimplemented("a bytes literal", (), "bytes"))
        elif self.is_("bracket", "["):
            node = self.array()
        elif self.is_("bracket", "{"):
            node = self.map_literal()
        else:
            self.unexpected()
        return self.postfix(node)

    def number(self, token: _Token) -> Node:
        text = token.value.replace("_", "")
        prefix = text[:2].lower()
        if prefix in ("0x", "0o", "0b"):
            kind = {"0x": "hex", "0o": "octal", "0b": "binary"}[prefix]
            try:
                value = int(text, 0)
            except ValueError:
                self.fail(f"invalid {kind} literal: strconv.ParseInt: parsing {text!r}: invalid syntax", token)
            if value > 2**63 - 1:
                self.fail(f"invalid {kind} literal: strconv.ParseInt: parsing {text!r}: value out of range", token)
            return self.node(Int(value))
        if "." in text or "e" in text.lower():
            try:
                number = float(text)
            except ValueError:
                self.fail(f"invalid float literal: strconv.ParseFloat: parsing {text!r}: invalid syntax", token)
            if math.isinf(number):
                self.fail(f"invalid float literal: strconv.ParseFloat: parsing {text!r}: value out of range", token)
            return self.node(Float(number))
        if int(text) > 2**63 - 1:
            self.fail(f"invalid integer literal: strconv.ParseInt: parsing {text!r}: value out of range", token)
        return self.node(Int(int(text)))

    def call(self, token: _Token, arguments: list[Node]) -> Node:
        """A builtin, a predicate builtin, or a call of a variable (expr's CallNode: callee and call, two nodes)."""
        name = token.value
        if name in _PREDICATES:
            return self.predicate_call(token, arguments)
        if name not in _BUILTIN_NAMES:
            self.node(Ident(name))
        arguments = arguments + list(self.sequence("(", ")"))
        if name in _ARITY:
            return self.node(Call(name, tuple(arguments)))
        if name in _BUILTIN_NAMES:
            return self.node(Unimplemented(f"the builtin {name}()", tuple(arguments)))
        return self.node(Call(name, tuple(arguments)))

    def predicate_call(self, token: _Token, arguments: list[Node]) -> Node:
        self.expect("bracket", "(")
        kinds = [kind for kind in re.findall(r"[ep]\??", _PREDICATES[token.value])][len(arguments) :]
        for position, kind in enumerate(kinds):
            if self.is_("bracket", ")"):
                if kind.endswith("?"):
                    break
                self.fail(f"expected at least {len(kinds)} arguments")
            if position > 0:
                self.expect("operator", ",")
            arguments.append(self.predicate() if kind.startswith("p") else self.expression(0))
        if self.is_("operator", ","):
            self.next()
        self.expect("bracket", ")")
        return self.node(Unimplemented(f"the predicate builtin {token.value}()", tuple(arguments)))

    def predicate(self) -> Node:
        braces = self.is_("bracket", "{")
        if braces:
            self.next()
        self.predicate_depth += 1
        node = self.sequence_expression() if braces else self.expression(0)
        if not braces and self.is_("operator", ";"):
            self.fail("wrap predicate with brackets { and }")
        self.predicate_depth -= 1
        if braces:
            self.expect("bracket", "}")
        return self.node(Unimplemented("a predicate", (node,)))

    def array(self) -> Node:
        return self.node(Array(self.sequence("[", "]")))

    def map_literal(self) -> Node:
        self.expect("bracket", "{")
        children: list[Node] = []
        while not self.is_("bracket", "}"):
            if children:
                self.expect("operator", ",")
                if self.is_("bracket", "}"):
                    break
                if self.is_("operator", ","):
                    self.unexpected()
            if self.current.kind in ("number", "string", "identifier"):
                key: Node = self.node(Str(self.current.value))
                self.next()
            elif self.is_("bracket", "("):
                key = self.expression(0)
            else:
                self.fail(
                    "a map key must be a quoted string, a number, a identifier, or an expression enclosed in "
                    f"parentheses (unexpected token {self.current.value!r})"
                )
            self.expect("operator", ":")
            children += [key, self.expression(0)]
            self.node(Nil())  # the PairNode
        self.expect("bracket", "}")
        return self.node(Unimplemented("a map literal", tuple(children), "map"))

    def sequence(self, opening: str, closing: str) -> tuple[Node, ...]:
        """Comma-separated expressions between brackets; a trailing comma is allowed."""
        self.expect("bracket", opening)
        items: list[Node] = []
        while not self.is_("bracket", closing):
            if items:
                self.expect("operator", ",")
                if self.is_("bracket", closing):
                    break
            items.append(self.expression(0))
        self.expect("bracket", closing)
        return tuple(items)

    def postfix(self, node: Node) -> Node:
        while self.current.kind in ("operator", "bracket"):
            token = self.current
            optional = token.value == "?."
            if token.value in (".", "?."):
                self.next()
                name = self.current
                if optional and name.kind == "bracket" and name.value == "[":
                    node = self.index_(node, optional)
                    continue
                self.next()
                if not (name.kind == "identifier" or (name.kind == "operator" and _is_identifier(name.value))):
                    self.fail("expected name", name)
                self.node(Nil())  # the property's StringNode
                # `a?.b.c`: the chain goes on, so nil in `a` skips `.c` as well (`[` does not extend a chain).
                member = self.node(Member(node.node if isinstance(node, Chain) else node, Str(name.value), optional))
                if self.is_("bracket", "("):
                    arguments = self.sequence("(", ")")
                    member = self.node(Unimplemented(f"the method call .{name.value}()", (member, *arguments)))
                node = self.node(Chain(member)) if optional or isinstance(node, Chain) else member
            elif token.value == "[":
                node = self.index_(node, optional)
            else:
                break
        return node

    def index_(self, node: Node, optional: bool) -> Node:
        self.next()
        if self.is_("operator", ":"):
            self.next()
            upper = None if self.is_("bracket", "]") else self.expression(0)
            self.expect("bracket", "]")
            return self.node(Unimplemented("a slice", tuple(item for item in (node, upper) if item is not None)))
        prop = self.expression(0)
        if self.is_("operator", ":"):
            self.next()
            upper = None if self.is_("bracket", "]") else self.expression(0)
            self.expect("bracket", "]")
            children = (node, prop) if upper is None else (node, prop, upper)
            return self.node(Unimplemented("a slice", children))
        self.expect("bracket", "]")
        member = self.node(Member(node, prop, optional))
        return self.node(Chain(member)) if optional else member


def parse(source: str) -> Node:
    """The syntax tree of `source`; raises InvalidExpression where expr's parser refuses it."""
    return _deep(_parse, source)


@functools.lru_cache(maxsize=1024)
def _parse(source: str) -> Node:
    return _Parser(source).parse()


# --- Type checker (checker/checker.go with expr.Env: the names' types come from the environment's values) ---------


@dataclass(frozen=True)
class _Nature:
    """A static type as expr's checker sees it: "any" is interface{}, "unknown" has no type at all."""

    kind: str
    elem: _Nature | None = None  # element type of an "array"


_ANY, _UNKNOWN, _NIL = _Nature("any"), _Nature("unknown"), _Nature("nil")
_BOOL, _INT, _FLOAT = _Nature("bool"), _Nature("int"), _Nature("float")
_STRING, _MAP = _Nature("string"), _Nature("map")
_GO_TYPES = {
    "any": "interface {}",
    "unknown": "unknown",
    "nil": "nil",
    "bool": "bool",
    "int": "int",
    "float": "float64",
    "string": "string",
    "array": "[]interface {}",
    "map": "map[string]interface {}",
    "bytes": "[]uint8",
    "func": "func(...)",
}


def _array_of(elem: _Nature) -> _Nature:
    return _Nature("array", elem)


def _nature_of(value: Any) -> _Nature:
    """The static type expr.Env gives a top-level variable: that of its (JSON) value."""
    natures = {type(None): _NIL, bool: _BOOL, float: _FLOAT, str: _STRING, list: _array_of(_ANY), dict: _MAP}
    return natures[type(value)]


# The types Argo's event environment has for every delivery (a GitHub payload is always a JSON object).
ARGO_EVENT_NATURES: tuple[tuple[str, _Nature], ...] = (
    ("discriminator", _STRING),
    ("metadata", _MAP),
    ("namespace", _STRING),
    ("payload", _MAP),
)


def _unknown(nature: _Nature) -> bool:
    return nature.kind in ("any", "unknown")


def _number(nature: _Nature) -> bool:
    return nature.kind in ("int", "float")


def _reflect_kind(nature: _Nature) -> str:
    return {"any": "interface", "unknown": "invalid", "nil": "invalid"}.get(nature.kind, nature.kind)


def _assignable(value: _Nature, to: _Nature) -> bool:
    if value.kind == "nil":
        return to.kind == "any"
    if "unknown" in (value.kind, to.kind):
        return False
    return to.kind in ("any", value.kind)


def _comparable(left: _Nature, right: _Nature) -> bool:
    if _unknown(left) or _unknown(right) or "nil" in (left.kind, right.kind):
        return True
    return (_number(left) and _number(right)) or left.kind == right.kind == "array" or _assignable(left, right)


def _either_unknown(left: _Nature, right: _Nature, *kinds: str) -> bool:
    """expr's `or(l, r, ...)`: an unknown side is accepted when the other side is unknown or of one of `kinds`."""
    if _unknown(left):
        return _unknown(right) or right.kind in kinds
    return _unknown(right) and left.kind in kinds


class _Checker:
    """The static type of each node; raises InvalidExpression where expr's checker refuses to compile.

    `unimplemented` collects the constructs met that this module does not evaluate (checked, not simulated).
    """

    def __init__(self, names: Mapping[str, _Nature]) -> None:
        self.names = dict(names)
        self.unimplemented: list[str] = []

    def visit(self, node: Node) -> _Nature:
        match node:
            case Nil():
                return _NIL
            case Bool():
                return _BOOL
            case Int():
                return _INT
            case Float():
                return _FLOAT
            case Str():
                return _STRING
            case Ident(name):
                return self.ident(name)
            case Array(items):
                natures = [self.visit(item) for item in items]
                if not natures:
                    return _array_of(_UNKNOWN)
                same = all(_reflect_kind(nature) == _reflect_kind(natures[0]) for nature in natures)
                return _array_of(natures[-1] if same else _ANY)
            case Chain(inner):
                return self.visit(inner)
            case Member(Ident("$env"), prop, optional):
                self.unimplemented.append("$env")
                if isinstance(prop, Str):
                    if prop.value in self.names:
                        return self.names[prop.value]
                    if not optional:
                        raise InvalidExpression(f"unknown name {prop.value}")
                self.visit(prop)
                return _UNKNOWN
            case Member(obj, prop):
                return _check_member(self.visit(obj), self.visit(prop), prop)
            case Unary(op, operand):
                nature = self.visit(operand)
                if op == "!" and (nature.kind == "bool" or _unknown(nature)):
                    return _BOOL
                if op != "!" and (_number(nature) or _unknown(nature)):
                    return nature if _number(nature) else _UNKNOWN
                raise InvalidExpression(f"invalid operation: {op} (mismatched type {_GO_TYPES[nature.kind]})")
            case Binary(op, left, right):
                return _check_binary(op, self.visit(left), self.visit(right), right)
            case InStrings(needle):
                self.visit(needle)
                return _BOOL
            case Conditional(cond, then, otherwise):
                nature = self.visit(cond)
                if nature.kind != "bool" and not _unknown(nature):
                    raise InvalidExpression(f"non-bool expression (type {_GO_TYPES[nature.kind]}) used as condition")
                first, second = self.visit(then), self.visit(otherwise)
                return _either(first, second, first if _assignable(first, second) else _UNKNOWN)
            case Sequence(items):
                return [self.visit(item) for item in items][-1]
            case Call(name, args) if name in _ARITY:
                return _check_call(name, [self.visit(arg) for arg in args])
            case Call(name, args):
                return self.call_of_variable(name, args)
            case Unimplemented("a bytes literal"):
                # expr v1.17.8 syntax; Argo v4.0.6 (the chart's appVersion) is built with expr v1.17.7, whose lexer
                # reads `b"..."` as the name b followed by a string: "unexpected token".
                raise InvalidExpression(
                    'a bytes literal (b"...") needs expr v1.17.8; Argo v4.0.6 embeds expr v1.17.7, which refuses it'
                )
            case Unimplemented(what, (Str(name), value, body)) if what.startswith("variable declaration"):
                self.unimplemented.append(what)
                outer = self.names
                self.names = {**outer, name: self.visit(value)}
                try:
                    return self.visit(body)
                finally:
                    self.names = outer
            case Unimplemented(what, (Member(obj, Str(name)), *arguments)) if what.startswith("the method call"):
                self.unimplemented.append(what)
                base = self.visit(obj)
                if not (_unknown(base) or base.kind == "map"):  # checker.memberNode with Method set
                    raise InvalidExpression(f"type {_GO_TYPES[base.kind]} has no method {name}")
                for argument in arguments:
                    self.visit(argument)
                return _UNKNOWN
            case Unimplemented(what, children, nature):
                self.unimplemented.append(what)
                natures = [self.visit(child) for child in children]
                return _Nature(nature) if nature else natures[0]
        raise TypeError(f"not an expression node: {type(node).__name__}")

    def ident(self, name: str) -> _Nature:
        """Variables first, then builtins: `upper` alone has a function's type in expr's checker, not an unknown name.

        (Its value at run time is nil: the compiler loads every name from the environment map, OpLoadFast.)
        """
        if name == "$env":
            self.unimplemented.append("$env")
            return _UNKNOWN
        if name in self.names:
            return self.names[name]
        if name in _BUILTIN_NAMES:
            return _Nature("func")
        raise InvalidExpression(f"unknown name {name}")

    def call_of_variable(self, name: str, args: tuple[Node, ...]) -> _Nature:
        """checker.callNode: only a function can be called, and the environment here holds none."""
        if name == "$env":
            raise InvalidExpression("$env is not callable")
        nature = self.ident(name)
        if nature.kind == "nil":
            raise InvalidExpression(f"{name} is nil; cannot call nil as function")
        if not _unknown(nature):
            raise InvalidExpression(f"{_GO_TYPES[nature.kind]} is not callable")
        self.unimplemented.append(f"a call of {name}()")
        return _UNKNOWN


def _either(first: _Nature, second: _Nature, otherwise: _Nature) -> _Nature:
    """The type of `c ? first : second` or `first ?? second`: a nil side yields to the other one."""
    if first.kind == "nil":
        return second
    return first if second.kind == "nil" else otherwise


def _check_member(base: _Nature, key: _Nature, prop: Node) -> _Nature:
    if _unknown(base):
        return _UNKNOWN
    if base.kind == "nil" and isinstance(prop, Str):
        raise InvalidExpression(f"type nil has no field {prop.value}")
    field = f" has no field {prop.value}" if isinstance(prop, Str) else f"[{_GO_TYPES[key.kind]}] is undefined"
    if base.kind == "map":
        if not _assignable(key, _STRING) and not _unknown(key):
            raise InvalidExpression(f"cannot use {_GO_TYPES[key.kind]} to get an element from {_GO_TYPES['map']}")
        return _ANY
    if base.kind == "bytes" and (key.kind == "int" or _unknown(key)):
        return _UNKNOWN  # a uint8, which nothing here checks further
    if base.kind == "array" and base.elem is not None:
        if key.kind != "int" and not _unknown(key):
            raise InvalidExpression(f"array elements can only be selected using an integer (got {_GO_TYPES[key.kind]})")
        return base.elem
    raise InvalidExpression(f"type {_GO_TYPES[base.kind]}{field}")


def _check_binary(op: str, left: _Nature, right: _Nature, right_node: Node) -> _Nature:
    both = {left.kind, right.kind}
    if op in ("==", "!="):
        if _comparable(left, right):
            return _BOOL
    elif op in ("&&", "||"):
        if both == {"bool"} or _either_unknown(left, right, "bool"):
            return _BOOL
    elif op in _ORDERING:
        if (_number(left) and _number(right)) or both == {"string"}:
            return _BOOL
        if _either_unknown(left, right, "int", "float", "string"):
            return _BOOL
    elif op in ("+", "-", "*", "/"):
        if _number(left) and _number(right):
            return _FLOAT if op == "/" or "float" in both else _INT
        if op == "+" and both == {"string"}:
            return _STRING
        if _either_unknown(left, right, "int", "float", *(("string",) if op == "+" else ())):
            return _FLOAT if op == "/" else _UNKNOWN
    elif op in ("**", "^"):
        if (_number(left) and _number(right)) or _either_unknown(left, right, "int", "float"):
            return _FLOAT
    elif op == "..":
        if both == {"int"} or _either_unknown(left, right, "int"):
            return _array_of(_INT)
    elif op == "%":
        if both == {"int"} or _either_unknown(left, right, "int"):
            return _INT
    elif op == "in":
        if right.kind == "map":
            if not _unknown(left) and not _assignable(left, _STRING):
                raise InvalidExpression(f"cannot use {_GO_TYPES[left.kind]} as type string in map key")
            return _BOOL
        if right.kind == "array" and right.elem is not None:
            if not _comparable(left, right.elem):
                raise InvalidExpression(
                    f"cannot use {_GO_TYPES[left.kind]} as type {_GO_TYPES[right.elem.kind]} in array"
                )
            return _BOOL
        if (_unknown(left) and right.kind in ("string", "array", "map")) or _unknown(right):
            return _BOOL
    elif op in ("matches", "contains", "startsWith", "endsWith"):
        if op == "matches" and isinstance(right_node, Str):
            _constant_regexp(right_node.value)  # checker.go compiles a constant pattern, and refuses it
        if both == {"string"} or (op == "matches" and left.kind == "bytes" and right.kind == "string"):
            return _BOOL
        if _either_unknown(left, right, "string"):
            return _BOOL
    elif op == "??":
        return _either(left, right, left if _assignable(right, left) else _UNKNOWN)
    raise InvalidExpression(
        f"invalid operation: {op} (mismatched types {_GO_TYPES[left.kind]} and {_GO_TYPES[right.kind]})"
    )


# The builtins checked through their Go signatures (builtin.go `Types`): checker.checkFunction tries each overload in
# turn and reports the last one's error. "any" is interface{}, the only parameter type nil may be passed as.
_OVERLOADS: dict[str, tuple[tuple[str, ...], ...]] = {
    "string": (("any",),),
    "upper": (("string",),),
    "lower": (("string",),),
    "trim": (("string",), ("string", "string")),
    "join": (
        ("[]string", "string"),
        ("[]interface {}", "string"),
        ("[]interface {}",),
        ("[]string", "string"),
        ("[]string",),
    ),
}
# The builtins with a Validate function instead: one argument, of these kinds (or interface{}).
_VALIDATED = {
    "len": (("array", "map", "string", "bytes"), "invalid argument for len (type {})"),
    "int": (("int", "float", "string"), "invalid argument for int (type {})"),
    "first": (("array", "bytes"), "cannot get first element from {}"),
}


def _overload_error(name: str, parameters: tuple[str, ...], args: list[_Nature]) -> str | None:
    """checker.checkArguments for one signature: None when the arguments fit it."""
    if len(args) != len(parameters):
        return f"{'too many' if len(args) > len(parameters) else 'not enough'} arguments to call {name}"
    for nature, parameter in zip(args, parameters, strict=True):
        if nature.kind == "nil":
            if parameter != "any":
                return f"cannot use nil as argument (type {parameter}) to call {name}"
        elif not (_unknown(nature) or parameter in ("any", _GO_TYPES[nature.kind])):
            return f"cannot use {_GO_TYPES[nature.kind]} as argument (type {parameter}) to call {name}"
    return None


def _check_call(name: str, args: list[_Nature]) -> _Nature:
    if name in _VALIDATED:
        kinds, message = _VALIDATED[name]
        if len(args) != 1:
            raise InvalidExpression(f"invalid number of arguments (expected 1, got {len(args)})")
        if not (args[0].kind in kinds or _unknown(args[0])):
            raise InvalidExpression(message.format("<nil>" if args[0].kind == "nil" else _GO_TYPES[args[0].kind]))
        return _ANY if name == "first" else _INT
    errors = [_overload_error(name, parameters, args) for parameters in _OVERLOADS[name]]
    if all(errors):
        raise InvalidExpression(str(errors[-1]))
    return _STRING


# --- Optimizer (optimizer/in_array.go, optimizer/fold.go) and the compiler's constant regexps -----------------------


def _optimize(node: Node) -> Node:
    """expr's optimizer passes that change what a run does: inArray first, then fold."""
    # Go repeats fold until nothing changes; a post-order pass already gets there: a rewrite only ever hands its
    # parent an operand that was folded before, and the parent is visited after it.
    return _fold(_in_array(node))


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Array(items) | Sequence(items):
            return items
        case Member(obj, prop):
            return (obj, prop)
        case Chain(inner) | Unary(_, inner) | InStrings(inner):
            return (inner,)
        case Binary(_, left, right):
            return (left, right)
        case Conditional(cond, then, otherwise):
            return (cond, then, otherwise)
        case Call(_, args):
            return args
    return ()


def _rebuild(node: Node, children: list[Node]) -> Node:
    """`node` with new children (post-order rewrites keep every other field)."""
    match node:
        case Array():
            return Array(tuple(children))
        case Sequence():
            return Sequence(tuple(children))
        case Member(_, _, optional):
            return Member(children[0], children[1], optional)
        case Chain():
            return Chain(children[0])
        case Unary(op):
            return Unary(op, children[0])
        case InStrings(_, keys):
            return InStrings(children[0], keys)
        case Binary(op):
            return Binary(op, children[0], children[1])
        case Conditional():
            return Conditional(children[0], children[1], children[2])
        case Call(name):
            return Call(name, tuple(children))
    return node


def _in_array(node: Node) -> Node:
    """`x in ["a", "b"]` (a non-empty array of string literals only) becomes a map lookup, before any folding."""
    node = _rebuild(node, [_in_array(child) for child in _children(node)])
    match node:
        case Binary("in", needle, Array(items)) if items and all(isinstance(item, Str) for item in items):
            return InStrings(needle, frozenset(item.value for item in items if isinstance(item, Str)))
    return node


def _fold(node: Node) -> Node:
    """One post-order pass of optimizer/fold.go: constant arithmetic, comparisons and the `&&`/`||` shortcuts.

    `x || true` is true and `x && false` false without evaluating x; `x && true` and `x || false` are x itself,
    returned unchecked (a string stays a string), exactly as the folded program runs.
    """
    node = _rebuild(node, [_fold(child) for child in _children(node)])
    match node:
        case Unary("-", Int(value)):
            return Int(_wrap(-value))
        case Unary("-", Float(value)):
            return Float(-value)
        case Unary("+", Int() | Float() as operand):
            return operand
        case Unary("!", Bool(value)):
            return Bool(not value)
        case Binary("&&", left, right):
            if left == Bool(True):
                return right
            if right == Bool(True):
                return left
            if Bool(False) in (left, right):
                return Bool(False)
        case Binary("||", left, right):
            if left == Bool(False):
                return right
            if right == Bool(False):
                return left
            if Bool(True) in (left, right):
                return Bool(True)
        case Binary("+", Str(left), Str(right)):
            return Str(left + right)
        case Binary("%", Int(left), Int(right)):
            if right == 0:
                raise InvalidExpression("integer divide by zero")
            return Int(_modulo(left, right))
        case Binary("+" | "-" | "*" | "/" as op, Int(left) | Float(left), Int(right) | Float(right)):
            value = _BINARY[op](left, right)
            return Int(value) if type(value) is int else Float(value)
        case Binary("==", Int(left), Int(right)) | Binary("==", Str(left), Str(right)):
            return Bool(left == right)
        case Binary("==", Bool(left), Bool(right)):
            return Bool(left == right)
        case Binary("matches", _, Str(pattern)):
            _constant_regexp(pattern)  # the compiler compiles a constant pattern (also one folded into one)
    return node


# --- Go formatting: fmt's %v (string()) and encoding/json (parameters) ---------------------------------------------


def _digits(value: float) -> tuple[str, int]:
    """The shortest round-trip digits of |value| and where the decimal point goes: value = 0.DIGITS * 10**point."""
    if value == 0:
        return "", 0
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    point = len(whole) - len(whole + fraction) + len(significant) + int(exponent or "0")
    return significant.rstrip("0"), point


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits if digits else "0"
    return digits[:point].ljust(point, "0") + ("." + digits[point:] if digits[point:] else "")


def _scientific(digits: str, point: int) -> str:
    exponent = point - 1
    return f"{digits[0]}{'.' if digits[1:] else ''}{digits[1:]}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _sign(value: float) -> str:
    return "-" if math.copysign(1.0, value) < 0 else ""


def _format_float(value: float) -> str:
    """fmt's %v of a float64: strconv 'g', shortest digits, exponent form below 1e-4 and from 1e6 (1e+06)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, point = _digits(value)
    fits = not digits or -4 <= point - 1 < 6
    return _sign(value) + (_fixed(digits, point) if fits else _scientific(digits, point))


def _sprint(value: Any) -> str:
    """fmt.Sprintf("%v", value): what string() returns."""
    if value is None:
        return "<nil>"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float:
        return _format_float(value)
    if type(value) is list:
        return "[" + " ".join(map(_sprint, value)) + "]"
    if type(value) is dict:
        return "map[" + " ".join(f"{key}:{_sprint(value[key])}" for key in sorted(value)) + "]"
    return str(value)


_SURROGATES = re.compile(r"[\ud800-\udfff]")  # not text: Go has U+FFFD where Python may hold these
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JSON_HEX_ESCAPED = re.compile(r"[\x00-\x1f<>&\u2028\u2029]")


def _json_string(text: str) -> str:
    text = "".join(_JSON_ESCAPES.get(char, char) for char in text)
    text = _JSON_HEX_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return '"' + _SURROGATES.sub("\\\\ufffd", text) + '"'


def _json(value: Any) -> str:
    """encoding/json.Marshal: sorted keys, no spaces, HTML-safe strings, Go's float64 layout."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (int, _Byte):
        return str(int(value))
    if type(value) is float:
        if not math.isfinite(value):
            raise ExprError(f"json: unsupported value: {_format_float(value)}")
        digits, point = _digits(value)
        if digits and not 1e-6 <= abs(value) < 1e21:
            return _sign(value) + re.sub(r"e-0(\d)$", r"e-\1", _scientific(digits, point))
        return _sign(value) + _fixed(digits, point)
    if type(value) is str:
        return _json_string(value)
    if type(value) is list:
        return "[" + ",".join(map(_json, value)) + "]"
    if type(value) is dict:
        return "{" + ",".join(f"{_json_string(key)}:{_json(value[key])}" for key in sorted(value)) + "}"
    raise TypeError(f"{type(value).__name__} is not a value an expression can produce")


# --- Runtime (vm/runtime, builtin) ---------------------------------------------------------------------------------

_INT_MIN = -(2**63)


class _NilChain(Exception):
    """An optional member access met nil: unwinds to the enclosing Chain, whose value is then nil."""


class _Byte(int):
    """A Go uint8: what indexing a string yields (runtime.Fetch). Arithmetic with it gives an int (expr's helpers
    convert both sides), but it negates within 8 bits, prints as a number and keeps its type in error messages."""


_VALUE_KINDS = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "map"}


def _go_type(value: Any) -> str:
    """Go's %T of a value."""
    if value is None:
        return "<nil>"
    if type(value) is _Byte:
        return "uint8"
    return _GO_TYPES[_VALUE_KINDS[type(value)]]


def _interface_type(value: Any) -> str:
    """The dynamic type a failed type assertion names: "nil" for nil (where %T prints "<nil>")."""
    return "nil" if value is None else _go_type(value)


def _plain(value: Any) -> Any:
    """A byte as the int expr's arithmetic helpers turn it into; any other value unchanged."""
    return int(value) if type(value) is _Byte else value


def _wrap(value: int) -> int:
    """Go's int is 64 bits wide and wraps around."""
    return (value - _INT_MIN) % 2**64 + _INT_MIN


def _is_number(value: Any) -> bool:
    return type(value) in (int, float, _Byte)


def _as_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ExprError(f"interface conversion: interface {{}} is {_interface_type(value)}, not bool")
    return value


def _as_string(value: Any) -> str:
    if type(value) is not str:
        raise ExprError(f"interface conversion: interface {{}} is {_interface_type(value)}, not string")
    return value


def _map_key(key: Any) -> str:
    """reflect's MapIndex on a map[string]...: nil looks up the zero key "", anything but a string panics."""
    if key is None:
        return ""
    if type(key) is not str:
        raise ExprError(f"reflect.Value.MapIndex: value of type {_go_type(key)} is not assignable to type string")
    return key


def _to_int(value: Any) -> int:
    """runtime.ToInt. Go's float64-to-int conversion of NaN, an infinity or a value outside the int64 range gives
    math.MinInt64 on amd64 (CVTTSD2SQ); arm64 saturates instead. Argo images mostly run on amd64: that is modelled."""
    if type(value) in (int, _Byte):
        return int(value)
    if type(value) is float:
        return int(value) if math.isfinite(value) and abs(value) < 2**63 else _INT_MIN
    raise ExprError(f"invalid operation: int({_go_type(value)})")


def _fetch(base: Any, key: Any) -> Any:
    """runtime.Fetch: a missing map key gives nil; arrays (and strings, bytewise) take integer indexes from the end."""
    if type(base) is dict:
        return base.get(_map_key(key))
    if type(base) in (list, str):
        items = base if type(base) is list else base.encode()
        index = _to_int(key)
        if index < 0:
            index += len(items)
        if not 0 <= index < len(items):
            raise ExprError(f"index out of range: {index} (array length is {len(items)})")
        return items[index] if type(base) is list else _Byte(items[index])  # a string yields a byte (uint8)
    raise ExprError(f"cannot fetch {_sprint(key)} from {_go_type(base)}")


def _equal(left: Any, right: Any) -> bool:
    """runtime.Equal: numbers by value, []interface{} element by element, anything else like reflect.DeepEqual."""
    if _is_number(left) and _is_number(right):
        left, right = _plain(left), _plain(right)
        return left == right if type(left) is type(right) is int else float(left) == float(right)
    if type(left) is list and type(right) is list:
        return len(left) == len(right) and all(map(_equal, left, right))
    return _deep_equal(left, right)


def _deep_equal(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if type(left) is dict:
        return left.keys() == right.keys() and all(_deep_equal(left[key], right[key]) for key in left)
    if type(left) is list:
        return len(left) == len(right) and all(map(_deep_equal, left, right))
    return bool(left == right)


def _in(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if type(haystack) is list:
        return any(_equal(item, needle) for item in haystack)
    if type(haystack) is dict:
        return _map_key(needle) in haystack
    raise ExprError(f'operator "in" not defined on {_go_type(haystack)}')


def _numeric(symbol: str, apply: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A Go arithmetic or ordering operator: int with int stays int, a float64 on either side makes both float64."""

    def run(left: Any, right: Any) -> Any:
        plain_left, plain_right = _plain(left), _plain(right)
        if type(plain_left) is type(plain_right) is int:
            result = apply(plain_left, plain_right)
            return _wrap(result) if type(result) is int else result
        if _is_number(left) and _is_number(right):
            return apply(float(left), float(right))
        if symbol in ("+", "<", ">", "<=", ">=") and type(left) is type(right) is str:
            return apply(left, right)
        raise ExprError(f"invalid operation: {_go_type(left)} {symbol} {_go_type(right)}")

    return run


def _divide(left: Any, right: Any) -> float:
    """runtime.Divide is always float64 division, with IEEE infinities instead of errors."""
    if not (_is_number(left) and _is_number(right)):
        raise ExprError(f"invalid operation: {_go_type(left)} / {_go_type(right)}")
    dividend, divisor = float(left), float(right)
    if divisor == 0:
        if dividend == 0 or math.isnan(dividend):
            return math.nan
        return math.copysign(math.inf, dividend) * math.copysign(1.0, divisor)
    return dividend / divisor


def _modulo(left: Any, right: Any) -> int:
    """runtime.Modulo takes integers only, and Go's remainder has the sign of the dividend."""
    if not type(_plain(left)) is type(_plain(right)) is int:
        raise ExprError(f"invalid operation: {_go_type(left)} % {_go_type(right)}")
    left, right = int(left), int(right)
    if right == 0:
        raise ExprError("runtime error: integer divide by zero")
    remainder = abs(left) % abs(right)
    return -remainder if left < 0 else remainder


def _string_test(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    """`matches`, `contains`, `startsWith`, `endsWith`: nil on either side is false, other non-strings fail."""

    def run(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        return test(_as_string(left), _as_string(right))

    return run


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<": _numeric("<", operator.lt),
    ">": _numeric(">", operator.gt),
    "<=": _numeric("<=", operator.le),
    ">=": _numeric(">=", operator.ge),
    "+": _numeric("+", operator.add),
    "-": _numeric("-", operator.sub),
    "*": _numeric("*", operator.mul),
    "/": _divide,
    "%": _modulo,
    "in": _in,
    "matches": _string_test(lambda text, pattern: _go_regexp(pattern).search(text) is not None),
    "contains": _string_test(lambda text, part: part in text),
    "startsWith": _string_test(str.startswith),
    "endsWith": _string_test(str.endswith),
}


def _negate(value: Any) -> Any:
    if type(value) is _Byte:
        return _Byte(-value % 256)  # uint8 arithmetic wraps within 8 bits
    if type(value) is int:
        return _wrap(-value)
    if type(value) is float:
        return -value
    raise ExprError(f"invalid operation: - {_go_type(value)}")


def _len(value: Any) -> int:
    if type(value) in (str, list, dict):
        return len(value)  # a str's length is its number of runes, as in expr
    raise ExprError(f"invalid argument for len (type {_go_type(value)})")


def _go_case(text: Any, upper: bool) -> str:
    """strings.ToUpper/ToLower map rune by rune with Unicode's simple mappings (Python's str methods use full ones)."""
    chars = []
    for char in _as_string(text):
        mapped = char.upper() if upper else char.lower()
        if len(mapped) != 1:  # e.g. "\u00df".upper() is "SS"; its simple uppercase is itself
            title = char.title()
            mapped = (title if len(title) == 1 else char) if upper else mapped[0]
        chars.append(mapped)
    return "".join(chars)


_ABSENT: Any = object()  # an argument not given at all, unlike nil, which strings.Trim's assertion refuses


def _trim(text: Any, cutset: Any = _ABSENT) -> str:
    text = _as_string(text)
    return text.strip(_GO_SPACE if cutset is _ABSENT else _as_string(cutset))


def _join(items: Any, *glue: Any) -> str:
    separator = _as_string(glue[0]) if glue else ""
    if type(items) is not list:
        raise ExprError(f"invalid argument for join (type {_go_type(items)})")
    return separator.join(map(_as_string, items))


def _first(value: Any) -> Any:
    """first() recovers from any failure of fetching index 0 and answers nil."""
    try:
        return _fetch(value, 0)
    except ExprError:
        return None


def _int(value: Any) -> int:
    """builtin.Int: Go's conversion of a number (truncation; see _to_int beyond int64), strconv.Atoi of a string."""
    if _is_number(value):
        return _to_int(value)
    if type(value) is str:
        text = value[1:] if value[:1] in "+-" else value
        if text.isascii() and text.isdigit() and -(2**63) <= int(value) < 2**63:
            return int(value)
        raise ExprError(f"invalid operation: int({value})")  # Atoi's syntax and range errors alike
    if value is None:  # reflect.ValueOf(nil).CanConvert(...) panics
        raise ExprError("reflect: call of reflect.Value.Type on zero Value")
    raise ExprError(f"invalid operation: int({_go_type(value)})")


_BUILTINS: dict[str, Callable[..., Any]] = {
    "int": _int,
    "len": _len,
    "string": _sprint,
    "lower": lambda text: _go_case(text, upper=False),
    "upper": lambda text: _go_case(text, upper=True),
    "trim": _trim,
    "join": _join,
    "first": _first,
}


def _eval(node: Node, env: Mapping[str, Any]) -> Any:
    match node:
        case Nil():
            return None
        case Bool(value) | Int(value) | Float(value) | Str(value):
            return value
        case Array(items):
            return [_eval(item, env) for item in items]
        case Ident(name):
            return env.get(name)  # a builtin's name (the checker let it through) is missing from the map: nil
        case Chain(inner):
            try:
                return _eval(inner, env)
            except _NilChain:
                return None
        case Member(obj, prop, optional):
            base = _eval(obj, env)
            if optional and base is None:
                raise _NilChain
            return _fetch(base, _eval(prop, env))
        case Unary("!", operand):
            return not _as_bool(_eval(operand, env))
        case Unary("-", operand):
            return _negate(_eval(operand, env))
        case Unary(_, operand):  # unary plus compiles to nothing at all
            return _eval(operand, env)
        case Binary("&&", left, right):  # the right operand is returned unchecked, as the VM does
            return _as_bool(_eval(left, env)) and _eval(right, env)
        case Binary("||", left, right):
            return _as_bool(_eval(left, env)) or _eval(right, env)
        case Binary("??", left, right):
            value = _eval(left, env)
            return _eval(right, env) if value is None else value
        case InStrings(needle, keys):
            return _map_key(_eval(needle, env)) in keys
        case Sequence(items):
            return [_eval(item, env) for item in items][-1]
        case Binary(op, left, right):
            return _BINARY[op](_eval(left, env), _eval(right, env))
        case Conditional(cond, then, otherwise):
            return _eval(then if _as_bool(_eval(cond, env)) else otherwise, env)
        case Call(name, args):
            return _BUILTINS[name](*(_eval(arg, env) for arg in args))
    raise TypeError(f"not an expression node: {node!r}")


# --- Go regular expressions: RE2, whose syntax and semantics Go's regexp package follows -----------------------------

# RE2's defaults are Go's regexp.Compile (syntax.Perl): `$` only at the very end of the text, ASCII \d \w \s \b,
# `{,n}` literal text, flags anywhere, Unicode classes, leftmost-first search. Two options differ from the defaults:
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print every refused pattern on stderr
_RE2_OPTIONS.max_mem = 64 << 20  # Go has no memory budget; RE2's default 8 MiB refuses Go-valid patterns (\pL{1000})
# RE2's error texts and Go's (regexp/syntax ErrorCode) for the same failures.
_RE2_ERRORS = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "bad repetition operator": "invalid nested repetition operator",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "trailing \\": "trailing backslash at end of expression",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
}
# The one syntax difference shimmed: RE2 accepts \C (any byte), Go refuses it (outside \Q...\E, in or out of
# brackets). Differences left as they are: Go refuses regexps nested over 1000 levels deep (ErrNestingDepth) and
# counts its size limit (ErrLarge) in instructions where RE2 counts bytes (max_mem); the Unicode tables behind \p{...}
# and (?i) are those of each release (Go 1.25 in Argo v4.0.6, RE2 2025-11 here). Searches are unanchored in both,
# and which match is found (leftmost-first or longest) cannot change whether there is one. Texts are valid UTF-8 on
# both sides (expr's literals and Argo's JSON decoding replace invalid bytes with U+FFFD).
_ESCAPE_OR_QUOTED = re.compile(r"\\Q.*?(?:\\E|\Z)|\\(.)", re.DOTALL)


def _regexp_error(pattern: str, error: Exception) -> str:
    message = error.args[0].decode("utf-8", "replace") if isinstance(error.args[0], bytes) else str(error.args[0])
    code, _, argument = message.partition(": ")
    return f"error parsing regexp: {_RE2_ERRORS.get(code, code)}: `{argument or pattern}`"


@functools.lru_cache(maxsize=256)
def _go_regexp(pattern: str) -> Any:
    """regexp.Compile(pattern) for regexp.MatchString (an unanchored search); ExprError where Go refuses it."""
    if any(match.group(1) == "C" for match in _ESCAPE_OR_QUOTED.finditer(pattern)):
        raise ExprError("error parsing regexp: invalid escape sequence: `\\C`")
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        raise ExprError(_regexp_error(pattern, error)) from None


def _constant_regexp(pattern: str) -> None:
    """A pattern written as a string literal is compiled by expr.Compile: its errors are compile errors."""
    try:
        _go_regexp(pattern)
    except ExprError as error:
        raise InvalidExpression(str(error)) from None


# --- Public entry points -------------------------------------------------------------------------------------------


def _jsonify(value: Any) -> Any:
    """What Argo's environment holds after its JSON round trip: every number a float64, invalid text U+FFFD."""
    if value is None or type(value) is bool:
        return value
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ExprError(f"json: unsupported value: {_format_float(number)}")
        return number
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("JSON object keys must be strings")
        return {_SURROGATES.sub("\ufffd", key): _jsonify(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonify(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not JSON")


@functools.lru_cache(maxsize=1024)
def _compile(source: str, names: tuple[tuple[str, _Nature], ...]) -> Node:
    """Parse, type-check and optimize once per expression and shape of environment, as expr.Compile does."""
    tree = _parse(source)
    checker = _Checker(dict(names))
    checker.visit(tree)
    optimized = _optimize(tree)  # its compile errors (`1 % 0`, a bad constant pattern) come before "unsupported"
    if checker.unimplemented:
        constructs = ", ".join(dict.fromkeys(checker.unimplemented))
        raise UnsupportedExpression(
            f"{_excerpt(source)} is valid expr but uses {constructs}: outside the subset this simulator evaluates"
        )
    return optimized


def check(source: str) -> None:
    """Compile `source` the way Argo does for every delivery (payload and metadata maps, two strings).

    Raises InvalidExpression when expr v1.17 would refuse it, UnsupportedExpression when it compiles there but uses
    syntax this module does not evaluate. Whatever `check` accepts compiles in Argo.
    """
    _deep(_compile, source, ARGO_EVENT_NATURES)


def expression_compile_error(source: str) -> str | None:
    """Why Argo could never compile `source` for a delivery (the message expr gives), or None if it compiles there
    (including valid syntax this module only cannot simulate)."""
    try:
        check(source)
    except InvalidExpression as error:
        return str(error)
    except UnsupportedExpression:
        return None
    return None


_T = TypeVar("_T")
# Deep nesting (thousands of brackets, long `+`/`&&`/`??` chains: expr's parser takes up to 10,000 nodes, brackets
# cost none) recurses deeper than Python's default limit. Rather than rewrite the parser, checker and evaluator
# iteratively (and unlike Go's), such inputs run again in one thread with a large stack and a raised limit.
_DEEP_STACK_BYTES = 512 << 20
_DEEP_RECURSION_LIMIT = 250_000
_DEEP_LOCK = threading.Lock()


def _deep(function: Callable[..., _T], *args: Any) -> _T:
    """function(*args), retried with room for deep recursion if the caller's stack is too small for it."""
    try:
        return function(*args)
    except RecursionError:
        pass
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # handed back to the caller's thread
            outcome.append((False, error))

    with _DEEP_LOCK:
        limit = sys.getrecursionlimit()
        size = threading.stack_size(_DEEP_STACK_BYTES)
        sys.setrecursionlimit(max(limit, _DEEP_RECURSION_LIMIT))
        try:
            worker = threading.Thread(target=run, name="expr-deep-recursion")
            worker.start()
            worker.join()
        except RuntimeError:  # no thread with that stack can start here (a small address-space limit)
            outcome.append((False, RecursionError()))
        finally:
            threading.stack_size(size)
            sys.setrecursionlimit(limit)
    succeeded, value = outcome[0]
    if succeeded:
        return value
    if isinstance(value, RecursionError):
        raise UnsupportedExpression("the expression nests too deeply for this simulator (Argo may still take it)")
    raise value


@dataclass(frozen=True)
class Environment:
    """An environment as Argo builds it (JSON round trip done, types known): prepare once, evaluate many times."""

    values: Mapping[str, Any]
    natures: tuple[tuple[str, _Nature], ...]


def environment(env: Mapping[str, Any]) -> Environment:
    """Prepare `env` (payload, metadata, discriminator, namespace) the way Argo does before it compiles."""
    values = _deep(_jsonify, env)
    return Environment(values, tuple(sorted((name, _nature_of(value)) for name, value in values.items())))


def evaluate(source: str, env: Mapping[str, Any] | Environment) -> Any:
    """The value Argo computes for `source` over `env` (payload, metadata, discriminator, namespace).

    Raises UnsupportedExpression for syntax outside the subset, InvalidExpression where Argo's compile fails and
    ExprError where its run fails.
    """
    prepared = env if isinstance(env, Environment) else environment(env)
    return _deep(_run, source, prepared)


def _run(source: str, prepared: Environment) -> Any:
    return _eval(_compile(source, prepared.natures), prepared.values)


def argo_parameter_value(value: Any) -> str:
    """The parameter string Argo stores for an evaluated result.

    Argo json.Marshal()s the result and formats it through wfv1.Item.String(): a JSON string loses its quotes but
    keeps its other escapes (`a"b` gives `a\\"b`), and jsonutil.Fix turns \\u003c \\u003e \\u0026 back into < > &.
    """
    data = _deep(_json, value)
    if data.startswith('"'):
        data = data[1:-1]
    for escaped, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        data = data.replace(escaped, char)
    return data


_QUOTE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(text: str) -> str:
    """A double-quoted expr string literal that parse() reads back as exactly `text` (non-printables escaped)."""
    if _SURROGATES.search(text):
        raise ValueError("a lone surrogate cannot be written in an expr string literal")
    out = []
    for char in text:
        if char in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'
