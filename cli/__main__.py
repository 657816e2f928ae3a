"""The project's command-line tools behind one entry point: `python -m cli <command> [options]`."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# Each command is a module of this package with `main(arguments) -> int`; imported only when it runs.
COMMANDS = {
    "simulate": ("cli.simulate", "which pipelines a delivery would start, offline"),
    "redeliver": ("cli.redeliver", "redeliver the organization hooks' failed deliveries"),
    "catalog": ("cli.catalog", "regenerate (or --check) delivery/github_events.json"),
    "bench": ("cli.bench", "measure the program against the Pulumi SDK floor"),
}
EXIT_BAD_INPUT = 2


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return "usage: python -m cli <command> [options]\n\ncommands:\n" + "\n".join(lines) + "\n"


def main(arguments: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    if not arguments or arguments[0] in ("-h", "--help"):
        (sys.stdout if arguments else sys.stderr).write(usage())
        return 0 if arguments else EXIT_BAD_INPUT
    command, *rest = arguments
    if command not in COMMANDS:
        sys.stderr.write(f"error: unknown command {command!r}\n{usage()}")
        return EXIT_BAD_INPUT
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest))


if __name__ == "__main__":
    sys.exit(main())
