"""The podkit commands: `python3 /opt/podkit/podkit.pyz <command>` in a pod (`python -m podkit <command>` here).

Each command reads its inputs from the environment (a Workflow passes event values through `env` only) and returns
an exit code. Add a command: write `run(environ, now) -> int` in its own module and add one `Command` line to
COMMANDS; the artifact the program ships picks it up (delivery/podkit_artifact.py packs every module of podkit/).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from podkit.checks import report_check_run
from podkit.git_credentials import revoke_git_credentials, write_git_credentials
from podkit.paths import decide_paths
from podkit.rerun import run as rerun
from podkit.status import report_status
from podkit.superseded import cancel_superseded
from podkit.sweep import run as sweep

USAGE_ERROR = 2


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[Mapping[str, str], float], int]  # (environment, now as epoch seconds) -> exit code
    summary: str


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("status", report_status, "post the run's commit status (1: GitHub was not told)"),
        Command("check-run", report_check_run, "create or complete the run's check run (1: GitHub was not told)"),
        Command("git-credentials", write_git_credentials, "a git config with a contents:read token for REPOSITORY"),
        Command("revoke-git-credentials", revoke_git_credentials, "after the fetch: revoke the clone's token"),
        Command("paths", decide_paths, "run or skip: does the pull request change a file PATH_FILTER wants"),
        Command("cancel-superseded", cancel_superseded, "stop the pipeline's older runs for the same branch or PR"),
        Command("sweep", sweep, "complete the reports of runs that ended without their own (the CronWorkflow)"),
        Command("rerun", rerun, "run a check run's pipeline again for a Re-run click (the App webhook)"),
    )
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name.ljust(width)}  {command.summary}" for name, command in COMMANDS.items()]
    return "usage: python3 podkit.pyz <command>   (inputs come from the environment)\ncommands:\n" + "\n".join(lines)


def main(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    if list(argv) in (["-h"], ["--help"]):
        print(usage())
        return 0
    if len(argv) != 1 or argv[0] not in COMMANDS:
        given = " ".join(argv) or "nothing"
        print(f"error: unknown command {given!r} (one of: {', '.join(COMMANDS)})\n{usage()}", file=sys.stderr)
        return USAGE_ERROR
    return COMMANDS[argv[0]].run(environ, time.time())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
