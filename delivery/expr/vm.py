"""Evaluation of a compiled tree (expr's vm): what Argo's expr.Run computes, or how it fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from delivery.expr.ast import (
    Array,
    Binary,
    Bool,
    Call,
    Chain,
    Conditional,
    Float,
    Ident,
    InStrings,
    Int,
    Member,
    Nil,
    Node,
    Sequence,
    Str,
    Unary,
)
from delivery.expr.builtin import _BUILTINS
from delivery.expr.runtime import _BINARY, _as_bool, _fetch, _map_key, _negate, _NilChain


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
