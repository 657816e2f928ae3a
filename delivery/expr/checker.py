"""The type checker (expr's checker/checker.go with expr.Env: the names' types come from the environment's values).

With `expr.Env` some mistakes fail at compile time even on branches never taken: they fail every delivery.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    Unimplemented,
)
from delivery.expr.builtin import _ARITY, _BUILTIN_NAMES, _OVERLOADS, _VALIDATED
from delivery.expr.errors import InvalidExpression
from delivery.expr.goregexp import _constant_regexp
from delivery.expr.gotypes import (
    _ANY,
    _BOOL,
    _FLOAT,
    _GO_TYPES,
    _INT,
    _NIL,
    _STRING,
    _UNKNOWN,
    _array_of,
    _Nature,
)
from delivery.expr.parser import _ORDERING


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

    `unimplemented` collects the constructs met that this package does not evaluate (checked, not simulated).
    """

    def __init__(self, names: Mapping[str, _Nature]) -> None:
        self.names = dict(names)
        self.unimplemented: list[str] = []
        self.pointers: list[_Nature] = []  # the element type of each predicate the checker is inside (checker.begin)

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
            case Pointer():
                return self.pointers[-1] if self.pointers else _UNKNOWN
            case Predicate(name, collection, body):
                return self.predicate(name, collection, body)
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

    def predicate(self, name: str, collection: Node, body: Node) -> _Nature:
        """checker.BuiltinNode for all/any/none: an array (or an unknown type) and a predicate giving a bool."""
        nature = self.visit(collection)
        if nature.kind != "array" and not _unknown(nature):
            raise InvalidExpression(f"builtin {name} takes only array (got {_GO_TYPES[nature.kind]})")
        self.pointers.append(nature.elem or _UNKNOWN if nature.kind == "array" else _UNKNOWN)
        try:
            result = self.visit(body)
        finally:
            self.pointers.pop()
        if result.kind != "bool" and not _unknown(result):
            raise InvalidExpression(f"predicate should return boolean (got {_GO_TYPES[result.kind]})")
        return _BOOL

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
