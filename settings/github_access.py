"""The workflows' own GitHub credentials (`githubApp` or `githubToken`) and each pipeline's commit `status` option.

Checked here, before anything is created: one kind of credentials, a real PEM RSA key, a numeric App ID, and secrets
kept as Pulumi secrets. The offline tools (simulator, tests on stack files) cannot decrypt `secure:` values: an
encrypted value counts as present and secret, and the key inside it is checked by the real `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from delivery.github_events import PULL_REQUEST_EVENTS
from podkit.app_key import KeyProblem, parse_private_key
from settings.messages import shown, unknown_key

AddProblem = Callable[[str, str], None]

# Events whose payload names the commit a status belongs to: push (`after`) and the pull request events (head.sha).
COMMIT_EVENTS = ("push", *PULL_REQUEST_EVENTS)
MAX_CONTEXT_LENGTH = 255
RESERVED_TEMPLATE_PREFIX = "argo-github-webhooks-"  # the status hooks' own templates (delivery/status_hooks.py)
_APP_KEYS = ("appId", "privateKey", "checkRuns", "installations")
_CHECK_RUN_KEYS = ("logLines",)
DEFAULT_LOG_LINES = 50
MAX_LOG_LINES = 1000
_STATUS_KEYS = ("context",)
_SET_APP_KEY = "pulumi config set --secret --path githubApp.privateKey < app.pem"
_SET_TOKEN = "pulumi config set --secret githubToken <fine-grained token>"


def is_encrypted(value: Any) -> bool:
    """A `secure:` value as the stack file holds it: only the Pulumi CLI can read it."""
    return isinstance(value, dict) and set(value) == {"secure"}


@dataclass(frozen=True)
class GitHubAccess:
    """What the workflows authenticate to GitHub with: a GitHub App (preferred) or a fine-grained token.

    `private_key` / `token` are None when the stack file holds them encrypted and only the Pulumi CLI can read them.
    """

    app_id: int | None = None
    private_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    check_runs: bool = True  # an App's runs report check runs unless `checkRuns: false` (see `reports_check_runs`)
    log_lines: int = DEFAULT_LOG_LINES  # of each failed step's log in its check run (`checkRuns.logLines`)
    # organization (lower-case) -> the App's installation id there: the pods mint without looking it up
    installations: Mapping[str, int] = field(default_factory=dict)

    @property
    def reports_check_runs(self) -> bool:
        """Only GitHub Apps may write check runs: with a token, runs report commit statuses."""
        return self.is_app and self.check_runs

    @property
    def is_app(self) -> bool:
        return self.app_id is not None

    @property
    def secret_data(self) -> dict[str, str] | None:
        """The Kubernetes Secret's data, or None when the value cannot be read here (offline tools)."""
        if self.is_app:
            return {"private-key.pem": self.private_key} if self.private_key is not None else None
        return {"token": self.token} if self.token is not None else None


@dataclass(frozen=True)
class StatusReport:
    """A pipeline reports a commit status under `context`."""

    context: str


def parse_github_access(
    app: Any, token: Any, secret_keys: Collection[str], key: Callable[[str], str], add: AddProblem
) -> GitHubAccess | None:
    """`githubApp` or `githubToken` (never both), or None when neither is set."""
    if app is not None and token is not None:
        add(key("githubToken"), "set githubApp or githubToken, not both (the App is preferred: per-run tokens)")
        return None
    if app is not None:
        return _parse_app(app, key("githubApp") in secret_keys, key("githubApp"), add)
    if token is not None:
        return _parse_token(token, key("githubToken") in secret_keys, key("githubToken"), add)
    return None


def _parse_app(value: Any, secret: bool, key: str, add: AddProblem) -> GitHubAccess | None:
    if not isinstance(value, dict):
        add(key, f"must be an object {{appId, privateKey}}; set the key with: {_SET_APP_KEY}")
        return None
    for unknown in sorted(set(value) - set(_APP_KEYS)):
        add(f"{key}.{unknown}", f"unknown key (allowed: {', '.join(_APP_KEYS)})")
    app_id = value.get("appId")
    if isinstance(app_id, str) and app_id.isdigit():
        app_id = int(app_id)
    if app_id is None:
        add(f"{key}.appId", "is required: the App's numeric ID (the App's settings page, 'App ID')")
    elif not isinstance(app_id, int) or isinstance(app_id, bool) or app_id < 1:
        add(f"{key}.appId", f"{app_id!r} is not an App ID (a positive number, e.g. 123456)")
        app_id = None
    private_key = value.get("privateKey")
    if private_key is None:
        add(f"{key}.privateKey", f"is required: the App's private key, set as a secret with: {_SET_APP_KEY}")
    elif is_encrypted(private_key):
        private_key = None  # encrypted in the stack file: present and secret; `pulumi up` checks the key itself
    elif not isinstance(private_key, str):
        add(f"{key}.privateKey", "must be the PEM text of the App's private key")
        private_key = None
    elif not secret:
        add(f"{key}.privateKey", f"is in plain text: set it as a secret with: {_SET_APP_KEY}")
        private_key = None
    else:
        try:
            parse_private_key(private_key)
        except KeyProblem as error:
            add(f"{key}.privateKey", f"{error}; download a new key from the App's settings page (a .pem file)")
            private_key = None
    check_runs, log_lines = _parse_check_runs(value.get("checkRuns", True), f"{key}.checkRuns", add)
    return GitHubAccess(
        app_id=app_id if isinstance(app_id, int) else 0,
        private_key=private_key,
        check_runs=check_runs,
        log_lines=log_lines,
        installations=_parse_installations(value.get("installations", {}), f"{key}.installations", add),
    )


def _parse_installations(value: Any, key: str, add: AddProblem) -> dict[str, int]:
    """`installations: {<organization>: <installation id>}`, optional: ids the pods then need not look up."""
    if not isinstance(value, dict):
        add(key, f"{value!r} must be an object {{<organization>: <installation id>}}")
        return {}
    found = {}
    for organization, number in value.items():
        if isinstance(number, str) and number.isdigit():
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            add(f"{key}.{organization}", f"{number!r} is not an installation id (the number at the end of the "
                "installation's settings URL, .../settings/installations/<id>)")
            continue
        found[str(organization).lower()] = number
    return found


def check_installations(access: GitHubAccess | None, organizations: Sequence[str], key: str, add: AddProblem) -> None:
    """An installation named for an organization the stack does not serve is a typo."""
    if access is None:
        return
    known = {organization.lower() for organization in organizations}
    for organization in sorted(set(access.installations) - known):
        add(f"{key}.installations.{organization}", f"is not one of organizations ({', '.join(organizations)})")


def _parse_check_runs(value: Any, key: str, add: AddProblem) -> tuple[bool, int]:
    """`checkRuns`: true (default), false (commit statuses instead), or {logLines: N} (0: no log lines)."""
    if isinstance(value, bool):
        return value, DEFAULT_LOG_LINES
    if not isinstance(value, dict):
        add(key, f"{shown(value)} must be true, false or {{logLines: <0-{MAX_LOG_LINES}>}}")
        return False, DEFAULT_LOG_LINES
    for unknown in sorted(set(value) - set(_CHECK_RUN_KEYS)):
        add(f"{key}.{unknown}", f"unknown key (allowed: {', '.join(_CHECK_RUN_KEYS)})")
    lines = value.get("logLines", DEFAULT_LOG_LINES)
    if isinstance(lines, str) and lines.isdigit():
        lines = int(lines)
    if not isinstance(lines, int) or isinstance(lines, bool) or not 0 <= lines <= MAX_LOG_LINES:
        add(f"{key}.logLines", f"{lines!r} must be a number of lines from 0 (none) to {MAX_LOG_LINES}")
        return True, DEFAULT_LOG_LINES
    return True, lines


def _parse_token(value: Any, secret: bool, key: str, add: AddProblem) -> GitHubAccess | None:
    if is_encrypted(value):
        return GitHubAccess(token=None)
    if not isinstance(value, str) or not value.strip() or any(character.isspace() for character in value.strip()):
        add(key, f"must be a fine-grained token (one word), set with: {_SET_TOKEN}")
    elif not secret:
        add(key, f"is in plain text: set it as a secret with: {_SET_TOKEN}")
    else:
        return GitHubAccess(token=value.strip())
    return GitHubAccess(token=None)


def parse_pipeline_status(
    value: Any,
    name: str,
    events: Sequence[str],
    template_names: Collection[str],
    has_access: bool,
    key: str,
    add: AddProblem,
) -> StatusReport | None:
    """The pipeline's status report: on by default when it can be (credentials, and a commit in every event)."""
    report = _requested_status(value, name, events, has_access, key, add)
    reserved = sorted(name for name in template_names if name.startswith(RESERVED_TEMPLATE_PREFIX))
    if report is not None and reserved:
        add(key, f"the template defines {', '.join(reserved)}: names starting {RESERVED_TEMPLATE_PREFIX!r} are "
            "reserved for the status hooks (rename them, or set status: false)")
        return None
    return report


def _requested_status(
    value: Any, name: str, events: Sequence[str], has_access: bool, key: str, add: AddProblem
) -> StatusReport | None:
    without_commit = [event for event in events if event not in COMMIT_EVENTS]
    default = StatusReport(f"argo/{name}")
    if value is None:  # not set: report whenever the pipeline can
        return default if has_access and not without_commit else None
    if value is False:
        return None
    if value is True:
        report = default
    elif isinstance(value, dict):
        for unknown in sorted(set(value) - set(_STATUS_KEYS)):
            add(f"{key}.{unknown}", unknown_key(unknown, _STATUS_KEYS))
        context = value.get("context", default.context)
        if not isinstance(context, str) or not context.strip() or context != context.strip():
            add(f"{key}.context", f"{shown(context)} must be a non-empty name without surrounding spaces")
            return None
        if len(context) > MAX_CONTEXT_LENGTH or any(not character.isprintable() for character in context):
            add(f"{key}.context", f"{context!r} must be printable and at most {MAX_CONTEXT_LENGTH} characters")
            return None
        report = StatusReport(context)
    else:
        add(key, f"{shown(value)} must be true, false or {{context: <name>}}")
        return None
    if not has_access:
        add(key, "needs GitHub credentials for the workflows: set githubApp (or githubToken)")
        return None
    if without_commit:
        add(
            key,
            f"{', '.join(without_commit)} carries no commit to report on (statuses work with "
            f"{', '.join(COMMIT_EVENTS)}); set status: false or split the pipeline",
        )
        return None
    return report


def check_unique_contexts(statuses: Mapping[str, StatusReport | None], key: str, add: AddProblem) -> None:
    """Two pipelines under one context would overwrite each other's status on the same commit."""
    owners: dict[str, str] = {}
    for pipeline, report in statuses.items():
        if report is None:
            continue
        if report.context in owners:
            add(key, f"pipelines {owners[report.context]} and {pipeline} both report status {report.context!r}")
        owners.setdefault(report.context, pipeline)
