"""The conventions every command of `python -m cli` shares (cli/common.py): `--help` with exit codes, environment
variables and an example; `--json` errors on standard output; exit 2 with one message and no traceback; a quiet
exit 141 when the reader closes the pipe; the `agw` script from any directory of the checkout."""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli import common
from cli.__main__ import COMMANDS
from cli.__main__ import main as entry_point
from tests.harness import FIXTURES, PROJECT_ROOT, fixture_project, project_with_stack, stack_config

AGW = PROJECT_ROOT / "agw"
PUSH = FIXTURES / "payloads" / "push-branch.json"
UNKNOWN_STACK = "no-such-stack"

# One bad command line per tool: (arguments, the one error line it prints without --json).
BAD_INPUT = {
    "simulate": (
        ["--stack", UNKNOWN_STACK, "--event", "push", "--payload", str(PUSH)],
        f"error: unknown stack '{UNKNOWN_STACK}': no Pulumi.{UNKNOWN_STACK}.yaml",
    ),
    "catalog": (["--check", "--extract-from", "x.json"], "error: --check and --extract-from do not go together"),
    "redeliver": (
        ["--stack", UNKNOWN_STACK, "--since", "5y"],
        "error: argument --since: '5y' is not a positive duration",
    ),
    "check": (["--stack", UNKNOWN_STACK], f"error: unknown stack '{UNKNOWN_STACK}': no Pulumi.{UNKNOWN_STACK}.yaml"),
    "bench": (["--cells", "0x1"], "error: argument --cells: '0x1': at least 1 organization and 1 pipeline"),
}
TOOLS = sorted(BAD_INPUT)  # every command of the entry point (test_every_command_is_covered)
# What each tool's --help promises (exit code -> a word of its meaning), beyond 141 which every tool lists.
EXIT_CODES = {
    "simulate": {0: "fires", 1: "no pipeline fires", 2: "bad input"},
    "catalog": {0: "written", 1: "differs", 2: "bad input"},
    "redeliver": {0: "nothing is left failed", 1: "left failed", 2: "bad input"},
    "check": {0: "deployable", 1: "errors", 2: "cannot check"},
    "bench": {0: "is met", 1: "a target is missed", 2: "a measurement failed"},
}
# The environment variables each tool's --help names (none: it says it reads none).
ENVIRONMENT = {"redeliver": ["GITHUB_TOKEN", "GITHUB_BASE_URL"]}
# argparse's first complaint about `--no-such-option` alone: a missing required option, else the unknown one.
USAGE_ERRORS = {
    "simulate": "the following arguments are required: --stack, --event, --payload",
    "redeliver": "the following arguments are required: --stack",
    "check": "the following arguments are required: --stack",
}


def tool_main(tool: str) -> Any:
    """The tool's main, on the tests' own stack files when it reads any (never the checkout's)."""
    main = importlib.import_module(COMMANDS[tool][0]).main
    if "project_root" in inspect.signature(main).parameters:
        return functools.partial(main, project_root=fixture_project())
    return main


def environment() -> dict[str, str]:
    """What a subprocess gets: the caller's environment without a GitHub token, with this interpreter for agw."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    return {**env, "AGW_PYTHON": sys.executable}


def agw(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGW), *arguments], cwd=cwd, env=environment(), capture_output=True, text=True, timeout=120, check=False
    )


def into_closed_pipe(command: list[str]) -> tuple[int, str]:
    """Run `command` with its standard output on a pipe whose reader has already gone: a real reader process that
    exited without reading, as `head` does once it has what it wants. Returns the exit code and standard error."""
    read_end, write_end = os.pipe()
    reader = subprocess.run(["true"], stdin=read_end, check=True)
    assert reader.returncode == 0
    os.close(read_end)  # no reader is left: the command's first write fails with EPIPE
    try:
        completed = subprocess.run(
            command, stdout=write_end, stderr=subprocess.PIPE, env=environment(), text=True, timeout=120, check=False
        )
    finally:
        os.close(write_end)
    return completed.returncode, completed.stderr


# -- --help -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_help_lists_exit_codes_environment_and_an_example(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert tool_main(tool)(["--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"usage: python -m cli {tool} ")
    epilog = out[out.index("\nexit codes:\n") :]
    for code, meaning in {**EXIT_CODES[tool], 141: "standard output was closed"}.items():
        assert any(line.startswith(f"  {code:<3}  ") and meaning in line for line in epilog.splitlines()), (code, out)
    if tool in ENVIRONMENT:
        listed = epilog[epilog.index("\nenvironment variables:\n") :].split("\n\n")[0]
        names = [line.split()[0] for line in listed.splitlines()[2:] if not line.startswith("   ")]  # not wrapped
        assert names == ENVIRONMENT[tool]
    else:
        assert "\nenvironment variables: none read\n" in epilog
    example = epilog.split("\nexample:\n" if "\nexample:\n" in epilog else "\nexamples:\n")[1].splitlines()[0]
    assert f"python -m cli {tool} " in example
    assert "--json" in out


def test_every_command_is_covered() -> None:
    assert sorted(COMMANDS) == TOOLS


def test_the_entry_point_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry_point(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"\n  {command} " in out
    assert "./agw <command>" in out


def test_long_meanings_wrap_under_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    epilog = common.help_epilog({1: "some deliveries are left failed, limit reached or refused"}, {}, ["x"])
    assert epilog.splitlines()[1:4] == [
        "  1    some deliveries are left failed, limit reached or",
        "       refused",
        "  141  standard output was closed before everything was",
    ]


def test_help_epilog_names_the_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping: at most 120 columns
    epilog = common.help_epilog({0: "ok", 2: "bad input"}, {"GITHUB_TOKEN": "the token"}, ["python -m cli x"])
    assert epilog.splitlines()[:9] == [
        "exit codes:",
        "  0    ok",
        "  2    bad input",
        "  141  standard output was closed before everything was written (a reader like head stopped)",
        "",
        "environment variables:",
        "  GITHUB_TOKEN  the token",
        "",
        "example:",
    ]
    assert "environment variables: none read" in common.help_epilog({0: "ok"}, {}, ["python -m cli x"])


# -- --json: the same meaning everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_json_usage_errors_are_json_on_standard_output(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert tool_main(tool)(["--no-such-option", "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "error": USAGE_ERRORS.get(tool, "unrecognized arguments: --no-such-option"),
        "exit_code": 2,
    }
    assert err == ""


@pytest.mark.parametrize("tool", TOOLS)
def test_json_bad_input_is_json_on_standard_output(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments, message = BAD_INPUT[tool]
    assert tool_main(tool)([*arguments, "--json"]) == 2
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert (document["exit_code"], err) == (2, "")
    assert f"error: {document['error']}".startswith(message)


def test_an_unknown_command_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry_point(["nope", "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"error": f"unknown command 'nope': one of {', '.join(COMMANDS)}", "exit_code": 2}
    assert err == ""


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [(["--json"], True), (["--stack", "dev", "--json"], True), (["--", "--json"], False), (["--jsonx"], False)],
)
def test_wants_json(arguments: list[str], expected: bool) -> None:
    assert common.wants_json(arguments) is expected


def test_abbreviations_are_not_options(capsys: pytest.CaptureFixture[str]) -> None:
    """`--js` would be --json to argparse but not to `wants_json`: abbreviations are refused everywhere."""
    assert tool_main("catalog")(["--chec"]) == 2
    assert "unrecognized arguments: --chec" in capsys.readouterr().err


# -- bad input: exit 2, one message, no traceback, from any directory --------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_bad_input_from_a_subdirectory_exits_2_with_one_message(tool: str) -> None:
    arguments, message = BAD_INPUT[tool]
    completed = agw(tool, *arguments, cwd=PROJECT_ROOT / "tests" / "fixtures")
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    errors = [line for line in completed.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith(message), completed.stderr
    assert "Traceback" not in completed.stderr


def test_agw_runs_a_tool_from_a_subdirectory_with_paths_relative_to_it(tmp_path: Path) -> None:
    """The tools find the project from their own file; a path the user gives stays relative to where they are."""
    completed = agw("catalog", "--check", "--json", cwd=PROJECT_ROOT / "docs")
    assert (completed.returncode, completed.stderr) == (0, "")
    assert json.loads(completed.stdout) == {
        "catalogue": str(PROJECT_ROOT / "delivery" / "github_events.json"),
        "up_to_date": True,
    }
    (tmp_path / "payload.json").write_text("[]")
    completed = agw("simulate", "--stack", UNKNOWN_STACK, "--event", "push", "--payload", "payload.json", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"error: unknown stack '{UNKNOWN_STACK}'")  # the project's stacks, not cwd's


# -- a reader that closes early --------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_help_into_a_closed_pipe_exits_quietly(tool: str) -> None:
    code, err = into_closed_pipe([str(AGW), tool, "--help"])
    assert (code, err) == (141, "")


@pytest.mark.parametrize("tool", TOOLS)
def test_a_json_error_into_a_closed_pipe_exits_quietly(tool: str) -> None:
    arguments, _ = BAD_INPUT[tool]
    code, err = into_closed_pipe([str(AGW), tool, *arguments, "--json"])
    assert (code, err) == (141, "")


def test_a_simulation_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """The issue's case: `simulate ... --json | head -1`, a real simulation whose output nobody reads."""
    project = project_with_stack(tmp_path, "ci", stack_config())
    program = (
        "import sys; from pathlib import Path; from cli.simulate import main; "
        "sys.exit(main(sys.argv[1:], project_root=Path(sys.argv.pop(1))))"
    )
    command = [sys.executable, "-c", program, str(project), "--stack", "ci", "--event", "push"]
    code, err = into_closed_pipe([*command, "--payload", str(PUSH), "--json"])
    assert (code, err) == (141, "")


def test_head_reads_the_first_line_and_nothing_breaks() -> None:
    """The shell pipeline a user types; whether the tool's write or head's exit comes first, no traceback."""
    completed = subprocess.run(
        ["bash", "-c", f"set -o pipefail; '{AGW}' catalog --check --json | head -1"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.stdout == "{\n"
    assert completed.stderr == ""
    assert completed.returncode in (0, 141)


class ClosedStdout(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_closed_pipe_is_exit_141_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedStdout())
    assert tool_main("catalog")(["--check", "--json"]) == 141
