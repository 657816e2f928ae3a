"""Tests own their fixtures: the checkout's `Pulumi.<stack>.yaml` belong to the team that edits them (the Quick start
says to), so no test may read them, except one marked `shipped_stack_files` (they pass `python -m cli check`).

Every stack file the program and its tools read goes through `settings.stack_files._load_yaml`, and which stacks
exist through `stack_names`: from the start of the run (collection included) to its end, reading one of the checkout's
stack files or listing them fails the test that did it, even when the code under test swallowed the error. Tests use `tests.harness.dev_config` / `fixture_project` /
`checkout_copy` (the tests' own stack files, tests/fixtures/stacks/) or build their config (`stack_config`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from settings import stack_files
from tests.harness import PROJECT_ROOT

MARKER = "shipped_stack_files"
_unguarded_load = stack_files._load_yaml
_unguarded_names = stack_files.stack_names
_state: dict[str, Any] = {"allowed": False, "read": []}


def is_shipped_stack_file(path: Path) -> bool:
    """A `Pulumi.<stack>.yaml` of the checkout itself (not `Pulumi.yaml`, not a test's temporary project)."""
    return path.resolve().parent == PROJECT_ROOT and path.name.startswith("Pulumi.") and path.name != "Pulumi.yaml"


def _refuse(what: str) -> None:
    if not _state["allowed"]:
        _state["read"].append(what)
        raise AssertionError(
            f"a test read the checkout's {what}: tests own their fixtures (use tests.harness.dev_config, "
            f"fixture_project or checkout_copy, or stack_config); only tests marked {MARKER!r} may read it"
        )


def guarded_load(path: Path) -> dict[str, Any]:
    if is_shipped_stack_file(path):
        _refuse(path.name)
    return _unguarded_load(path)


def guarded_names(project_root: Path) -> list[str]:
    if Path(project_root).resolve() == PROJECT_ROOT:
        _refuse("list of stacks (Pulumi.*.yaml)")
    return _unguarded_names(project_root)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: the test may read the checkout's own Pulumi.<stack>.yaml files")
    stack_files._load_yaml = guarded_load  # type: ignore[assignment]
    stack_files.stack_names = guarded_names  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    stack_files._load_yaml = _unguarded_load  # type: ignore[assignment]
    stack_files.stack_names = _unguarded_names  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _tests_own_their_fixtures(request: pytest.FixtureRequest) -> Iterator[None]:
    _state["allowed"] = request.node.get_closest_marker(MARKER) is not None
    _state["read"] = []
    yield
    _state["allowed"] = False
    read, _state["read"] = _state["read"], []
    assert not read, f"read the checkout's {', '.join(sorted(set(read)))} (tests own their fixtures)"
