"""An exact, offline interpreter for the subset of expr-lang/expr v1.17 that this program writes into Kubernetes.

Argo Server evaluates WorkflowEventBinding selectors and `valueFrom.event` parameters with expr v1.17:
`expr.Compile(source, expr.Env(env))`, then `expr.Run`. Evaluating the very same strings here lets the simulator and
the tests see what Argo will see, including its failures. So this module follows expr's own pipeline:

* the lexer and parser (precedence table, the rule that `??` cannot be mixed with other operators, chained `<`);
* the type checker, because with `expr.Env` some mistakes fail at compile time even on branches never taken;
* the optimizer's one rewrite that changes results: `x in ["a", "b"]` becomes a map lookup;
* the VM's runtime helpers (equality, fetch, arithmetic) and the builtins used here, with Go's formatting.

Values are what Argo's JSON round trip leaves: None, bool, str, list, dict, float (float64; every JSON number),
and int (Go int: only from integer literals and what is computed from them).
"""

from __future__ import annotations

import functools
import math
import operator
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn


class ExprError(Exception):
    """Evaluation failed at run time, as expr-lang would (Argo answers such a delivery with HTTP 500)."""


class UnsupportedExpression(ValueError):
    """Syntax outside the subset this module implements (or invalid syntax); carries a message naming what and where."""


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
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Nil | Bool | Int | Float | Str | Array | Ident | Member | Chain | Unary | Binary | Conditional | Call


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


@dataclass(frozen=True)
class _Token:
    kind: str  # "operator", "bracket", "identifier", "number", "string" or "eof"
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
    raise UnsupportedExpression(f"{message} at {line}:{column} in {source!r}")


def _lex(source: str) -> list[_Token]:
    """Tokens exactly as expr's lexer cuts them."""
    tokens = []
    pos = 0
    while pos < len(source):
        char, start = source[pos], pos
        following = source[pos + 1 : pos + 2]
        if char in _GO_SPACE:
            pos += 1
            continue
        if char in "\"'":
            text, pos = _scan_string(source, pos)
            tokens.append(_Token("string", text, start))
            continue
        if "0" <= char <= "9" or (char == "." and "0" <= following <= "9"):
            pos = _scan_number(source, pos + 1 if char == "." else pos)
            tokens.append(_Token("number", source[start:pos], start))
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
        if char == "/" and following in ("/", "*"):
            _syntax_error(source, start, "unsupported comment")
        if char == "`":
            _syntax_error(source, start, "unsupported raw string literal")
        if char in _TWO_CHAR_OPERATORS:
            pos += 2 if following and following in _TWO_CHAR_OPERATORS[char] else 1
        elif char in ",;%+-^/#":
            pos += 1
        else:
            _syntax_error(source, start, f"unrecognized character {char!r}")
        tokens.append(_Token("operator", source[start:pos], start))
    tokens.append(_Token("eof", "", len(source)))
    return tokens


def _scan_string(source: str, start: int) -> tuple[str, int]:
    """A quoted literal's value: Go-style escapes, only the literal's own quote escapable, CR read as LF."""
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
        if (base == 8 and escape > "3") or code > 0x10FFFF:
            _syntax_error(source, pos, "unable to unescape string")
        out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))  # utf8.EncodeRune writes U+FFFD for these
        pos = digits_at + width


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

# Binary precedence; every supported operator is left-associative. Unsupported ones are listed with their precedence
# so that they are met exactly where expr would parse them.
# fmt: off
_BINARY_PRECEDENCE = {
    "|": 0, "or": 10, "||": 10, "and": 15, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
}
# fmt: on
_UNSUPPORTED_BINARY = {"|": "pipe operator", "..": "range operator", "**": "power operator", "^": "power operator"}
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
# fmt: off
_PREDICATES = frozenset({
    "all", "none", "any", "one", "filter", "map", "count", "sum", "find", "findIndex", "findLast", "findLastIndex",
    "groupBy", "sortBy", "reduce",
})
# fmt: on


class _Parser:
    """A port of expr's recursive-descent parser; it stops at the first error, which is the one expr reports."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _lex(source)
        self.index = 0
        self.current = self.tokens[0]

    def fail(self, message: str, token: _Token | None = None) -> NoReturn:
        _syntax_error(self.source, (token or self.current).pos, message)

    def unexpected(self) -> NoReturn:
        token = self.current
        self.fail("unexpected end of expression" if token.kind == "eof" else f"unexpected token {token.value!r}")

    def is_(self, kind: str, value: str | None = None) -> bool:
        return self.current.kind == kind and value in (None, self.current.value)

    def next(self) -> None:
        self.index += 1
        if self.index >= len(self.tokens):
            self.fail("unexpected end of expression", self.tokens[-1])
        self.current = self.tokens[self.index]

    def expect(self, kind: str, value: str) -> None:
        if not self.is_(kind, value):
            self.unexpected()
        self.next()

    def parse(self) -> Node:
        node = self.expression(0)
        if not self.is_("eof"):
            self.unexpected()
        return node

    def expression(self, precedence: int) -> Node:
        if precedence == 0 and self.is_("operator", "let"):
            self.fail("unsupported variable declaration (let)")
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
            if token.value in _UNSUPPORTED_BINARY:
                self.fail(f"unsupported {_UNSUPPORTED_BINARY[token.value]} {token.value!r}", token)
            if previous == "??" and token.value != "??":
                self.fail(
                    f"Operator ({token.value}) and coalesce expressions (??) cannot be mixed. Wrap either by "
                    "parentheses.",
                    token,
                )
            if token.value in _ORDERING:
                left = self.comparison(left, token.value, op_precedence)
            else:
                left = Binary(_CANONICAL.get(token.value, token.value), left, self.expression(op_precedence + 1))
                if negate:
                    left = Unary("!", left)
            previous = token.value
            token = self.current
        return self.conditional(left) if precedence == 0 else left

    def comparison(self, left: Node, op: str, precedence: int) -> Node:
        """`a < b <= c` is `a < b && b <= c` (b is evaluated twice, as in expr)."""
        root: Node | None = None
        while True:
            right = self.expression(precedence + 1)
            test = Binary(op, left, right)
            root = test if root is None else Binary("&&", root, test)
            left, op = right, self.current.value
            if not (self.current.kind == "operator" and op in _ORDERING):
                return root
            self.next()

    def conditional(self, node: Node) -> Node:
        while self.is_("operator", "?"):
            self.next()
            if self.is_("operator", ":"):  # `a ?: b`
                self.next()
                node = Conditional(node, node, self.expression(0))
            else:
                then = self.expression(0)
                self.expect("operator", ":")
                node = Conditional(node, then, self.expression(0))
        return node

    def primary(self) -> Node:
        token = self.current
        if token.kind == "operator" and token.value in _UNARY_PRECEDENCE:
            self.next()
            operand = self.expression(_UNARY_PRECEDENCE[token.value])
            return self.postfix(Unary(_CANONICAL.get(token.value, token.value), operand))
        if self.is_("bracket", "("):
            self.next()
            node = self.expression(0)
            self.expect("bracket", ")")
            return self.postfix(node)
        if token.kind == "operator" and token.value in ("#", ".", "::"):
            self.fail(f"unsupported {token.value!r} outside a predicate")
        return self.secondary()

    def secondary(self) -> Node:
        token = self.current
        node: Node
        if token.kind == "identifier":
            self.next()
            if token.value in _LITERALS:
                return _LITERALS[token.value]
            if self.is_("bracket", "("):
                node = self.call(token)
            elif token.value == "$env":
                self.fail("unsupported $env", token)
            else:
                node = Ident(token.value)
        elif token.kind == "number":
            self.next()
            return self.number(token)
        elif token.kind == "string":
            self.next()
            node = Str(token.value)
        elif self.is_("bracket", "["):
            node = self.array()
        elif self.is_("bracket", "{"):
            self.fail("unsupported map literal")
        else:
            self.unexpected()
        return self.postfix(node)

    def number(self, token: _Token) -> Node:
        text = token.value.replace("_", "")
        if text[:2].lower() in ("0x", "0o", "0b"):
            self.fail("unsupported hexadecimal, octal or binary literal", token)
        if "." in text or "e" in text.lower():
            try:
                value = float(text)
            except ValueError:
                self.fail("invalid float literal", token)
            if math.isinf(value):
                self.fail("invalid float literal: value out of range", token)
            return Float(value)
        if int(text) > 2**63 - 1:
            self.fail("invalid integer literal: value out of range", token)
        return Int(int(text))

    def call(self, token: _Token) -> Node:
        if token.value in _PREDICATES:
            self.fail(f"unsupported predicate builtin {token.value}()", token)
        if token.value not in _ARITY:
            self.fail(f"unsupported function {token.value}()", token)
        return Call(token.value, self.sequence("(", ")"))

    def array(self) -> Node:
        return Array(self.sequence("[", "]"))

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
                if self.is_("bracket", "("):
                    self.fail(f"unsupported method call {name.value}()", name)
                # `a?.b.c`: the chain goes on, so nil in `a` skips `.c` as well (`[` does not extend a chain).
                member = Member(node.node if isinstance(node, Chain) else node, Str(name.value), optional)
                node = Chain(member) if optional or isinstance(node, Chain) else member
            elif token.value == "[":
                node = self.index_(node, optional)
            else:
                break
        return node

    def index_(self, node: Node, optional: bool) -> Node:
        self.next()
        if self.is_("operator", ":"):
            self.fail("unsupported slice")
        prop = self.expression(0)
        if self.is_("operator", ":"):
            self.fail("unsupported slice")
        self.expect("bracket", "]")
        member = Member(node, prop, optional)
        return Chain(member) if optional else member


@functools.lru_cache(maxsize=1024)
def parse(source: str) -> Node:
    """The syntax tree of `source`; raises UnsupportedExpression for anything outside the subset or invalid."""
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
}


def _array_of(elem: _Nature) -> _Nature:
    return _Nature("array", elem)


def _nature_of(value: Any) -> _Nature:
    """The static type expr.Env gives a top-level variable: that of its (JSON) value."""
    natures = {type(None): _NIL, bool: _BOOL, float: _FLOAT, str: _STRING, list: _array_of(_ANY), dict: _MAP}
    return natures[type(value)]


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


def _check(node: Node, names: Mapping[str, _Nature]) -> _Nature:
    """The static type of `node`; raises ExprError where expr's checker refuses to compile."""
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
            if name not in names:
                raise ExprError(f"unknown name {name}")
            return names[name]
        case Array(items):
            natures = [_check(item, names) for item in items]
            if not natures:
                return _array_of(_UNKNOWN)
            same = all(_reflect_kind(nature) == _reflect_kind(natures[0]) for nature in natures)
            return _array_of(natures[-1] if same else _ANY)
        case Chain(inner):
            return _check(inner, names)
        case Member(obj, prop):
            return _check_member(_check(obj, names), _check(prop, names), prop)
        case Unary(op, operand):
            nature = _check(operand, names)
            if op == "!" and (nature.kind == "bool" or _unknown(nature)):
                return _BOOL
            if op != "!" and (_number(nature) or _unknown(nature)):
                return nature if _number(nature) else _UNKNOWN
            raise ExprError(f"invalid operation: {op} (mismatched type {_GO_TYPES[nature.kind]})")
        case Binary(op, left, right):
            return _check_binary(op, _check(left, names), _check(right, names), right)
        case Conditional(cond, then, otherwise):
            nature = _check(cond, names)
            if nature.kind != "bool" and not _unknown(nature):
                raise ExprError(f"non-bool expression (type {_GO_TYPES[nature.kind]}) used as condition")
            first, second = _check(then, names), _check(otherwise, names)
            return _either(first, second, first if _assignable(first, second) else _UNKNOWN)
        case Call(name, args):
            return _check_call(name, [_check(arg, names) for arg in args])
    raise TypeError(f"not an expression node: {node!r}")


def _either(first: _Nature, second: _Nature, otherwise: _Nature) -> _Nature:
    """The type of `c ? first : second` or `first ?? second`: a nil side yields to the other one."""
    if first.kind == "nil":
        return second
    return first if second.kind == "nil" else otherwise


def _check_member(base: _Nature, key: _Nature, prop: Node) -> _Nature:
    if _unknown(base):
        return _UNKNOWN
    field = f" has no field {prop.value}" if isinstance(prop, Str) else f"[{_GO_TYPES[key.kind]}] is undefined"
    if base.kind == "map":
        if not _assignable(key, _STRING) and not _unknown(key):
            raise ExprError(f"cannot use {_GO_TYPES[key.kind]} to get an element from {_GO_TYPES['map']}")
        return _ANY
    if base.kind == "array" and base.elem is not None:
        if key.kind != "int" and not _unknown(key):
            raise ExprError(f"array elements can only be selected using an integer (got {_GO_TYPES[key.kind]})")
        return base.elem
    raise ExprError(f"type {_GO_TYPES[base.kind]}{field}")


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
    elif op == "%":
        if both == {"int"} or _either_unknown(left, right, "int"):
            return _INT
    elif op == "in":
        if right.kind == "map":
            if not _unknown(left) and not _assignable(left, _STRING):
                raise ExprError(f"cannot use {_GO_TYPES[left.kind]} as type string in map key")
            return _BOOL
        if right.kind == "array" and right.elem is not None:
            if not _comparable(left, right.elem):
                raise ExprError(f"cannot use {_GO_TYPES[left.kind]} as type {_GO_TYPES[right.elem.kind]} in array")
            return _BOOL
        if (_unknown(left) and right.kind == "string") or _unknown(right):
            return _BOOL
    elif op in ("matches", "contains", "startsWith", "endsWith"):
        if op == "matches" and isinstance(right_node, Str):
            _go_regexp(right_node.value)  # a constant pattern is compiled, and refused, at compile time
        if both == {"string"} or _either_unknown(left, right, "string"):
            return _BOOL
    elif op == "??":
        return _either(left, right, left if _assignable(right, left) else _UNKNOWN)
    raise ExprError(f"invalid operation: {op} (mismatched types {_GO_TYPES[left.kind]} and {_GO_TYPES[right.kind]})")


def _check_call(name: str, args: list[_Nature]) -> _Nature:
    low, high = _ARITY[name]
    if not low <= len(args) <= high:
        raise ExprError(f"invalid number of arguments for {name} (got {len(args)})")
    argument = args[0]
    if name == "len" and argument.kind not in ("array", "map", "string") and not _unknown(argument):
        raise ExprError(f"invalid argument for len (type {_GO_TYPES[argument.kind]})")
    if name == "first" and argument.kind != "array" and not _unknown(argument):
        raise ExprError(f"cannot get first element from {_GO_TYPES[argument.kind]}")
    if name == "int" and not (_number(argument) or argument.kind == "string" or _unknown(argument)):
        raise ExprError(f"invalid argument for int (type {_GO_TYPES[argument.kind]})")
    if name in ("lower", "upper", "trim", "join"):
        for position, nature in enumerate(args):
            wanted = "array" if name == "join" and position == 0 else "string"
            if nature.kind != wanted and not _unknown(nature):
                raise ExprError(f"cannot use {_GO_TYPES[nature.kind]} as argument (type {wanted}) to call {name}")
    return {"len": _INT, "int": _INT, "first": _ANY}.get(name, _STRING)


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
    if type(value) is int:
        return str(value)
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


def _go_type(value: Any) -> str:
    """Go's %T of a value."""
    if value is None:
        return "<nil>"
    return _GO_TYPES[{bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "map"}[type(value)]]


def _wrap(value: int) -> int:
    """Go's int is 64 bits wide and wraps around."""
    return (value - _INT_MIN) % 2**64 + _INT_MIN


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _as_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ExprError(f"interface conversion: interface {{}} is {_go_type(value)}, not bool")
    return value


def _as_string(value: Any) -> str:
    if type(value) is not str:
        raise ExprError(f"interface conversion: interface {{}} is {_go_type(value)}, not string")
    return value


def _map_key(key: Any) -> str:
    """reflect's MapIndex on a map[string]...: nil looks up the zero key "", anything but a string panics."""
    if key is None:
        return ""
    if type(key) is not str:
        raise ExprError(f"reflect.Value.MapIndex: value of type {_go_type(key)} is not assignable to type string")
    return key


def _to_int(value: Any) -> int:
    if type(value) is int:
        return value
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
        return items[index]
    raise ExprError(f"cannot fetch {_sprint(key)} from {_go_type(base)}")


def _equal(left: Any, right: Any) -> bool:
    """runtime.Equal: numbers by value, []interface{} element by element, anything else like reflect.DeepEqual."""
    if _is_number(left) and _is_number(right):
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
        if type(left) is type(right) is int:
            result = apply(left, right)
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
    if not type(left) is type(right) is int:
        raise ExprError(f"invalid operation: {_go_type(left)} % {_go_type(right)}")
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


def _trim(text: Any, cutset: Any = None) -> str:
    return _as_string(text).strip(_GO_SPACE if cutset is None else _as_string(cutset))


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
    """int(): Go's conversion (a float is truncated toward zero), or strconv.Atoi for a string."""
    if type(value) is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ExprError(f"invalid argument for int: {value}")
        return int(value)
    if type(value) is int:
        return value
    if type(value) is str:
        text = value[1:] if value[:1] in "+-" else value
        if text.isascii() and text.isdigit():
            return int(value)
        raise ExprError(f'strconv.Atoi: parsing "{value}": invalid syntax')
    raise ExprError(f"invalid argument for int (type {_go_type(value)})")


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
            return env[name]
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
        case Binary("in", left, Array(items)) if items and all(isinstance(item, Str) for item in items):
            # expr's optimizer turns a non-empty array of string literals into a map[string]struct{} lookup.
            return _map_key(_eval(left, env)) in {item.value for item in items if isinstance(item, Str)}
        case Binary(op, left, right):
            return _BINARY[op](_eval(left, env), _eval(right, env))
        case Conditional(cond, then, otherwise):
            return _eval(then if _as_bool(_eval(cond, env)) else otherwise, env)
        case Call(name, args):
            return _BUILTINS[name](*(_eval(arg, env) for arg in args))
    raise TypeError(f"not an expression node: {node!r}")


# --- Go regular expressions (regexp/syntax with the Perl flags regexp.Compile uses) --------------------------------

_PERL_CLASSES = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}  # ASCII only in Go, unlike Python's
# fmt: off
_POSIX_CLASSES = frozenset({
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word",
    "xdigit",
})
# fmt: on
_CONTROL_ESCAPES = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_ASSERTIONS = {"A": r"(?:\A)", "z": r"(?:\Z)", "b": r"(?a:\b)", "B": r"(?a:\B)"}
_FLAG_GROUP = re.compile(r"\(\?([imsU]*)(?:-([imsU]+))?([:)])")
_NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z0-9_]+)>")
_REPEAT = re.compile(r"\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}")


def _literal(char: str) -> str:
    return "\\" + char if char.isascii() and not char.isalnum() else char


class _RegexpTranslator:
    """Rewrites a Go pattern into a Python one that matches the same strings (match or not: all MatchString tells).

    Go differs where it matters: `$` is the very end of the text, \\d \\w \\s \\b are ASCII, `{,n}` is literal text,
    flags like `(?i)` may appear mid-pattern. Constructs Go refuses raise ExprError; valid Go that has no faithful
    Python equivalent here (\\p{...}, [[:alpha:]], \\D \\S \\W inside brackets) raises UnsupportedExpression.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.out: list[str] = []
        self.flags: list[frozenset[str]] = [frozenset()]  # active flags of each open group
        self.names: set[str] = set()
        self.repeatable = False

    def fail(self, message: str) -> NoReturn:
        raise ExprError(f"error parsing regexp: {message} in `{self.pattern}`")

    def unsupported(self, what: str) -> NoReturn:
        raise UnsupportedExpression(f"Go regexp {self.pattern!r} uses {what}, which this module cannot translate")

    def atom(self, text: str, folds: bool = False) -> None:
        self.out.append(f"(?i:{text})" if folds and "i" in self.flags[-1] else text)
        self.repeatable = True

    def translate(self) -> str:
        pattern = self.pattern
        while self.pos < len(pattern):
            char = pattern[self.pos]
            flags = self.flags[-1]
            if char == "(":
                self.group()
            elif char == ")":
                if len(self.flags) == 1:
                    self.fail("unexpected )")
                self.flags.pop()
                self.pos += 1
                self.atom(")")
            elif char == "|":
                self.pos += 1
                self.out.append("|")
                self.repeatable = False
            elif char in "*+?" or (char == "{" and _REPEAT.match(pattern, self.pos)):
                self.repeat()
            elif char == "[":
                self.char_class()
            elif char == "\\":
                self.escape()
            else:
                self.pos += 1
                specials = {"^": "(?m:^)" if "m" in flags else "(?:^)", "$": "(?m:$)" if "m" in flags else "(?:\\Z)"}
                specials["."] = "(?s:.)" if "s" in flags else "."
                self.atom(specials.get(char) or _literal(char), folds=char not in specials)
        if len(self.flags) > 1:
            self.fail("missing closing )")
        return "".join(self.out)

    def group(self) -> None:
        pattern = self.pattern
        if not pattern.startswith("(?", self.pos):
            opening, flags = "(", self.flags[-1]
            self.pos += 1
        elif named := _NAMED_GROUP.match(pattern, self.pos):
            if named.group(1) in self.names:
                self.fail(f"duplicate capture group name {named.group(1)}")
            self.names.add(named.group(1))
            opening, flags = "(", self.flags[-1]
            self.pos = named.end()
        elif flag_group := _FLAG_GROUP.match(pattern, self.pos):
            self.pos = flag_group.end()
            flags = (self.flags[-1] | set(flag_group.group(1))) - set(flag_group.group(2) or "")
            if flag_group.group(3) == ")":  # `(?i)` lasts to the end of the enclosing group; U cannot change a match
                self.flags[-1] = flags
                return
            opening = "(?:"
        else:
            self.fail("invalid or unsupported Perl syntax")
        self.out.append(opening)
        self.flags.append(flags)
        self.repeatable = False

    def repeat(self) -> None:
        pattern = self.pattern
        braces = _REPEAT.match(pattern, self.pos)
        if braces:
            low, high = int(braces.group(1)), braces.group(3)
            if low > 1000 or (high is not None and not low <= int(high) <= 1000):
                self.fail(f"invalid repeat count {braces.group()}")
            text = braces.group()
            self.pos = braces.end()
        else:
            text = pattern[self.pos]
            self.pos += 1
        if not self.repeatable:
            self.fail(f"missing argument to repetition operator {text}")
        if pattern.startswith("?", self.pos):  # non-greedy: cannot change whether there is a match, kept anyway
            text += "?"
            self.pos += 1
        self.out.append(text)
        self.repeatable = False  # Go refuses `a**`; Python would read `a*+` as possessive

    def escape(self) -> None:
        pattern = self.pattern
        letter = pattern[self.pos + 1 : self.pos + 2]
        if letter and letter in _ASSERTIONS:
            self.pos += 2
            self.atom(_ASSERTIONS[letter])
        elif letter and letter in "dswDSW":
            self.pos += 2
            self.atom(f"[{'^' if letter.isupper() else ''}{_PERL_CLASSES[letter.lower()]}]")
        elif letter and letter in "pP":
            self.unsupported(f"the Unicode class \\{letter}")
        elif letter == "Q":
            end = pattern.find("\\E", self.pos + 2)
            text = pattern[self.pos + 2 : end if end >= 0 else len(pattern)]
            self.pos = end + 2 if end >= 0 else len(pattern)
            for char in text:
                self.atom(_literal(char), folds=True)
        else:
            self.atom(_literal(chr(self.char_escape())), folds=True)

    def char_escape(self) -> int:
        """The code point of an escape that stands for one character (also inside brackets)."""
        pattern = self.pattern
        letter = pattern[self.pos + 1 : self.pos + 2]
        after = self.pos + 2
        if not letter:
            self.fail("trailing backslash at end of expression")
        if "0" <= letter <= "7":  # up to three octal digits; a lone `\1` would be a backreference, which Go lacks
            end = after
            while end < min(len(pattern), after + 2) and "0" <= pattern[end] <= "7":
                end += 1
            if letter != "0" and end == after:
                self.fail(f"invalid escape sequence \\{letter}")
            code = int(pattern[self.pos + 1 : end], 8)
            self.pos = end
            return code
        if letter == "x":
            braced = pattern.startswith("{", after)
            end = pattern.find("}", after) if braced else after + 2
            digits = pattern[after + braced : end] if end >= 0 else ""
            if not digits or not all(char in string.hexdigits for char in digits) or (not braced and len(digits) != 2):
                self.fail("invalid escape sequence \\x")
            if int(digits, 16) > 0x10FFFF:
                self.fail("invalid escape sequence \\x")
            self.pos = end + braced
            return int(digits, 16)
        self.pos = after
        if letter in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[letter]
        if letter.isascii() and not letter.isalnum():
            return ord(letter)
        self.fail(f"invalid escape sequence \\{letter}")

    def char_class(self) -> None:
        pattern = self.pattern
        self.pos += 1
        negated = pattern.startswith("^", self.pos)
        self.pos += negated
        first = self.pos
        parts = ["^"] if negated else []
        while not (pattern.startswith("]", self.pos) and self.pos != first):
            if self.pos >= len(pattern):
                self.fail("missing closing ]")
            posix_end = pattern.find(":]", self.pos + 2) if pattern.startswith("[:", self.pos) else -1
            if posix_end >= 0:
                if pattern[self.pos + 2 : posix_end].removeprefix("^") in _POSIX_CLASSES:
                    self.unsupported("a POSIX class [:name:]")
                self.fail(f"invalid character class range {pattern[self.pos : posix_end + 2]}")
            letter = pattern[self.pos + 1 : self.pos + 2] if pattern.startswith("\\", self.pos) else ""
            if letter and letter in "pPDSW":
                self.unsupported(f"\\{letter} inside brackets")
            if letter and letter in "dsw":
                parts.append(_PERL_CLASSES[letter])
                self.pos += 2
                continue
            low = high = self.class_char()
            if pattern.startswith("-", self.pos) and pattern[self.pos + 1 : self.pos + 2] not in ("", "]"):
                self.pos += 1
                high = self.class_char()
                if high < low:
                    self.fail("invalid character class range")
            parts.append(_literal(chr(low)) + (f"-{_literal(chr(high))}" if high != low else ""))
        self.pos += 1
        self.atom(f"[{''.join(parts)}]", folds=True)

    def class_char(self) -> int:
        if self.pos >= len(self.pattern):
            self.fail("missing closing ]")
        if self.pattern[self.pos] == "\\":
            return self.char_escape()
        self.pos += 1
        return ord(self.pattern[self.pos - 1])


@functools.lru_cache(maxsize=256)
def _go_regexp(pattern: str) -> re.Pattern[str]:
    """A compiled Python equivalent of Go's regexp.MustCompile(pattern), for unanchored searches."""
    translated = _RegexpTranslator(pattern).translate()
    try:
        return re.compile(translated)
    except re.error as error:  # a gap in the translation, not a pattern Go refuses
        raise UnsupportedExpression(f"Go regexp {pattern!r} could not be translated: {error}") from None


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
    """Parse and type-check once per expression and shape of environment, as expr.Compile does per evaluation."""
    tree = parse(source)
    _check(tree, dict(names))
    return tree


@dataclass(frozen=True)
class Environment:
    """An environment as Argo builds it (JSON round trip done, types known): prepare once, evaluate many times."""

    values: Mapping[str, Any]
    natures: tuple[tuple[str, _Nature], ...]


def environment(env: Mapping[str, Any]) -> Environment:
    """Prepare `env` (payload, metadata, discriminator, namespace) the way Argo does before it compiles."""
    values = _jsonify(env)
    return Environment(values, tuple(sorted((name, _nature_of(value)) for name, value in values.items())))


def evaluate(source: str, env: Mapping[str, Any] | Environment) -> Any:
    """The value Argo computes for `source` over `env` (payload, metadata, discriminator, namespace).

    Raises UnsupportedExpression for syntax outside the subset, ExprError where Argo's compile or run fails.
    """
    prepared = env if isinstance(env, Environment) else environment(env)
    return _eval(_compile(source, prepared.natures), prepared.values)


def argo_parameter_value(value: Any) -> str:
    """The parameter string Argo stores for an evaluated result.

    Argo json.Marshal()s the result and formats it through wfv1.Item.String(): a JSON string loses its quotes but
    keeps its other escapes (`a"b` gives `a\\"b`), and jsonutil.Fix turns \\u003c \\u003e \\u0026 back into < > &.
    """
    data = _json(value)
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
