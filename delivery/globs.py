"""GitHub Actions' filter patterns ("Filter pattern cheat sheet", docs.github.com, Workflow syntax for GitHub Actions)
as RE2, and ordered pattern lists with `!` negation as Argo expressions.

One syntax for branches, tags and paths, exactly the cheat sheet's: `*` any characters but `/`, `**` any characters,
`**/` also zero directories (`**/README.md` matches `README.md`), `?` zero or one of the preceding character, `+` one
or more of it, `[...]` one character of a class of `a-z`, `A-Z`, `0-9` (letters, digits and ranges), `\\` makes the
next character literal, `!` first negates the pattern. Everything else is itself.

A list is read in order and the last pattern that matches decides (a negative pattern after a positive one excludes,
a positive one after a negative one includes again); nothing matching means excluded. The selector writes exactly
that as a fold: `((a || b) && !c) || d`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from delivery.expr import quote

_GO_REGEXP_META = re.compile(r"([\\.+*?()|\[\]{}^$])")  # the characters Go's regexp.QuoteMeta escapes
_CLASS_RANGES = ("az", "AZ", "09")


class GlobError(ValueError):
    """The pattern is not in the cheat sheet's syntax; the message says where and what to write instead."""


@dataclass(frozen=True)
class Glob:
    """One pattern of a list: as written, whether `!` negates it, and its RE2 (unanchored)."""

    pattern: str
    negated: bool
    regexp: str


def literal_regexp(text: str) -> str:
    return _GO_REGEXP_META.sub(r"\\\1", text)


def _class(pattern: str, start: int) -> tuple[str, int]:
    """`[...]` from `start` (the `[`): its RE2 and the index after `]`."""
    end = pattern.find("]", start + 1)
    if end == -1:
        raise GlobError(f"'[' at position {start + 1} has no closing ']' (write '\\[' for a literal '[')")
    body = pattern[start + 1 : end]
    if not body:
        raise GlobError(f"'[]' at position {start + 1} is empty: list letters, digits or ranges, e.g. [0-9a-z]")
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            low, high = body[index], body[index + 2]
            if not any(a <= low <= high <= b for a, b in _CLASS_RANGES):
                raise GlobError(f"'[{body}]': the range {low}-{high} is not within a-z, A-Z or 0-9")
            index += 3
        elif body[index].isascii() and body[index].isalnum():
            index += 1
        else:
            raise GlobError(
                f"'[{body}]': {body[index]!r} cannot be in a class, which holds only letters, digits and the ranges "
                "a-z, A-Z, 0-9"
            )
    return f"[{body}]", end + 1


def glob_to_regexp(pattern: str) -> str:
    """The RE2 of one pattern (without its `!`): unanchored; the caller anchors it. Raises GlobError."""
    parts: list[str] = []
    repeatable = False  # whether the last part is one character or a class, which `?` and `+` may follow
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index, repeatable = index + 3, False
        elif pattern.startswith("**", index):
            parts.append(".*")
            index, repeatable = index + 2, False
        elif char == "*":
            parts.append("[^/]*")
            index, repeatable = index + 1, False
        elif char in "?+":
            if not repeatable:
                raise GlobError(
                    f"{char!r} at position {index + 1} has no preceding character to repeat (it means "
                    f"{'zero or one' if char == '?' else 'one or more'} of the character before it); "
                    f"write '\\{char}' for a literal {char!r}"
                )
            parts.append(char)
            index, repeatable = index + 1, False
        elif char == "[":
            regexp, index = _class(pattern, index)
            parts.append(regexp)
            repeatable = True
        elif char == "\\":
            if index + 1 == len(pattern):
                raise GlobError("ends with '\\', which escapes nothing (write '\\\\' for a literal '\\')")
            parts.append(literal_regexp(pattern[index + 1]))
            index, repeatable = index + 2, True
        else:
            parts.append(literal_regexp(char))
            index, repeatable = index + 1, True
    return "".join(parts)


def parse_glob(written: str) -> Glob:
    """A pattern as written in a list: a leading `!` negates it. Raises GlobError."""
    negated = written.startswith("!")
    pattern = written[1:] if negated else written
    if not pattern:
        raise GlobError("is empty after '!'")
    return Glob(written, negated, glob_to_regexp(pattern))


def anchored(regexps: Sequence[str], prefix: str = "", flags: str = "") -> str:
    """One RE2 matching the whole text against any of `regexps`, after a literal prefix."""
    return f"{flags}^{literal_regexp(prefix)}(?:{'|'.join(regexps)})$"


def list_expression(subject: str, globs: Sequence[Glob], prefix: str = "") -> str:
    """An expression: whether `subject` is included by the ordered list (the last matching pattern decides).

    Consecutive patterns of one sign share one regexp; a leading run of negative patterns excludes what nothing
    included yet, so it is dropped. A list of positive patterns is one `matches`.
    """
    runs: list[tuple[bool, list[str]]] = []
    for glob in globs:
        if runs and runs[-1][0] == glob.negated:
            runs[-1][1].append(glob.regexp)
        else:
            runs.append((glob.negated, [glob.regexp]))
    while runs and runs[0][0]:
        runs.pop(0)
    if not runs:
        return "false"
    expression = ""
    for negated, regexps in runs:
        test = f"{subject} matches {quote(anchored(regexps, prefix))}"
        if not expression:
            expression = test
        elif negated:
            expression = f"({expression} && !({test}))"
        else:
            expression = f"({expression} || {test})"
    return expression
