"""The documentation works as written: README.md and docs/*.md.

- Every command shown in a fenced `sh` block runs, verbatim, if it can run offline: the project's own tools
  (`python -m cli …`, `./agw …`), in a copy of the project whose stack files this test writes (a user's
  `Pulumi.<stack>.yaml` never decides the outcome). `redeliver` runs against the local fake of GitHub's API. A block
  that needs what this machine lacks (the Pulumi CLI, a cluster, a registry) is recognised by its programs, which
  are listed below with what they need.
- The README's test command is exactly what CI (`.ci/run`) runs.
- Every relative link and `#anchor` resolves, inside the repository, and every project path named in inline code
  (`delivery/triggers.py`) exists.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.github import FakeGitHub, OrganizationWebhooks
from tests.harness import PROJECT_ROOT, project_with_stack

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]

# Programs a documented command may start with that cannot run here, and what they need. A block with one of them
# is not run; a block with a program in neither list fails this test until it is added to one of them.
NEEDS = {
    "pulumi": "the Pulumi CLI, a backend and, for preview and up, a cluster",
    "kubectl": "a cluster",
    "helm": "Helm and the chart from its registry",
    "npm": "the npm registry",
    "crane": "a container registry",
    "curl": "the network",
    "gh": "GitHub",
}
# Programs that run here: the project's tools (through the virtualenv, `python` or `./agw`), and shell builtins.
RUNS = {".venv/bin/python", "python", "python3", "./agw", "../agw", "agw", "cd", "export"}
# The project's tools that take too long for a test run, and why.
LONG = {"bench": "measures dozens of fresh program runs: minutes"}  # checked against its --help instead
TOKEN = "ghp_docs-test-token"


@dataclass(frozen=True)
class Block:
    """One fenced `sh` block: where it is and its commands (comments dropped, continuation lines joined)."""

    page: str
    line: int
    commands: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _fences(text: str) -> Iterator[tuple[str, int, list[str]]]:
    """(language, line number of the opening fence, lines) of every fenced block."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^\s*```(\S*)", lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        yield opening.group(1), index + 1, lines[index + 1 : end]
        index = end + 1


def _prose(text: str) -> str:
    """The page without its fenced blocks (their lines blanked, so line numbers stay)."""
    lines = text.splitlines()
    for _, start, body in _fences(text):
        for offset in range(len(body) + 2):
            if start - 1 + offset < len(lines):
                lines[start - 1 + offset] = ""
    return "\n".join(lines)


def _without_comment(line: str) -> str:
    """`line` up to a `#` that starts a shell comment (outside quotes, at a word's start)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip()
    return line.rstrip()


def _sh_blocks() -> list[Block]:
    blocks = []
    for page in PAGES:
        for language, line, body in _fences(page.read_text(encoding="utf-8")):
            if language not in ("sh", "bash", "shell", "console"):
                continue
            commands: list[str] = []
            pending = ""
            for raw in body:
                text = pending + raw
                if text.endswith("\\"):
                    pending = text[:-1] + " "
                    continue
                pending = ""
                command = _without_comment(text).strip()
                if command:
                    commands.append(command)
            blocks.append(Block(str(page.relative_to(PROJECT_ROOT)), line, tuple(commands)))
    return blocks


def _programs(command: str) -> list[str]:
    """The program of each simple command in `command` (split at `&&`, `||`, `|`, `;`; assignments skipped)."""
    lexer = shlex.shlex(re.sub(r"<[\w.:/-]+>", "PLACEHOLDER", command), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    programs, expect_program = [], True
    for token in lexer:
        if token in ("&&", "||", "|", ";", "&"):
            expect_program = True
        elif expect_program and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", token):
            programs.append(token)
            expect_program = False
    return programs


def _tool(command: str) -> str | None:
    """The `python -m cli` command a line runs (`simulate`, …), or None."""
    match = re.search(r"(?:-m cli|agw)\s+([a-z][\w-]*)", command)
    return match.group(1) if match else None


def _needs(block: Block) -> list[str]:
    return sorted({NEEDS[program] for command in block.commands for program in _programs(command) if program in NEEDS})


def _ci_command() -> str:
    lines = [line for line in (PROJECT_ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    return lines[-1]


BLOCKS = _sh_blocks()
TEST_COMMAND = _ci_command()
RUNNABLE = [block for block in BLOCKS if not _needs(block) and TEST_COMMAND not in block.commands]


def test_the_docs_show_commands() -> None:
    assert len(BLOCKS) >= 8, [block.id for block in BLOCKS]
    assert len(RUNNABLE) >= 3, [block.id for block in RUNNABLE]


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_every_documented_program_is_known(block: Block) -> None:
    if _needs(block):  # not run: what else it runs does not matter here
        return
    unknown = [
        (command, program)
        for command in block.commands
        for program in _programs(command)
        if program not in NEEDS and program not in RUNS and command != TEST_COMMAND
    ]
    assert not unknown, (
        f"{block.id}: {unknown}: a program this test neither runs nor knows to be unavailable here; add it to RUNS "
        "(and make the command run offline) or to NEEDS with what it needs"
    )
    for command in block.commands:
        if command != TEST_COMMAND and set(_programs(command)) & {".venv/bin/python", "python", "python3"}:
            assert _tool(command), f"{block.id}: {command!r} runs Python, but not the project's `-m cli` entry point"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = [block for block in BLOCKS if block.page == "README.md"]
    assert [block.commands for block in readme if TEST_COMMAND in block.commands] == [(TEST_COMMAND,)], (
        f"README.md shows the test command in a block of its own, exactly as .ci/run runs it: {TEST_COMMAND!r}"
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with stack files this test owns (`dev`, `prod`) and a `.venv/bin/python` that is the
    interpreter running the tests, so that documented commands run verbatim."""
    root = tmp_path_factory.mktemp("project") / "argo-github-webhooks"
    ignored = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache", "Pulumi.*.yaml", "*.pyc")
    shutil.copytree(PROJECT_ROOT, root, ignore=ignored)
    for stack, organizations in (("dev", ["acme"]), ("prod", ["acme", "acme-labs"])):
        project_with_stack(
            root,
            stack,
            {
                "argo-github-webhooks:host": f"argo.{stack}.example.com",
                "argo-github-webhooks:organizations": organizations,
                "argo-github-webhooks:pipelines": [
                    {"name": "hello-world", "template": "workflows/hello-world.yaml", "events": ["push"]},
                    {
                        "name": "secret-scan",
                        "template": "workflows/secret-scan.yaml",
                        "events": ["push", "pull_request"],
                    },
                ],
            },
        )
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "python3"):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
        (bin_dir / name).chmod(0o755)
    return root


def _environment(root: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no credentials or settings of whoever runs the tests."""
    return {
        "PATH": f"{root / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(root.parent),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


@dataclass
class GitHubWithFailures:
    """GitHub's API on 127.0.0.1 with the `prod` sandbox stack's hooks; `fail_one_each()` adds a delivery that Argo
    failed (502) ten minutes ago to each."""

    fake: FakeGitHub
    hooks: OrganizationWebhooks
    hook_ids: tuple[int, ...]

    def fail_one_each(self) -> None:
        for hook in self.hook_ids:
            self.hooks.add_delivery(hook, str(uuid.uuid4()), 502, at=time.time() - 600)


@pytest.fixture
def github() -> Iterator[GitHubWithFailures]:
    with FakeGitHub(token=TOKEN) as fake:
        hooks = OrganizationWebhooks(fake)
        url = "https://argo.prod.example.com/api/v1/events/workflows/github"
        yield GitHubWithFailures(fake, hooks, tuple(hooks.add_hook(login, url) for login in ("acme", "acme-labs")))


def _run(command: str, root: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _check_outcome(block: Block, command: str, completed: subprocess.CompletedProcess[str]) -> None:
    where = f"{block.id}: {command!r} exited {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert completed.returncode == 0, where
    assert "Traceback" not in completed.stderr + completed.stdout, where
    if re.search(r"\s--json\b", command):
        json.loads(completed.stdout)


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_documented_offline_commands_run(block: Block, sandbox: Path, github: GitHubWithFailures) -> None:
    fake = github.fake
    test_every_documented_program_is_known(block)  # never run what this test does not know
    for command in block.commands:
        tool = _tool(command)
        environment = _environment(sandbox)
        if tool == "redeliver":  # GitHub is the local fake; the token placeholder is its token
            command = command.replace("<token>", TOKEN)
            environment["GITHUB_BASE_URL"] = fake.base_url
            github.fail_one_each()
        if tool in LONG:  # too long for a test run: its --help must still list every documented option
            completed = _run(f"{command} --help", sandbox, environment)
            assert completed.returncode == 0, f"{block.id}: {command!r} ({LONG[tool]}): {completed.stderr}"
            for option in re.findall(r"(?<!\S)--[a-z][\w-]*", command):
                assert option in completed.stdout, f"{block.id}: {command!r}: {tool} --help has no {option}"
            continue
        assert "<" not in command.replace(" < ", " "), f"{block.id}: {command!r} has a placeholder: show a real value"
        writes = fake.writes
        _check_outcome(block, command, _run(command, sandbox, environment))
        if tool == "redeliver" and "--dry-run" in command:
            assert fake.writes == writes, f"{block.id}: {command!r} wrote to GitHub"
        elif tool == "redeliver":
            assert fake.writes > writes, f"{block.id}: {command!r} redelivered nothing"


def _stack_files() -> list[tuple[str, str]]:
    """(where, text) of every YAML block that is a whole stack file (a mapping with `config`)."""
    found = []
    for page in PAGES:
        for language, line, body in _fences(page.read_text(encoding="utf-8")):
            if language in ("yaml", "yml") and body and body[0].startswith("config:"):
                found.append((f"{page.relative_to(PROJECT_ROOT)}:{line}", "\n".join(body) + "\n"))
    return found


STACK_FILES = _stack_files()


def test_the_readme_shows_a_stack_file() -> None:
    assert any(where.startswith("README.md") for where, _ in STACK_FILES)


@pytest.mark.parametrize(("where", "text"), STACK_FILES, ids=[where for where, _ in STACK_FILES])
def test_documented_stack_files_pass_the_check(where: str, text: str, sandbox: Path) -> None:
    stack = "docs-" + re.sub(r"[^a-z0-9]+", "-", where.lower())
    (sandbox / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    command = f".venv/bin/python -m cli check --stack {stack}"
    completed = _run(command, sandbox, _environment(sandbox))
    assert completed.returncode == 0, f"{where}: {command}\n{completed.stdout}{completed.stderr}"


def test_blocks_that_need_what_this_machine_lacks_are_recognised() -> None:
    """The README's `pulumi up` is not run, for what it needs (the Pulumi CLI)."""
    skipped = {block.id: _needs(block) for block in BLOCKS if _needs(block)}
    readme_up = [
        block.id for block in BLOCKS if block.page == "README.md" and any("pulumi up" in c for c in block.commands)
    ]
    assert readme_up and all(NEEDS["pulumi"] in skipped[where] for where in readme_up)


# --- Links, anchors and paths --------------------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
PROJECT_DIRS = ("cli", "components", "delivery", "docs", "github", "podkit", "settings", "tests", "workflows")
PROJECT_PATH = re.compile(rf"(?:{'|'.join(PROJECT_DIRS)}|\.github|\.ci)/[\w./-]*")
PATH_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".md", ".txt", ".toml", "/")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (markup included), spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    for line in _prose(page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = _slug(heading.group(1))
            count = sum(1 for anchor in anchors if re.fullmatch(rf"{re.escape(slug)}(-\d+)?", anchor))
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, line in enumerate(_prose(page.read_text(encoding="utf-8")).splitlines(), start=1):
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                found.append((f"{page.relative_to(PROJECT_ROOT)}:{number}", target))
    return found


LINKS = _links()


def test_the_docs_link_to_each_other() -> None:
    assert len([target for _, target in LINKS if "#" in target]) >= 10


@pytest.mark.parametrize(("where", "target"), LINKS, ids=[f"{where} {target}" for where, target in LINKS])
def test_every_relative_link_and_anchor_resolves(where: str, target: str) -> None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
        assert target.startswith(("https://", "mailto:")), f"{where}: {target} (links outside are https)"
        return
    page = PROJECT_ROOT / where.rsplit(":", 1)[0]
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.is_relative_to(PROJECT_ROOT), f"{where}: {target} leaves the repository"
    assert resolved.exists(), f"{where}: {target}: no such file in the repository"
    if anchor:
        assert resolved.suffix == ".md", f"{where}: {target}: an anchor into a file that is not a page"
        anchors = _anchors(resolved)
        assert anchor in anchors, f"{where}: {target}: no heading with that anchor; the page has {sorted(anchors)}"


def _project_paths() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, line in enumerate(_prose(page.read_text(encoding="utf-8")).splitlines(), start=1):
            for span in CODE_SPAN.findall(line):
                if PROJECT_PATH.fullmatch(span) and span.endswith(PATH_SUFFIXES):
                    found.append((f"{page.relative_to(PROJECT_ROOT)}:{number}", span))
    return found


PATHS = _project_paths()


@pytest.mark.parametrize(("where", "path"), PATHS, ids=[f"{where} {path}" for where, path in PATHS])
def test_every_project_path_the_docs_name_exists(where: str, path: str) -> None:
    assert (PROJECT_ROOT / path).exists(), f"{where}: `{path}` is not in the repository"


RELATIVE_PATH = re.compile(r"(?:\.\./)+[\w.-]+")


def test_the_docs_name_nothing_outside_the_repository() -> None:
    """No absolute link, and no relative path (linked or in prose) that climbs out of the repository."""
    root = PROJECT_ROOT.resolve()
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "](/" not in text, f"{page.relative_to(PROJECT_ROOT)} links an absolute path"
        for path in RELATIVE_PATH.findall(text):
            target = (page.parent / path).resolve()
            assert target.is_relative_to(root), f"{page.relative_to(PROJECT_ROOT)} names {path!r}, outside the repository"


INLINE_TOOL = re.compile(r"^(?:\.venv/bin/)?(?:python3? -m cli|\.{0,2}/?agw) (\S+)(.*)$")


def _inline_tool_commands() -> list[tuple[str, str, str]]:
    """(where, command, its options) of every inline `python -m cli <command> …` or `./agw <command> …` in prose."""
    found = []
    for page in PAGES:
        for number, line in enumerate(_prose(page.read_text(encoding="utf-8")).splitlines(), start=1):
            for span in CODE_SPAN.findall(line):
                match = INLINE_TOOL.match(span)
                if match and match.group(1) != "<command>":
                    found.append((f"{page.relative_to(PROJECT_ROOT)}:{number}", match.group(1), match.group(2)))
    return found


INLINE_TOOLS = _inline_tool_commands()


@functools.cache
def _help(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", command, "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("where", "command", "options"), INLINE_TOOLS, ids=[f"{where} {command}" for where, command, _ in INLINE_TOOLS]
)
def test_every_tool_named_in_the_text_exists_with_those_options(where: str, command: str, options: str) -> None:
    """A command the prose names (`python -m cli simulate --stack <stack> …`) is one of the tools, and its --help
    lists each option shown."""
    completed = _help(command)
    assert completed.returncode == 0, f"{where}: `python -m cli {command}` is not a command: {completed.stderr}"
    for option in re.findall(r"(?<!\S)--[a-z][\w-]*", options):
        assert option in completed.stdout, f"{where}: `python -m cli {command} --help` has no {option}"


def test_the_readme_is_a_front_door() -> None:
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail to docs/ (at most about 200)"
