"""The parser (expr's parser/parser.go and parser/operator): the syntax tree, or the first error expr reports."""

from __future__ import annotations

import functools
import math
import re
from typing import NoReturn

from delivery.expr.ast import (
    Array,
    Binary,
    Bool,
    Call,
    Chain,
    Conditional,
    Float,
    Ident,
    Int,
    Member,
    Nil,
    Node,
    Pointer,
    Predicate,
    Sequence,
    Str,
    Unary,
    Unimplemented,
)
from delivery.expr.builtin import _ARITY, _BUILTIN_NAMES, _EVALUATED_PREDICATES, _PREDICATES
from delivery.expr.errors import _syntax_error
from delivery.expr.lexer import _is_identifier, _lex, _Token
from delivery.expr.recursion import _deep

# conf.DefaultMaxNodes: expr.Compile refuses a tree of more nodes than this (counted as the parser creates them).
_MAX_NODES = 10_000


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


class _Parser:
    """A port of expr's recursive-descent parser; it stops at the first error, which is the one expr reports.

    It accepts all of expr's syntax: what this package does not evaluate becomes an Unimplemented node, so that an
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
            if token.value == "#" and not name:
                return self.postfix(self.node(Pointer()))
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
        match arguments:
            case [collection, Unimplemented("a predicate", (body,))] if token.value in _EVALUATED_PREDICATES:
                return self.node(Predicate(token.value, collection, body))
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
