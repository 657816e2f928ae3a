"""Runtime and development dependencies apart: `requirements.txt` is exactly what the deployed program (and the tools
CI runs with it) imports, `requirements-dev.txt` adds what the tests and lint need, and the README's test command
(`.ci/run`) installs the latter while the workflows that run the program install the former."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import yaml

from tests.harness import PROJECT_ROOT

# The deployed program: `__main__.py` and the packages it imports (podkit's code is shipped into the pods, github/
# is the client the tools share); cli/ minus the developers' benchmark, since CI runs `check` and `redeliver` on
# the program's requirements only.
PROGRAM = [
    PROJECT_ROOT / "__main__.py",
    *(path for package in ("components", "settings", "delivery", "github", "podkit", "cli")
      for path in sorted((PROJECT_ROOT / package).rglob("*.py")) if not path.name.startswith("bench")),
]  # fmt: skip
DEVELOPMENT = [*sorted((PROJECT_ROOT / "tests").rglob("*.py")), *sorted((PROJECT_ROOT / "cli").glob("bench*.py"))]
# Imported only when installed (the benchmark's --profile falls back to the stdlib's cProfile).
OPTIONAL = {"pyinstrument"}
# Programs the suite runs from the virtualenv's bin/ (tests/test_ci_workflows.py) and the README's command runs.
TOOLS = {"ruff", "check-jsonschema", "zizmor"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines (normalized names); anything else but comments and `-r` is a failure."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-r "):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned as name==version"
        found[normalized(match["name"])] = match["version"]
    return found


def third_party_imports(paths: list[Path]) -> dict[str, set[str]]:
    """Module names imported by `paths` that are neither the standard library nor this repository's own,
    mapped to the files importing them."""
    local = {path.name for path in PROJECT_ROOT.iterdir() if path.is_dir()} | {"__main__"}
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                    found.setdefault(module, set()).add(str(path.relative_to(PROJECT_ROOT)))
    return found


def distribution_of(module: str) -> str:
    """The distribution whose files hold `module` (`google.protobuf` -> protobuf, `re2` -> google-re2)."""
    top, *rest = module.split(".")
    candidates = importlib.metadata.packages_distributions().get(top, [])
    if len(set(candidates)) == 1:
        return normalized(candidates[0])
    # A namespace package several distributions share (`google`): the one that has the module's directory.
    for depth in range(len(rest), 0, -1):
        prefix = "/".join([top, *rest[:depth]]) + "/"
        holders = {
            normalized(name)
            for name in candidates
            if any(str(file).startswith(prefix) for file in importlib.metadata.distribution(name).files or ())
        }
        if len(holders) == 1:
            return holders.pop()
    raise AssertionError(f"{module}: installed by none or several of {candidates}")


def distributions(paths: list[Path]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for module, importers in third_party_imports(paths).items():
        if module.split(".")[0] in OPTIONAL:
            continue
        used.setdefault(distribution_of(module), set()).update(importers)
    return used


def test_requirements_txt_is_exactly_what_the_program_imports() -> None:
    used = distributions(PROGRAM)
    assert set(pins(PROJECT_ROOT / "requirements.txt")) == set(used), used


def test_requirements_dev_adds_what_the_tests_and_the_benchmark_import_and_the_tools() -> None:
    text = (PROJECT_ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("-r")] == ["-r requirements.txt"]
    runtime, development = pins(PROJECT_ROOT / "requirements.txt"), pins(PROJECT_ROOT / "requirements-dev.txt")
    assert not set(runtime) & set(development), "pinned in both files"
    missing = {name: files for name, files in distributions(DEVELOPMENT).items() if name not in {**runtime, **development}}
    assert not missing, missing
    assert set(development) >= TOOLS


def test_the_virtualenv_has_the_pinned_versions() -> None:
    for path in ("requirements.txt", "requirements-dev.txt"):
        for name, version in pins(PROJECT_ROOT / path).items():
            assert importlib.metadata.version(name) == version, f"{path}: {name}=={version}"


def test_the_test_command_installs_the_development_file_and_the_workflows_the_runtime_one() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -r requirements-dev.txt &&" in ci
    installs = []
    for path in sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values():
            installs += [line for step in job["steps"] for line in step.get("run", "").splitlines() if "pip" in line]
    assert installs, "no workflow installs the program"
    assert set(installs) == {".venv/bin/python -m pip install --disable-pip-version-check -r requirements.txt"}


def test_the_import_scan_sees_what_it_must() -> None:
    """The scan is not blind: it finds the program's RE2, maps a namespace package by its files, and the test tools'
    imports are outside the program's."""
    assert distributions(PROGRAM)["google-re2"] == {"delivery/expr/goregexp.py"}
    assert distribution_of("google.protobuf.json_format") == "protobuf"
    assert "pytest" in distributions(DEVELOPMENT) and "pytest" not in distributions(PROGRAM)
