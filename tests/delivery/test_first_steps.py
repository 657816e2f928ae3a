"""The program's first steps in the deployed template: a pull request's path filter decided in the run (the gate, the
binding's pull request annotation, the simulator's answer) and cancelInProgress (its step and identity), checked on
the templates and on the whole stack under Pulumi's mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hera.workflows.models import WorkflowTemplate

from cli.simulate import delivery_environment, simulate_pipeline
from delivery.bindings import event_binding_manifest
from delivery.expr import evaluate
from delivery.first_steps import ENTRYPOINT as GATE_ENTRYPOINT
from delivery.first_steps import with_first_steps
from delivery.paths_gate import GATE_TEMPLATE, PULL_REQUEST_ANNOTATION, needs_gate, path_filter_document
from delivery.status_hooks import StatusReporting
from settings.config import Pipeline, parse_settings
from settings.templates import schema_problems
from tests.delivery.test_triggers import DELIVERY, payload
from tests.harness import PROJECT_ROOT, run_stack, stack_config

REPORTING = StatusReporting(None, "https://api.github.com/", 1234, installations=(("acme", 77),))
TOKEN = "argo-github-webhooks:githubToken"


def pipeline(**fields: Any) -> Pipeline:
    entry = {"name": "p", "template": "workflows/secret-scan.yaml", "events": ["push", "pull_request"], **fields}
    config = stack_config(githubToken="github_pat_11ABC", pipelines=[entry])
    return parse_settings(config, PROJECT_ROOT, (TOKEN,)).pipelines[0]


DOCS_IGNORED = pipeline(**{"paths-ignore": ["docs/**"]})


def template(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t", "namespace": "workflows"},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "declared", "value": "x"}]},
            "templates": [
                {
                    "name": "main",
                    "inputs": {
                        "parameters": [{"name": "declared"}, {"name": "git_url"}, {"name": "other", "value": "d"}]
                    },
                    "container": {"image": "busybox"},
                }
            ],
            **spec,
        },
    }


def test_the_gate_runs_first_and_the_entrypoint_only_when_it_says_run() -> None:
    deployed = with_first_steps(template(), DOCS_IGNORED, REPORTING, ["git_url"])
    spec = deployed["spec"]
    assert spec["entrypoint"] == GATE_ENTRYPOINT
    names = [t["name"] for t in spec["templates"]]
    assert names == ["main", GATE_ENTRYPOINT, GATE_TEMPLATE]
    assert spec["templates"][1]["steps"] == [
        [{"name": "paths", "template": GATE_TEMPLATE}],
        [
            {
                "name": "run",
                "template": "main",
                "when": "{{steps.paths.outputs.result}} == run",
                # the inputs the Workflow has parameters for; `other` keeps its default
                "arguments": {
                    "parameters": [
                        {"name": "declared", "value": "{{workflow.parameters.declared}}"},
                        {"name": "git_url", "value": "{{workflow.parameters.git_url}}"},
                    ]
                },
            }
        ],
    ]
    gate = spec["templates"][2]
    assert gate["container"]["command"] == ["python3", "/opt/podkit/podkit.pyz", "paths"]
    assert (gate["serviceAccountName"], gate["automountServiceAccountToken"]) == ("argo-workflow", False)
    env = {item["name"]: item["value"] for item in gate["container"]["env"]}
    assert env == {
        "GITHUB_API_URL": "https://api.github.com/",
        "GITHUB_APP_ID": "1234",
        "GITHUB_CREDENTIALS_DIR": "/var/run/secrets/github-app",
        "GITHUB_INSTALLATIONS": '{"acme": 77}',
        "PATH_FILTER": '{"key": "paths-ignore", "patterns": [["docs/**", false, "docs/.*"]]}',
        "WORKFLOW_ANNOTATIONS": "{{workflow.annotations.json}}",
    }
    assert schema_problems(WorkflowTemplate, deployed) == []


def test_reserved_names_are_refused() -> None:
    clashing = template()
    clashing["spec"]["templates"].append({"name": GATE_TEMPLATE, "container": {"image": "busybox"}})
    with pytest.raises(ValueError, match="reserved for the program's first steps"):
        with_first_steps(clashing, DOCS_IGNORED, REPORTING, [])


def test_only_pull_request_pipelines_with_a_path_filter_get_a_gate() -> None:
    assert needs_gate(DOCS_IGNORED) is True
    assert needs_gate(pipeline()) is False
    push_only = pipeline(events=["push"], paths=["src/**"])
    assert needs_gate(push_only) is False
    assert (
        PULL_REQUEST_ANNOTATION
        not in event_binding_manifest(push_only, "workflows")["spec"]["submit"]["metadata"]["annotations"]
    )
    assert json.loads(path_filter_document(pipeline(paths=["src/**", "!src/gen/**"]))) == {
        "key": "paths",
        "patterns": [["src/**", False, "src/.*"], ["!src/gen/**", True, "src/gen/.*"]],
    }


def test_the_binding_annotates_the_pull_request_number() -> None:
    annotations = event_binding_manifest(DOCS_IGNORED, "workflows")["spec"]["submit"]["metadata"]["annotations"]
    expression = annotations[PULL_REQUEST_ANNOTATION]
    body = payload("pull_request-opened")
    number = body["pull_request"]["number"]
    environment = delivery_environment(body, "pull_request", DELIVERY, "github", "workflows")
    assert evaluate(expression, environment) == str(number)
    push = delivery_environment(payload("push-branch"), "push", DELIVERY, "github", "workflows")
    assert evaluate(expression, push) == ""


def test_the_simulator_says_decided_in_the_run() -> None:
    body = payload("pull_request-opened")
    result = simulate_pipeline(
        DOCS_IGNORED, delivery_environment(body, "pull_request", DELIVERY, "github", "workflows")
    )
    assert result.fires is True
    assert (
        "paths-ignore: decided in the run: its first step lists the pull request's files (GitHub's API, 100 a page, "
        "3,000 at most) and ends the run skipped when none concerns it" in result.notes
    )


def test_the_stack_deploys_the_gate() -> None:
    entry = {
        "name": "scan",
        "template": "workflows/secret-scan.yaml",
        "events": ["push", "pull_request"],
        "paths": ["src/**"],
    }
    run = run_stack(stack_config(githubToken="github_pat_11ABC", pipelines=[entry]), secret_keys=(TOKEN,))
    deployed = run.named("scan-template").inputs
    assert deployed["spec"]["entrypoint"] == GATE_ENTRYPOINT
    assert schema_problems(WorkflowTemplate, {k: deployed[k] for k in ("apiVersion", "kind", "metadata", "spec")}) == []
    binding = run.named("scan-binding").inputs
    assert PULL_REQUEST_ANNOTATION in binding["spec"]["submit"]["metadata"]["annotations"]


def test_cancel_in_progress_adds_the_cancel_step_and_its_identity() -> None:
    entry = {
        "name": "scan",
        "template": "workflows/secret-scan.yaml",
        "events": ["push", "pull_request"],
        "cancelInProgress": True,
    }
    run = run_stack(stack_config(pipelines=[entry]))
    deployed = run.named("scan-template").inputs
    spec = deployed["spec"]
    assert spec["entrypoint"] == GATE_ENTRYPOINT
    first_steps = next(t for t in spec["templates"] if t["name"] == GATE_ENTRYPOINT)
    assert first_steps["steps"][0] == [
        {
            "name": "cancel-superseded",
            "template": "argo-github-webhooks-cancel-superseded",
            "continueOn": {"failed": True, "error": True},
        }
    ]
    assert "when" not in first_steps["steps"][1][0]  # only a path filter decides whether the pipeline runs
    cancel = next(t for t in spec["templates"] if t["name"] == "argo-github-webhooks-cancel-superseded")
    assert (cancel["serviceAccountName"], cancel["automountServiceAccountToken"]) == (
        "argo-github-webhooks-cancel",
        True,
    )
    assert cancel["container"]["command"] == ["python3", "/opt/podkit/podkit.pyz", "cancel-superseded"]
    assert schema_problems(WorkflowTemplate, {k: deployed[k] for k in ("apiVersion", "kind", "metadata", "spec")}) == []
    role = run.named("superseded-runs-role").inputs
    assert role["metadata"]["name"] == "argo-github-webhooks-cancel"
    assert role["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list", "patch"]}
    ]
    binding = run.named("superseded-runs-role-binding").inputs
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "argo-github-webhooks-cancel", "namespace": "workflows"}
    ]
    assert (
        run.named("scan-binding")
        .inputs["spec"]["submit"]["metadata"]["annotations"]["argo-github-webhooks/concurrency"]
        .startswith('(metadata["x-github-event"] == ["push"] ? ')
    )


def test_no_cancel_identity_without_cancel_in_progress() -> None:
    run = run_stack(stack_config())
    assert [r for r in run.resources if r.name.startswith("superseded-runs")] == []
