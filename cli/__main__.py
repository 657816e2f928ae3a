"""The project's command-line tools behind one entry point: `python -m cli <command> [options]`.

From any directory of the checkout: `./agw <command> [options]` (the repository's agw script runs this with the
project's virtualenv and the repository on the path). Every command follows cli/common.py's conventions.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from cli.common import EXIT_BAD_INPUT, EXIT_OK, closed_pipe, report_error, wants_json

# Each command is a module of this package with `main(arguments) -> int`; imported only when it runs.
COMMANDS = {
    "check": ("cli.check", "check a stack's config and templates offline, as pulumi preview would"),
    "simulate": ("cli.simulate", "which pipelines a delivery would start, offline"),
    "redeliver": ("cli.redeliver", "redeliver the organization hooks' failed deliveries"),
    "catalog": ("cli.catalog", "regenerate (or --check) delivery/github_events.json"),
    "bench": ("cli.bench", "what grows: time per resource against the SDK floor, GitHub requests per operation"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return (
        "usage: python -m cli <command> [options]    (from any directory: ./agw <command> [options])\n\n"
        "commands:\n" + "\n".join(lines) + "\n\n"
        "`python -m cli <command> --help`: its options, exit codes, environment variables and an example.\n"
        "Exit codes: the command's; 2 for no command or an unknown one.\n"
    )


def main(arguments: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    try:
        if not arguments or arguments[0] in ("-h", "--help"):
            (sys.stdout if arguments else sys.stderr).write(usage())
            sys.stdout.flush()
            return EXIT_OK if arguments else EXIT_BAD_INPUT
        command, *rest = arguments
        if command not in COMMANDS:
            if not wants_json(arguments):
                sys.stderr.write(usage())
            return report_error(
                f"unknown command {command!r}: one of {', '.join(COMMANDS)}", EXIT_BAD_INPUT, wants_json(arguments)
            )
        module = importlib.import_module(COMMANDS[command][0])
        return int(module.main(rest))
    except BrokenPipeError:
        return closed_pipe()


if __name__ == "__main__":
    sys.exit(main())
