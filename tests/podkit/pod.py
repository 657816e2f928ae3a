"""Runs podkit as its container does: the artifact the program builds, `python3 <podkit.pyz> <command>`, with only
the environment a Workflow step gives it, against the local fake of GitHub."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from delivery.podkit_artifact import ARCHIVE, artifact

ARTIFACT_DIR = Path(os.environ.get("TMPDIR", "/tmp")) / f"podkit-test-{os.getpid()}"
FAST = {"GITHUB_RETRY_SECONDS": "0.01", "GITHUB_WRITE_INTERVAL": "0"}  # the tests never wait a real second


@cache
def artifact_path() -> Path:
    """The built artifact on disk, as the ConfigMap volume presents it to the pod."""
    ARTIFACT_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACT_DIR / ARCHIVE
    path.write_bytes(artifact())
    return path


def run_pod(command: str, environment: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python3 podkit.pyz <command>`: nothing of the test's own environment but PATH (no PYTHONPATH)."""
    env = {"PATH": os.environ.get("PATH", ""), **FAST, **environment}
    return subprocess.run(
        [sys.executable, str(artifact_path()), command],
        env=env,
        cwd=cwd or ARTIFACT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
