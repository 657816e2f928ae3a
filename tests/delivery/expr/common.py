"""Shared by the interpreter's tests: an environment as Argo builds it for a delivery, and a run over it."""

from __future__ import annotations

from typing import Any

from delivery.expr import evaluate

ENV: dict[str, Any] = {
    "payload": {
        "action": "opened",
        "ref": "refs/heads/main",
        "flag": True,
        "count": 42,
        "ratio": 1.5,
        "text": "1",
        "nothing": None,
        "list": [1, 2],
        "obj": {"b": ["x", "y"], "a": 1},
        "same": {"a": 1, "b": ["x", "y"]},
        "repository": {"name": "Hello", "full_name": "octo/Hello"},
    },
    "metadata": {"x-github-event": ["push"], "x-github-delivery": ["d-1"]},
    "discriminator": "ci",
    "namespace": "argo",
}


def run(source: str, env: dict[str, Any] | None = None) -> Any:
    return evaluate(source, ENV if env is None else env)
