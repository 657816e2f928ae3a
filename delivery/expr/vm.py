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
    Pointer,
    Predicate,
    Sequence,
    Str,
    Unary,
)
from delivery.expr.builtin import _BUILTINS
from delivery.expr.errors import ExprError
from delivery.expr.gotypes import _Byte, _go_type, _interface_type
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
        case Pointer():
            return env[_POINTER]
        case Predicate(name, collection, body):
            return _predicate(name, _eval(collection, env), body, env)
    raise TypeError(f"not an expression node: {node!r}")


_POINTER = "#"  # where the element a predicate is at is kept in the environment (no variable can be named so)


def _elements(collection: Any) -> list[Any]:
    """What OpBegin iterates (reflect.ValueOf(a).Len(), then Index): an array's items, a string's bytes; Go's
    reflect panics on nil and on other values (a map's Len works, its Index panics: an empty map iterates nothing)."""
    if isinstance(collection, list):
        return collection
    if isinstance(collection, str):
        return [_Byte(byte) for byte in collection.encode()]
    if isinstance(collection, dict) and not collection:
        return []
    if isinstance(collection, dict):
        raise ExprError("reflect: call of reflect.Value.Index on map Value")
    kind = "zero" if collection is None else _go_type(collection)
    raise ExprError(f"reflect: call of reflect.Value.Len on {kind} Value")


def _predicate(name: str, collection: Any, body: Node, env: Mapping[str, Any]) -> bool:
    """all/any/none: the loop stops at the first element that decides; each result must be a bool (the VM's
    OpJumpIfTrue / OpJumpIfFalse assert it, OpNot for none)."""
    for element in _elements(collection):
        result = _eval(body, {**env, _POINTER: element})
        if type(result) is not bool:
            raise ExprError(f"interface conversion: interface {{}} is {_interface_type(result)}, not bool")
        if name == "any" and result:
            return True
        if name != "any" and result is (name == "none"):
            return False
    return name != "any"
