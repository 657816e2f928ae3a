"""podkit.pyz: built deterministically from podkit/ and github/ only, and runnable with nothing but the stdlib."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from delivery.podkit_artifact import ENTRY_POINT, FIXED_TIME, PACKAGES, artifact, build, command, sources
from podkit.__main__ import COMMANDS
from tests.harness import PROJECT_ROOT
from tests.podkit.pod import artifact_path, run_pod


def copy_of_sources(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_the_same_sources_give_the_same_bytes_whatever_their_file_times(tmp_path: Path) -> None:
    root = copy_of_sources(tmp_path)
    for index, path in enumerate(sorted(root.rglob("*.py"))):
        os.utime(path, (1_000_000 + index * 7919, 2_000_000_000 - index * 104729))
    (root / "podkit" / "__pycache__").mkdir()
    (root / "podkit" / "__pycache__" / "status.cpython-311.pyc").write_bytes(b"stale")
    (root / "podkit" / "notes.txt").write_text("not code")
    assert build(root) == build(PROJECT_ROOT) == artifact()


def test_a_changed_module_changes_the_artifact(tmp_path: Path) -> None:
    root = copy_of_sources(tmp_path)
    (root / "podkit" / "status.py").write_text((root / "podkit" / "status.py").read_text() + "\n# changed\n")
    assert build(root) != build(PROJECT_ROOT)


def test_entries_are_the_packages_modules_sorted_with_a_fixed_time_and_mode() -> None:
    archive = zipfile.ZipFile(io.BytesIO(artifact()))
    names = archive.namelist()
    expected = sorted(
        path.relative_to(PROJECT_ROOT).as_posix()
        for package in PACKAGES
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )
    assert names == ["__main__.py", *expected]
    assert list(sources()) == expected
    assert {"podkit/__main__.py", "github/client.py", "podkit/status.py"} <= set(names)
    for info in archive.infolist():
        assert info.date_time == FIXED_TIME, info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        assert info.compress_type == zipfile.ZIP_STORED, info.filename
    assert archive.read("__main__.py") == ENTRY_POINT
    assert archive.read("github/client.py") == (PROJECT_ROOT / "github" / "client.py").read_bytes()


def test_it_fits_a_config_map_with_room_to_grow() -> None:
    assert len(artifact()) * 4 / 3 < 512 * 1024  # base64 in binaryData; Kubernetes' limit is 1 MiB


def test_every_module_imports_with_the_standard_library_alone() -> None:
    """-I -S: no site-packages, no PYTHONPATH, no current directory: what the python image has."""
    modules = [name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in sources()]
    code = f"import sys; sys.path.insert(0, {str(artifact_path())!r}); " + "; ".join(f"import {m}" for m in modules)
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")


def test_help_lists_every_registered_command() -> None:
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(artifact_path()), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("argv", [[], ["status", "extra"], ["Status"]])
def test_a_missing_or_unknown_command_is_a_usage_error(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, str(artifact_path()), *argv], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown command ")
    assert "Traceback" not in result.stderr


def test_a_container_runs_it_from_the_config_map_mount() -> None:
    assert command("status") == ["python3", "/opt/podkit/podkit.pyz", "status"]
    result = run_pod("git-credentials", {"GITHUB_CREDENTIALS_DIR": "/nonexistent", "REPOSITORY": "acme/widgets"})
    assert (result.returncode, result.stdout) == (
        0,
        "no GitHub credentials mounted: the clone is anonymous (public repositories only)\n",
    )
