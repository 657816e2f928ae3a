"""Tests own their fixtures: a team editing the stack files as the Quick start says, or adding a stack, keeps the
suite green. In-process reads of the checkout's stack files fail the test that makes them (tests/conftest.py); what
runs the program in a subprocess is run again here in a checkout edited as a team would."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from settings.stack_files import encrypted_keys, read_stack_config, stack_names
from tests import conftest
from tests.harness import FIXTURE_STACKS, PROJECT_ROOT, fixture_project

TESTS = PROJECT_ROOT / "tests"
# The Quick start: "Edit Pulumi.dev.yaml (host, organizations, pipelines; keep kubernetes:enableSecretMutable)".
EDITED_DEV = """\
config:
  kubernetes:enableSecretMutable: true
  argo-github-webhooks:host: ci.internal.acme-corp.io
  argo-github-webhooks:organizations: [acme-corp, acme-corp-oss]
  argo-github-webhooks:pipelines:
    - name: build
      template: workflows/hello-world.yaml
      events: [push, pull_request]
      branches: [main, "release/*"]
      actions: [opened, synchronize]
    - name: releases
      template: workflows/hello-world.yaml
      events: [release]
      actions: [published]
      organizations: [acme-corp]
"""
# "Add an environment": a third stack, named as the tests used to name a stack that does not exist.
ADDED_STAGING = """\
config:
  kubernetes:enableSecretMutable: true
  argo-github-webhooks:host: argo.staging.acme-corp.io
  argo-github-webhooks:organizations: [acme-corp]
  argo-github-webhooks:pipelines:
    - {name: hello, template: workflows/hello-world.yaml, events: [push]}
"""
# How a test starts the program in another process (spelled in two parts so that this file does not match).
SUBPROCESS_MARKS = ('"-m", ' + '"cli"', "agw" + "(")


def test_reading_the_checkouts_stack_files_fails_the_test() -> None:
    with pytest.raises(AssertionError, match=r"a test read the checkout's Pulumi\.dev\.yaml: tests own their fixtures"):
        encrypted_keys(PROJECT_ROOT, "dev")
    with pytest.raises(AssertionError, match=r"a test read the checkout's list of stacks \(Pulumi\.\*\.yaml\)"):
        read_stack_config(PROJECT_ROOT, "dev")
    assert conftest._state["read"] == ["Pulumi.dev.yaml", "list of stacks (Pulumi.*.yaml)"]
    conftest._state["read"].clear()  # made on purpose: the guard would fail this test at teardown otherwise
    assert stack_names(fixture_project()) == sorted(path.name.split(".")[1] for path in FIXTURE_STACKS.iterdir())
    assert read_stack_config(fixture_project(), "dev")["argo-github-webhooks:host"] == "argo.dev.example.com"


def spawning_tests() -> list[str]:
    """Node ids of the test functions that start the program in a subprocess (which the in-process guard cannot
    see), and of the one test that reads the shipped stack files."""
    selected = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if path == Path(__file__).resolve():
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                text = ast.get_source_segment(source, node) or ""
                marked = any(conftest.MARKER in ast.unparse(decorator) for decorator in node.decorator_list)
                if marked or any(mark in text for mark in SUBPROCESS_MARKS):
                    selected.append(f"{path.relative_to(PROJECT_ROOT)}::{node.name}")
    return selected


def edited_checkout(root: Path) -> Path:
    """The checkout as a team has it after the Quick start: dev edited, prod's organizations renamed, staging added."""
    shutil.copytree(
        PROJECT_ROOT, root, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache"), dirs_exist_ok=True
    )
    (root / "Pulumi.dev.yaml").write_text(EDITED_DEV, encoding="utf-8")
    prod = (root / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    (root / "Pulumi.prod.yaml").write_text(prod.replace("example-org", "acme-corp"), encoding="utf-8")
    (root / "Pulumi.staging.yaml").write_text(ADDED_STAGING, encoding="utf-8")
    return root


def test_the_suite_outside_the_process_passes_in_a_checkout_edited_as_the_quick_start_says(tmp_path: Path) -> None:
    selected = spawning_tests()
    assert "tests/cli/test_check.py::test_the_shipped_stack_files_pass_the_check" in selected
    assert "tests/cli/test_simulate.py::test_the_documented_command_runs" in selected
    checkout = edited_checkout(tmp_path / "checkout")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selected],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
