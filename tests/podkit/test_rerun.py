"""podkit's rerun run for real (a python process with only its pod's environment) against the fake Kubernetes API
server, which applies the re-run step's own Role: each click runs its pipelines again, once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from delivery.rerun import RERUN_RULES
from tests.fakes.apiserver import FakeApiServer
from tests.podkit.pod import run_pod

NAMESPACE = "workflows"
SHA = "d6fde92930d4715a2b49857d24b940956b26d2d3"
OTHER_SHA = "0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
CLICK = "7d3c1f6e-8a2b-11f0-9c1e-2f5b8e3a4d10"
ORIGINAL_DELIVERY = "1a2b3c4d-5e6f-11f0-8a9b-0c1d2e3f4a5b"
PIPELINES = ["secret-scan", "tests"]


@pytest.fixture
def kubernetes(tmp_path: Path) -> Iterator[FakeApiServer]:
    with FakeApiServer(tmp_path / "serviceaccount", NAMESPACE, "rerun-sa-token", RERUN_RULES) as fake:
        yield fake


def rerun(kubernetes: FakeApiServer, **values: str) -> subprocess.CompletedProcess[str]:
    """The re-run step's container with the environment its template gives it."""
    inputs = {"event": "check_run", "repository": "github/hello-world", "commit": SHA, "external_id": "",
              "delivery": CLICK, **values}
    env = {
        **kubernetes.environment,
        "WORKFLOW_NAMESPACE": NAMESPACE,
        "RERUN_PIPELINES": json.dumps(PIPELINES),
        **{f"RERUN_{name.upper()}": value for name, value in inputs.items()},
    }
    return run_pod("rerun", env)


def original(
    name: str, pipeline: str = "secret-scan", commit: str = SHA, created: str = "2026-12-01T10:00:00Z",
    repository: str = "github/hello-world",
) -> dict[str, Any]:
    """A run as its binding submitted it (arguments evaluated by Argo) and the API server keeps it."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "creationTimestamp": created,
            "labels": {
                "argo-github-webhooks/pipeline": pipeline,
                "argo-github-webhooks/event": "pull_request",
                "argo-github-webhooks/delivery": ORIGINAL_DELIVERY,
                "argo-github-webhooks/owner": repository.split("/")[0],
                "argo-github-webhooks/repository": repository.split("/")[1],
                "workflows.argoproj.io/completed": "true",
            },
            "annotations": {
                "argo-github-webhooks/delivery": ORIGINAL_DELIVERY,
                "argo-github-webhooks/event": "pull_request",
                "argo-github-webhooks/repository": repository,
                "argo-github-webhooks/commit": commit,
                "workflows.argoproj.io/pod-name-format": "v2",
            },
        },
        "spec": {
            "workflowTemplateRef": {"name": pipeline},
            "arguments": {
                "parameters": [
                    {"name": "git_url", "value": "https://github.com/github/hello-world.git"},
                    {"name": "git_ref", "value": "refs/pull/7/head"},
                    {"name": "head_commit", "value": commit},
                ]
            },
        },
        "status": {"phase": "Failed", "storedWorkflowTemplateSpec": {"entrypoint": "main"}},
    }


def created(kubernetes: FakeApiServer) -> dict[str, dict[str, Any]]:
    return {
        name: workflow for name, workflow in kubernetes.workflows.items() if "rerun-of" in json.dumps(workflow)
    }


def test_a_check_run_is_run_again_with_the_same_pipeline_commit_and_parameters(kubernetes: FakeApiServer) -> None:
    kubernetes.add_workflow(original(f"secret-scan-{ORIGINAL_DELIVERY}"))
    result = rerun(kubernetes, external_id=f"secret-scan-{ORIGINAL_DELIVERY}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"re-running secret-scan-{ORIGINAL_DELIVERY} as secret-scan-{CLICK} (same pipeline, commit and parameters)"
    )
    new = kubernetes.workflows[f"secret-scan-{CLICK}"]
    assert new["metadata"]["labels"] == {
        "argo-github-webhooks/pipeline": "secret-scan",
        "argo-github-webhooks/event": "pull_request",
        "argo-github-webhooks/delivery": CLICK,
        "argo-github-webhooks/owner": "github",
        "argo-github-webhooks/repository": "hello-world",
        "argo-github-webhooks/rerun-of": f"secret-scan-{ORIGINAL_DELIVERY}",
    }
    assert new["metadata"]["annotations"] == {
        "argo-github-webhooks/delivery": CLICK,
        "argo-github-webhooks/event": "pull_request",
        "argo-github-webhooks/repository": "github/hello-world",
        "argo-github-webhooks/commit": SHA,
        "argo-github-webhooks/rerun-of": f"secret-scan-{ORIGINAL_DELIVERY}",
    }
    # Only what Argo's Strict mode lets a submitted Workflow set (workflow/util/merge.go): the template and arguments.
    assert new["spec"] == {
        "workflowTemplateRef": {"name": "secret-scan"},
        "arguments": original("x")["spec"]["arguments"],
    }
    assert [(seen.verb, seen.name) for seen in kubernetes.requests] == [
        ("get", f"secret-scan-{ORIGINAL_DELIVERY}"),
        ("create", None),
    ]


def test_each_click_runs_once(kubernetes: FakeApiServer) -> None:
    kubernetes.add_workflow(original("secret-scan-a"))
    assert rerun(kubernetes, external_id="secret-scan-a").returncode == 0
    again = rerun(kubernetes, external_id="secret-scan-a")  # the step retried, or the click redelivered
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"secret-scan-a was already re-run for this click as secret-scan-{CLICK}"
    assert list(created(kubernetes)) == [f"secret-scan-{CLICK}"]
    other_click = "9e8d7c6b-5a49-11f0-8f7e-6d5c4b3a2910"
    assert rerun(kubernetes, external_id="secret-scan-a", delivery=other_click).returncode == 0
    assert sorted(created(kubernetes)) == [f"secret-scan-{CLICK}", f"secret-scan-{other_click}"]


def test_a_re_run_of_a_re_run_repeats_the_same_parameters(kubernetes: FakeApiServer) -> None:
    kubernetes.add_workflow(original("secret-scan-a"))
    assert rerun(kubernetes, external_id="secret-scan-a").returncode == 0
    second = "9e8d7c6b-5a49-11f0-8f7e-6d5c4b3a2910"
    assert rerun(kubernetes, external_id=f"secret-scan-{CLICK}", delivery=second).returncode == 0
    again = kubernetes.workflows[f"secret-scan-{second}"]
    assert again["spec"]["arguments"] == original("x")["spec"]["arguments"]
    assert again["metadata"]["labels"]["argo-github-webhooks/rerun-of"] == f"secret-scan-{CLICK}"


def test_re_run_all_repeats_each_reporting_pipelines_newest_run_on_the_commit(kubernetes: FakeApiServer) -> None:
    kubernetes.add_workflow(original("secret-scan-old", created="2026-12-01T09:00:00Z"))
    kubernetes.add_workflow(original("secret-scan-new", created="2026-12-01T11:00:00Z"))
    kubernetes.add_workflow(original("tests-a", pipeline="tests"))
    kubernetes.add_workflow(original("hello-world-a", pipeline="hello-world"))  # reports nothing: not re-run
    kubernetes.add_workflow(original("tests-other-commit", pipeline="tests", commit=OTHER_SHA))
    kubernetes.add_workflow(original("tests-other-repo", pipeline="tests", repository="github/other"))
    result = rerun(kubernetes, event="check_suite")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"re-running secret-scan-new as secret-scan-{CLICK} (same pipeline, commit and parameters)",
        f"re-running tests-a as tests-{CLICK} (same pipeline, commit and parameters)",
    ]
    (listing,) = [seen for seen in kubernetes.requests if seen.verb == "list"]
    assert listing.query["labelSelector"] == "argo-github-webhooks/pipeline,argo-github-webhooks/repository=hello-world"


@pytest.mark.parametrize(
    ("workflow", "external_id", "message"),
    [
        (None, "secret-scan-gone", "nothing re-run: the run secret-scan-gone is gone (finished runs are kept 4 days, "
         "failed ones 7): its parameters cannot be repeated; push again or re-open the pull request to start a new run"),
        (original("hello-world-a", pipeline="hello-world"), "hello-world-a",
         "nothing re-run: hello-world-a is not a run of a reporting pipeline of this stack"),
        (original("secret-scan-b", commit=OTHER_SHA), "secret-scan-b",
         f"nothing re-run: secret-scan-b is not about github/hello-world@{SHA}: the check run does not belong to it"),
    ],
)
def test_what_cannot_be_repeated_is_said_and_nothing_starts(
    kubernetes: FakeApiServer, workflow: dict[str, Any] | None, external_id: str, message: str
) -> None:
    if workflow:
        kubernetes.add_workflow(workflow)
    result = rerun(kubernetes, external_id=external_id)
    assert (result.returncode, result.stderr.strip()) == (1, message)
    assert created(kubernetes) == {}


def test_re_run_all_on_a_commit_without_runs(kubernetes: FakeApiServer) -> None:
    result = rerun(kubernetes, event="check_suite")
    assert (result.returncode, result.stderr.strip()) == (
        1, f"nothing re-run: no run of a reporting pipeline on github/hello-world@{SHA} is left to repeat"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # The real check_run payload of another integration: no external_id.
        ({"external_id": ""}, "error: the check run's external_id '' names no Workflow: not a check run of this stack"),
        ({"external_id": "../secrets/x"}, "error: the check run's external_id '../secrets/x' names no Workflow: not a "
         "check run of this stack"),
        ({"delivery": "not-a-guid", "external_id": "a"}, "error: delivery 'not-a-guid' is not a delivery GUID "
         "(X-GitHub-Delivery)"),
        ({"commit": "HEAD", "external_id": "a"}, "error: commit 'HEAD' is not a commit SHA"),
        ({"event": "push", "external_id": "a"}, "error: event 'push' is not one of check_run, check_suite"),
        ({"repository": "a/b/c", "external_id": "a"}, "error: repository 'a/b/c' is not owner/name"),
    ],
)
def test_bad_input_exits_2_before_any_request(kubernetes: FakeApiServer, values: dict[str, str], message: str) -> None:
    result = rerun(kubernetes, **values)
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert kubernetes.requests == []


def test_a_skipped_required_check_is_re_run_as_the_skip_it_was(kubernetes: FakeApiServer) -> None:
    skipped = original("secret-scan-s")
    skipped["spec"] = {
        "workflowTemplateRef": {"name": "argo-github-webhooks-skip-secret-scan"},
        "arguments": {"parameters": [{"name": "conclusion", "value": "skipped"}, {"name": "reason", "value": "r"}]},
    }
    kubernetes.add_workflow(skipped)
    assert rerun(kubernetes, external_id="secret-scan-s").returncode == 0
    assert kubernetes.workflows[f"secret-scan-{CLICK}"]["spec"] == skipped["spec"]


def test_a_run_of_another_template_is_not_repeated(kubernetes: FakeApiServer) -> None:
    other = original("secret-scan-o")
    other["spec"]["workflowTemplateRef"] = {"name": "hello-world"}
    kubernetes.add_workflow(other)
    result = rerun(kubernetes, external_id="secret-scan-o")
    assert (result.returncode, result.stderr.strip()) == (
        1, "nothing re-run: secret-scan-o ran the template 'hello-world', not its pipeline's"
    )
    assert created(kubernetes) == {}
