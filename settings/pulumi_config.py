"""Reads the stack's config from Pulumi: the one place the settings meet Pulumi's runtime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from settings.config import StackSettings, parse_settings


def load_settings(project_root: Path) -> StackSettings:
    """All `argo-github-webhooks:*` values, unknown keys included (so typos are reported), parsed once."""
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in raw if runtime_config.is_config_secret(key)}
    secret_keys.update(runtime_config.get_config_secret_keys_env())
    return parse_settings({key: str(value) for key, value in raw.items()}, project_root, secret_keys)


@dataclass(frozen=True)
class GitHubCredentials:
    """Token and API URL for the GitHub providers; None leaves them to GITHUB_TOKEN and github.com."""

    token: pulumi.Output[str] | None
    base_url: str | None

    @property
    def api_url(self) -> str:
        """GitHub's REST API for the workflows: github:baseUrl (GitHub Enterprise) or api.github.com."""
        return self.base_url or "https://api.github.com/"


def github_credentials() -> GitHubCredentials:
    github = pulumi.Config("github")
    base_url = github.get("baseUrl")
    if base_url and not base_url.endswith("/"):
        base_url += "/"  # the provider joins paths onto it
    return GitHubCredentials(token=github.get_secret("token"), base_url=base_url)
