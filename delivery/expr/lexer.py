"""The lexer (expr's parser/lexer): tokens exactly as expr cuts them, string literals with Go's escapes."""

from __future__ import annotations

import string
from dataclasses import dataclass

from delivery.expr.errors import _syntax_error

# unicode.IsSpace, which both the lexer and strings.TrimSpace use (Python's str.isspace also takes \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
# fmt: off
_WORD_OPERATORS = frozenset(
    {"not", "in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"}
)
# fmt: on
_STRING_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_NUMERIC_ESCAPES = {"x": (16, 2), "u": (16, 4), "U": (16, 8)}
# Operators that may take a second character, and which ones (`<*` is a token too: the parser then refuses it).
_TWO_CHAR_OPERATORS = {"?": ".?", "|": "|", ":": ":", ".": ".", **dict.fromkeys("&!=*<>", "&=*")}


@dataclass(frozen=True)
class _Token:
    kind: str  # "operator", "bracket", "identifier", "number", "string", "bytes" or "eof"
    value: str
    pos: int


def _is_alphabetic(char: str) -> bool:
    return char in "_$" or char.isalpha()


def _is_alphanumeric(char: str) -> bool:
    return _is_alphabetic(char) or char.isdecimal()


def _is_identifier(text: str) -> bool:
    return bool(text) and _is_alphabetic(text[0]) and all(map(_is_alphanumeric, text[1:]))


def _lex(source: str) -> list[_Token]:
    """Tokens exactly as expr's lexer cuts them (comments are skipped, as there)."""
    tokens = []
    pos = 0
    while pos < len(source):
        char, start = source[pos], pos
        following = source[pos + 1 : pos + 2]
        if char in _GO_SPACE:
            pos += 1
            continue
        if char in "\"'" or (char in "bB" and following and following in "\"'"):
            is_bytes = char in "bB"
            text, pos = _scan_string(source, pos + is_bytes, is_bytes)
            tokens.append(_Token("bytes" if is_bytes else "string", text, start))
            continue
        if char == "`":
            text, pos = _scan_raw_string(source, pos)
            tokens.append(_Token("string", text, start))
            continue
        if "0" <= char <= "9" or (char == "." and "0" <= following <= "9"):
            pos = _scan_number(source, pos + 1 if char == "." else pos)
            tokens.append(_Token("number", source[start:pos], start))
            continue
        if char == "#":  # a predicate's pointer, with its name (`#acc`, `#index`) as an identifier token
            tokens.append(_Token("operator", "#", start))
            pos += 1
            while pos < len(source) and _is_alphanumeric(source[pos]):
                pos += 1
            if pos > start + 1:
                tokens.append(_Token("identifier", source[start + 1 : pos], start + 1))
            continue
        if _is_alphanumeric(char):
            while pos < len(source) and _is_alphanumeric(source[pos]):
                pos += 1
            word = source[start:pos]
            tokens.append(_Token("operator" if word in _WORD_OPERATORS else "identifier", word, start))
            continue
        if char in "([{)]}":
            tokens.append(_Token("bracket", char, start))
            pos += 1
            continue
        if char == "/" and following == "/":
            end = source.find("\n", pos)
            pos = len(source) if end < 0 else end + 1
            continue
        if char == "/" and following == "*":
            end = source.find("*/", pos + 2)
            if end < 0:
                _syntax_error(source, len(source), "unclosed comment")
            pos = end + 2
            continue
        if char in _TWO_CHAR_OPERATORS:
            pos += 2 if following and following in _TWO_CHAR_OPERATORS[char] else 1
        elif char in ",;%+-^/":
            pos += 1
        else:
            _syntax_error(source, start, f"unrecognized character: U+{ord(char):04X} {char!r}")
        tokens.append(_Token("operator", source[start:pos], start))
    tokens.append(_Token("eof", "", len(source)))
    return tokens


def _scan_string(source: str, start: int, is_bytes: bool = False) -> tuple[str, int]:
    """A quoted literal's value: Go-style escapes, only the literal's own quote escapable, CR read as LF.

    A bytes literal (b"...") keeps \\x and octal escapes as byte values (chr(0..255) here) and has no \\u escapes.
    """
    quote_char = source[start]
    pos = start + 1
    out = []
    while True:
        if pos >= len(source) or source[pos] == "\n":
            _syntax_error(source, start, "literal not terminated")
        char = source[pos]
        if char == quote_char:
            return "".join(out), pos + 1
        if char != "\\":
            out.append("\n" if char == "\r" else char)
            pos += 1
            continue
        escape = source[pos + 1 : pos + 2]
        if escape in _STRING_ESCAPES or escape == quote_char:
            out.append(_STRING_ESCAPES.get(escape, escape))
            pos += 2
            continue
        if escape == "u" and source.startswith("{", pos + 2):  # \u{1F600}: one to six hex digits
            end = source.find("}", pos + 3)
            digits = source[pos + 3 : end] if end >= 0 else ""
            if not 1 <= len(digits) <= 6 or any(digit not in string.hexdigits for digit in digits):
                _syntax_error(source, pos, "invalid char escape")
            code, pos = int(digits, 16), end + 1
            if code > 0x10FFFF or is_bytes:
                _syntax_error(source, pos, "unable to unescape string")
            out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))
            continue
        if escape and escape in "01234567":
            base, width, digits_at = 8, 3, pos + 1
        elif escape and escape in _NUMERIC_ESCAPES:
            (base, width), digits_at = _NUMERIC_ESCAPES[escape], pos + 2
        else:
            _syntax_error(source, pos, "invalid char escape")
        digits = source[digits_at : digits_at + width]
        allowed = string.octdigits if base == 8 else string.hexdigits
        if len(digits) != width or any(digit not in allowed for digit in digits):
            _syntax_error(source, pos, "invalid char escape")
        code = int(digits, base)
        if (base == 8 and escape > "3") or code > 0x10FFFF or (is_bytes and escape in "uU"):
            _syntax_error(source, pos, "unable to unescape string")
        out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))  # utf8.EncodeRune writes U+FFFD for these
        pos = digits_at + width


def _scan_raw_string(source: str, start: int) -> tuple[str, int]:
    """A `raw` literal: no escapes at all, a doubled backtick stands for one."""
    out = []
    pos = start + 1
    while True:
        end = source.find("`", pos)
        if end < 0:
            _syntax_error(source, len(source), "literal not terminated")
        out.append(source[pos:end])
        if not source.startswith("``", end):
            return "".join(out), end + 1
        out.append("`")
        pos = end + 2


def _scan_number(source: str, pos: int) -> int:
    """The end of a number token (scanNumber): `1..2` leaves the range operator alone."""
    digits = "0123456789_"
    if source.startswith("0", pos):
        pos += 1
        prefix = source[pos : pos + 1].lower()
        if prefix and prefix in "xob":
            digits = {"x": string.hexdigits, "o": "01234567", "b": "01"}[prefix] + "_"
            pos += 1
    while pos < len(source) and source[pos] in digits:
        pos += 1
    if source.startswith(".", pos):
        if source.startswith("..", pos):
            return pos
        pos += 1
        while pos < len(source) and source[pos] in digits:
            pos += 1
    if source[pos : pos + 1] in ("e", "E"):
        pos += 1
        if source[pos : pos + 1] in ("+", "-"):
            pos += 1
        while pos < len(source) and source[pos] in digits:
            pos += 1
    if pos < len(source) and _is_alphanumeric(source[pos]):
        _syntax_error(source, pos, "bad number syntax")
    return pos
