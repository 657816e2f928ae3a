"""How a config problem is worded: values as the user wrote them, the nearest valid name, parser errors in words.

One place for the conventions every check in `settings/` follows, so `pulumi preview` and `python -m cli check`
print the same text: a value is shown as YAML would spell it (never Python's `None`/`True`), a misspelt name gets
"did you mean ...?", and a YAML error says line and column without PyYAML's internals.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

import yaml


def shown(value: Any) -> str:
    """`value` as the user wrote it in YAML: 'text' quoted, null, true/false, numbers and lists as JSON."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def nearest(value: Any, choices: Iterable[str]) -> str | None:
    """The valid name closest to a misspelt `value`: a case-only difference first, then difflib's closest match."""
    if not isinstance(value, str) or not value:
        return None
    candidates = sorted(set(choices))
    if value in candidates:
        return None
    folded = [choice for choice in candidates if choice.lower() == value.lower()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(value.lower(), [choice.lower() for choice in candidates], n=1, cutoff=0.75)
    if not close:
        return None
    return next(choice for choice in candidates if choice.lower() == close[0])


def did_you_mean(value: Any, choices: Iterable[str]) -> str:
    """"; did you mean 'push'?" for a near miss, else ""; appended to the message that refuses `value`."""
    suggestion = nearest(value, choices)
    return f"; did you mean {suggestion!r}?" if suggestion else ""


def unknown_key(name: str, allowed: Iterable[str]) -> str:
    """The message for a key no schema knows, with the nearest allowed one."""
    allowed = list(allowed)
    suggestion = nearest(name, allowed)
    if suggestion:
        return f"unknown key; did you mean {suggestion!r}? (allowed: {', '.join(allowed)})"
    return f"unknown key (allowed: {', '.join(allowed)})"


def yaml_error(error: yaml.YAMLError) -> str:
    """A YAML parse error as 'line L, column C: what is wrong', without PyYAML's `in "<unicode string>"` marks."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        text = error.problem
        if error.problem_mark is not None:
            text = f"{_where(error.problem_mark)}: {text}"
        if error.context:
            started = f" at {_where(error.context_mark)}" if error.context_mark is not None else ""
            text += f" ({error.context}{started})"
        return text
    text = " ".join(str(error).split())
    return text.split(' in "<', 1)[0] or "cannot be parsed"


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"
