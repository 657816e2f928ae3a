"""The optimizer passes that change results (expr's optimizer/in_array.go and optimizer/fold.go)."""

from __future__ import annotations

from delivery.expr.ast import (
    Array,
    Binary,
    Bool,
    Call,
    Chain,
    Conditional,
    Float,
    InStrings,
    Int,
    Member,
    Node,
    Predicate,
    Sequence,
    Str,
    Unary,
)
from delivery.expr.errors import InvalidExpression
from delivery.expr.goregexp import _constant_regexp
from delivery.expr.runtime import _BINARY, _modulo, _wrap


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
        case Predicate(_, collection, body):
            return (collection, body)
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
        case Predicate(name):
            return Predicate(name, children[0], children[1])
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
