"""Reads a stack's config straight from `Pulumi.<stack>.yaml`, as Pulumi would hand it to the program.

For what runs without the Pulumi CLI (the delivery simulator, the tests): the same flat `project:key` → string map,
with the defaults declared in `Pulumi.yaml` filled in, so they parse the very settings `pulumi up` would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from settings.config import PROJECT
from settings.messages import yaml_error


class StackFileError(ValueError):
    """The stack file is missing or unreadable."""


def stack_names(project_root: Path) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` beside `Pulumi.yaml`."""
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_root.glob("Pulumi.*.yaml"))


def _as_config_string(value: Any) -> str:
    """Pulumi keeps scalars as their text and objects and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise StackFileError(f"{path.name} not found") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {yaml_error(error)}") from None
    if not isinstance(loaded, dict):
        raise StackFileError(f"{path.name} is not a YAML mapping")
    return loaded


def read_stack_config(project_root: Path, stack: str) -> dict[str, str]:
    """The `project:key` → string config of `stack`: Pulumi.yaml's declared defaults, then the stack file's values."""
    if stack not in stack_names(project_root):
        known = ", ".join(stack_names(project_root)) or "none"
        raise StackFileError(f"unknown stack {stack!r}: no Pulumi.{stack}.yaml (stacks: {known})")
    project = _load_yaml(project_root / "Pulumi.yaml")
    config: dict[str, str] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            config[f"{PROJECT}:{key}"] = _as_config_string(declaration["default"])
    for full_key, value in _stack_values(project_root, stack).items():
        if _is_encrypted(value) and not full_key.startswith(f"{PROJECT}:"):
            continue  # an encrypted value of another package (github:token): only the Pulumi CLI can read it
        # The program's own encrypted values (githubToken, githubApp.privateKey) stay as {"secure": ...}: the settings
        # count them as present and secret without reading them.
        config[full_key] = _as_config_string(value)
    return config


def encrypted_keys(project_root: Path, stack: str) -> frozenset[str]:
    """The `project:key` names the stack file holds as `secure:` values, which the offline tools cannot read."""
    return frozenset(key for key, value in _stack_values(project_root, stack).items() if _is_encrypted(value))


def encrypted_paths(project_root: Path, stack: str) -> list[str]:
    """Every `secure:` value of the stack file by its full path (`argo-github-webhooks:githubApp.privateKey`), in file
    order: the values `pulumi config set --secret` wrote, which only the Pulumi CLI can decrypt."""

    def walk(path: str, value: Any) -> list[str]:
        if _is_encrypted(value):
            return [path]
        if isinstance(value, dict):
            return [found for key, item in value.items() for found in walk(f"{path}.{key}", item)]
        if isinstance(value, list):
            return [found for index, item in enumerate(value) for found in walk(f"{path}[{index}]", item)]
        return []

    return [found for key, value in _stack_values(project_root, stack).items() for found in walk(key, value)]


def esc_environments(project_root: Path, stack: str) -> list[str]:
    """The Pulumi ESC environments the stack file imports (`environment: [org/env, ...]`, or the older
    `environment: {imports: [...]}`): their `pulumiConfig` values reach `pulumi up`; no offline tool can open them."""
    declared = _load_yaml(project_root / f"Pulumi.{stack}.yaml").get("environment")
    if isinstance(declared, dict):
        declared = declared.get("imports")
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list):
        return []
    # An import may be a name or a one-key mapping {name: {merge: false}}.
    return [str(next(iter(item))) if isinstance(item, dict) and item else str(item) for item in declared]


def _stack_values(project_root: Path, stack: str) -> dict[str, Any]:
    values = _load_yaml(project_root / f"Pulumi.{stack}.yaml").get("config") or {}
    if not isinstance(values, dict):
        raise StackFileError(f"Pulumi.{stack}.yaml: config must be a mapping of keys to values")
    return {(str(key) if ":" in str(key) else f"{PROJECT}:{key}"): value for key, value in values.items()}


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}
