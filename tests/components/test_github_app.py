"""The stack with GitHub credentials, under Pulumi's mocks: the Secret, the ConfigMap, the hooks, and secrecy."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml
from hera.workflows.models import WorkflowTemplate

from delivery.podkit_artifact import artifact
from delivery.status_hooks import (
    COMMIT_ANNOTATION,
    EXIT_STEPS,
    REPORT_TEMPLATE,
    START_EXPRESSION,
    START_HOOK,
    STATUS_STEPS,
)
from settings.config import ConfigError
from settings.images import PYTHON
from settings.templates import schema_problems
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, GITHUB_TOKEN_KEY, app_key_pem
from tests.harness import PROJECT_ROOT, StackRun, is_secret, reveal, run_stack, stack_config, without_secrets

MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "argo-github-webhooks"}
PIPELINES = [
    {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["push", "pull_request"]},
    {"name": "quiet", "template": "workflows/hello-world.yaml", "events": ["push"], "status": False},
    {"name": "audit", "template": "workflows/hello-world.yaml", "events": ["release"]},
]


def app_config(**overrides: Any) -> dict[str, str]:
    return stack_config(githubApp={"appId": APP_ID, "privateKey": app_key_pem()}, pipelines=PIPELINES, **overrides)


@pytest.fixture(scope="module")
def with_app() -> StackRun:
    return run_stack(app_config(), secret_keys=(GITHUB_APP_KEY,))



def test_the_key_is_only_in_the_secret_and_only_as_a_secret(with_app: StackRun) -> None:
    secret = with_app.named("workflow-github-credentials")
    assert secret.delete_before_replace is True
    assert is_secret(secret.inputs["stringData"])
    assert reveal(secret.inputs) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "github-app", "namespace": "workflows", "labels": MANAGED_BY},
        "type": "Opaque",
        "stringData": {"private-key.pem": app_key_pem()},
    }
    key_body = app_key_pem().splitlines()[1]
    holders = [resource.name for resource in with_app.resources if key_body in json.dumps(reveal(resource.inputs))]
    assert holders == ["workflow-github-credentials"]
    for resource in with_app.resources:
        assert key_body not in json.dumps(without_secrets(resource.inputs)), resource.name
    assert key_body not in json.dumps(with_app.outputs)


def test_the_podkit_config_map_holds_the_artifact_the_program_built(with_app: StackRun) -> None:
    assert with_app.named("workflow-github-podkit").inputs == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "podkit", "namespace": "workflows", "labels": MANAGED_BY},
        "data": {"api-url": "https://api.github.com/", "app-id": str(APP_ID)},
        "binaryData": {"podkit.pyz": base64.b64encode(artifact()).decode("ascii")},
    }


def _template(run: StackRun, name: str) -> dict[str, Any]:
    return reveal(run.named(f"{name}-template").inputs)


def test_hooks_only_on_reporting_pipelines(with_app: StackRun) -> None:
    scan = _template(with_app, "scan")
    assert scan["spec"]["hooks"] == {START_HOOK: {"expression": START_EXPRESSION, "template": STATUS_STEPS}}
    assert scan["spec"]["onExit"] == EXIT_STEPS
    for name in ("quiet", "audit"):
        spec = _template(with_app, name)["spec"]
        file_spec = yaml.safe_load((PROJECT_ROOT / "workflows" / "hello-world.yaml").read_text())["spec"]
        assert spec == {**file_spec, "activeDeadlineSeconds": 3600}  # no hooks, no extra templates; the default deadline
    bindings = {name: reveal(with_app.named(f"{name}-binding").inputs) for name in ("scan", "quiet", "audit")}
    assert COMMIT_ANNOTATION in bindings["scan"]["spec"]["submit"]["metadata"]["annotations"]
    assert COMMIT_ANNOTATION not in bindings["quiet"]["spec"]["submit"]["metadata"]["annotations"]


def test_the_report_template_takes_every_value_from_its_environment(with_app: StackRun) -> None:
    templates = {template["name"]: template for template in _template(with_app, "scan")["spec"]["templates"]}

    def report_step(failures: str) -> dict[str, Any]:
        return {
            "name": "report",
            "template": REPORT_TEMPLATE,
            "arguments": {"parameters": [{"name": "failures", "value": failures}]},
            "continueOn": {"failed": True, "error": True},
        }

    assert templates[STATUS_STEPS] == {"name": STATUS_STEPS, "steps": [[report_step("")]]}
    assert templates[EXIT_STEPS] == {"name": EXIT_STEPS, "steps": [[report_step("{{workflow.failures}}")]]}
    report = templates[REPORT_TEMPLATE]
    assert report["inputs"] == {"parameters": [{"name": "failures"}]}
    script = report["container"]
    assert script["image"] == PYTHON
    assert script["command"] == ["python3", "/opt/podkit/podkit.pyz", "check-run"]  # nothing is substituted into code
    assert {variable["name"]: variable["value"] for variable in script["env"]} == {
        "GITHUB_API_URL": "https://api.github.com/",
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_CREDENTIALS_DIR": "/var/run/secrets/github-app",
        "STATUS_CONTEXT": "argo/scan",
        "ARGO_UI_URL": "",  # no `ui`: nothing to link to
        "WORKFLOW_NAME": "{{workflow.name}}",
        "WORKFLOW_NAMESPACE": "{{workflow.namespace}}",
        "WORKFLOW_STATUS": "{{workflow.status}}",
        "WORKFLOW_ANNOTATIONS": "{{workflow.annotations.json}}",
        "WORKFLOW_FAILURES": "{{inputs.parameters.failures}}",
        "CHECK_RUN_LOG_LINES": "50",
    }
    # its own identity, whose token reads its run's Workflow and logs; Argo's own containers keep the workflow's
    assert (report["serviceAccountName"], report["automountServiceAccountToken"], report["executor"]) == (
        "argo-github-webhooks-report",
        True,
        {"serviceAccountName": "argo-workflow"},
    )
    assert report["volumes"] == [
        {"name": "github-credentials", "secret": {"secretName": "github-app", "defaultMode": 0o440}},
        {
            "name": "argo-github-webhooks-podkit",
            "configMap": {"name": "podkit", "items": [{"key": "podkit.pyz", "path": "podkit.pyz"}], "defaultMode": 0o444},
        },
    ]
    assert script["volumeMounts"] == [
        {"name": "github-credentials", "mountPath": "/var/run/secrets/github-app", "readOnly": True},
        {"name": "argo-github-webhooks-podkit", "mountPath": "/opt/podkit", "readOnly": True},
    ]
    assert report["securityContext"]["runAsNonRoot"] is True
    assert script["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    # Only the report's own container mounts the key; the user's templates never do.
    mounts = [
        template["name"]
        for template in _template(with_app, "scan")["spec"]["templates"]
        for container in [template.get("script") or template.get("container") or {}]
        if any(mount["name"] == "github-credentials" for mount in container.get("volumeMounts", []))
    ]
    assert mounts == [REPORT_TEMPLATE]



def test_the_report_identity_may_get_workflows_and_pod_logs_and_nothing_else(with_app: StackRun) -> None:
    metadata = {"name": "argo-github-webhooks-report", "namespace": "workflows", "labels": MANAGED_BY}
    assert with_app.named("workflow-github-report-service-account").inputs == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        "automountServiceAccountToken": False,  # only the report template asks for its token
    }
    assert with_app.named("workflow-github-report-role").inputs == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata,
        "rules": [
            {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        ],
    }
    binding = with_app.named("workflow-github-report-role-binding").inputs
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "argo-github-webhooks-report"}
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "argo-github-webhooks-report", "namespace": "workflows"}
    ]
    users = [
        template["name"]
        for resource in with_app.resources
        if resource.type == "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate"
        for template in reveal(resource.inputs)["spec"]["templates"]
        if template.get("serviceAccountName") == "argo-github-webhooks-report"
    ]
    assert users == [REPORT_TEMPLATE]  # no other template runs as it


def test_check_runs_off_reports_commit_statuses_without_a_kubernetes_token() -> None:
    config = stack_config(
        githubApp={"appId": APP_ID, "privateKey": app_key_pem(), "checkRuns": False}, pipelines=PIPELINES
    )
    run = run_stack(config, secret_keys=(GITHUB_APP_KEY,))
    (report,) = [t for t in _template(run, "scan")["spec"]["templates"] if t["name"] == REPORT_TEMPLATE]
    assert report["container"]["command"] == ["python3", "/opt/podkit/podkit.pyz", "status"]
    assert (report["serviceAccountName"], report["automountServiceAccountToken"]) == ("argo-workflow", False)
    env = {variable["name"] for variable in report["container"]["env"]}
    assert not env & {"WORKFLOW_FAILURES", "CHECK_RUN_LOG_LINES"}
    assert not [resource.name for resource in run.resources if "report" in resource.name and "workflow-github" in resource.name]


def test_known_installations_reach_the_report_and_typos_are_refused() -> None:
    app = {"appId": APP_ID, "privateKey": app_key_pem(), "installations": {"ACME": 77}}
    run = run_stack(stack_config(githubApp=app, pipelines=PIPELINES), secret_keys=(GITHUB_APP_KEY,))
    (report,) = [t for t in _template(run, "scan")["spec"]["templates"] if t["name"] == REPORT_TEMPLATE]
    assert {"name": "GITHUB_INSTALLATIONS", "value": '{"acme": 77}'} in report["container"]["env"]
    wrong = {**app, "installations": {"acme": 77, "acne": 78, "other": "x"}}
    with pytest.raises(ConfigError) as raised:
        run_stack(stack_config(githubApp=wrong, pipelines=PIPELINES), secret_keys=(GITHUB_APP_KEY,))
    assert [problem for problem in raised.value.problems if "installations" in problem] == [
        "argo-github-webhooks:githubApp.installations.other: 'x' is not an installation id (the number at the end "
        "of the installation's settings URL, .../settings/installations/<id>)",
        "argo-github-webhooks:githubApp.installations.acne: is not one of organizations (acme)",
    ]


def test_check_run_log_lines_reach_the_report() -> None:
    config = stack_config(
        githubApp={"appId": APP_ID, "privateKey": app_key_pem(), "checkRuns": {"logLines": 0}}, pipelines=PIPELINES
    )
    run = run_stack(config, secret_keys=(GITHUB_APP_KEY,))
    (report,) = [t for t in _template(run, "scan")["spec"]["templates"] if t["name"] == REPORT_TEMPLATE]
    assert {"name": "CHECK_RUN_LOG_LINES", "value": "0"} in report["container"]["env"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yes", "githubApp.checkRuns: 'yes' must be true, false or {logLines: <0-1000>}"),
        ({"logLines": 5000}, "githubApp.checkRuns.logLines: 5000 must be a number of lines from 0 (none) to 1000"),
        ({"lines": 5}, "githubApp.checkRuns.lines: unknown key (allowed: logLines)"),
    ],
)
def test_bad_check_runs_settings_are_refused(value: Any, problem: str) -> None:
    config = stack_config(githubApp={"appId": APP_ID, "privateKey": app_key_pem(), "checkRuns": value}, pipelines=PIPELINES)
    with pytest.raises(ConfigError) as raised:
        run_stack(config, secret_keys=(GITHUB_APP_KEY,))
    assert any(line.endswith(problem) for line in raised.value.problems), raised.value.problems


def test_the_status_links_to_the_published_ui() -> None:
    run = run_stack(app_config(ui={"host": "argo-ui.example.com"}), secret_keys=(GITHUB_APP_KEY,))
    (report,) = [t for t in _template(run, "scan")["spec"]["templates"] if t["name"] == REPORT_TEMPLATE]
    env = {variable["name"]: variable["value"] for variable in report["container"]["env"]}
    assert env["ARGO_UI_URL"] == "https://argo-ui.example.com/"

def test_deployed_templates_are_valid_argo_workflow_templates(with_app: StackRun) -> None:
    for name in ("scan", "quiet", "audit"):
        assert schema_problems(WorkflowTemplate, _template(with_app, name)) == []


def test_a_token_instead_of_an_app() -> None:
    config = stack_config(githubToken="github_pat_11EXAMPLE", pipelines=PIPELINES[:1])
    run = run_stack(config, secret_keys=(GITHUB_TOKEN_KEY,))
    secret = run.named("workflow-github-credentials")
    assert is_secret(secret.inputs["stringData"])
    assert reveal(secret.inputs["stringData"]) == {"token": "github_pat_11EXAMPLE"}
    assert "app-id" not in run.named("workflow-github-podkit").inputs["data"]
    env = {
        variable["name"]
        for template in _template(run, "scan")["spec"]["templates"]
        if template["name"] == REPORT_TEMPLATE
        for variable in template["container"]["env"]
    }
    assert "GITHUB_APP_ID" not in env
    for resource in run.resources:
        assert "github_pat_11EXAMPLE" not in json.dumps(without_secrets(resource.inputs)), resource.name


def test_github_enterprise_api_url_reaches_the_hooks_and_the_config_map() -> None:
    config = {**app_config(), "github:baseUrl": "https://ghe.example.com/api/v3"}
    run = run_stack(config, secret_keys=(GITHUB_APP_KEY,))
    assert run.named("workflow-github-podkit").inputs["data"]["api-url"] == "https://ghe.example.com/api/v3/"
    report = next(t for t in _template(run, "scan")["spec"]["templates"] if t["name"] == REPORT_TEMPLATE)
    assert {"name": "GITHUB_API_URL", "value": "https://ghe.example.com/api/v3/"} in report["container"]["env"]


def test_no_credentials_no_secret_and_no_hooks() -> None:
    run = run_stack(stack_config(pipelines=PIPELINES[:1]))
    assert [r.name for r in run.resources if r.type == "kubernetes:core/v1:Secret" and "github-app" in r.name] == []
    assert "hooks" not in _template(run, "scan")["spec"]


def test_a_plain_text_key_registers_nothing() -> None:
    with pytest.raises(ConfigError, match=r"githubApp\.privateKey: is in plain text"):
        run_stack(app_config())


def test_every_kubernetes_object_of_the_app_stack_is_valid(with_app: StackRun) -> None:
    from tests.test_validation import ARGO_MODELS, kubernetes_problems

    for manifest in with_app.kubernetes_objects():
        model = ARGO_MODELS.get(manifest["kind"])
        found = schema_problems(model, manifest) if model else kubernetes_problems(manifest)
        assert found == [], (manifest["kind"], manifest["metadata"]["name"], found)
