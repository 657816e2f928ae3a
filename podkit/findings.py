"""Findings a step hands the report: lines in its log in GitHub Actions' workflow-command syntax.

    ::error file=src/app.py,line=10,endLine=12,title=Hard-coded token::A GitHub token is committed here
    ::warning file=README.md,line=3::Broken link
    ::notice file=setup.cfg::Consider pinning

Levels error / warning / notice become GitHub's annotation levels failure / warning / notice. Properties: file
(required for an annotation), line, endLine, col, endColumn, title; escaped as GitHub Actions does (%25 %0D %0A in
the message, and %3A %2C too in properties). Two more commands end a run that decided it had nothing to do:
`::skipped::<reason>` and `::neutral::<reason>` (the check run's conclusion when the run succeeded), and
`::title::<one line>` sets the check run's title. Anything else in the log is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LEVELS = {"error": "failure", "warning": "warning", "notice": "notice"}
_COMMAND = re.compile(r"^::(error|warning|notice|skipped|neutral|title)(?: ([^:]*))?::(.*)$")
MAX_TITLE = 255
MAX_MESSAGE = 4000
MAX_PATH = 1024


@dataclass(frozen=True)
class Finding:
    level: str  # GitHub's annotation_level: failure, warning, notice
    path: str
    start_line: int
    end_line: int
    title: str
    message: str
    start_column: int | None = None
    end_column: int | None = None

    def annotation(self) -> dict[str, object]:
        """The Checks API annotation (columns only on one line, as GitHub requires)."""
        body: dict[str, object] = {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": self.level,
            "message": self.message or self.title or "(no message)",
        }
        if self.title:
            body["title"] = self.title
        if self.start_column is not None and self.start_line == self.end_line:
            body["start_column"] = self.start_column
            body["end_column"] = self.end_column if self.end_column is not None else self.start_column
        return body


@dataclass
class StepCommands:
    """What one step's log said."""

    findings: list[Finding]
    without_file: int = 0  # error/warning/notice lines without a file: not annotations, only counted
    title: str = ""
    decision: tuple[str, str] | None = None  # ("skipped" | "neutral", reason)


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() and int(text) > 0 else None


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _path(text: str) -> str | None:
    """A path inside the repository as GitHub names it (relative, forward slashes); None for anything else."""
    path = text.strip().removeprefix("./")
    parts = path.split("/")
    if not path or len(path) > MAX_PATH or path.startswith("/") or ".." in parts or any(ord(c) < 32 for c in path):
        return None
    return path


def parse_commands(lines: Iterable[str]) -> StepCommands:
    found = StepCommands(findings=[])
    for raw in lines:
        match = _COMMAND.match(raw.rstrip("\r\n"))
        if not match:
            continue
        command, properties_text, data = match.group(1), match.group(2) or "", _unescape_data(match.group(3))
        if command == "title":
            found.title = _one_line(data, MAX_TITLE)
            continue
        if command in ("skipped", "neutral"):
            found.decision = (command, _one_line(data, MAX_TITLE))
            continue
        properties = {}
        for item in properties_text.split(","):
            key, equals, value = item.partition("=")
            if equals:
                properties[key.strip()] = _unescape_property(value)
        path = _path(properties.get("file", ""))
        if path is None:
            found.without_file += 1
            continue
        start = _number(properties.get("line")) or 1
        end = max(_number(properties.get("endLine")) or start, start)
        found.findings.append(
            Finding(
                level=LEVELS[command],
                path=path,
                start_line=start,
                end_line=end,
                title=_one_line(properties.get("title", ""), MAX_TITLE),
                message=data[:MAX_MESSAGE],
                start_column=_number(properties.get("col")),
                end_column=_number(properties.get("endColumn")),
            )
        )
    return found
