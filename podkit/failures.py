"""`{{workflow.failures}}` as an exit handler's step receives it in Argo v4.0.6.

The controller sets it with `strconv.Quote(string(json.Marshal(failures)))` (workflow/controller/operator.go): a Go
string literal holding the JSON list, quotes and escapes included; the template substitution JSON-escapes that text
again and the env value comes out as the literal itself. So the value is first decoded as a Go literal, then as
JSON. Each item: displayName, message, templateName, phase, podName, finishedAt. `null` (no failed node) is [].
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}


class FailuresProblem(ValueError):
    """The value is not what Argo produces."""


def unquote_go(literal: str) -> str:
    """The string a Go double-quoted literal (as strconv.Quote writes it) stands for."""
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise FailuresProblem("not a Go string literal (Argo quotes {{workflow.failures}})")
    body, out, index = literal[1:-1], bytearray(), 0
    while index < len(body):
        character = body[index]
        if character != "\\":
            out += character.encode("utf-8")
            index += 1
            continue
        kind = body[index + 1 : index + 2]
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
            index += 2
        elif kind in ("x", "u", "U"):
            digits = {"x": 2, "u": 4, "U": 8}[kind]
            text = body[index + 2 : index + 2 + digits]
            if len(text) != digits or any(c not in "0123456789abcdefABCDEF" for c in text):
                raise FailuresProblem(f"bad \\{kind} escape at {index}")
            value = int(text, 16)
            out += bytes([value]) if kind == "x" else chr(value).encode("utf-8", "surrogatepass")
            index += 2 + digits
        elif kind and kind in "01234567":
            text = body[index + 1 : index + 4]
            out.append(int(text, 8) & 0xFF)
            index += 4
        else:
            raise FailuresProblem(f"bad escape at {index}")
    return out.decode("utf-8", "replace")


@dataclass(frozen=True)
class Failure:
    display_name: str
    message: str
    template_name: str
    phase: str
    pod_name: str
    finished_at: str


def parse_failures(value: str) -> list[Failure]:
    """The failed nodes; [] for an empty value (the start hook passes none) or `null`."""
    text = value.strip()
    if not text:
        return []
    decoded: Any = json.loads(unquote_go(text) if text.startswith('"') else text)
    if decoded is None:
        return []
    if not isinstance(decoded, list):
        raise FailuresProblem("expected a JSON list of failed nodes")
    return [
        Failure(
            display_name=str(item.get("displayName") or ""),
            message=str(item.get("message") or ""),
            template_name=str(item.get("templateName") or ""),
            phase=str(item.get("phase") or ""),
            pod_name=str(item.get("podName") or ""),
            finished_at=str(item.get("finishedAt") or ""),
        )
        for item in decoded
        if isinstance(item, dict)
    ]
