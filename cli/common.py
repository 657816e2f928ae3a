"""What every command of `python -m cli` does the same way, so that a script can rely on it.

* `--help` ends with the exit codes, the environment variables read and an example (`CommandParser`).
* `--json` is a flag that means one thing everywhere: the machine-readable document on standard output, and for an
  error `{"error": "...", "exit_code": N}` on standard output too, argparse's usage errors included (`run`).
  Without it, results go to standard output and every error to standard error, once.
* Bad input is exit code 2 with one message and no traceback (`BadInput`, argparse's errors).
* A reader that stops early (`... --json | head -1`) ends the command quietly with exit code 141, as a process
  killed by SIGPIPE would (Python's documented way: point standard output at /dev/null and leave).
* Progress during waits goes to standard error (`progress`), never into the output a script parses.
* Paths of the project come from this file (`PROJECT_ROOT`), never from the current directory; `./agw` at the
  repository root runs the commands from any directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE  # 141: what a shell reports for a process a closed pipe stopped
CLOSED_PIPE_MEANING = "standard output was closed before everything was written (a reader like head stopped)"
MAX_HELP_WIDTH = 120  # argparse wraps at the terminal's width; so does the epilog, up to this
JSON_HELP = 'print one JSON document on standard output, errors included ({"error": ..., "exit_code": N})'


class BadInput(ValueError):
    """What the user gave cannot be used: exit code 2, the message printed once."""


class UsageError(Exception):
    """argparse refused the command line (raised instead of argparse printing and exiting)."""


def _entry(label: str, meaning: str) -> str:
    """`  label  meaning`, the meaning wrapped under itself at the width argparse gives the options."""
    width = min(shutil.get_terminal_size().columns, MAX_HELP_WIDTH) - 2
    indent = " " * (len(label) + 4)
    return textwrap.fill(
        meaning,
        width,
        initial_indent=f"  {label}  ",
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def help_epilog(exit_codes: Mapping[int, str], environment: Mapping[str, str], examples: Sequence[str]) -> str:
    """The end of every `--help`: exit codes, environment variables, examples."""
    codes = {**exit_codes, EXIT_CLOSED_PIPE: CLOSED_PIPE_MEANING}
    lines = ["exit codes:"]
    lines += [_entry(f"{code:<3}", meaning) for code, meaning in sorted(codes.items())]
    lines.append("")
    if environment:
        width = max(map(len, environment))
        lines.append("environment variables:")
        lines += [_entry(name.ljust(width), meaning) for name, meaning in environment.items()]
    else:
        lines.append("environment variables: none read")
    lines += ["", "example:" if len(examples) == 1 else "examples:"]
    lines += [f"  {example}" for example in examples]
    lines += ["", "From any directory of the checkout: ./agw <command> ... (the repository's agw script)."]
    return "\n".join(lines)


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser for `python -m cli <command>` whose errors are raised (so `run` can answer in JSON) and
    whose `--help` ends with the exit codes, environment variables and an example."""

    def __init__(
        self,
        command: str,
        description: str,
        *,
        exit_codes: Mapping[int, str],
        examples: Sequence[str],
        environment: Mapping[str, str] | None = None,
        json_flag: bool = True,
    ) -> None:
        super().__init__(
            prog=f"python -m cli {command}",
            description=description,
            epilog=help_epilog(exit_codes, environment or {}, examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,  # `--js` is not `--json`: `run` must see the flag as written to answer in JSON
        )
        if json_flag:
            self.add_argument("--json", action="store_true", help=JSON_HELP)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def print_help(self, file: Any = None) -> None:
        """argparse's own swallows a write that fails (OSError): a closed pipe must reach `run` to exit 141."""
        (file or sys.stdout).write(self.format_help())


def wants_json(arguments: Sequence[str]) -> bool:
    """Whether the command line asks for JSON, looked at before parsing so that a usage error is answered in JSON."""
    for argument in arguments:
        if argument == "--":
            return False
        if argument == "--json":
            return True
    return False


def print_json(document: Any) -> None:
    print(json.dumps(document, indent=2))


def report_error(message: str, exit_code: int, as_json: bool) -> int:
    """One error, once: a JSON document on standard output with --json, else `error: ...` on standard error."""
    if as_json:
        print_json({"error": message, "exit_code": exit_code})
    else:
        print(f"error: {message}", file=sys.stderr)
    return exit_code


def progress(message: str) -> None:
    """A line for the person waiting (on standard error, so it never mixes with the output a script reads)."""
    print(message, file=sys.stderr, flush=True)


def closed_pipe() -> int:
    """The reader went away: send what is still buffered to /dev/null so Python's exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stdout without a file descriptor (captured in tests)
        pass
    return EXIT_CLOSED_PIPE


def run(
    parser: CommandParser, body: Callable[[argparse.Namespace], int], arguments: Sequence[str] | None = None
) -> int:
    """Parse the command line and run `body`, with the shared conventions for usage errors, bad input and a closed
    pipe. `body` returns the exit code and raises BadInput for input it cannot use."""
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    as_json = wants_json(arguments)
    try:
        try:
            options = parser.parse_args(arguments)
        except UsageError as error:
            if not as_json:
                parser.print_usage(sys.stderr)
            return report_error(str(error), EXIT_BAD_INPUT, as_json)
        except SystemExit as exit_:  # --help printed: argparse exits 0
            sys.stdout.flush()
            return int(exit_.code or 0) if isinstance(exit_.code, int | None) else EXIT_BAD_INPUT
        try:
            code = body(options)
        except BadInput as error:
            code = report_error(str(error), EXIT_BAD_INPUT, as_json)
        sys.stdout.flush()  # inside the try: a reader that left is noticed here, not in Python's exit
        return code
    except BrokenPipeError:
        return closed_pipe()
