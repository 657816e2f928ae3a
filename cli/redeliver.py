"""Bring back the stack's failed GitHub deliveries: redeliver each one whose every attempt failed, a bounded number
of times.

    python -m cli redeliver --stack dev [--since 6h] [--dry-run] [--json] [--max-redeliveries 3] [--max-writes 200]

GitHub never retries a failed delivery (Argo down, a 10 s timeout, a 5xx): this finds the stack's webhook in each
organization (the one whose URL is the stack's events URL), lists its deliveries of the last `--since` (at most 3
days, GitHub's redelivery window), groups the attempts by delivery GUID, and asks GitHub to redeliver every GUID
with no successful (2xx) attempt, unless it was already redelivered `--max-redeliveries` times. Workflow names
derive from the GUID, so a redelivery never runs a pipeline twice.

Exit code: 0 nothing is left failed; 1 some deliveries could not be redelivered (limit reached, GitHub refused the
redelivery, this run's write budget was used up, or GitHub stayed unavailable or rate limited); 2 bad input, an
organization without the stack's webhook, or GitHub refused the credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cli.common import PROJECT_ROOT, BadInput, CommandParser, progress
from cli.common import run as run_command
from github.client import (
    DEFAULT_BASE_URL,
    ClientError,
    Forbidden,
    GitHubClient,
    GitHubError,
    NotFound,
    Unauthorized,
    normalize_base_url,
)
from settings.config import ConfigError, StackSettings, parse_settings
from settings.stack_files import StackFileError, encrypted_keys, read_stack_config

DEFAULT_SINCE = "6h"
MAX_SINCE = timedelta(days=3)  # GitHub keeps deliveries redeliverable for 3 days
DEFAULT_MAX_REDELIVERIES = 3
# GitHub's secondary limits allow about 500 content-creating requests an hour; the scheduled workflow runs twice an
# hour, so each run stays well under half of that and leaves room for `pulumi up` with the same token.
DEFAULT_MAX_WRITES = 200

EXIT_OK, EXIT_LEFT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

REDELIVERED = "redelivered"
WOULD_REDELIVER = "would redeliver"
LIMIT_REACHED = "limit reached"
REDELIVERY_FAILED = "redelivery failed"
DEFERRED = "deferred"
NOT_REACHED = "not reached"  # the run stopped (rate limit, GitHub unavailable) before this delivery
ALREADY_RAN = "already ran"  # Argo's 500 named only Workflows that exist: every matching pipeline ran once
OUTCOMES = (REDELIVERED, WOULD_REDELIVER, LIMIT_REACHED, REDELIVERY_FAILED, DEFERRED, NOT_REACHED, ALREADY_RAN)
LEFT_FAILED = frozenset({LIMIT_REACHED, REDELIVERY_FAILED, DEFERRED, NOT_REACHED})

WRITE_SPACING_SECONDS = 1.0  # the client's write_interval: waits up to this long are not announced
TOKEN_SCOPE = "a token of an organization owner with admin:org_hook (fine-grained: organization Webhooks: write)"

_DURATION = re.compile(r"^([0-9]+)([mhd])$")
# Argo v4.0.6 (server/event/dispatch/operation.go) answers a delivery with HTTP 500 when any binding fails, its
# message `failed to dispatch event: [<error> <error> ...]` (Go's %v of a slice of errors); a redelivery of runs that
# exist gives only errors of this form (the Workflow's name is the pipeline's plus the delivery GUID).
_DISPATCH_ERRORS = "failed to dispatch event: ["
_ALREADY_EXISTS = re.compile(
    r'failed to create workflow: workflows\.argoproj\.io "[a-z0-9]([-a-z0-9.]*[a-z0-9])?" already exists'
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """`30m`, `6h`, `2d`: a positive duration within GitHub's 3-day redelivery window."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive duration: a whole number of minutes, hours or days, e.g. 30m, 6h, 2d"
        )
    since = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if since > MAX_SINCE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is beyond GitHub's 3-day redelivery window: at most 3d (72h, 4320m)"
        )
    return since


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


@dataclass(frozen=True)
class GitHubTarget:
    """Where the stack's webhooks live and the token to reach them (never printed)."""

    base_url: str
    token: str = field(repr=False)


def github_target(
    config: Mapping[str, str], encrypted: frozenset[str], stack_file: str, environ: Mapping[str, str]
) -> GitHubTarget:
    """The stack's GitHub credentials, from what an offline tool can read.

    Token: `GITHUB_TOKEN`, else a plain-text `github:token` in the stack file (a `secure:` one needs the Pulumi CLI
    to decrypt); the environment wins so that what the scheduled job passes is what is used. API: `github:baseUrl`
    from the stack file, else `GITHUB_BASE_URL`, else github.com (the provider's own order).
    """
    token = environ.get("GITHUB_TOKEN", "").strip() or config.get("github:token", "").strip()
    if not token:
        if "github:token" in encrypted:
            raise BadInput(
                f"github:token in {stack_file} is encrypted (secure:) and this offline tool cannot decrypt it: "
                f"set GITHUB_TOKEN to {TOKEN_SCOPE}"
            )
        raise BadInput(f"no GitHub token: set GITHUB_TOKEN (or github:token in {stack_file}) to {TOKEN_SCOPE}")
    if "github:baseUrl" in encrypted and not environ.get("GITHUB_BASE_URL"):
        raise BadInput(
            f"github:baseUrl in {stack_file} is encrypted (secure:) and this offline tool cannot decrypt it: "
            "set GITHUB_BASE_URL"
        )
    base_url = config.get("github:baseUrl") or environ.get("GITHUB_BASE_URL") or DEFAULT_BASE_URL
    source = "github:baseUrl" if config.get("github:baseUrl") else "GITHUB_BASE_URL"
    try:
        return GitHubTarget(normalize_base_url(base_url), token)
    except ValueError as error:
        raise BadInput(f"{source}: {error}") from None


@dataclass
class FailedDelivery:
    """A delivery GUID none of whose attempts succeeded, and what this run did about it."""

    organization: str
    hook_id: int
    guid: str
    event: str
    action: str | None
    repository: str | None
    last_status_code: int
    last_status: str
    last_attempt_at: str
    first_attempt_at: str
    attempts: int
    redeliveries: int
    outcome: str = ""
    detail: str = ""
    latest_id: int = field(default=0, repr=False)
    repository_id: int | None = field(default=None, repr=False)


@dataclass
class Report:
    stack: str
    events_url: str
    since: str
    dry_run: bool
    max_redeliveries: int
    hooks: dict[str, list[int]] = field(default_factory=dict)  # organization -> the stack's hook ids there
    organizations: list[str] = field(default_factory=list)  # the stack's, in its order
    read: list[str] = field(default_factory=list)  # organizations whose deliveries in the window were all listed
    problems: list[str] = field(default_factory=list)  # each makes the exit code 2
    guids: int = 0  # deliveries whose original attempt is in the window
    older: int = 0  # deliveries seen only through redeliveries: from before the window, left alone
    attempts: int = 0
    succeeded: int = 0
    failed: list[FailedDelivery] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    waited: float = 0.0  # seconds spent on rate limits, retry backoff and write spacing
    error: str | None = None  # what stopped the run early
    error_exit: int = EXIT_OK

    def count(self, outcome: str) -> int:
        return sum(delivery.outcome == outcome for delivery in self.failed)

    @property
    def exit_code(self) -> int:
        if self.problems or self.error_exit == EXIT_BAD_INPUT:
            return EXIT_BAD_INPUT
        if self.error or any(delivery.outcome in LEFT_FAILED for delivery in self.failed):
            return EXIT_LEFT_FAILED
        return EXIT_OK


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stack_hooks(client: GitHubClient, organization: str, events_url: str) -> list[int]:
    """Ids of the organization's webhooks that post to the stack's events URL (one, as the program creates it)."""
    return [
        hook["id"]
        for hook in client.paginate(f"orgs/{organization}/hooks")
        if isinstance(hook, dict) and (hook.get("config") or {}).get("url") == events_url
    ]


def recent_attempts(client: GitHubClient, organization: str, hook_id: int, cutoff: datetime) -> list[dict[str, Any]]:
    """The hook's delivery attempts since `cutoff`; GitHub lists them newest first, so paging stops at the first
    older one."""
    attempts = []
    for attempt in client.paginate(f"orgs/{organization}/hooks/{hook_id}/deliveries"):
        if _timestamp(attempt["delivered_at"]) < cutoff:
            break
        attempts.append(attempt)
    return attempts


def _succeeded(attempt: Mapping[str, Any]) -> bool:
    return 200 <= int(attempt.get("status_code") or 0) < 300


def group_by_guid(attempts: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Attempts by delivery GUID (`X-GitHub-Delivery`: the same for the original delivery and every redelivery)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for attempt in attempts:
        groups.setdefault(attempt["guid"], []).append(attempt)
    return groups


def original_in_window(tries: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the GUID's original delivery is among the attempts listed. Only then are all its redeliveries
    listed too, so their count is exact: a GUID seen only through redeliveries is older than the window, and
    redelivering it again would restart the count every time its first redelivery leaves the window."""
    return any(not attempt.get("redelivery") for attempt in tries)


def failed_deliveries(
    organization: str, hook_id: int, groups: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[FailedDelivery]:
    """One entry per GUID whose every attempt failed; a GUID with any 2xx attempt is done."""
    failed = []
    for guid, attempts in groups.items():
        if any(_succeeded(attempt) for attempt in attempts):
            continue
        tries = sorted(attempts, key=lambda attempt: (_timestamp(attempt["delivered_at"]), attempt["id"]))
        latest = tries[-1]
        failed.append(
            FailedDelivery(
                organization=organization,
                hook_id=hook_id,
                guid=guid,
                event=str(latest.get("event") or ""),
                action=latest.get("action"),
                repository=None,
                last_status_code=int(latest.get("status_code") or 0),
                last_status=str(latest.get("status") or ""),
                last_attempt_at=latest["delivered_at"],
                first_attempt_at=tries[0]["delivered_at"],
                attempts=len(tries),
                redeliveries=sum(bool(attempt.get("redelivery")) for attempt in tries),
                latest_id=int(latest["id"]),
                repository_id=latest.get("repository_id"),
            )
        )
    return failed


def delivery_detail(client: GitHubClient, delivery: FailedDelivery) -> Mapping[str, Any] | None:
    """The latest attempt's request and response, when something is read from them: the repository's name (the list
    only gives its id; the token may not be able to read the repository itself, but it can always read its own
    hook's deliveries) or Argo's answer to an HTTP 500."""
    if delivery.repository_id is None and delivery.last_status_code != 500:
        return None
    path = f"orgs/{delivery.organization}/hooks/{delivery.hook_id}/deliveries/{delivery.latest_id}"
    try:
        detail = client.get(path)
    except (NotFound, ClientError):
        return None
    return detail if isinstance(detail, dict) else None


def repository_name(delivery: FailedDelivery, detail: Mapping[str, Any] | None) -> str | None:
    """The repository's full name from the delivery's payload, else its id."""
    if delivery.repository_id is None:
        return None
    payload = ((detail or {}).get("request") or {}).get("payload") or {}
    repository = payload.get("repository") if isinstance(payload, dict) else None
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return str(name) if name else f"#{delivery.repository_id}"


def already_ran(response_body: object) -> bool:
    """Whether Argo's HTTP 500 body names only Workflows that already exist: each pipeline the delivery matches ran
    once (names come from the delivery GUID), so redelivering it again would change nothing."""
    try:
        message = json.loads(response_body).get("message") if isinstance(response_body, str) else None
    except (ValueError, AttributeError):
        return False
    if not isinstance(message, str) or not message.startswith(_DISPATCH_ERRORS) or not message.endswith("]"):
        return False
    errors = message[len(_DISPATCH_ERRORS) : -1]
    return bool(_ALREADY_EXISTS.search(errors)) and not _ALREADY_EXISTS.sub("", errors).strip()


def redeliver(client: GitHubClient, delivery: FailedDelivery, options: argparse.Namespace, report: Report) -> None:
    """Decide and do what this delivery needs; record the outcome on it."""
    limit = options.max_redeliveries
    if delivery.redeliveries >= limit:
        delivery.outcome = LIMIT_REACHED
        delivery.detail = f"already redelivered {delivery.redeliveries} times (--max-redeliveries {limit})"
        return
    ordinal = f"redelivery {delivery.redeliveries + 1} of {limit}"
    if options.dry_run:
        delivery.outcome, delivery.detail = WOULD_REDELIVER, ordinal
        return
    if client.writes >= options.max_writes:
        delivery.outcome = DEFERRED
        delivery.detail = f"this run made its {options.max_writes} GitHub writes (--max-writes); the next run goes on"
        return
    path = f"orgs/{delivery.organization}/hooks/{delivery.hook_id}/deliveries/{delivery.latest_id}/attempts"
    try:
        client.post(path)
    except (Forbidden, NotFound, ClientError) as error:
        delivery.outcome = REDELIVERY_FAILED
        delivery.detail = f"GitHub answered HTTP {error.status}: {error.message or 'no message'}"
        if isinstance(error, Forbidden):
            problem = f"organization {delivery.organization}: GitHub refused a redelivery (HTTP 403): use {TOKEN_SCOPE}"
            if problem not in report.problems:
                report.problems.append(problem)
        return
    delivery.outcome, delivery.detail = REDELIVERED, ordinal


def announced(sleep: Callable[[float], None]) -> Callable[[float], None]:
    """`sleep` that says on standard error why the run stands still: the client waits only for GitHub (a retry after
    a 5xx or no answer, a rate limit) or to space writes a second apart, which is not worth a line."""

    def wait(seconds: float) -> None:
        if seconds > WRITE_SPACING_SECONDS:
            progress(f"waiting {seconds:.0f} s for GitHub (rate limited, or not answering), then trying again")
        sleep(seconds)

    return wait


def run(
    options: argparse.Namespace,
    project_root: Path,
    environ: Mapping[str, str],
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Everything the command line asks; raises BadInput before any request when the input is unusable."""
    try:
        config = read_stack_config(project_root, options.stack)
        settings: StackSettings = parse_settings(config, project_root)
        encrypted = encrypted_keys(project_root, options.stack)
    except (StackFileError, ConfigError) as error:
        raise BadInput(str(error)) from None
    target = github_target(config, encrypted, f"Pulumi.{options.stack}.yaml", environ)
    client = GitHubClient(target.base_url, target.token, clock=clock, sleep=announced(sleep))
    cutoff = datetime.fromtimestamp(clock(), UTC) - options.since
    report = Report(
        stack=options.stack,
        events_url=settings.events_url,
        since=_iso(cutoff),
        dry_run=options.dry_run,
        max_redeliveries=options.max_redeliveries,
        organizations=list(settings.organizations),
    )
    try:
        for organization in settings.organizations:
            report.failed.extend(_organization_failures(client, organization, settings.events_url, cutoff, report))
        # Oldest first: closest to leaving GitHub's 3-day window, and the order the events happened in.
        report.failed.sort(key=lambda delivery: (delivery.first_attempt_at, delivery.guid))
        for delivery in report.failed:
            detail = delivery_detail(client, delivery)
            delivery.repository = repository_name(delivery, detail)
            if delivery.last_status_code == 500 and already_ran(((detail or {}).get("response") or {}).get("payload")):
                delivery.outcome = ALREADY_RAN
                delivery.detail = "Argo's HTTP 500 names only Workflows that exist: every matching pipeline ran once"
                continue
            redeliver(client, delivery, options, report)
    except (Unauthorized, Forbidden) as error:  # a 403 here is a refusal, not a rate limit (those are waited out)
        report.error = f"GitHub refused the credentials (HTTP {error.status}: {error.message}): use {TOKEN_SCOPE}"
        report.error_exit = EXIT_BAD_INPUT
    except GitHubError as error:  # rate limits beyond the allowed wait, 5xx or network failures after retries
        report.error = f"stopped early: {error}"
        report.error_exit = EXIT_LEFT_FAILED
    for delivery in report.failed:
        if not delivery.outcome:
            delivery.outcome, delivery.detail = NOT_REACHED, "the run stopped before this delivery"
    report.requests, report.writes, report.waited = client.requests, client.writes, client.waited
    return report


def _organization_failures(
    client: GitHubClient, organization: str, events_url: str, cutoff: datetime, report: Report
) -> list[FailedDelivery]:
    try:
        hook_ids = stack_hooks(client, organization, events_url)
    except (Forbidden, NotFound) as error:
        report.problems.append(
            f"organization {organization}: GitHub answered HTTP {error.status} ({error.message}) listing its "
            f"webhooks: the organization does not exist or the token is not {TOKEN_SCOPE}"
        )
        return []
    report.hooks[organization] = hook_ids
    if not hook_ids:
        report.problems.append(
            f"organization {organization}: no webhook posts to {events_url} (has `pulumi up` run for this stack?)"
        )
        return []
    failed = []
    for hook_id in hook_ids:
        attempts = recent_attempts(client, organization, hook_id, cutoff)
        report.attempts += len(attempts)
        groups = group_by_guid(attempts)
        current = {guid: tries for guid, tries in groups.items() if original_in_window(tries)}
        report.older += len(groups) - len(current)
        report.guids += len(current)
        hook_failures = failed_deliveries(organization, hook_id, current)
        report.succeeded += len(current) - len(hook_failures)
        failed.extend(hook_failures)
    report.read.append(organization)
    return failed


# -- output --------------------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text from GitHub, made safe for a terminal: no control characters."""
    return "".join(char if unicodedata.category(char)[0] != "C" else "?" for char in str(value))


def _event(delivery: FailedDelivery) -> str:
    return f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event


def _action(delivery: FailedDelivery) -> str:
    return f"{delivery.outcome}: {delivery.detail}" if delivery.detail else delivery.outcome


def summary(report: Report) -> str:
    organizations = len(report.hooks)
    parts = [f"{report.succeeded} succeeded"]
    labels = {
        REDELIVERED: "redelivered",
        WOULD_REDELIVER: "would be redelivered",
        LIMIT_REACHED: "at the redelivery limit",
        REDELIVERY_FAILED: "redelivery failed",
        DEFERRED: "deferred to the next run",
        NOT_REACHED: "not reached",
        ALREADY_RAN: "already ran (Argo refused only runs that exist)",
    }
    parts += [f"{report.count(outcome)} {label}" for outcome, label in labels.items() if report.count(outcome)]
    if report.older:
        parts.append(f"{report.older} older (delivered before the window, only redeliveries in it: left alone)")
    plural = "s" if organizations != 1 else ""
    waited = f", waited {report.waited:.0f} s" if report.waited else ""
    return (
        f"{report.guids} deliveries ({report.attempts} attempts) since {report.since} in {organizations} "
        f"organization{plural}: {', '.join(parts)}. "
        f"GitHub writes: {report.writes} (requests: {report.requests}{waited})."
    )


def render_text(report: Report) -> str:
    mode = " (dry run: nothing redelivered)" if report.dry_run else ""
    lines = [f"stack {report.stack}: webhook {report.events_url}, deliveries since {report.since}{mode}"]
    for organization, hook_ids in report.hooks.items():
        lines.append(f"  {organization}: hook {', '.join(map(str, hook_ids))}" if hook_ids else f"  {organization}: -")
    if report.failed:
        header = ("GUID", "ORGANIZATION", "EVENT", "REPOSITORY", "LAST STATUS", "ACTION")
        rows = [
            (
                delivery.guid,
                delivery.organization,
                _event(delivery),
                delivery.repository or "-",
                f"{delivery.last_status_code} ({delivery.last_status})",
                _action(delivery),
            )
            for delivery in report.failed
        ]
        cells = [tuple(_cell(value) for value in row) for row in [header, *rows]]
        widths = [max(len(row[column]) for row in cells) for column in range(len(header) - 1)]
        for row in cells:
            lines.append("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    else:
        lines.append(no_failures(report))
    lines.append(summary(report))
    return "\n".join(lines)  # problems and the error go to standard error, once (main)


def no_failures(report: Report) -> str:
    """What an empty table means: nothing failed only where the deliveries were read."""
    unread = [organization for organization in report.organizations if organization not in report.read]
    if not unread:
        return "no failed deliveries"
    if not report.read:
        return "deliveries not read (see the error below): nothing is known about failed deliveries"
    return f"no failed deliveries in {', '.join(report.read)}; not read: {', '.join(unread)}"


def render_json(report: Report) -> str:
    document = {
        "stack": report.stack,
        "events_url": report.events_url,
        "since": report.since,
        "dry_run": report.dry_run,
        "max_redeliveries": report.max_redeliveries,
        "hooks": report.hooks,
        "read": report.read,
        "deliveries": [
            {key: value for key, value in asdict(delivery).items() if key not in ("latest_id", "repository_id")}
            for delivery in report.failed
        ],
        "summary": {
            "deliveries": report.guids,
            "older": report.older,
            "attempts": report.attempts,
            "succeeded": report.succeeded,
            **{outcome.replace(" ", "_"): report.count(outcome) for outcome in OUTCOMES},
        },
        "github": {"requests": report.requests, "writes": report.writes, "waited_seconds": round(report.waited, 3)},
        "problems": report.problems,
        "error": report.error,
        "exit_code": report.exit_code,
    }
    return json.dumps(document, indent=2)


def _parser() -> CommandParser:
    parser = CommandParser(
        "redeliver",
        "Redeliver the stack's failed GitHub webhook deliveries (each GUID whose every attempt failed).",
        exit_codes={
            EXIT_OK: "nothing is left failed",
            EXIT_LEFT_FAILED: "some deliveries are left failed (limit reached, GitHub refused the redelivery, "
            "the write budget was used up, GitHub stayed unavailable or rate limited)",
            EXIT_BAD_INPUT: "bad input, an organization without the stack's webhook, or GitHub refused the credentials",
        },
        environment={
            "GITHUB_TOKEN": f"{TOKEN_SCOPE}; wins over a plain-text github:token in the stack file",
            "GITHUB_BASE_URL": "the GitHub API (an Enterprise Server's https://HOST/api/v3/) when the stack file "
            f"has no github:baseUrl; default {DEFAULT_BASE_URL}",
        },
        examples=["GITHUB_TOKEN=<token> python -m cli redeliver --stack prod --since 2d --dry-run"],
    )
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--since",
        type=parse_since,
        default=parse_since(DEFAULT_SINCE),
        help=f"how far back to look: 30m, 6h, 2d, at most 3d (default {DEFAULT_SINCE})",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be redelivered; write nothing")
    parser.add_argument(
        "--max-redeliveries",
        type=_positive_int,
        default=DEFAULT_MAX_REDELIVERIES,
        help=f"give up on a delivery redelivered this many times already (default {DEFAULT_MAX_REDELIVERIES})",
    )
    parser.add_argument(
        "--max-writes",
        type=_positive_int,
        default=DEFAULT_MAX_WRITES,
        help=f"redeliveries per run at most; the rest wait for the next run (default {DEFAULT_MAX_WRITES})",
    )
    return parser


def main(
    arguments: Sequence[str] | None = None,
    project_root: Path = PROJECT_ROOT,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    def body(options: argparse.Namespace) -> int:
        report = run(options, project_root, os.environ if environ is None else environ, clock, sleep)
        if options.json:  # the document holds the problems and the error
            print(render_json(report))
            return report.exit_code
        print(render_text(report))
        sys.stdout.flush()  # the table before the errors that follow it, when both go to one terminal
        for problem in report.problems:
            print(f"error: {problem}", file=sys.stderr)
        if report.error:
            print(f"error: {report.error}", file=sys.stderr)
        return report.exit_code

    return run_command(_parser(), body, arguments)


if __name__ == "__main__":
    sys.exit(main())
