"""The deployed report template, run as Argo would run it: its container's command and env, taken from the stack
the program registers (under Pulumi's mocks), Argo's variables substituted as Argo v4.0.6 does (workflow.failures
quoted by strconv.Quote), the mounts pointed at local files and GitHub's URL at the fake. Proves the wiring between
delivery/status_hooks.py and podkit: every name the template sets is one podkit reads, and the reverse."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from delivery.podkit_artifact import PATH_IN_POD
from delivery.status_hooks import CREDENTIALS_MOUNT, EXIT_STEPS, REPORT_TEMPLATE, STATUS_STEPS
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import GitHubAppRoutes
from tests.fakes.kubernetes import FakeKubernetes
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, app_key_pem
from tests.harness import reveal, run_stack, stack_config
from tests.podkit.pod import FAST, artifact_path
from tests.podkit.test_check_run import SCAN_FAILED, failures_value, pod_of, workflow

NAME, NAMESPACE, SHA = "secret-scan-3f2a9", "workflows", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
PIPELINES = [{"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["push", "pull_request"]}]


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    app = {"appId": APP_ID, "privateKey": app_key_pem()}
    run = run_stack(stack_config(githubApp=app, pipelines=PIPELINES, ui={"host": "argo-ui.example.com"}),
                    secret_keys=(GITHUB_APP_KEY,))
    spec = reveal(run.named("scan-template").inputs)["spec"]
    return {template["name"]: template for template in spec["templates"]}


@pytest.fixture
def github() -> Iterator[GitHubAppRoutes]:
    key = serialization.load_pem_private_key(app_key_pem().encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, str(APP_ID), key.public_key(), installations={"acme/widgets": 77})


def substitute(text: str, variables: dict[str, str]) -> str:
    """Argo's simple tags; a tag this test does not know fails it (the template uses something new)."""
    def value(match: re.Match[str]) -> str:
        assert match.group(1) in variables, f"unknown variable {match.group(1)}"
        return variables[match.group(1)]

    return re.sub(r"\{\{([^{}]+)\}\}", value, text)


def run_report(
    templates: dict[str, dict[str, Any]], steps: str, phase: str, failures: str, local: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    (step,) = templates[steps]["steps"][0][-1:]  # the report step (a user's exit step would come first)
    assert step["template"] == REPORT_TEMPLATE
    globals_ = {
        "workflow.name": NAME,
        "workflow.namespace": NAMESPACE,
        "workflow.status": phase,
        "workflow.annotations.json": json.dumps(
            {"argo-github-webhooks/repository": "acme/widgets", "argo-github-webhooks/commit": SHA}
        ),
        "workflow.failures": failures,
    }
    inputs = {
        f"inputs.parameters.{parameter['name']}": substitute(parameter["value"], globals_)
        for parameter in step["arguments"]["parameters"]
    }
    container = templates[REPORT_TEMPLATE]["container"]
    env = {variable["name"]: substitute(variable["value"], {**globals_, **inputs}) for variable in container["env"]}
    env.update(local)
    python, archive, command = container["command"]
    assert (python, archive) == ("python3", PATH_IN_POD)
    return subprocess.run(
        [sys.executable, str(artifact_path()), command],
        env={"PATH": "/usr/bin:/bin", **FAST, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployed_template_reports_a_check_run_from_start_to_end(
    templates: dict[str, dict[str, Any]], github: GitHubAppRoutes, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "private-key.pem").write_text(app_key_pem())
    with FakeKubernetes() as kubernetes:
        kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
        kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = "::error file=app.py,line=3::leak\nexit 2\n"
        local = {  # what the pod's mounts and the cluster give it, here
            "GITHUB_API_URL": github.fake.base_url,
            "GITHUB_CREDENTIALS_DIR": str(credentials),
            "KUBERNETES_API_URL": kubernetes.url,
            "KUBERNETES_SERVICE_ACCOUNT_DIR": str(kubernetes.service_account_dir(tmp_path / "serviceaccount")),
        }
        assert {variable["name"]: variable["value"] for variable in templates[REPORT_TEMPLATE]["container"]["env"]}[
            "GITHUB_CREDENTIALS_DIR"
        ] == CREDENTIALS_MOUNT
        started = run_report(templates, STATUS_STEPS, "Running", failures="", local=local)
        ended = run_report(templates, EXIT_STEPS, "Failed", failures=failures_value(SCAN_FAILED), local=local)
    assert started.returncode == 0 and ended.returncode == 0, started.stderr + ended.stderr
    (check_run,) = github.check_runs
    assert (check_run["name"], check_run["external_id"], check_run["conclusion"]) == ("argo/scan", NAME, "failure")
    assert check_run["details_url"] == f"https://argo-ui.example.com/workflows/{NAMESPACE}/{NAME}"
    assert check_run["output"]["title"] == "1 error in 1 file"
    assert check_run["annotations"] == [
        {"path": "app.py", "start_line": 3, "end_line": 3, "annotation_level": "failure", "message": "leak"}
    ]
    assert "### scan: the last lines of its log" in check_run["output"]["text"]
