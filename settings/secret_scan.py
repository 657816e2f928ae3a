"""The shipped secret-scan's rules: gitleaks' configuration comes from the stack, never from the scanned repository.

`secretScan: {rules: <a gitleaks TOML file in the project>, repositoryIgnoreFile: false}`. The program puts both in
the ConfigMap `secret-scan-rules` (components/secret_scan.py), which workflows/secret-scan.yaml mounts: gitleaks runs
with `--config` on it, so a `.gitleaks.toml` in the repository is never read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settings.messages import shown, unknown_key

AddProblem = Callable[[str, str], None]

SECRET_SCAN_KEYS = ("rules", "repositoryIgnoreFile")
RULES_CONFIG_MAP = "secret-scan-rules"
RULES_KEY = "gitleaks.toml"
REPOSITORY_IGNORE_FILE_KEY = "repository-ignore-file"
MAX_RULES_BYTES = 512 * 1024  # a ConfigMap holds at most 1 MiB
# gitleaks' own default rules (config/gitleaks.toml of the scanner's version, built into the binary), extended by
# nothing: `[extend] useDefault = true` loads them whatever `--config` names (gitleaks config/config.go).
DEFAULT_RULES = """\
# The stack's secret-scan rules: gitleaks' built-in default rules, as the scanner's version has them.
# Set secretScan.rules to a gitleaks TOML file of the project to use your own (it may extend these).
title = "argo-github-webhooks secret-scan: gitleaks default rules"

[extend]
useDefault = true
"""


@dataclass(frozen=True)
class SecretScanSettings:
    rules: str = DEFAULT_RULES  # the TOML text the scanner runs with
    repository_ignore_file: bool = False  # whether the head commit's .gitleaksignore may suppress findings

    @property
    def config_map_data(self) -> dict[str, str]:
        return {RULES_KEY: self.rules, REPOSITORY_IGNORE_FILE_KEY: "true" if self.repository_ignore_file else "false"}


def parse_secret_scan(value: Any, key: str, project_root: Path, add: AddProblem) -> SecretScanSettings:
    if not isinstance(value, dict):
        add(key, f"must be an object with keys {', '.join(SECRET_SCAN_KEYS)}")
        return SecretScanSettings()
    for unknown in sorted(set(value) - set(SECRET_SCAN_KEYS)):
        add(f"{key}.{unknown}", unknown_key(unknown, SECRET_SCAN_KEYS))
    ignore_file = value.get("repositoryIgnoreFile", False)
    if not isinstance(ignore_file, bool):
        add(
            f"{key}.repositoryIgnoreFile",
            f"{shown(ignore_file)} must be true or false (true: a repository's .gitleaksignore may suppress findings, "
            "each still reported)",
        )
        ignore_file = False
    rules = DEFAULT_RULES
    if "rules" in value:
        rules = _read_rules(value["rules"], f"{key}.rules", project_root, add) or DEFAULT_RULES
    return SecretScanSettings(rules=rules, repository_ignore_file=ignore_file)


def _read_rules(value: Any, key: str, project_root: Path, add: AddProblem) -> str | None:
    """A gitleaks config file (relative to the project or absolute) that gitleaks can load with nothing else."""
    if not isinstance(value, str) or not value:
        add(key, "must be the path of a gitleaks TOML file (relative to the project or absolute)")
        return None
    path = Path(value) if Path(value).is_absolute() else project_root / value
    try:
        data = path.read_bytes()
    except OSError as error:
        add(key, f"{value!r} cannot be read ({error.strerror or error})")
        return None
    if len(data) > MAX_RULES_BYTES:
        add(key, f"{value!r} is {len(data)} bytes, at most {MAX_RULES_BYTES} fit the rules ConfigMap")
        return None
    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        add(key, f"{value!r} is not a gitleaks TOML file: {error}")
        return None
    extend = document.get("extend", {})
    if isinstance(extend, dict) and extend.get("path"):
        add(
            key,
            f"{value!r}: [extend] path is not allowed: the scanner has only this file (put the rules in it, or use "
            "[extend] useDefault = true for gitleaks' defaults)",
        )
        return None
    use_default = isinstance(extend, dict) and extend.get("useDefault") is True
    if not use_default and not document.get("rules"):
        add(
            key,
            f"{value!r} defines no rules: add [[rules]], or [extend] useDefault = true for gitleaks' default rules "
            "(an empty rule set would let every secret pass)",
        )
        return None
    return text
