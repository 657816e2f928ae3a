"""The pod's GitHub credentials: a GitHub App's key (a JWT buys one installation token per pod, for one repository
and only the permissions asked) or a fine-grained token used as it is. Every value comes from the environment and
the mounted Secret; no token is ever printed, written to an output or passed on."""

from __future__ import annotations

import json
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from github.client import ClientError, GitHubClient, GitHubError, NotFound, Unauthorized
from podkit.app_key import app_jwt, parse_private_key

DEFAULT_API_URL = "https://api.github.com/"
DEFAULT_CREDENTIALS_DIR = "/var/run/secrets/github-app"
POD_MAX_WAIT_SECONDS = 120.0  # one wait at most (a Retry-After beyond it gives up): the report's deadline is 300 s
POD_RATE_LIMIT_RETRIES = 2  # so the waits of one request end within that deadline (2 x 120 s)


class CredentialsProblem(RuntimeError):
    """The pod cannot authenticate: no credentials mounted, an App key without its ID, the App not installed."""


@dataclass(frozen=True)
class PodSettings:
    api_url: str
    credentials_dir: Path
    app_id: str
    installations: Mapping[str, str]  # organization (lower-case) -> installation id known in advance: no lookup
    retry_seconds: float  # the first backoff of a retried 5xx (doubling)
    write_interval: float  # GitHub asks for a second between writes

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PodSettings:
        return cls(
            api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
            credentials_dir=Path(environ.get("GITHUB_CREDENTIALS_DIR") or DEFAULT_CREDENTIALS_DIR),
            app_id=environ.get("GITHUB_APP_ID", ""),
            installations=_installations(environ.get("GITHUB_INSTALLATIONS", "")),
            retry_seconds=float(environ.get("GITHUB_RETRY_SECONDS") or 2),
            write_interval=float(environ.get("GITHUB_WRITE_INTERVAL") or 1),
        )

    @property
    def key_file(self) -> Path:
        return self.credentials_dir / "private-key.pem"

    @property
    def token_file(self) -> Path:
        return self.credentials_dir / "token"

    @property
    def has_credentials(self) -> bool:
        return self.key_file.is_file() or self.token_file.is_file()

    @property
    def is_app(self) -> bool:
        return self.key_file.is_file()

    def client(self, token: str) -> GitHubClient:
        """A client for the pod: bounded waits, each told on stderr (the pod's log), never the token."""
        return GitHubClient(
            self.api_url,
            token,
            backoff=self.retry_seconds,
            max_retries=2,
            max_wait=POD_MAX_WAIT_SECONDS,
            rate_limit_retries=POD_RATE_LIMIT_RETRIES,
            write_interval=self.write_interval,
            timeout=15.0,
            notify=lambda line: print(line, file=sys.stderr),
        )


def _installations(text: str) -> dict[str, str]:
    """GITHUB_INSTALLATIONS, `{"<organization>": <id>}` (githubApp.installations); anything unreadable is ignored:
    the pod then looks the installation up, as without it."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(key).lower(): str(number) for key, number in value.items() if str(number).isdigit()}


def git_host(api_url: str) -> str:
    """The host git clones from, for an API URL: api.github.com -> github.com, api.<x>.ghe.com -> <x>.ghe.com,
    https://<host>/api/v3 (GitHub Enterprise Server) -> <host>."""
    host = (urllib.parse.urlsplit(api_url).hostname or "").lower()
    return host.removeprefix("api.") if host.startswith("api.") else host


@dataclass
class RepositoryToken:
    """A client holding a token for one repository; `revoke()` ends an installation token early (best effort)."""

    client: GitHubClient
    token: str = field(repr=False)  # for git's config only: every GitHub call goes through `client`
    revocable: bool = False  # an installation token the pod bought; a fine-grained token (the stack's) never is

    def revoke(self) -> bool:
        """True once GitHub has revoked the token; a failure is told in the log (the token expires within the hour)."""
        if not self.revocable:
            return False
        self.revocable = False
        return revoke(self.client)


def revoke(client: GitHubClient) -> bool:
    """DELETE /installation/token with the client's own token."""
    try:
        client.request("DELETE", "installation/token")
    except GitHubError as error:
        print(f"note: the token could not be revoked early, it expires within the hour ({error})", file=sys.stderr)
        return False
    return True


def repository_token(
    settings: PodSettings, repository: str, permissions: Mapping[str, str], now: float
) -> RepositoryToken:
    """A token for `repository` only, with only `permissions` (and metadata: read, which GitHub always adds).

    With a fine-grained token instead of an App, that token is used as it is: it cannot be narrowed."""
    if settings.is_app:
        if not settings.app_id:
            raise CredentialsProblem("GITHUB_APP_ID is not set: the App key cannot be used without the App's ID")
        key = parse_private_key(settings.key_file.read_text(encoding="utf-8"))
        app = settings.client(app_jwt(settings.app_id, key, now))
        owner, name = repository.split("/", 1)
        body = {"repositories": [name], "permissions": dict(permissions)}
        known = settings.installations.get(owner.lower())
        minted = None
        if known:
            try:
                minted = app.post(f"app/installations/{known}/access_tokens", body).body
            except (NotFound, ClientError) as error:  # a wrong or stale id: GitHub knows the right one
                print(
                    f"note: installation {known} (githubApp.installations.{owner.lower()}) did not mint a token for "
                    f"{repository} ({error}); looking the installation up",
                    file=sys.stderr,
                )
        if minted is None:
            installation = _installation(app, settings, repository)
            minted = app.post(f"app/installations/{installation}/access_tokens", body).body
        token = str(minted["token"])
        return RepositoryToken(app.with_token(token), token, revocable=True)
    if settings.token_file.is_file():
        token = settings.token_file.read_text(encoding="utf-8").strip()
        return RepositoryToken(settings.client(token), token)
    raise CredentialsProblem(f"no GitHub credentials in {settings.credentials_dir} (private-key.pem or token)")


def _installation(app: GitHubClient, settings: PodSettings, repository: str) -> str:
    """The App's installation on the repository, asked with the App's JWT."""
    owner, name = repository.split("/", 1)
    try:
        return str(int(app.get(f"repos/{owner}/{name}/installation")["id"]))
    except NotFound as error:
        raise CredentialsProblem(
            f"the GitHub App (ID {settings.app_id}) is not installed on {repository}: install it on the "
            f"organization {owner} with access to this repository ({error})"
        ) from None


def explain(error: Exception) -> str:
    """The error as the pod's log says it: a 401 names what to check."""
    if isinstance(error, Unauthorized):
        return (
            f"{error}: GitHub refused the credentials; check githubApp.appId and the key (or githubToken), and that "
            "the node's clock is right"
        )
    return str(error)
