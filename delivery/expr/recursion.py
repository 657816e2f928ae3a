"""Room for deeply nested expressions, which recurse deeper than Python's default limit allows."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from delivery.expr.errors import UnsupportedExpression

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
