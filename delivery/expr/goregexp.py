"""Go regular expressions through RE2 (google-re2), whose syntax and semantics Go's regexp package follows."""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

from delivery.expr.errors import ExprError, InvalidExpression

# RE2's defaults are Go's regexp.Compile (syntax.Perl): `$` only at the very end of the text, ASCII \d \w \s \b,
# `{,n}` literal text, flags anywhere, Unicode classes, leftmost-first search. Two options differ from the defaults:
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print every refused pattern on stderr
_RE2_OPTIONS.max_mem = 64 << 20  # Go has no memory budget; RE2's default 8 MiB refuses Go-valid patterns (\pL{1000})
# RE2's error texts and Go's (regexp/syntax ErrorCode) for the same failures.
_RE2_ERRORS = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "bad repetition operator": "invalid nested repetition operator",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "trailing \\": "trailing backslash at end of expression",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
}
# The one syntax difference shimmed: RE2 accepts \C (any byte), Go refuses it (outside \Q...\E, in or out of
# brackets). Differences left as they are: Go refuses regexps nested over 1000 levels deep (ErrNestingDepth) and
# counts its size limit (ErrLarge) in instructions where RE2 counts bytes (max_mem); the Unicode tables behind \p{...}
# and (?i) are those of each release (Go 1.25 in Argo v4.0.6, RE2 2025-11 here). Searches are unanchored in both,
# and which match is found (leftmost-first or longest) cannot change whether there is one. Texts are valid UTF-8 on
# both sides (expr's literals and Argo's JSON decoding replace invalid bytes with U+FFFD).
_ESCAPE_OR_QUOTED = re.compile(r"\\Q.*?(?:\\E|\Z)|\\(.)", re.DOTALL)


def _regexp_error(pattern: str, error: Exception) -> str:
    message = error.args[0].decode("utf-8", "replace") if isinstance(error.args[0], bytes) else str(error.args[0])
    code, _, argument = message.partition(": ")
    return f"error parsing regexp: {_RE2_ERRORS.get(code, code)}: `{argument or pattern}`"


@functools.lru_cache(maxsize=256)
def _go_regexp(pattern: str) -> Any:
    """regexp.Compile(pattern) for regexp.MatchString (an unanchored search); ExprError where Go refuses it."""
    if any(match.group(1) == "C" for match in _ESCAPE_OR_QUOTED.finditer(pattern)):
        raise ExprError("error parsing regexp: invalid escape sequence: `\\C`")
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        raise ExprError(_regexp_error(pattern, error)) from None


def _constant_regexp(pattern: str) -> None:
    """A pattern written as a string literal is compiled by expr.Compile: its errors are compile errors."""
    try:
        _go_regexp(pattern)
    except ExprError as error:
        raise InvalidExpression(str(error)) from None
