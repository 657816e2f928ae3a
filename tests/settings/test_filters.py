"""Config errors for the GitHub Actions filters: each names the pipeline's key, says why, and what to write."""

from __future__ import annotations

from typing import Any

import pytest

from settings.config import parse_settings
from settings.messages import shown
from tests.harness import PROJECT_ROOT, stack_config
from tests.settings.test_config import parse, pipeline, problems

KEY = "argo-github-webhooks:pipelines[0] (p)"
NEVER_A_REF = "git refuses {} names with spaces, '~', '^', ':', '..', '@{{', '//' or a leading or trailing '/'"


def test_filters_parse_in_order() -> None:
    settings = parse(
        pipelines=[
            pipeline(
                events=["push"],
                branches=["releases/**", "!releases/**-alpha"],
                **{"tags-ignore": ["v0.*"], "paths-ignore": ["docs/**", "**.md"]},
            )
        ]
    )
    (parsed,) = settings.pipelines
    assert parsed.branches == ("releases/**", "!releases/**-alpha")
    assert (parsed.branches_ignore, parsed.tags, parsed.tags_ignore) == ((), (), ("v0.*",))
    assert (parsed.paths, parsed.paths_ignore) == ((), ("docs/**", "**.md"))


def test_a_list_and_its_ignore_list_not_both() -> None:
    found = problems(
        pipelines=[
            pipeline(
                branches=["main"],
                tags=["v*"],
                paths=["src/**"],
                **{"branches-ignore": ["x"], "tags-ignore": ["y"], "paths-ignore": ["z"]},
            )
        ]
    )
    assert found == [
        f"{KEY}.{kind}-ignore: cannot be used together with {kind} (as in GitHub Actions): to both include and "
        f"exclude, list the exclusions in {kind} after what they narrow, prefixed with '!' (e.g. ['**', '!docs/**'])"
        for kind in ("branches", "tags", "paths")
    ]


def test_negation() -> None:
    found = problems(
        pipelines=[
            pipeline(
                branches=["!main", "!dev"],
                tags=["!v1"],
                **{"paths-ignore": ["docs/**", "!docs/api/**"]},
            )
        ]
    )
    assert found == [
        f"{KEY}.branches: every pattern is negated ('!'), so nothing is included and the pipeline would never run: put "
        "a pattern without '!' first (e.g. '**'), or list the exclusions without '!' in branches-ignore",
        f"{KEY}.tags: every pattern is negated ('!'), so nothing is included and the pipeline would never run: put "
        "a pattern without '!' first (e.g. '**'), or list the exclusions without '!' in tags-ignore",
        f"{KEY}.paths-ignore[1]: '!docs/api/**': '!' does not apply in paths-ignore; to both include and exclude, "
        "use paths with '!' patterns in order",
    ]


def test_pattern_values() -> None:
    found = problems(
        pipelines=[
            pipeline(
                events=["push"],
                tags=["refs/tags/v1", "v 1", "?v"],
                paths=["/docs/**", "./src/*", "src/[a-", 7],
                **{"branches-ignore": "main"},
            )
        ]
    )
    assert found == [
        f"{KEY}.branches-ignore: must be a list of strings",
        f"{KEY}.tags[0]: 'refs/tags/v1': write the tag name or glob (e.g. 'main', 'release/*'), not the full ref",
        f"{KEY}.tags[1]: 'v 1' can never match: " + NEVER_A_REF.format("tag"),
        f"{KEY}.tags[2]: '?v': '?' at position 1 has no preceding character to repeat (it means zero or one of the "
        "character before it); write '\\?' for a literal '?'",
        f"{KEY}.paths[0]: '/docs/**': path patterns start at the repository's root: write 'docs/**'",
        f"{KEY}.paths[1]: './src/*': path patterns start at the repository's root: write 'src/*'",
        f"{KEY}.paths[2]: 'src/[a-': '[' at position 5 has no closing ']' (write '\\[' for a literal '[')",
        f"{KEY}.paths[3]: 7 is not a non-empty string",
    ]


def test_filters_must_apply_to_the_events() -> None:
    found = problems(
        pipelines=[
            pipeline(events=["push", "pull_request"], tags=["v*"], paths=["src/**"]),
            pipeline(name="q", events=["release"], **{"branches-ignore": ["main"], "tags-ignore": ["x"]}),
            pipeline(name="r", events=["issues"], paths=["src/**"]),
        ]
    )
    assert found == [
        f"{KEY}.tags: does not apply to pull_request (tag filters work with push); split the pipeline or drop the "
        "filter",
        f"{KEY}.paths: needs githubApp or githubToken for pull_request: a pull request's payload does not list its "
        "files, so the run's first step asks GitHub for them",
        "argo-github-webhooks:pipelines[1] (q).branches-ignore: does not apply to release (branch filters work with "
        "push, pull_request, pull_request_review, pull_request_review_comment); split the pipeline or drop the filter",
        "argo-github-webhooks:pipelines[1] (q).tags-ignore: does not apply to release (tag filters work with push); "
        "split the pipeline or drop the filter",
        "argo-github-webhooks:pipelines[2] (r).paths: does not apply to issues (path filters work with push, "
        "pull_request, pull_request_review, pull_request_review_comment); split the pipeline or drop the filter",
    ]


def test_pull_request_paths_with_github_access() -> None:
    config = stack_config(
        githubToken="github_pat_11ABC",
        pipelines=[pipeline(events=["push", "pull_request"], **{"paths-ignore": ["docs/**"]})],
    )
    settings = parse_settings(config, PROJECT_ROOT, ("argo-github-webhooks:githubToken",))
    assert settings.pipelines[0].paths_ignore == ("docs/**",)


@pytest.mark.parametrize("value", ["yes", 1])
def test_cancel_in_progress_errors(value: Any) -> None:
    assert problems(pipelines=[pipeline(cancelInProgress=value)]) == [
        f"argo-github-webhooks:pipelines[0] (p).cancelInProgress: {shown(value)} must be true or false "
        "(true: a newer push to the branch or pull request stops the older run)"
    ]
    assert problems(pipelines=[pipeline(events=["release"], cancelInProgress=True)]) == [
        "argo-github-webhooks:pipelines[0] (p).cancelInProgress: does not apply: none of release is about a branch "
        "or a pull request (cancelInProgress applies to push, pull_request, pull_request_review, "
        "pull_request_review_comment)"
    ]
