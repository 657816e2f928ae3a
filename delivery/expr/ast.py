"""The syntax tree (expr's ast package): the nodes the parser builds and the later phases walk."""

from __future__ import annotations

from dataclasses import dataclass


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
class Pointer:
    """`#` inside a predicate: the element the innermost predicate is at."""


@dataclass(frozen=True)
class Predicate:
    """`any(xs, p)`, `all(xs, p)`, `none(xs, p)`: the predicate `body` tested on each element of `collection`."""

    name: str
    collection: Node
    body: Node


@dataclass(frozen=True)
class Unimplemented:
    """Valid expr syntax this package does not evaluate (map literals, predicates, slices, ...): type-checked as far as
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
    | Pointer
    | Predicate
    | Unimplemented
)
