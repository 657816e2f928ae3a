"""A required pipeline's skip binding on real payloads, through the same expression engine as the simulator: for a
pull request the ruleset targets, exactly one of the pipeline's binding and its skip binding fires."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cli.simulate import delivery_environment
from delivery.bindings import event_binding_manifest
from delivery.expr import argo_parameter_value, evaluate
from delivery.required import _fnmatch_regexp, skip_binding_manifest, skip_trigger, targeted_expression
from settings.config import Pipeline, parse_settings
from settings.required_checks import RequiredChecks
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, app_key_pem
from tests.harness import PROJECT_ROOT, stack_config

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
EVERY_FIXTURE = sorted(path.name for path in PAYLOADS.glob("*.json"))


def payload(name: str, **changes: Any) -> dict[str, Any]:
    document = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return document


def event_of(name: str) -> str:
    return name.split("-", 1)[0]


def required_pipeline(**entry: Any) -> Pipeline:
    pipeline = {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["pull_request", "push"],
                "required": True, **entry}
    hello = {"name": "hello", "template": "workflows/hello-world.yaml", "events": ["push"]}  # every organization's
    config = stack_config(githubApp={"appId": APP_ID, "privateKey": app_key_pem()}, pipelines=[pipeline, hello],
                          organizations=["acme", "Codertocat"])
    return parse_settings(config, PROJECT_ROOT, (GITHUB_APP_KEY,)).pipelines[0]


def fires(selector: str, document: dict[str, Any], event: str = "pull_request") -> bool:
    result = evaluate(selector, delivery_environment(document, event, DELIVERY, "github", "workflows"))
    assert isinstance(result, bool)
    return result


DEFAULTS = RequiredChecks()


def answer(pipeline: Pipeline, document: dict[str, Any], required: RequiredChecks = DEFAULTS,
           event: str = "pull_request") -> tuple[bool, str | None, str | None]:
    """(the pipeline's own binding fires, the skip run's conclusion, its reason); None, None: no skip run."""
    env = delivery_environment(document, event, DELIVERY, "github", "workflows")
    own = evaluate(event_binding_manifest(pipeline, "workflows")["spec"]["event"]["selector"], env)
    binding = skip_binding_manifest(pipeline, "workflows", required)
    if not evaluate(binding["spec"]["event"]["selector"], env):
        return own, None, None
    values = {item["name"]: argo_parameter_value(evaluate(item["valueFrom"]["event"], env))
              for item in binding["spec"]["submit"]["arguments"]["parameters"]}
    return own, values["conclusion"], values["reason"]


def test_a_pull_request_the_pipeline_takes_runs_it_and_no_skip() -> None:
    assert answer(required_pipeline(), payload("pull_request-opened.json")) == (True, None, None)


def test_an_action_the_pipeline_leaves_out_is_skipped_with_the_reason() -> None:
    pipeline = required_pipeline(actions=["opened"])
    assert answer(pipeline, payload("pull_request-synchronize.json")) == (
        False,
        "skipped",
        "action synchronize is not one of the pipeline actions (opened)",
    )
    assert answer(pipeline, payload("pull_request-opened.json")) == (True, None, None)


def test_a_repository_the_pipeline_leaves_out_is_skipped() -> None:
    pipeline = required_pipeline(repositories=["api", "acme/web"])
    assert answer(pipeline, payload("pull_request-opened.json")) == (
        False,
        "skipped",
        "repository Codertocat/Hello-World is not one of the pipeline repositories (api, acme/web)",
    )


def test_the_pipelines_own_branch_filter_is_a_reason_inside_the_rulesets_branches() -> None:
    pipeline = required_pipeline(branches=["main"])
    targets = RequiredChecks(branches=("~ALL",))
    assert answer(pipeline, payload("pull_request-opened.json"), targets) == (
        False,
        "skipped",
        "base branch master is not taken by the pipeline branch filters (branches: main)",
    )


def test_a_forks_pull_request_fails_the_required_check_without_running_its_code() -> None:
    own, conclusion, reason = answer(required_pipeline(), payload("pull_request-synchronize-fork.json"))
    assert (own, conclusion) == (False, "failure")
    assert reason == (
        "pull request from the fork octo-fork/Hello-World: the pipeline does not run a fork's code (forks: false), "
        "so its required check fails; a maintainer can merge through a bypass, or the pipeline can set forks: true"
    )
    forks = required_pipeline(forks=True)
    assert answer(forks, payload("pull_request-synchronize-fork.json")) == (True, None, None)
    # A fork's pull request that another filter leaves out still fails: the fork is the first reason that counts.
    both = required_pipeline(actions=["opened"])
    assert answer(both, payload("pull_request-synchronize-fork.json"))[1] == "failure"


def test_the_first_refusing_filter_is_the_reason() -> None:
    pipeline = required_pipeline(actions=["opened"], repositories=["api"])
    assert answer(pipeline, payload("pull_request-synchronize.json"))[2] == (
        "action synchronize is not one of the pipeline actions (opened)"
    )


def test_only_the_rulesets_targets_get_an_answer() -> None:
    pipeline = required_pipeline(actions=["opened"])
    synchronize = payload("pull_request-synchronize.json")
    assert answer(pipeline, synchronize, RequiredChecks(branches=("release/*",)))[1] is None
    assert answer(pipeline, synchronize, RequiredChecks(branches=("mas*",)))[1] == "skipped"
    off_default = payload("pull_request-synchronize.json", pull_request__base__ref="develop")
    assert answer(pipeline, off_default)[1] is None  # ~DEFAULT_BRANCH: master only
    assert answer(pipeline, synchronize, RequiredChecks(exclude_repositories=("hello-*",)))[1] is None  # any case
    assert answer(pipeline, synchronize, RequiredChecks(include_repositories=("Hello-World",)))[1] == "skipped"
    assert answer(pipeline, synchronize, RequiredChecks(include_repositories=("other",)))[1] is None


def test_only_targeted_actions_and_the_pipelines_organizations() -> None:
    pipeline = required_pipeline(actions=["opened"], organizations=["acme"])
    closed = payload("pull_request-synchronize.json", action="closed", organization={"login": "ACME"})
    assert answer(pipeline, closed)[1] is None  # a closed pull request puts no new commit before the ruleset
    acme = payload("pull_request-synchronize.json", organization={"login": "ACME"})
    assert answer(pipeline, acme)[1] == "skipped"
    other = payload("pull_request-synchronize.json", organization={"login": "Codertocat"})
    assert answer(pipeline, other) == (False, None, None)  # not this organization's ruleset


@pytest.mark.parametrize("fixture", EVERY_FIXTURE)
@pytest.mark.parametrize("entry", [{}, {"actions": ["opened"]}, {"repositories": ["api"]}, {"forks": True}])
def test_never_both_bindings_and_nothing_for_other_events(fixture: str, entry: dict[str, Any]) -> None:
    pipeline = required_pipeline(**entry)
    document = payload(fixture)
    own, conclusion, _ = answer(pipeline, document, RequiredChecks(branches=("~ALL",)), event_of(fixture))
    assert not (own and conclusion is not None)
    if event_of(fixture) != "pull_request":
        assert conclusion is None
    elif document.get("action") in ("opened", "synchronize", "reopened"):
        assert own or conclusion is not None  # a targeted pull request always gets an answer


@pytest.mark.parametrize(
    ("document", "matches"),
    [
        ({}, False),
        ({"action": 5, "pull_request": None}, False),
        ({"action": "opened", "pull_request": {"base": {"ref": 7}}}, False),
        ({"action": "opened", "repository": None, "pull_request": {"base": None, "head": {"repo": None}}}, False),
        ({"action": "reopened", "repository": {"name": 3}, "pull_request": {"base": {"ref": "release/1"}}}, True),
        ({"action": "opened", "pull_request": {"base": {"ref": "release/1"}, "head": {"repo": {"full_name": 1}}}},
         True),
    ],
)
def test_odd_payloads_never_fail_the_skip_bindings_expressions(document: dict[str, Any], matches: bool) -> None:
    """One failing binding fails every delivery (HTTP 500): the selector never raises, nor do the parameters of a
    binding it matched (Argo evaluates them only then)."""
    pipeline = required_pipeline(actions=["synchronize"], repositories=["api"])
    trigger = skip_trigger(pipeline, RequiredChecks(branches=("~DEFAULT_BRANCH", "release/*")))
    env = delivery_environment(document, "pull_request", DELIVERY, "github", "workflows")
    assert evaluate(trigger.selector, env) is matches
    if matches:
        assert evaluate(trigger.conclusion, env) == "failure"  # no head repository: a fork's, as everywhere
        assert evaluate(trigger.reason, env).startswith("action ")


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("main", ["main"], ["mainline", "x/main"]),
        ("release/*", ["release/1.0"], ["release/1/2", "release"]),
        ("release/**", ["release/1/2"], ["releases/1"]),
        ("v?", ["v1"], ["v", "v10", "v/"]),
        ("feat-[ab]", ["feat-a"], ["feat-c"]),
        ("feat-[!ab]", ["feat-c"], ["feat-a"]),
        ("a.b+c", ["a.b+c"], ["aXb+c", "a.bbc"]),
    ],
)
def test_ruleset_patterns_are_fnmatch(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    import re

    regexp = re.compile(f"^(?:{_fnmatch_regexp(pattern)})$")
    assert [bool(regexp.match(name)) for name in matching + not_matching] == (
        [True] * len(matching) + [False] * len(not_matching)
    )


def test_the_targets_expression_reads_the_base_branch_and_repository() -> None:
    assert targeted_expression(RequiredChecks()) == (
        '(string(payload?.pull_request?.base?.ref ?? "") != "" && string(payload?.pull_request?.base?.ref ?? "") '
        '== string(payload?.repository?.default_branch ?? ""))'
    )
    assert targeted_expression(RequiredChecks(branches=("~ALL",), include_repositories=("api-*",))) == (
        'true && string(payload?.repository?.name ?? "") matches "(?i)^(?:api-[^/]*)$"'
    )


def test_the_skip_binding_names_its_run_like_the_pipeline_and_reports_on_the_head() -> None:
    pipeline = required_pipeline()
    own = event_binding_manifest(pipeline, "workflows")["spec"]["submit"]["metadata"]
    binding = skip_binding_manifest(pipeline, "workflows", RequiredChecks())
    assert binding["metadata"] == {
        "name": "argo-github-webhooks-skip-scan",
        "namespace": "workflows",
        "labels": {
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "argo-github-webhooks",
            "argo-github-webhooks/pipeline": "scan",
        },
    }
    assert binding["spec"]["submit"]["metadata"] == own  # same name, labels, repository and commit annotations
    assert binding["spec"]["submit"]["workflowTemplateRef"] == {"name": "argo-github-webhooks-skip-scan"}
    env = delivery_environment(copy.deepcopy(payload("pull_request-opened-fork.json")), "pull_request", DELIVERY,
                               "github", "workflows")
    assert evaluate(own["name"], env) == f"scan-{DELIVERY}"
    assert evaluate(own["annotations"]["argo-github-webhooks/commit"], env) == (
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    )
