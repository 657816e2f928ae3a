"""Selector and parameter compilation, evaluated on real GitHub payloads and crafted variants."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest

from cli.simulate import delivery_environment
from delivery.expr import Environment, evaluate, quote
from delivery.github_events import catalogue
from delivery.triggers import (
    WELL_KNOWN_SHAPES,
    compile_parameters,
    compile_trigger,
    glob_to_regexp,
    well_known_expression,
    workflow_metadata,
)
from settings.config import Pipeline, StackSettings, parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, dev_config, stack_config

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PAYLOADS = {path.stem: path for path in sorted((FIXTURES / "payloads").glob("*.json"))}
EVENT_OF = {name: name.split("-")[0] for name in PAYLOADS}  # push-branch -> push, ping-organization -> ping


@cache
def payload(name: str) -> dict[str, Any]:
    return json.loads(PAYLOADS[name].read_text())


def settings_with(*pipelines: dict[str, Any]) -> StackSettings:
    return parse_settings(stack_config(pipelines=list(pipelines)), PROJECT_ROOT)


def one(**fields: Any) -> Pipeline:
    return settings_with({"name": "p", "template": "workflows/secret-scan.yaml", **fields}).pipelines[0]


def env(body: dict[str, Any], event: str, discriminator: str = "github", delivery: str = DELIVERY) -> Environment:
    return delivery_environment(body, event, delivery, discriminator, "workflows")


def fires(pipeline: Pipeline, body: dict[str, Any], event: str) -> bool:
    return evaluate(compile_trigger(pipeline).selector, env(body, event)) is True


def parameters(pipeline: Pipeline, body: dict[str, Any], event: str) -> dict[str, Any]:
    environment = env(body, event)
    return {name: evaluate(expression, environment) for name, expression in compile_parameters(pipeline).items()}


def test_dev_selectors_are_exactly_these() -> None:
    hello, scan = parse_settings(dev_config(), PROJECT_ROOT).pipelines
    assert compile_trigger(hello).selector == (
        'discriminator == "github" && (metadata["x-github-event"] == ["push"] && payload?.deleted != true)'
    )
    assert compile_trigger(scan).selector == (
        'discriminator == "github" && ('
        '(metadata["x-github-event"] == ["push"] && payload?.deleted != true'
        ' && (payload?.ref ?? "") matches "^refs/heads/(?:main|master)$")'
        ' || (metadata["x-github-event"] == ["pull_request"]'
        ' && (payload?.pull_request?.base?.ref ?? "") matches "^(?:main|master)$"'
        ' && (payload?.action ?? "") in ["opened", "synchronize", "reopened"]'
        ' && (payload?.pull_request?.head?.repo?.id ?? -1) == (payload?.pull_request?.base?.repo?.id ?? -2)))'
    )


def shaped(value: str, name: str) -> str:
    """A well-known value as the binding reads it: itself when it has GitHub's shape, else ""."""
    return f'(string({value}) matches {quote(WELL_KNOWN_SHAPES[name])} ? {value} : "")'


def test_dev_parameters_are_exactly_these() -> None:
    _, scan = parse_settings(dev_config(), PROJECT_ROOT).pipelines
    git_ref = (
        '(metadata["x-github-event"] == ["push"] ? (payload?.ref ?? "") : '
        '(metadata["x-github-event"] == ["pull_request"] ? (payload?.pull_request?.number != nil ? '
        '"refs/pull/" + string(int(payload.pull_request.number)) + "/head" : "") : ""))'
    )
    head_commit = (
        '(metadata["x-github-event"] == ["push"] ? (payload?.after ?? "") : '
        '(metadata["x-github-event"] == ["pull_request"] ? (payload?.pull_request?.head?.sha ?? "") : ""))'
    )
    base_commit = (
        '(metadata["x-github-event"] == ["push"] ? (payload?.before ?? "") : '
        '(metadata["x-github-event"] == ["pull_request"] ? (payload?.pull_request?.base?.sha ?? "") : ""))'
    )
    assert compile_parameters(scan) == {
        "git_url": shaped('(payload?.repository?.clone_url ?? "")', "git_url"),
        "git_ref": shaped(git_ref, "git_ref"),
        "head_commit": shaped(head_commit, "head_commit"),
        "repository": shaped('(payload?.repository?.full_name ?? "")', "repository"),
        "base_commit": shaped(base_commit, "base_commit"),
        "default_branch": shaped('(payload?.repository?.default_branch ?? "")', "default_branch"),
    }


@pytest.mark.parametrize(
    ("pattern", "regexp"),
    [
        ("main", "main"),
        ("release/*", "release/[^/]*"),
        ("release/**", "release/.*"),
        ("**/hotfix", "(?:.*/)?hotfix"),
        ("v?.x", r"v?\.x"),
        ("a+b(c)|{d}^$", r"a+b\(c\)\|\{d\}\^\$"),
        (r"a\+\?\*\[x]\\", r"a\+\?\*\[x\]\\"),
        ("v[12].[0-9]+", r"v[12]\.[0-9]+"),
    ],
)
def test_glob_to_regexp(pattern: str, regexp: str) -> None:
    assert glob_to_regexp(pattern) == regexp


@pytest.mark.parametrize(
    ("patterns", "branch", "matches"),
    [
        (["main"], "main", True),
        (["main"], "main2", False),
        (["main"], "xmain", False),
        (["release/*"], "release/1.0", True),
        (["release/*"], "release/1.0/hotfix", False),
        (["release/**"], "release/1.0/hotfix", True),
        (["release/**"], "release", False),
        (["feature-?"], "feature-", True),
        (["feature-?"], "feature", True),
        (["feature-?"], "feature-a", False),
        (["feature/a+"], "feature/aaa", True),
        (["feature/a+"], "feature/", False),
        (["[CB]at"], "Cat", True),
        (["[CB]at"], "cat", False),
        (["*"], "main", True),
        (["*"], "feature/x", False),
        (["**"], "feature/x", True),
        (["v1.0"], "v1x0", False),
        (["main"], "main\n", False),
    ],
)
def test_branch_globs_on_push_and_pull_request(patterns: list[str], branch: str, matches: bool) -> None:
    pipeline = one(events=["push", "pull_request"], branches=patterns)
    push = {**payload("push-branch"), "ref": f"refs/heads/{branch}"}
    assert fires(pipeline, push, "push") is matches
    pull_request = copy.deepcopy(payload("pull_request-opened"))
    pull_request["pull_request"]["base"]["ref"] = branch
    assert fires(pipeline, pull_request, "pull_request") is matches


def test_tag_pushes_never_match_a_branch_filter() -> None:
    pipeline = one(events=["push"], branches=["**"])
    assert fires(pipeline, payload("push-branch"), "push") is True
    assert fires(pipeline, payload("push-tag"), "push") is False
    assert fires(pipeline, {**payload("push-tag"), "ref": "refs/tags/main"}, "push") is False
    assert fires(one(events=["push"]), payload("push-tag"), "push") is True


def test_deleted_refs_never_trigger() -> None:
    pipeline = one(events=["push"])
    assert fires(pipeline, payload("push-delete"), "push") is False
    deleted_branch = {**payload("push-branch"), "deleted": True, "after": "0" * 40}
    assert fires(pipeline, deleted_branch, "push") is False


def test_actions_apply_to_events_that_carry_one() -> None:
    pipeline = one(events=["push", "pull_request"], actions=["opened"])
    assert fires(pipeline, payload("pull_request-opened"), "pull_request") is True
    assert fires(pipeline, payload("pull_request-synchronize"), "pull_request") is False
    assert fires(pipeline, payload("push-branch"), "push") is True  # push carries no action: not filtered


def test_repository_filters_are_case_insensitive_and_exact() -> None:
    by_name = one(events=["push"], repositories=["hello-world"])
    by_full_name = one(events=["push"], repositories=["codertocat/Hello-World"])
    other = one(events=["push"], repositories=["Hello", "other/Hello-World", "Hello.World"])
    assert fires(by_name, payload("push-branch"), "push") is True
    assert fires(by_full_name, payload("push-branch"), "push") is True
    assert fires(other, payload("push-branch"), "push") is False


def test_the_event_header_decides_not_the_payload_shape() -> None:
    pipeline = one(events=["pull_request"])
    assert fires(pipeline, payload("pull_request-opened"), "pull_request") is True
    assert fires(pipeline, payload("pull_request-opened"), "pull_request_review") is False
    # Argo trusts the signed header; without a head repository (a push body) the fork rule skips it, unless opted in.
    assert fires(pipeline, payload("push-branch"), "pull_request") is False
    assert fires(one(events=["pull_request"], forks=True), payload("push-branch"), "pull_request") is True
    missing_header = {"payload": payload("push-branch"), "metadata": {}, "discriminator": "github", "namespace": "workflows"}
    assert evaluate(compile_trigger(pipeline).selector, missing_header) is False


def test_a_delivery_to_another_discriminator_stops_at_the_discriminator() -> None:
    pipeline = one(events=["push"])
    assert fires(pipeline, payload("push-branch"), "push") is True
    assert evaluate(compile_trigger(pipeline).selector, env(payload("push-branch"), "push", "other")) is False


def test_parameter_values_on_real_payloads() -> None:
    pipeline = one(events=["push", "pull_request", "release"], actions=["opened", "published"])
    assert parameters(pipeline, payload("push-branch"), "push") == {
        "git_url": "https://github.com/Codertocat/Hello-World.git",
        "git_ref": "refs/heads/master",
        "head_commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "repository": "Codertocat/Hello-World",
        "base_commit": "0000000000000000000000000000000000000000",  # a new branch: counted from the default branch
        "default_branch": "master",
    }
    assert parameters(pipeline, payload("pull_request-opened"), "pull_request") == {
        "git_url": "https://github.com/Codertocat/Hello-World.git",
        "git_ref": "refs/pull/2/head",
        "head_commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "repository": "Codertocat/Hello-World",
        "base_commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        "default_branch": "master",
    }
    assert parameters(pipeline, payload("release-published"), "release") == {
        "git_url": "https://github.com/Codertocat/Hello-World.git",
        "git_ref": "refs/tags/0.0.1",
        "head_commit": "",
        "repository": "Codertocat/Hello-World",
        "base_commit": "",
        "default_branch": "master",
    }
    odd = copy.deepcopy(payload("push-branch"))
    odd["repository"]["default_branch"] = "main$(id)"
    odd["before"] = "HEAD~1"
    values = parameters(pipeline, odd, "push")
    assert (values["default_branch"], values["base_commit"]) == ("", "")  # not GitHub's shape: nothing


def test_large_pull_request_numbers_keep_their_digits() -> None:
    body = copy.deepcopy(payload("pull_request-opened"))
    body["pull_request"]["number"] = 1234567
    assert parameters(one(events=["pull_request"]), body, "pull_request")["git_ref"] == "refs/pull/1234567/head"


def test_fork_pull_requests_build_the_base_repository_at_the_pull_ref() -> None:
    fork = payload("pull_request-opened-fork")
    values = parameters(one(events=["pull_request"], forks=True), fork, "pull_request")
    assert values["git_url"] == "https://github.com/Codertocat/Hello-World.git"
    assert values["git_ref"] == "refs/pull/2/head"


def test_mapped_parameters_and_header_parameters() -> None:
    settings = settings_with(
        {
            "name": "p",
            "template": "workflows/hello-world.yaml",
            "events": ["push"],
            "parameters": {"repository": "repository.owner.login", "git_ref": "no.such.field"},
        }
    )
    values = parameters(settings.pipelines[0], payload("push-branch"), "push")
    assert values == {
        "repository": "Codertocat",
        "git_ref": "",
        "head_commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "event": "push",
        "delivery_id": DELIVERY,
    }


def test_single_event_well_known_parameters_need_no_event_test() -> None:
    assert well_known_expression("git_ref", ["push"]) == shaped('(payload?.ref ?? "")', "git_ref")
    assert well_known_expression("head_commit", ["release"]) == '""'
    assert well_known_expression("head_commit", ["pull_request", "pull_request_review"]) == (
        shaped('(payload?.pull_request?.head?.sha ?? "")', "head_commit")
    )


def _all_expressions(settings: StackSettings) -> list[str]:
    expressions = []
    for pipeline in settings.pipelines:
        expressions.append(compile_trigger(pipeline).selector)
        expressions.extend(compile_parameters(pipeline).values())
        metadata = workflow_metadata(pipeline)
        expressions.extend(metadata["labels"].values())
        expressions.extend(metadata["annotations"].values())
    return expressions


@cache
def _broad_settings() -> StackSettings:
    """Pipelines using every filter and every well-known parameter, across event kinds."""
    return settings_with(
        {"name": "a", "template": "workflows/hello-world.yaml", "events": ["push"], "branches": ["main", "r/**"]},
        {
            "name": "b",
            "template": "workflows/secret-scan.yaml",
            "events": ["push", "pull_request", "pull_request_review", "release", "ping", "organization"],
            "actions": ["opened", "published"],
            "repositories": ["Hello-World", "acme/x"],
        },
        {
            "name": "c",
            "template": "workflows/hello-world.yaml",
            "events": ["pull_request", "pull_request_review_comment"],
            "branches": ["*"],
        },
    )


CRAFTED = {
    "empty": {},
    "nulls": {"ref": None, "repository": None, "pull_request": None, "action": None, "release": None},
    "wrong-shapes": {"repository": {"owner": None}, "pull_request": {"base": None, "head": {}}, "release": {}},
    "repository-without-names": {"repository": {"id": 1}},
}


@pytest.mark.parametrize("body_name", [*PAYLOADS, *CRAFTED])
def test_no_expression_fails_on_any_payload_with_any_event_header(body_name: str) -> None:
    """Argo evaluates every binding for every delivery: one failure would turn every delivery into HTTP 500."""
    body = payload(body_name) if body_name in PAYLOADS else CRAFTED[body_name]
    settings = _broad_settings()
    expressions = _all_expressions(settings)
    for event in sorted(catalogue().deliverable):
        for discriminator in ["github", "other"]:
            environment = env(body, event, discriminator)
            for expression in expressions:
                evaluate(expression, environment)  # raises ExprError on a failure


LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@pytest.mark.parametrize(
    "delivery", [DELIVERY, "not a guid!", "x" * 64, "", DELIVERY.upper(), f"{DELIVERY}\n$(id)", "abc", DELIVERY + "0"]
)
def test_workflow_labels_are_always_valid_label_values(delivery: str) -> None:
    pipeline = one(events=["push"])
    environment = env(payload("push-branch"), "push", "p", delivery)
    labels = {key: evaluate(value, environment) for key, value in workflow_metadata(pipeline)["labels"].items()}
    assert all(isinstance(value, str) and len(value) <= 63 and LABEL_VALUE.match(value) for value in labels.values())
    assert labels == {
        "argo-github-webhooks/pipeline": "p",
        "argo-github-webhooks/event": "push",
        "argo-github-webhooks/delivery": delivery if delivery == DELIVERY else "",
        "argo-github-webhooks/owner": "Codertocat",
        "argo-github-webhooks/repository": "Hello-World",
    }
    annotations = {
        key: evaluate(value, environment) for key, value in workflow_metadata(pipeline)["annotations"].items()
    }
    assert annotations == {
        # The header is not signed and templates may read the annotation: a GUID as GitHub sends it, or nothing.
        "argo-github-webhooks/delivery": delivery if delivery == DELIVERY else "",
        "argo-github-webhooks/event": "push",
        "argo-github-webhooks/repository": "Codertocat/Hello-World",
    }


@pytest.mark.parametrize(
    ("event", "own", "fork"),
    [
        ("pull_request", "pull_request-opened", "pull_request-opened-fork"),
        ("workflow_run", "workflow_run-completed", "workflow_run-completed-fork"),
        ("check_suite", "check_suite-completed", "check_suite-completed-fork"),
        ("check_run", "check_run-completed", "check_run-completed-fork"),
        ("issue_comment", "issue_comment-created", "issue_comment-created-pull_request"),
    ],
)
def test_forks_cover_every_event_that_names_a_forks_code(event: str, own: str, fork: str) -> None:
    """A fork's code (its pull request, a workflow run or check on its head, a comment on a pull request, whose payload
    cannot tell) starts a pipeline only with forks: true."""
    skipping, opted_in = one(events=[event]), one(events=[event], forks=True)
    assert fires(skipping, payload(own), event) is True
    assert fires(skipping, payload(fork), event) is False
    assert fires(opted_in, payload(fork), event) is True
    assert fires(opted_in, payload(own), event) is True
    if event != "issue_comment":  # a comment without an issue.pull_request is about an issue: no code to run
        assert fires(skipping, {}, event) is False  # nothing to tell by: a fork


def test_fork_tests_read_the_fields_github_sets_for_a_fork() -> None:
    run = copy.deepcopy(payload("workflow_run-completed"))
    run["workflow_run"]["head_repository"] = None  # the fork was deleted
    assert fires(one(events=["workflow_run"]), run, "workflow_run") is False
    run["workflow_run"]["head_repository"] = {"id": run["repository"]["id"]}
    assert fires(one(events=["workflow_run"]), run, "workflow_run") is True
    suite = copy.deepcopy(payload("check_suite-completed"))
    suite["check_suite"]["pull_requests"] = []  # a branch without a pull request is the repository's own code
    assert fires(one(events=["check_suite"]), suite, "check_suite") is True
    check_run = copy.deepcopy(payload("check_run-completed"))
    check_run["check_run"]["check_suite"]["head_branch"] = None
    assert fires(one(events=["check_run"]), check_run, "check_run") is False
    assert compile_trigger(one(events=["issue_comment"])).clauses[0].conditions[-1].expression == (
        "payload?.issue?.pull_request == nil"
    )
