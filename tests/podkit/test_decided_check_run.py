"""A required check always reports: the skip run for real. A real payload goes through the skip binding's expressions
(delivery.expr, as Argo evaluates them), the values fill the skip template's container environment as Argo would,
and the built podkit.pyz runs with exactly that environment against the local fake of GitHub."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cli.simulate import delivery_environment
from delivery import podkit_artifact
from delivery.expr import argo_parameter_value, evaluate
from delivery.required import skip_binding_manifest, skip_template_manifest
from delivery.status_hooks import StatusReporting
from settings.config import Pipeline, parse_settings
from settings.required_checks import RequiredChecks
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import GitHubAppRoutes
from tests.github_app_keys import GITHUB_APP_KEY, app_key_pem
from tests.harness import PROJECT_ROOT, stack_config
from tests.podkit.pod import run_pod

APP_ID = 424242
PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
RUN = f"scan-{DELIVERY}"
CHECK_RUNS = "/repos/Codertocat/Hello-World/check-runs"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(key: rsa.RSAPrivateKey) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, str(APP_ID), key.public_key(), installations={"Codertocat/Hello-World": 77})


def required_pipeline(**entry: Any) -> Pipeline:
    pipeline = {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["pull_request"], "required": True,
                **entry}
    config = stack_config(githubApp={"appId": APP_ID, "privateKey": app_key_pem()}, pipelines=[pipeline])
    return parse_settings(config, PROJECT_ROOT, (GITHUB_APP_KEY,)).pipelines[0]


def pod_environment(
    pipeline: Pipeline, fixture: str, github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path
) -> dict[str, str]:
    """The skip run's container environment for the delivery `fixture`, as Argo fills the template."""
    payload = json.loads((PAYLOADS / fixture).read_text(encoding="utf-8"))
    env = delivery_environment(payload, "pull_request", DELIVERY, "github", "workflows")
    binding = skip_binding_manifest(pipeline, "workflows", RequiredChecks())
    assert evaluate(binding["spec"]["event"]["selector"], env) is True
    submit = binding["spec"]["submit"]
    parameters = {item["name"]: argo_parameter_value(evaluate(item["valueFrom"]["event"], env))
                  for item in submit["arguments"]["parameters"]}
    annotations = {name: evaluate(expression, env) for name, expression in submit["metadata"]["annotations"].items()}
    reporting = StatusReporting("https://argo-ui.example.com/", github.fake.base_url, APP_ID, check_runs=True)
    template = skip_template_manifest(pipeline, "workflows", reporting)
    (step,) = template["spec"]["templates"]
    assert step["container"]["command"] == podkit_artifact.command("check-run")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "private-key.pem").write_text(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption()).decode()
    )
    variables = {
        "workflow.name": evaluate(submit["metadata"]["name"], env),
        "workflow.namespace": "workflows",
        "workflow.status": "Running",
        "workflow.annotations.json": json.dumps(annotations),
        **{f"workflow.parameters.{name}": value for name, value in parameters.items()},
    }
    filled = {}
    for item in step["container"]["env"]:
        value = re.sub(r"\{\{([^}]+)\}\}", lambda match: variables[match.group(1)], item["value"])
        filled[item["name"]] = value
    filled["GITHUB_CREDENTIALS_DIR"] = str(credentials)  # where the Secret volume is mounted, here
    return filled


def test_a_pull_request_the_filters_leave_out_gets_a_skipped_check_run_at_once(
    github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    environment = pod_environment(required_pipeline(actions=["opened"]), "pull_request-synchronize.json", github, key,
                                  tmp_path)
    result = run_pod("check-run", environment)
    assert result.returncode == 0, result.stderr
    (check_run,) = github.check_runs
    reason = "action synchronize is not one of the pipeline actions (opened)"
    assert {key: check_run[key] for key in ("name", "head_sha", "external_id", "status", "conclusion", "details_url",
                                            "output")} == {
        "name": "argo/scan",
        "head_sha": SHA,
        "external_id": RUN,
        "status": "completed",
        "conclusion": "skipped",
        "details_url": f"https://argo-ui.example.com/workflows/workflows/{RUN}",
        "output": {
            "title": reason,
            "summary": f"Argo Workflow `{RUN}` concluded **skipped** without running the pipeline: action "
            "synchronize is not one of the pipeline actions \\(opened\\). A required check always reports, so that a "
            "pull request never waits for a check that will not come.",
        },
    }
    assert [(request.method, request.path) for request in github.fake.requests] == [
        ("GET", "/repos/Codertocat/Hello-World/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("POST", CHECK_RUNS),
        ("DELETE", "/installation/token"),
    ]
    (minted,) = github.minted
    assert (minted.repositories, minted.permissions) == (["Hello-World"], {"checks": "write"})
    assert github.revoked == {minted.token}
    assert result.stdout == (
        f"reported check run argo/scan=skipped on Codertocat/Hello-World@{SHA} ({reason}): 4 requests to GitHub, "
        "3 writes\n"
    )


def test_a_forks_pull_request_fails_the_required_check(
    github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    environment = pod_environment(required_pipeline(), "pull_request-opened-fork.json", github, key, tmp_path)
    result = run_pod("check-run", environment)
    assert result.returncode == 0, result.stderr
    (check_run,) = github.check_runs
    assert (check_run["conclusion"], check_run["output"]["title"]) == (
        "failure",
        "pull request from the fork octo-fork/Hello-World: the pipeline does not run a fork's code (forks: false), "
        "so its required check fails; a maintainer can merge through a bypass, or the pipeline can set forks: true",
    )


@pytest.mark.parametrize("conclusion", ["success", "neutral", ""])
def test_a_decided_run_never_reports_anything_but_skipped_or_failure(
    conclusion: str, github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    environment = pod_environment(required_pipeline(actions=["opened"]), "pull_request-synchronize.json", github, key,
                                  tmp_path)
    result = run_pod("check-run", {**environment, "CHECK_RUN_CONCLUSION": conclusion})
    assert result.returncode == 0
    assert github.fake.requests == [] and github.check_runs == []
    assert result.stdout == f"no check run reported: conclusion {conclusion!r} is not one of skipped, failure\n"


def test_a_long_reason_is_one_line_within_githubs_title_limit_and_tokens_are_redacted(
    github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    environment = pod_environment(required_pipeline(actions=["opened"]), "pull_request-synchronize.json", github, key,
                                  tmp_path)
    reason = "branch ghp_" + "a" * 36 + "\n" + "x" * 400
    result = run_pod("check-run", {**environment, "CHECK_RUN_REASON": reason})
    assert result.returncode == 0, result.stderr
    (check_run,) = github.check_runs
    title = check_run["output"]["title"]
    assert len(title) == 255 and title.startswith("branch *** xxx") and title.endswith("…")
    assert "ghp_" not in json.dumps(check_run)
