"""podkit.pyz: the one artifact the Workflow pods run, a zipapp of podkit/ and github/ built by the program.

Built deterministically (sorted entries, a fixed timestamp and mode, stored uncompressed so no zlib version can change
a byte): the same sources give the same bytes on every machine, so a `pulumi preview` shows a change to the ConfigMap
only when the code changed. Stored in the ConfigMap `podkit` (binaryData) and run as
`python3 /opt/podkit/podkit.pyz <command>` (commands: podkit/__main__.py).
"""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("podkit", "github")  # stdlib-only packages, nothing else goes in
CONFIG_MAP = "podkit"  # in the workflow namespace, made by components/github_app.py
ARCHIVE = "podkit.pyz"
MOUNT_DIR = "/opt/podkit"
VOLUME = "argo-github-webhooks-podkit"  # the program's steps' volume name: reserved like their template names
PATH_IN_POD = f"{MOUNT_DIR}/{ARCHIVE}"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
FILE_MODE = 0o100644  # a regular file, rw-r--r--
ENTRY_POINT = b"""import os
import sys

from podkit.__main__ import main

sys.exit(main(sys.argv[1:], os.environ))
"""
MAX_CONFIG_MAP_BYTES = 1_048_576  # Kubernetes refuses a ConfigMap over 1 MiB


def sources(root: Path = PROJECT_ROOT) -> dict[str, bytes]:
    """Archive path -> content of every module of the packages, in sorted order (no caches, no other files)."""
    found: dict[str, bytes] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "__pycache__" in relative.parts:
                continue
            found[relative.as_posix()] = path.read_bytes()
    return dict(sorted(found.items()))


def build(root: Path = PROJECT_ROOT) -> bytes:
    """The zipapp's bytes: `__main__.py` first, then the packages' modules, each with the fixed time and mode."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in {"__main__.py": ENTRY_POINT, **sources(root)}.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # unix, whatever machine builds it
            archive.writestr(info, content)
    data = buffer.getvalue()
    if len(data) > MAX_CONFIG_MAP_BYTES * 3 // 4:  # base64 in the ConfigMap grows it by a third
        raise ValueError(f"{ARCHIVE} is {len(data)} bytes: too large for a ConfigMap once base64-encoded")
    return data


@functools.cache
def artifact() -> bytes:
    """The artifact of this checkout (built once per process)."""
    return build()


def command(name: str) -> list[str]:
    """A container's command running one podkit command."""
    return ["python3", PATH_IN_POD, name]


def volume() -> dict[str, object]:
    """The pod volume holding the artifact (read-only for everyone: it holds no secret)."""
    config_map = {"name": CONFIG_MAP, "items": [{"key": ARCHIVE, "path": ARCHIVE}], "defaultMode": 0o444}
    return {"name": VOLUME, "configMap": config_map}


def volume_mount() -> dict[str, object]:
    return {"name": VOLUME, "mountPath": MOUNT_DIR, "readOnly": True}
