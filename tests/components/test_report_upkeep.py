"""The sweep and Re-run from GitHub under Pulumi's mocks: which stacks get them, every object's exact inputs, the
identities' exact rights, the App webhook's entry in the webhook-clients Secret, the outputs, and secrecy."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from delivery.podkit_artifact import PATH_IN_POD
from delivery.rerun import APP_WEBHOOK_RULES, BINDINGS, RERUN_RULES, rerun_binding_manifest, rerun_template_manifest
from delivery.status_hooks import StatusReporting
from delivery.sweep import SWEEP_RULES, sweep_cron_manifest, sweep_template_manifest
from tests.components.test_github_app import MANAGED_BY, PIPELINES, app_config
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, GITHUB_TOKEN_KEY
from tests.harness import StackRun, is_secret, reveal, run_stack, stack_config

RUNNER_VOLUME = "argo-github-webhooks-podkit"


@pytest.fixture(scope="module")
def with_app() -> StackRun:
    return run_stack(app_config(), secret_keys=(GITHUB_APP_KEY,))


@pytest.fixture(scope="module")
def with_token() -> StackRun:
    config = stack_config(githubToken="github_pat_example", pipelines=PIPELINES[:2])
    return run_stack(config, secret_keys=(GITHUB_TOKEN_KEY,))


def manifest(run: StackRun, name: str) -> dict[str, Any]:
    return reveal(run.named(name).inputs)


def rules(run: StackRun, role: str) -> list[dict[str, Any]]:
    return manifest(run, role)["rules"]


def test_the_sweep_template_and_cron_with_check_runs(with_app: StackRun) -> None:
    reporting = StatusReporting(None, "https://api.github.com/", APP_ID, check_runs=True)
    contexts = {"scan": "argo/scan"}  # quiet reports nothing; audit's release events carry no commit
    runner = {
        "command": ["python3", PATH_IN_POD, "sweep"],
        "volumes": [
            {
                "name": RUNNER_VOLUME,
                "configMap": {"name": "podkit", "items": [{"key": "podkit.pyz", "path": "podkit.pyz"}], "defaultMode": 0o444},
            }
        ],
        "volumeMounts": [{"name": RUNNER_VOLUME, "mountPath": "/opt/podkit", "readOnly": True}],
    }
    template = manifest(with_app, "report-upkeep-sweep-template")
    assert template == sweep_template_manifest("workflows", contexts, reporting, runner)
    container = template["spec"]["templates"][0]["container"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env == {
        "WORKFLOW_NAMESPACE": "workflows",
        "SWEEP_PIPELINES": '{"scan":"argo/scan"}',
        "SWEEP_RECORD": "argo-github-webhooks-sweep-record",
        "SWEEP_REPORT": "check-run",
        "GITHUB_API_URL": "https://api.github.com/",
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_CREDENTIALS_DIR": "/var/run/secrets/github-app",
        "ARGO_UI_URL": "",
    }
    spec = template["spec"]
    assert (spec["serviceAccountName"], spec["automountServiceAccountToken"]) == ("argo-github-webhooks-sweep", True)
    assert spec["activeDeadlineSeconds"] == 240
    assert manifest(with_app, "report-upkeep-sweep-cron") == sweep_cron_manifest("workflows")
    cron = manifest(with_app, "report-upkeep-sweep-cron")["spec"]
    # Under templateReferencing: Strict, the CronWorkflow's runs reference the template and set nothing else.
    assert cron["workflowSpec"] == {"workflowTemplateRef": {"name": "argo-github-webhooks-sweep"}}
    assert (cron["schedules"], cron["concurrencyPolicy"]) == (["*/5 * * * *"], "Forbid")


def test_each_identity_may_do_exactly_its_job(with_app: StackRun) -> None:
    assert rules(with_app, "report-upkeep-sweep-role") == SWEEP_RULES == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["list"]},
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": ["argo-github-webhooks-sweep-record"],
            "verbs": ["get", "update"],
        },
    ]
    assert rules(with_app, "report-upkeep-rerun-role") == RERUN_RULES == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list", "create"]}
    ]
    assert rules(with_app, "github-webhook-app-role") == APP_WEBHOOK_RULES == [
        {"apiGroups": ["argoproj.io"], "resources": ["workfloweventbindings"], "verbs": ["list"]},
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtemplates"],
            "resourceNames": ["argo-github-webhooks-rerun"],
            "verbs": ["get"],
        },
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
    ]
    for name, account in (
        ("report-upkeep-sweep-role-binding", "argo-github-webhooks-sweep"),
        ("report-upkeep-rerun-role-binding", "argo-github-webhooks-rerun"),
        ("github-webhook-app-role-binding", "github-app-webhook"),
    ):
        binding = manifest(with_app, name)
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "workflows"}]
    # The organizations' identities are not bound to the re-run Role, nor the App's to theirs.
    submit = manifest(with_app, "github-webhook-role-binding")
    assert {subject["name"] for subject in submit["subjects"]} == {
        "github-webhook-previous", "github-webhook-current", "github-webhook-next"
    }


def test_the_record_survives_deploys(with_app: StackRun) -> None:
    record = with_app.named("report-upkeep-sweep-record")
    assert reveal(record.inputs) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argo-github-webhooks-sweep-record", "namespace": "workflows", "labels": MANAGED_BY},
        "data": {},
    }


def test_the_rerun_bindings_and_template(with_app: StackRun) -> None:
    runner = manifest(with_app, "report-upkeep-rerun-template")["spec"]["templates"][0]
    assert runner["container"]["command"] == ["python3", PATH_IN_POD, "rerun"]
    assert manifest(with_app, "report-upkeep-rerun-template") == rerun_template_manifest(
        "workflows",
        {"scan": "argo/scan"},
        {"command": runner["container"]["command"], "volumes": runner["volumes"],
         "volumeMounts": runner["container"]["volumeMounts"]},
    )
    for binding in BINDINGS:
        assert manifest(with_app, f"report-upkeep-{binding.event}-binding") == rerun_binding_manifest(
            binding, "workflows", APP_ID
        )
    env = {item["name"]: item["value"] for item in runner["container"]["env"]}
    assert env["RERUN_PIPELINES"] == '["scan"]'
    assert env["RERUN_EXTERNAL_ID"] == "{{workflow.parameters.external_id}}"  # a delivery's value: env only


def test_the_app_webhook_has_its_own_entry_identity_and_secret(with_app: StackRun) -> None:
    clients = with_app.named("github-webhook-clients")
    data = reveal(clients.inputs)["stringData"]
    assert sorted(data) == ["github-app-webhook", "github-webhook-current", "github-webhook-next", "github-webhook-previous"]
    app_entry = yaml.safe_load(data["github-app-webhook"])
    assert app_entry["type"] == "github"
    assert app_entry["secret"] == reveal(with_app.outputs["githubAppWebhookSecret"])
    assert app_entry["secret"] not in {yaml.safe_load(data[key])["secret"] for key in data if key != "github-app-webhook"}
    account = manifest(with_app, "github-webhook-app-service-account")
    assert account["metadata"]["annotations"] == {
        "workflows.argoproj.io/service-account-token.name": "github-app-webhook.service-account-token"
    }
    waited_for = {urn.rsplit("::", 1)[1] for urn in clients.dependencies}
    assert {"github-webhook-app-role-binding", "github-webhook-app-token"} <= waited_for
    # Argo Server may read the App identity's ServiceAccount and token, to act as it.
    (server,) = [
        reveal(resource.inputs)
        for resource in with_app.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
        if resource.name == "argo-workflows-server-workflows"
    ]
    names = {rule["resources"][0]: rule.get("resourceNames", []) for rule in server["rules"]}
    assert "github-app-webhook" in names["serviceaccounts"]
    assert "github-app-webhook.service-account-token" in names["secrets"]


def test_the_outputs_say_what_the_app_settings_need_and_keep_the_secret_secret(with_app: StackRun) -> None:
    assert with_app.outputs["githubAppWebhook"] == {
        "url": "https://argo.example.com/api/v1/events/workflows/github-app",
        "contentType": "application/json",
        "events": ["check_run", "check_suite"],
    }
    assert "githubAppWebhookSecret" in with_app.secret_outputs
    secret = reveal(with_app.outputs["githubAppWebhookSecret"])
    assert len(secret) == 48
    holders = [resource.name for resource in with_app.resources if secret in json.dumps(reveal(resource.inputs))]
    assert holders == ["github-webhook-clients"]
    assert is_secret(with_app.named("github-webhook-clients").inputs["stringData"])  # only inside a Pulumi secret


def test_commit_statuses_get_the_sweep_but_no_rerun(with_token: StackRun) -> None:
    env = {
        item["name"]: item["value"]
        for item in manifest(with_token, "report-upkeep-sweep-template")["spec"]["templates"][0]["container"]["env"]
    }
    assert (env["SWEEP_REPORT"], env["SWEEP_PIPELINES"]) == ("status", '{"scan":"argo/scan"}')
    names = {resource.name for resource in with_token.resources}
    assert not {name for name in names if "rerun" in name or "github-webhook-app" in name}
    assert "githubAppWebhook" not in with_token.outputs
    data = reveal(with_token.named("github-webhook-clients").inputs)["stringData"]
    assert "github-app-webhook" not in data


def test_a_stack_that_reports_nothing_has_no_upkeep() -> None:
    run = run_stack(stack_config())
    assert not [resource.name for resource in run.resources if resource.name.startswith("report-upkeep")]
    assert "githubAppWebhook" not in run.outputs
