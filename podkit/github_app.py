"""Talks to GitHub for a Workflow: commit statuses, and clone credentials for one repository. Standard library only.

Runs inside the Workflows (python image, pinned by digest) and, unchanged, in the project's tests against a fake of
GitHub's API. Every value arrives in the environment; nothing of a delivery is ever pasted into this text.

    GITHUB_APP_ACTION=status            post the commit status for WORKFLOW_STATUS (always exits 0: reporting never
                                        turns a run red; a failure to report is printed to the log)
    GITHUB_APP_ACTION=git-credentials   write a git config file (GIT_CREDENTIALS_FILE) that sends a contents:read token
                                        for REPOSITORY, and only to the GitHub host (an App's token also goes
                                        to GIT_TOKEN_FILE, for the next action)
    GITHUB_APP_ACTION=revoke-git-credentials
                                        after the fetch: revoke that token and delete it; exit 1 when the clone
                                        failed (its status in CLONE_STATUS_FILE)

Credentials come from the mounted Secret (GITHUB_CREDENTIALS_DIR): `private-key.pem` with GITHUB_APP_ID (a GitHub App:
a JWT signed RS256 with the key buys an installation token for the one repository and the one permission needed), or
`token` (a fine-grained token, used as it is). No token is ever printed, written to an output or passed on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_VERSION = "2022-11-28"
USER_AGENT = "argo-github-webhooks"
DEFAULT_API_URL = "https://api.github.com/"
DEFAULT_CREDENTIALS_DIR = "/var/run/secrets/github-app"
ATTEMPTS = 3  # per request: the first try and two retries of a 5xx, a rate limit or a broken connection
MAX_WAIT_SECONDS = 30.0  # never sleep longer than this for one retry, whatever Retry-After says
REQUEST_TIMEOUT_SECONDS = 15.0
JWT_BACKDATE_SECONDS = 60  # GitHub's advice: allow for clock drift
JWT_LIFETIME_SECONDS = 540  # iat is backdated 60 s: the token is valid 10 minutes at most, GitHub's limit
MAX_DESCRIPTION = 140  # GitHub's limit for a commit status description

REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
STATES = {"Pending": "pending", "Running": "pending", "Succeeded": "success", "Failed": "failure", "Error": "error"}
WORDS = {"pending": "is running", "success": "succeeded", "failure": "failed", "error": "ended in an error"}

# DER of the AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters, as PKCS#8 wraps it.
RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")
# DER prefix of DigestInfo(sha256) for PKCS#1 v1.5 signatures (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class GitHubError(RuntimeError):
    """A request to GitHub failed; the message says which one and why, and never carries a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KeyProblem(ValueError):
    """The App key is not a usable PEM RSA private key."""


# --- the App key: PEM -> DER -> RSA numbers, parsed without third-party code ---------------------------------------


@dataclass(frozen=True)
class RsaPrivateKey:
    modulus: int
    private_exponent: int

    @property
    def size_bytes(self) -> int:
        return (self.modulus.bit_length() + 7) // 8


def _der_element(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER element at `offset`: (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise KeyProblem("truncated DER")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise KeyProblem("bad DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise KeyProblem("truncated DER")
    return tag, data[offset : offset + length], offset + length


def _der_sequence(data: bytes) -> list[tuple[int, bytes]]:
    tag, content, end = _der_element(data, 0)
    if tag != 0x30 or end != len(data):
        raise KeyProblem("not a DER SEQUENCE")
    items, offset = [], 0
    while offset < len(content):
        item_tag, item, offset = _der_element(content, offset)
        items.append((item_tag, item))
    return items


def _integers(items: list[tuple[int, bytes]]) -> list[int]:
    if any(tag != 0x02 for tag, _ in items):
        raise KeyProblem("expected INTEGERs")
    return [int.from_bytes(value, "big", signed=True) for _, value in items]


def _pkcs1_key(der: bytes) -> RsaPrivateKey:
    numbers = _integers(_der_sequence(der))
    if len(numbers) < 9 or numbers[0] != 0:
        raise KeyProblem("not a two-prime RSAPrivateKey (RFC 8017, appendix A.1.2)")
    _, modulus, public_exponent, private_exponent, prime1, prime2, *_ = numbers
    if prime1 * prime2 != modulus or pow(pow(2, public_exponent, modulus), private_exponent, modulus) != 2:
        raise KeyProblem("its numbers are inconsistent (n != p*q, or d does not invert e)")
    return RsaPrivateKey(modulus, private_exponent)


def _pkcs8_key(der: bytes) -> RsaPrivateKey:
    items = _der_sequence(der)
    if len(items) < 3 or items[0] != (0x02, b"\x00") or items[2][0] != 0x04:
        raise KeyProblem("not a PKCS#8 PrivateKeyInfo")
    algorithm_tag, algorithm, _ = _der_element(RSA_ALGORITHM, 0)
    if items[1] != (algorithm_tag, algorithm):
        raise KeyProblem("a PKCS#8 key that is not RSA (GitHub App keys are RSA)")
    return _pkcs1_key(items[2][1])


_PEM = re.compile(r"-----BEGIN (RSA PRIVATE KEY|PRIVATE KEY)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def parse_private_key(pem: str) -> RsaPrivateKey:
    """The RSA key of a PEM file: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what GitHub hands out) or unencrypted PKCS#8."""
    match = _PEM.search(pem)
    if not match:
        raise KeyProblem(
            "not a PEM RSA private key (expected '-----BEGIN RSA PRIVATE KEY-----' or an unencrypted "
            "'-----BEGIN PRIVATE KEY-----')"
        )
    try:
        der = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem("the PEM body is not base64") from None
    key = _pkcs1_key(der) if match.group(1) == "RSA PRIVATE KEY" else _pkcs8_key(der)
    if key.modulus.bit_length() < 2048:
        raise KeyProblem(f"the key has {key.modulus.bit_length()} bits; GitHub App keys have 2048 or more")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(key: RsaPrivateKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2.1): the padded digest raised to the private exponent."""
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    padding = key.size_bytes - len(digest_info) - 3
    encoded = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    signature = pow(int.from_bytes(encoded, "big"), key.private_exponent, key.modulus)
    return signature.to_bytes(key.size_bytes, "big")


def app_jwt(app_id: str, key: RsaPrivateKey, now: float) -> str:
    """The App's JWT: issued 60 s in the past, expiring 10 minutes after that."""
    issued = int(now) - JWT_BACKDATE_SECONDS
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": issued, "exp": issued + JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS, "iss": app_id}
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{_b64url(sign_rs256(key, signing_input))}"


# --- GitHub's REST API --------------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points: never follow one."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


class GitHubApi:
    """A few REST calls with bounded retries; errors name the call, never a credential."""

    def __init__(self, api_url: str, retry_seconds: float) -> None:
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.retry_seconds = retry_seconds

    def request(self, method: str, path: str, authorization: str, body: Mapping[str, Any] | None = None) -> Any:
        url = urllib.parse.urljoin(self.api_url, path.lstrip("/"))
        data = json.dumps(body).encode() if body is not None else None
        what = f"{method} {path}"
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/vnd.github+json")
            request.add_header("X-GitHub-Api-Version", API_VERSION)
            request.add_header("User-Agent", USER_AGENT)
            request.add_header("Authorization", authorization)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with _OPENER.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                    text = response.read()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as error:
                status, headers, message = error.code, error.headers, _error_message(error)
                error.close()
                if attempt < ATTEMPTS and _retryable(status, headers):
                    wait = _wait_seconds(headers, self.retry_seconds * 2 ** (attempt - 1))
                    print(f"{what}: HTTP {status} ({message}); retrying in {wait:g} s", file=sys.stderr)
                    time.sleep(wait)
                    continue
                raise GitHubError(_explain(what, status, message, attempt), status) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                if attempt < ATTEMPTS:
                    wait = self.retry_seconds * 2 ** (attempt - 1)
                    print(f"{what}: {reason}; retrying in {wait:g} s", file=sys.stderr)
                    time.sleep(wait)
                    continue
                raise GitHubError(f"{what}: GitHub cannot be reached after {attempt} attempts: {reason}") from None
        raise AssertionError("unreachable")


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        document = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return error.reason or "no message"
    return str(document.get("message") or error.reason or "no message")[:200]


def _retryable(status: int, headers: Mapping[str, str]) -> bool:
    rate_limited = status in (403, 429) and (
        headers.get("Retry-After") is not None or headers.get("X-RateLimit-Remaining") == "0"
    )
    return status >= 500 or rate_limited


def _wait_seconds(headers: Mapping[str, str], backoff: float) -> float:
    retry_after = headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_WAIT_SECONDS)
    reset = headers.get("X-RateLimit-Reset")
    if headers.get("X-RateLimit-Remaining") == "0" and reset and reset.isdigit():
        return min(max(float(reset) - time.time(), 0.0), MAX_WAIT_SECONDS)
    return min(backoff, MAX_WAIT_SECONDS)


def _explain(what: str, status: int, message: str, attempts: int) -> str:
    if status == 401:
        return (
            f"{what}: HTTP 401 ({message}): GitHub refused the credentials; check githubApp.appId and the key "
            "(or githubToken), and that the node's clock is right"
        )
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    return f"{what}: HTTP {status}{tried} ({message})"


# --- credentials and tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    api_url: str
    credentials_dir: Path
    app_id: str
    retry_seconds: float

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
            credentials_dir=Path(environ.get("GITHUB_CREDENTIALS_DIR") or DEFAULT_CREDENTIALS_DIR),
            app_id=environ.get("GITHUB_APP_ID", ""),
            retry_seconds=float(environ.get("GITHUB_RETRY_SECONDS") or 2),
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


def git_host(api_url: str) -> str:
    """The host git clones from, for an API URL: api.github.com -> github.com, api.<x>.ghe.com -> <x>.ghe.com,
    https://<host>/api/v3 (GitHub Enterprise Server) -> <host>."""
    host = (urllib.parse.urlsplit(api_url).hostname or "").lower()
    return host.removeprefix("api.") if host.startswith("api.") else host


def repository_token(settings: Settings, repository: str, permission: str, access: str, now: float) -> str:
    """A token for `repository` only, with only `permission: access` (and metadata: read, which GitHub always adds).

    With a fine-grained token instead of an App, that token is returned as it is: it cannot be narrowed."""
    if settings.key_file.is_file():
        if not settings.app_id:
            raise GitHubError("GITHUB_APP_ID is not set: the App key cannot be used without the App's ID")
        key = parse_private_key(settings.key_file.read_text(encoding="utf-8"))
        api = GitHubApi(settings.api_url, settings.retry_seconds)
        bearer = f"Bearer {app_jwt(settings.app_id, key, now)}"
        owner, name = repository.split("/", 1)
        try:
            installation = api.request("GET", f"repos/{owner}/{name}/installation", bearer)
        except GitHubError as error:
            if error.status == 404:
                raise GitHubError(
                    f"the GitHub App (ID {settings.app_id}) is not installed on {repository}: install it on the "
                    f"organization {owner} with access to this repository ({error})"
                ) from None
            raise
        minted = api.request(
            "POST",
            f"app/installations/{int(installation['id'])}/access_tokens",
            bearer,
            {"repositories": [name], "permissions": {permission: access}},
        )
        return str(minted["token"])
    if settings.token_file.is_file():
        return settings.token_file.read_text(encoding="utf-8").strip()
    raise GitHubError(f"no GitHub credentials in {settings.credentials_dir} (private-key.pem or token)")


def revoke(settings: Settings, token: str) -> None:
    """Installation tokens live an hour; revoke ours as soon as it has done its one job (best effort)."""
    if not settings.key_file.is_file():
        return  # a fine-grained token is the stack's own: never revoke it
    revoke_installation_token(settings, token)


def revoke_installation_token(settings: Settings, token: str) -> bool:
    """DELETE /installation/token with the token itself: True once GitHub has revoked it."""
    try:
        GitHubApi(settings.api_url, settings.retry_seconds).request("DELETE", "installation/token", f"Bearer {token}")
    except GitHubError as error:
        print(f"note: the token could not be revoked early, it expires within the hour ({error})", file=sys.stderr)
        return False
    return True


# --- actions ------------------------------------------------------------------------------------------------------


def _annotations(environ: Mapping[str, str]) -> Mapping[str, str]:
    try:
        annotations = json.loads(environ.get("WORKFLOW_ANNOTATIONS") or "{}")
    except ValueError:
        return {}
    return annotations if isinstance(annotations, dict) else {}


def status_request(environ: Mapping[str, str]) -> tuple[str, str, dict[str, str]]:
    """(repository, commit, status body) from the environment; raises ValueError naming what is missing or wrong."""
    annotations = _annotations(environ)
    repository = str(annotations.get("argo-github-webhooks/repository", ""))
    commit = str(annotations.get("argo-github-webhooks/commit", ""))
    if not REPOSITORY.match(repository):
        raise ValueError(f"repository {repository!r} (annotation argo-github-webhooks/repository) is not owner/name")
    if not COMMIT.match(commit) or set(commit) == {"0"}:
        raise ValueError(f"commit {commit!r} (annotation argo-github-webhooks/commit) is not a commit SHA")
    phase = environ.get("WORKFLOW_STATUS", "")
    if phase not in STATES:
        raise ValueError(f"workflow status {phase!r} is not one of {', '.join(STATES)}")
    state = STATES[phase]
    name = environ.get("WORKFLOW_NAME", "")
    description = f"Argo Workflow {name} {WORDS[state]}"
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1] + "…"
    context = environ.get("STATUS_CONTEXT") or "argo"
    body = {"state": state, "description": description, "context": context}
    ui = environ.get("ARGO_UI_URL", "")
    if ui:  # the run in Argo's UI; without a published UI there is nothing a reader could open
        body["target_url"] = f"{ui.rstrip('/')}/workflows/{environ.get('WORKFLOW_NAMESPACE', '')}/{name}"
    return repository, commit, body


def report_status(environ: Mapping[str, str], now: float) -> int:
    """Post the status; print why not when it cannot. Always 0: a report must never change the run's result."""
    try:
        repository, commit, body = status_request(environ)
    except ValueError as error:
        print(f"no commit status reported: {error}")
        return 0
    settings = Settings.from_environment(environ)
    try:
        token = repository_token(settings, repository, "statuses", "write", now)
        try:
            GitHubApi(settings.api_url, settings.retry_seconds).request(
                "POST", f"repos/{repository}/statuses/{commit}", f"Bearer {token}", body
            )
        finally:
            revoke(settings, token)
    except (GitHubError, KeyProblem, OSError, KeyError, ValueError) as error:
        print(f"could not report commit status {body['context']}={body['state']} on {repository}@{commit}: {error}")
        return 0
    link = f": {body['target_url']}" if "target_url" in body else ""
    print(f"reported {body['context']}={body['state']} on {repository}@{commit}{link}")
    return 0


def write_git_credentials(environ: Mapping[str, str], now: float) -> int:
    """A git config whose extraHeader carries a contents:read token for REPOSITORY, sent only to the GitHub host.

    No credentials mounted: nothing is written (the clone is anonymous, fine for public repositories)."""
    settings = Settings.from_environment(environ)
    target = Path(environ.get("GIT_CREDENTIALS_FILE") or "/var/run/github-token/gitconfig")
    repository = environ.get("REPOSITORY", "")
    if not settings.has_credentials:
        print("no GitHub credentials mounted: the clone is anonymous (public repositories only)")
        return 0
    if not REPOSITORY.match(repository):
        print(f"error: REPOSITORY {repository!r} is not owner/name", file=sys.stderr)
        return 1
    try:
        token = repository_token(settings, repository, "contents", "read", now)
    except (GitHubError, KeyProblem, OSError, KeyError, ValueError) as error:
        print(f"error: no clone token for {repository}: {error}", file=sys.stderr)
        return 1
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    host = git_host(settings.api_url)
    config = (
        f'[http "https://{host}/"]\n'
        f"\textraHeader = Authorization: Basic {basic}\n"
        "[http]\n\tfollowRedirects = false\n"
    )
    _write_private(target, config)
    token_file = environ.get("GIT_TOKEN_FILE", "")
    if token_file and settings.key_file.is_file():  # an installation token: kept for the step that revokes it
        _write_private(Path(token_file), token)
    print(f"a contents:read token for {repository} is ready for git, sent only to https://{host}/")
    return 0


def _write_private(path: Path, text: str) -> None:
    """A file only its owner may read, created with that mode (never world-readable for an instant)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def revoke_git_credentials(environ: Mapping[str, str], now: float) -> int:
    """After the fetch: revoke the clone's installation token (GIT_TOKEN_FILE) and delete it, then end the run as the
    clone ended (CLONE_STATUS_FILE holds its exit status): the clone itself always exits 0 so that this step runs."""
    settings = Settings.from_environment(environ)
    token_file = Path(environ.get("GIT_TOKEN_FILE") or "/var/run/clone-credentials/token")
    if token_file.is_file():
        token = token_file.read_text(encoding="utf-8").strip()
        token_file.unlink()
        if revoke_installation_token(settings, token):
            print("the clone's token is revoked")
    status_file = environ.get("CLONE_STATUS_FILE", "")
    if status_file:
        path = Path(status_file)
        status = path.read_text(encoding="utf-8").strip() if path.is_file() else "unknown"
        if status != "0":
            print(f"error: the clone failed (exit status {status}): see the clone container's log", file=sys.stderr)
            return 1
    return 0


ACTIONS = {
    "status": report_status,
    "git-credentials": write_git_credentials,
    "revoke-git-credentials": revoke_git_credentials,
}


def main(argv: list[str], environ: Mapping[str, str]) -> int:
    action = argv[1] if len(argv) > 1 else environ.get("GITHUB_APP_ACTION", "")
    if action not in ACTIONS:
        print(f"error: unknown action {action!r} (one of: {', '.join(ACTIONS)})", file=sys.stderr)
        return 2
    return ACTIONS[action](environ, time.time())


if __name__ == "__main__":
    sys.exit(main(sys.argv, os.environ))
