"""The simulator names, for each firing pipeline, the check run (or commit status) it would report and the commit it
reports on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.simulate import main
from tests.harness import FIXTURES, project_with_stack

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PAYLOADS = FIXTURES / "payloads"


def config_with(app: dict[str, object]) -> dict[str, object]:
    return {
        "argo-github-webhooks:host": "argo.example.com",
        "argo-github-webhooks:organizations": ["acme"],
        "argo-github-webhooks:githubApp": app,
        "argo-github-webhooks:pipelines": [
            {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["push", "pull_request"]},
            {"name": "named", "template": "workflows/hello-world.yaml", "events": ["push"], "status": {"context": "ci/x"}},
            {"name": "quiet", "template": "workflows/hello-world.yaml", "events": ["push"], "status": False},
        ],
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose stack file holds the App key encrypted, as `pulumi config set --secret --path` leaves it;
    check runs turned off: commit statuses."""
    app = {"appId": 123, "privateKey": {"secure": "v1:c2VjcmV0"}, "checkRuns": False}
    return project_with_stack(tmp_path, "apps", config_with(app))


def test_an_app_creates_check_runs_named_by_the_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "checks", config_with({"appId": 123, "privateKey": {"secure": "v1:c2VjcmV0"}}))
    arguments = ["--stack", "checks", "--event", "push", "--payload", str(PAYLOADS / "push-branch.json")]
    assert main([*arguments, "--delivery", DELIVERY], project_root=project) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if "check run" in line or "status" in line]
    assert lines == [
        "creates check run argo/scan on 6113728f27ae82c7b1a177c8d03f9e96e0adf246 "
        "(in_progress, then success, failure, cancelled, timed_out, skipped or neutral)",
        "creates check run ci/x on 6113728f27ae82c7b1a177c8d03f9e96e0adf246 "
        "(in_progress, then success, failure, cancelled, timed_out, skipped or neutral)",
    ]
    assert main([*arguments, "--delivery", DELIVERY, "--json"], project_root=project) == 0
    pipelines = {result["name"]: result for result in json.loads(capsys.readouterr().out)["pipelines"]}
    assert pipelines["scan"]["status"] == {
        "context": "argo/scan",
        "commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "kind": "check_run",
    }


def test_push_reports_on_the_pushed_commit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--stack", "apps", "--event", "push", "--payload", str(PAYLOADS / "push-branch.json")]
    assert main([*arguments, "--delivery", DELIVERY], project_root=project) == 0
    lines = capsys.readouterr().out.splitlines()
    reports = [line.strip() for line in lines if "reports commit status" in line]
    assert reports == [
        "reports commit status argo/scan on 6113728f27ae82c7b1a177c8d03f9e96e0adf246 "
        "(pending, then success, failure or error)",
        "reports commit status ci/x on 6113728f27ae82c7b1a177c8d03f9e96e0adf246 (pending, then success, failure or error)",
    ]


def test_pull_request_reports_on_the_head_commit_in_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--stack", "apps", "--event", "pull_request", "--payload", str(PAYLOADS / "pull_request-opened.json")]
    assert main([*arguments, "--json"], project_root=project) == 0
    pipelines = {result["name"]: result for result in json.loads(capsys.readouterr().out)["pipelines"]}
    assert pipelines["scan"]["status"] == {
        "context": "argo/scan",
        "commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "kind": "status",
    }
    assert "status" not in pipelines["named"]  # does not fire: no status key
    assert pipelines["named"]["fires"] is False


def test_a_deleted_branch_never_reports(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--stack", "apps", "--event", "push", "--payload", str(PAYLOADS / "push-delete.json"), "--json"]
    assert main(arguments, project_root=project) == 1  # nothing fires, so nothing reports
    for result in json.loads(capsys.readouterr().out)["pipelines"]:
        assert result["fires"] is False and "status" not in result
