"""Ref and path filters on real push payloads and crafted variants of them (a force push, a new branch at an existing
commit, a tag push, a push listing as many commits as GitHub lists at most, a push changing no file)."""

from __future__ import annotations

import copy
from typing import Any

from cli.simulate import delivery_environment, explain, simulate_pipeline
from delivery.triggers import MAX_PAYLOAD_COMMITS, compile_trigger, push_paths_unknown
from tests.delivery.test_triggers import DELIVERY, fires, one, payload


def push(**changes: Any) -> dict[str, Any]:
    """The real branch push (one commit adding README.md), with fields replaced."""
    return {**copy.deepcopy(payload("push-branch")), **changes}


def commit(added: tuple[str, ...] = (), modified: tuple[str, ...] = (), removed: tuple[str, ...] = ()) -> Any:
    real = copy.deepcopy(payload("push-branch")["commits"][0])
    return {**real, "added": list(added), "modified": list(modified), "removed": list(removed)}


def why_not(pipeline: Any, body: dict[str, Any], event: str = "push") -> str | None:
    return explain(compile_trigger(pipeline), delivery_environment(body, event, "d", "github", "workflows"))


DOCS = one(events=["push"], paths=["docs/**"])
NOT_DOCS = one(events=["push"], **{"paths-ignore": ["docs/**", "**.md"]})


def test_paths_read_added_modified_and_removed_files() -> None:
    assert fires(DOCS, payload("push-branch"), "push") is False  # the real push adds README.md only
    for change in ("added", "modified", "removed"):
        body = push(commits=[commit(), commit(**{change: ("docs/guide/intro.md",)})])
        assert fires(DOCS, body, "push") is True, change
        assert fires(NOT_DOCS, body, "push") is False, change
    assert fires(NOT_DOCS, push(commits=[commit(modified=("README.md", "src/app.py"))]), "push") is True


def test_the_reason_names_the_files() -> None:
    assert why_not(DOCS, payload("push-branch")) == "no changed file (README.md) matches paths docs/**"
    assert why_not(NOT_DOCS, push(commits=[commit(added=("a.md", "docs/x"))])) == (
        "every changed file (a.md, docs/x) is ignored (paths-ignore: docs/**, **.md)"
    )
    many = push(commits=[commit(added=tuple(f"f{index}.txt" for index in range(7)))])
    assert why_not(DOCS, many) == (
        "no changed file (f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 2 more) matches paths docs/**"
    )


def test_a_push_that_changes_no_file_does_not_run() -> None:
    empty = push(commits=[commit(), commit()])
    assert fires(DOCS, empty, "push") is False
    assert fires(NOT_DOCS, empty, "push") is False
    assert why_not(DOCS, empty) == (
        "the push changes no file (its commits add, modify and remove none): a path filter needs one"
    )
    assert push_paths_unknown(empty) is None


def test_a_force_push_runs_whatever_its_commits_list() -> None:
    forced = push(created=False, forced=True, before="a" * 40, commits=[commit(added=("README.md",))])
    assert fires(DOCS, forced, "push") is True
    assert fires(NOT_DOCS, forced, "push") is True
    assert "force push" in (push_paths_unknown(forced) or "")


def test_a_new_branch_at_an_existing_commit_lists_no_commits_and_runs() -> None:
    created = push(created=True, commits=[])
    assert fires(DOCS, created, "push") is True
    assert "lists no commits" in (push_paths_unknown(created) or "")
    # A new branch whose commits are listed (the real fixture: created, one commit): those commits decide.
    assert payload("push-branch")["created"] is True
    assert fires(DOCS, payload("push-branch"), "push") is False


def test_as_many_commits_as_github_lists_runs() -> None:
    full = push(created=False, commits=[commit(added=("README.md",))] * MAX_PAYLOAD_COMMITS)
    assert fires(DOCS, full, "push") is True
    assert f"lists {MAX_PAYLOAD_COMMITS} commits" in (push_paths_unknown(full) or "")
    one_less = push(created=False, commits=[commit(added=("README.md",))] * (MAX_PAYLOAD_COMMITS - 1))
    assert fires(DOCS, one_less, "push") is False


def test_path_filters_are_not_evaluated_for_tags() -> None:
    """As Actions: "Path filters are not evaluated for pushes of tags"; the real tag push lists no commits."""
    tag_with_commits = {**copy.deepcopy(payload("push-tag")), "commits": [commit(added=("README.md",))]}
    assert fires(DOCS, tag_with_commits, "push") is True
    assert fires(DOCS, payload("push-tag"), "push") is True
    both = one(events=["push"], tags=["v*"], paths=["docs/**"])
    assert fires(both, tag_with_commits, "push") is False  # the tag filter still decides
    assert fires(both, {**tag_with_commits, "ref": "refs/tags/v1"}, "push") is True


def test_branches_and_paths_must_both_pass() -> None:
    pipeline = one(events=["push"], branches=["main"], paths=["docs/**"])
    docs_push = push(commits=[commit(added=("docs/a.md",))])
    assert fires(pipeline, {**docs_push, "ref": "refs/heads/main"}, "push") is True
    assert fires(pipeline, {**docs_push, "ref": "refs/heads/dev"}, "push") is False
    assert fires(pipeline, {**push(), "ref": "refs/heads/main"}, "push") is False


def test_tags_only_and_branches_only() -> None:
    tags_only = one(events=["push"], tags=["v*"])
    assert fires(tags_only, payload("push-branch"), "push") is False
    assert why_not(tags_only, payload("push-branch")) == "refs/heads/master is not a tag; tag filter is v*"
    assert fires(tags_only, payload("push-tag"), "push") is False  # simple-tag
    assert why_not(tags_only, payload("push-tag")) == "tag simple-tag does not match v*"
    assert fires(tags_only, {**payload("push-tag"), "ref": "refs/tags/v1.0"}, "push") is True
    both = one(events=["push"], branches=["master"], **{"tags-ignore": ["simple-*"]})
    assert fires(both, payload("push-branch"), "push") is True
    assert fires(both, payload("push-tag"), "push") is False
    assert why_not(both, payload("push-tag")) == "tag simple-tag is ignored (tags-ignore: simple-*)"
    assert fires(both, {**payload("push-tag"), "ref": "refs/tags/v2"}, "push") is True


def test_branches_ignore_on_push_and_pull_request() -> None:
    pipeline = one(events=["push", "pull_request"], **{"branches-ignore": ["master", "dependabot/**"]})
    assert fires(pipeline, payload("push-branch"), "push") is False
    assert why_not(pipeline, payload("push-branch")) == (
        "branch master is ignored (branches-ignore: master, dependabot/**)"
    )
    assert fires(pipeline, push(ref="refs/heads/feature"), "push") is True
    assert fires(pipeline, payload("push-tag"), "push") is False  # only branch filters: no tags
    pull_request = payload("pull_request-opened")
    assert pull_request["pull_request"]["base"]["ref"] == "master"
    assert fires(pipeline, pull_request, "pull_request") is False
    other = copy.deepcopy(pull_request)
    other["pull_request"]["base"]["ref"] = "develop"
    assert fires(pipeline, other, "pull_request") is True
    other["pull_request"]["base"]["ref"] = "dependabot/npm/x"
    assert fires(pipeline, other, "pull_request") is False


def test_exact_selector_of_a_paths_pipeline() -> None:
    assert compile_trigger(one(events=["push"], paths=["docs/**", "!docs/draft/**"])).selector == (
        'discriminator == "github" && (metadata["x-github-event"] == ["push"] && payload?.deleted != true'
        ' && ((payload?.ref ?? "") startsWith "refs/tags/" || payload?.forced == true'
        " || len((payload?.commits ?? [])) == 0 || len((payload?.commits ?? [])) >= 2048"
        " || any((payload?.commits ?? []),"
        ' any(#?.added ?? [], (# matches "^(?:docs/.*)$" && !(# matches "^(?:docs/draft/.*)$")))'
        ' || any(#?.modified ?? [], (# matches "^(?:docs/.*)$" && !(# matches "^(?:docs/draft/.*)$")))'
        ' || any(#?.removed ?? [], (# matches "^(?:docs/.*)$" && !(# matches "^(?:docs/draft/.*)$"))))))'
    )


def test_the_simulator_says_when_the_payload_cannot_tell() -> None:
    forced = push(created=False, forced=True, commits=[commit(added=("README.md",))])
    result = simulate_pipeline(DOCS, delivery_environment(forced, "push", DELIVERY, "github", "workflows"))
    assert result.fires is True
    assert result.notes == [
        "path filter passed without looking at files: a force push: the payload lists the commits pushed, not the "
        "files of the two-dot diff before..after, so it runs"
    ]
    listed = push(commits=[commit(added=("docs/a.md",))])
    assert simulate_pipeline(DOCS, delivery_environment(listed, "push", DELIVERY, "github", "workflows")).notes == []
