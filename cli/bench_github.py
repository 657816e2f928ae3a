"""What a stack costs in GitHub requests and writes, against GitHub's limits (80 content-creating requests a minute,
500 an hour; 5,000 requests an hour per token).

Per operation (`pulumi up` after a config change): the GitHub resources the program's registrations add, change or
drop (`tests.harness.diff_runs`, every `github:` type, so a new kind of GitHub resource is counted without a
change here), priced as the GitHub provider sends them. pulumi-github 6.15.0 bridges
integrations/terraform-provider-github, whose resources (github/resource_github_organization_webhook.go) read the
resource back after a create or an update (`return resourceGithubOrganizationWebhookRead(...)`) and send one
request to delete; every explicit provider, one per organization here, is configured on each `pulumi up` and
`preview` with one `GET /orgs/{owner}` (github/config.go, `ConfigureOwner`).

Per run: what the steps inside a pipeline's Workflow send (`reporting_run_calls`), read from podkit (podkit.pyz:
credentials.py, status.py, checks.py, git_credentials.py; podkit/costs.py states the same totals).
Whoever changes what a run sends updates that function; tests/cli/test_bench.py runs the real steps against the
fake GitHub and fails when the two disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GITHUB_TYPE_PREFIX = "github:"  # github:index/organizationWebhook:OrganizationWebhook, github:index/...
GITHUB_PROVIDER_TYPE = "pulumi:providers:github"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

# GitHub's documented secondary limits on content-creating requests (REST API, "Rate limits for the REST API").
CONTENT_WRITES_PER_MINUTE = 80
CONTENT_WRITES_PER_HOUR = 500

OPERATIONS: dict[str, str] = {  # each operation the benchmark prices -> its column heading
    "create": "create",
    "rotate": "rotate",
    "add_pipeline_known_event": "+ pipeline (known event)",
    "add_pipeline_new_event": "+ pipeline (new event)",
    "add_organization": "+ organization",
}


@dataclass(frozen=True)
class Call:
    """One GitHub REST request: which step sends it, method and path (a template)."""

    step: str
    method: str
    path: str

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS


def _app_token(step: str) -> list[Call]:
    """podkit/credentials.py `repository_token` with the App's key: find the installation, mint a token for one
    repository and the permission needed (contents:read to clone, statuses:write or checks:write to report)."""
    return [
        Call(step, "GET", "/repos/{owner}/{repo}/installation"),
        Call(step, "POST", "/app/installations/{installation_id}/access_tokens"),
    ]


def _revoke(step: str) -> Call:
    """podkit/credentials.py `revoke`: the token is dropped as soon as it is used."""
    return Call(step, "DELETE", "/installation/token")


def reporting_run_calls(
    *, app: bool = True, status: bool = True, clone: bool = False, check_runs: bool = False, findings: int = 0
) -> list[Call]:
    """The GitHub requests one pipeline run sends from inside its Workflow.

    `status`: the run reports twice (the `running` hook, the exit hook): a commit status each time, podkit's
    `status`, or with `check_runs` (a GitHub App) its check run, podkit's `check-run`: created in_progress, then
    found (one GET) and completed, with `findings` as annotations 50 per request (up to 150). `clone`: the run
    fetches the repository with a contents:read token (secret-scan's `git-credentials`, then
    `revoke-git-credentials` after the fetch). `app`: the credentials are a
    GitHub App's key (a token per step, revoked after it); a fine-grained token is used as it is and never revoked.
    The git fetch itself is not a REST request and is not counted.
    """
    calls: list[Call] = []
    if clone and app:
        calls += [*_app_token("clone"), _revoke("clone")]
    if status and check_runs:
        if not app:
            raise ValueError("only GitHub Apps may write check runs")
        start, end = "check run started", "check run completed"
        calls += [*_app_token(start), Call(start, "POST", "/repos/{owner}/{repo}/check-runs"), _revoke(start)]
        calls += [*_app_token(end), Call(end, "GET", "/repos/{owner}/{repo}/commits/{sha}/check-runs")]
        batches = max(1, -(-min(findings, 150) // 50))
        calls += [Call(end, "PATCH", "/repos/{owner}/{repo}/check-runs/{id}") for _ in range(batches)]
        calls.append(_revoke(end))
    elif status:
        for phase in ("pending", "result"):
            step = f"status {phase}"
            post = Call(step, "POST", "/repos/{owner}/{repo}/statuses/{sha}")
            calls += [*_app_token(step), post, _revoke(step)] if app else [post]
    return calls


def counts(calls: Iterable[Call]) -> dict[str, int]:
    calls = list(calls)
    return {"requests": len(calls), "writes": sum(call.write for call in calls)}


@dataclass(frozen=True)
class OperationCost:
    """The GitHub resources one `pulumi up` creates, updates and deletes, and the organizations' providers."""

    created: int
    updated: int
    deleted: int
    providers: int

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def requests(self) -> int:
        """A create or update is followed by a read; a delete is one request; each provider is configured once."""
        return 2 * self.created + 2 * self.updated + self.deleted + self.providers

    def as_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "providers": self.providers,
            "writes": self.writes,
            "requests": self.requests,
        }


def operation_cost(before: Any, after: Any) -> OperationCost:
    """What `pulumi up` sends GitHub going from the run `before` (None: a new stack) to the run `after`
    (`tests.harness.StackRun`s)."""
    from tests.harness import diff_runs

    diff = diff_runs(before, after)

    def github(keys: frozenset[tuple[str, str]]) -> int:
        return sum(1 for type_, _ in keys if type_.startswith(GITHUB_TYPE_PREFIX))

    providers = sum(1 for resource in after.resources if resource.type == GITHUB_PROVIDER_TYPE)
    return OperationCost(github(diff.created), github(diff.updated), github(diff.deleted), providers)
