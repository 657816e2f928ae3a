"""The clone's credentials, two commands around a clone step:

- `git-credentials`: a git config whose extraHeader carries a contents:read token for REPOSITORY, sent only to the
  GitHub host (an App's token also goes to GIT_TOKEN_FILE, for the next command). No credentials mounted: nothing is
  written (the clone is anonymous, fine for public repositories).
- `revoke-git-credentials`: after the fetch, revoke that token and delete it; exit 1 when the clone failed (its exit
  status in CLONE_STATUS_FILE), so the clone itself can always exit 0 and this step always runs.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from github.client import GitHubError
from podkit.app_key import KeyProblem
from podkit.credentials import CredentialsProblem, PodSettings, explain, git_host, repository_token, revoke
from podkit.workflow import REPOSITORY


def write_git_credentials(environ: Mapping[str, str], now: float) -> int:
    settings = PodSettings.from_environment(environ)
    target = Path(environ.get("GIT_CREDENTIALS_FILE") or "/var/run/github-token/gitconfig")
    repository = environ.get("REPOSITORY", "")
    if not settings.has_credentials:
        print("no GitHub credentials mounted: the clone is anonymous (public repositories only)")
        return 0
    if not REPOSITORY.match(repository):
        print(f"error: REPOSITORY {repository!r} is not owner/name", file=sys.stderr)
        return 1
    try:
        token = repository_token(settings, repository, {"contents": "read"}, now)
    except (GitHubError, CredentialsProblem, KeyProblem, OSError, KeyError, ValueError, TypeError) as error:
        print(f"error: no clone token for {repository}: {explain(error)}", file=sys.stderr)
        return 1
    basic = base64.b64encode(f"x-access-token:{token.token}".encode()).decode("ascii")
    host = git_host(settings.api_url)
    config = (
        f'[http "https://{host}/"]\n'
        f"\textraHeader = Authorization: Basic {basic}\n"
        "[http]\n\tfollowRedirects = false\n"
    )
    _write_private(target, config)
    token_file = environ.get("GIT_TOKEN_FILE", "")
    if token_file and token.revocable:  # an installation token: kept for the step that revokes it
        _write_private(Path(token_file), token.token)
    print(f"a contents:read token for {repository} is ready for git, sent only to https://{host}/")
    return 0


def _write_private(path: Path, text: str) -> None:
    """A file only its owner may read, created with that mode (never world-readable for an instant)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def revoke_git_credentials(environ: Mapping[str, str], now: float) -> int:
    settings = PodSettings.from_environment(environ)
    token_file = Path(environ.get("GIT_TOKEN_FILE") or "/var/run/clone-credentials/token")
    if token_file.is_file():
        token = token_file.read_text(encoding="utf-8").strip()
        token_file.unlink()
        if revoke(settings.client(token)):
            print("the clone's token is revoked")
    status_file = environ.get("CLONE_STATUS_FILE", "")
    if status_file:
        path = Path(status_file)
        status = path.read_text(encoding="utf-8").strip() if path.is_file() else "unknown"
        if status != "0":
            print(f"error: the clone failed (exit status {status}): see the clone container's log", file=sys.stderr)
            return 1
    return 0
