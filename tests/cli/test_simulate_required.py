"""The simulator on a required pipeline: a pull request its ruleset targets and its filters refuse would report
skipped (a fork's: failure), with the reason, from the very expressions the skip binding carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.simulate import main
from tests.harness import FIXTURES, project_with_stack

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PAYLOADS = FIXTURES / "payloads"
REQUIRED = {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["pull_request"], "required": True,
            "actions": ["opened"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_with_stack(
        tmp_path,
        "dev",
        {
            "argo-github-webhooks:host": "argo.example.com",
            "argo-github-webhooks:organizations": ["acme"],
            "argo-github-webhooks:githubApp": {"appId": 123, "privateKey": {"secure": "v1:c2VjcmV0"}},
            "argo-github-webhooks:pipelines": [REQUIRED],
        },
    )


def simulate(project: Path, fixture: str, *extra: str) -> int:
    arguments = ["--stack", "dev", "--event", "pull_request", "--payload", str(PAYLOADS / fixture)]
    return main([*arguments, "--delivery", DELIVERY, *extra], project_root=project)


def test_a_refused_pull_request_would_report_skipped_with_the_reason(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(project, "pull_request-synchronize.json") == 1  # the pipeline itself does not run
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "  scan: does not fire: action synchronize not in opened",
        "      would report skipped: action synchronize is not one of the pipeline actions (opened) (run of "
        "argo-github-webhooks-skip-scan: a required check always reports)",
    ]
    assert simulate(project, "pull_request-synchronize.json", "--json") == 1
    (result,) = json.loads(capsys.readouterr().out)["pipelines"]
    assert result["reports"] == "skipped: action synchronize is not one of the pipeline actions (opened)"


def test_a_forks_pull_request_would_report_failure(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(project, "pull_request-opened-fork.json", "--json") == 1
    (result,) = json.loads(capsys.readouterr().out)["pipelines"]
    assert result["reports"].startswith("failure: pull request from the fork octo-fork/Hello-World: ")


def test_a_pull_request_the_pipeline_takes_reports_nothing_extra(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(project, "pull_request-opened.json", "--json") == 0
    (result,) = json.loads(capsys.readouterr().out)["pipelines"]
    assert result["fires"] is True and "reports" not in result
