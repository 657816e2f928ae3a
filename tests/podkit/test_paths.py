"""podkit's `paths` command, run for real from the built artifact against the local fake of GitHub: a pull request's
files listed 100 a page (3,000 at most), the decision on standard output, the reason and `::skipped::` in the log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from delivery.paths_gate import path_filter_document
from podkit.paths import PathFilter, decide
from tests.delivery.test_globs import PATH_ROWS
from tests.delivery.test_triggers import one
from tests.fakes.github_app import GitHubAppRoutes
from tests.podkit.pod import run_pod
from tests.podkit.test_status_and_credentials import APP_ID, app_credentials, github, key  # noqa: F401

ANNOTATIONS = {
    "argo-github-webhooks/repository": "acme/widgets",
    "argo-github-webhooks/event": "pull_request",
    "argo-github-webhooks/pull-request": "42",
}
DOCS_ONLY = {"key": "paths-ignore", "patterns": [["docs/**", False, "docs/.*"], ["**.md", False, ".*\\.md"]]}


def files(count: int, name: str = "src/module{}.py") -> list[dict[str, Any]]:
    return [{"filename": name.format(index), "status": "modified"} for index in range(count)]


def environment(api_url: str, credentials: Path, path_filter: dict[str, Any], **annotations: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": api_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials),
        "GITHUB_INSTALLATIONS": json.dumps({"acme": "77"}),
        "PATH_FILTER": json.dumps(path_filter),
        "WORKFLOW_ANNOTATIONS": json.dumps({**ANNOTATIONS, **annotations}),
    }


def run(routes: GitHubAppRoutes, credentials: Path, path_filter: dict[str, Any], **annotations: str) -> Any:
    result = run_pod("paths", environment(routes.fake.base_url, credentials, path_filter, **annotations))
    assert result.returncode == 0, result.stderr
    return result


def pages_read(routes: GitHubAppRoutes) -> list[str]:
    return [call for call in routes.fake.calls("GET") if "/pulls/42/files" in call]


def test_files_none_matching_skips(github: GitHubAppRoutes, app_credentials: Path) -> None:  # noqa: F811
    github.pull_request_files[("acme/widgets", 42)] = files(2950, "docs/page{}.md")
    result = run(github, app_credentials, DOCS_ONLY)
    assert result.stdout == "skip\n"
    assert "::skipped::none of the 2950 changed files matches paths-ignore: docs/**, **.md\n" in result.stderr
    assert len(pages_read(github)) == 30  # 100 a page
    (minted,) = github.minted
    assert (minted.repositories, minted.permissions) == (["widgets"], {"pull_requests": "read"})
    assert github.revoked == {minted.token}
    assert [(r.method, r.path) for r in github.fake.requests][:1] == [("POST", "/app/installations/77/access_tokens")]
    assert github.fake.writes == 2  # the token and its revocation: no content written
    assert minted.token not in result.stdout + result.stderr


def test_a_full_list_of_3000_without_a_match_runs(github: GitHubAppRoutes, app_credentials: Path) -> None:  # noqa: F811
    github.pull_request_files[("acme/widgets", 42)] = files(3500, "docs/page{}.md")  # GitHub lists 3,000 of them
    result = run(github, app_credentials, DOCS_ONLY)
    assert result.stdout == "run\n"
    assert "GitHub lists 3000 files, its most: there may be more, so it runs" in result.stderr
    assert "::skipped::" not in result.stderr
    assert len(pages_read(github)) == 30


def test_stops_at_the_first_file_that_matches(github: GitHubAppRoutes, app_credentials: Path) -> None:  # noqa: F811
    listed = files(250, "docs/page{}.md")
    listed[150] = {"filename": "src/app.py", "status": "added"}
    github.pull_request_files[("acme/widgets", 42)] = listed
    result = run(github, app_credentials, DOCS_ONLY)
    assert result.stdout == "run\n"
    assert "runs: src/app.py is a changed file that paths-ignore: docs/**, **.md wants" in result.stderr
    assert len(pages_read(github)) == 2  # the third page is never asked for


def test_a_rename_counts_under_both_names(github: GitHubAppRoutes, app_credentials: Path) -> None:  # noqa: F811
    only_src = {"key": "paths", "patterns": [["src/**", False, "src/.*"]]}
    renamed = [{"filename": "lib/app.py", "previous_filename": "src/app.py", "status": "renamed"}]
    github.pull_request_files[("acme/widgets", 42)] = renamed
    assert run(github, app_credentials, only_src).stdout == "run\n"


def test_pushes_and_failures_run(github: GitHubAppRoutes, app_credentials: Path) -> None:  # noqa: F811
    push = run(github, app_credentials, DOCS_ONLY, **{"argo-github-webhooks/event": "push"})
    assert (push.stdout, github.fake.requests) == ("run\n", [])
    assert "a push without a pull request: its filters were the selector's" in push.stderr
    unknown = run(github, app_credentials, DOCS_ONLY, **{"argo-github-webhooks/pull-request": "43"})
    assert unknown.stdout == "run\n"
    assert "the files of acme/widgets#43 could not be listed" in unknown.stderr
    bad_filter = run_pod("paths", {**environment(github.fake.base_url, app_credentials, DOCS_ONLY), "PATH_FILTER": ""})
    assert bad_filter.stdout == "run\n"
    assert "the path filter could not be read" in bad_filter.stderr


@pytest.mark.parametrize(("patterns", "matching", "other"), PATH_ROWS)
def test_the_pod_matches_as_the_selector_does(patterns: list[str], matching: list[str], other: list[str]) -> None:
    """Every row of the cheat sheet: the regexps the program hands the pod decide as the selector does for a push."""
    path_filter = PathFilter.from_json(path_filter_document(one(events=["push"], paths=patterns)))
    for path in matching:
        assert decide(path_filter, [{"filename": path}])[0] == "run", (patterns, path)
    for path in other:
        assert decide(path_filter, [{"filename": path}])[0] == "skip", (patterns, path)
