"""An exact, offline interpreter for the subset of expr-lang/expr v1.17 that this program writes into Kubernetes.

Argo Server evaluates WorkflowEventBinding selectors and `valueFrom.event` parameters with expr v1.17:
`expr.Compile(source, expr.Env(env))`, then `expr.Run`. Evaluating the very same strings here lets the simulator and
the tests see what Argo will see, including its failures. So this package follows expr's own pipeline (v1.17.8), one
module per phase, as expr's own tree is laid out:

* `lexer` and `parser` (building the `ast`), for ALL of expr's syntax (precedence table, `??` not mixable with other
  operators, chained `<`, `;` sequences, `if {} else {}`, `"\\u{1F600}"`, comments, raw and bytes literals, at most
  10,000 nodes), so that an invalid expression (InvalidExpression: Argo fails every delivery) is told apart from valid
  syntax this package does not evaluate (UnsupportedExpression: predicates other than all, any and none, map
  literals, slices, `let`, most builtins: "not simulated");
* `checker`, the type checker (over `gotypes`), because with `expr.Env` some mistakes fail at compile time even on
  branches never taken;
* `optimizer`, the rewrites that change results: `x in ["a", "b"]` becomes a map lookup, and constant folding
  (`x || true` is true without evaluating x, `x && true` is x unchecked, `1 % 0` does not compile);
* `vm`, the evaluation, with the VM's `runtime` helpers (equality, fetch, arithmetic), the `builtin`s used here and
  Go's formatting (`goformat`: fmt's %v, strconv's floats, encoding/json);
* `goregexp`: Go's regexp through RE2 (google-re2), which Go's regexp package was ported from;
* `argo`: what Argo does around expr (the environment after its JSON round trip, compile, run, the parameter string it
  stores), and `quote` for the expressions this program writes. `errors` and `recursion` (room for deep nesting) serve
  every phase.

Values are what Argo's JSON round trip leaves: None, bool, str, list, dict, float (float64; every JSON number),
int (Go int: only from integer literals and what is computed from them) and _Byte (a uint8, from indexing a string).
Everything the rest of the program uses is importable from here (`from delivery.expr import evaluate`).
"""

from delivery.expr.argo import (
    ARGO_EVENT_NATURES,
    Environment,
    argo_parameter_value,
    check,
    environment,
    evaluate,
    expression_compile_error,
    quote,
)
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
    Unimplemented,
)
from delivery.expr.errors import ExprError, InvalidExpression, UnsupportedExpression
from delivery.expr.parser import parse

__all__ = [
    "ARGO_EVENT_NATURES",
    "Array",
    "Binary",
    "Bool",
    "Call",
    "Chain",
    "Conditional",
    "Environment",
    "ExprError",
    "Float",
    "Ident",
    "InStrings",
    "Int",
    "InvalidExpression",
    "Member",
    "Nil",
    "Node",
    "Sequence",
    "Str",
    "Unary",
    "Unimplemented",
    "UnsupportedExpression",
    "argo_parameter_value",
    "check",
    "environment",
    "evaluate",
    "expression_compile_error",
    "parse",
    "quote",
]
