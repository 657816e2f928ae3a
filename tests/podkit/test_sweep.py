"""podkit's sweep run for real (a python process with only the environment its pod gets) against the fake Kubernetes
API server (TLS, RBAC from the sweep's own Role) and the fake GitHub: for each way a run ends without its report."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from delivery.status_hooks import REPORT_TEMPLATE
from delivery.sweep import RECORD_CONFIG_MAP, SWEEP_RULES
from podkit.sweep import RECORD_KEY, Record
from tests.fakes.apiserver import FakeApiServer
from tests.fakes.github import FakeGitHub, error
from tests.fakes.github_app import GitHubAppRoutes
from tests.podkit.pod import run_pod

APP_ID = "424242"
NAMESPACE = "workflows"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
OTHER_SHA = "0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
PIPELINES = {"secret-scan": "argo/secret-scan", "tests": "ci/tests"}
UI = "https://argo-ui.example.com/"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(key: rsa.RSAPrivateKey) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, APP_ID, key.public_key(), installations={"acme/widgets": 77, "acme/api": 78})


@pytest.fixture
def kubernetes(tmp_path: Path) -> Iterator[FakeApiServer]:
    with FakeApiServer(tmp_path / "serviceaccount", NAMESPACE, "sweep-sa-token", SWEEP_RULES) as fake:
        fake.add_config_map(RECORD_CONFIG_MAP, {})
        yield fake


@pytest.fixture
def environment(
    tmp_path: Path, key: rsa.RSAPrivateKey, github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> dict[str, str]:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    (credentials / "private-key.pem").write_bytes(pem)
    return {
        **kubernetes.environment,
        "WORKFLOW_NAMESPACE": NAMESPACE,
        "SWEEP_PIPELINES": json.dumps(PIPELINES),
        "SWEEP_RECORD": RECORD_CONFIG_MAP,
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials),
        "ARGO_UI_URL": UI,
    }


def sweep(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The sweep's container: `python3 podkit.pyz sweep` with the pod's environment and nothing else."""
    return run_pod("sweep", environment)


def workflow(
    name: str,
    phase: str,
    *,
    pipeline: str = "secret-scan",
    repository: str = "acme/widgets",
    commit: str = SHA,
    message: str = "",
    report: str | None = None,
    report_message: str = "",
    shutdown: str | None = None,
    nodes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Workflow as the API server returns it; `report`: the phase of the exit hook's report node, if it ran."""
    all_nodes = dict(nodes or {})
    if report is not None:
        all_nodes[f"{name}-1"] = {"name": f"{name}.onExit", "templateName": "argo-github-webhooks-status",
                                  "phase": "Succeeded", "type": "Steps"}
        all_nodes[f"{name}-2"] = {"name": f"{name}.onExit[0].report", "templateName": REPORT_TEMPLATE,
                                  "phase": report, "type": "Retry", "message": report_message}
    document: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "labels": {"argo-github-webhooks/pipeline": pipeline, "workflows.argoproj.io/phase": phase},
            "annotations": {"argo-github-webhooks/repository": repository, "argo-github-webhooks/commit": commit},
        },
        "spec": {"workflowTemplateRef": {"name": pipeline}, **({"shutdown": shutdown} if shutdown else {})},
        "status": {"phase": phase, "message": message, "nodes": all_nodes},
    }
    return document


def record(kubernetes: FakeApiServer) -> Record:
    return Record.parse(kubernetes.config_maps[RECORD_CONFIG_MAP]["data"].get(RECORD_KEY))


def github_calls(github: GitHubAppRoutes) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in github.fake.requests]


def one_repository_calls(repository: str, *commits: str) -> list[tuple[str, str]]:
    """One installation lookup and one token per repository, one status per run, one revocation."""
    installation = {"acme/widgets": 77, "acme/api": 78}[repository]
    return [
        ("GET", f"/repos/{repository}/installation"),
        ("POST", f"/app/installations/{installation}/access_tokens"),
        *(("POST", f"/repos/{repository}/statuses/{commit}") for commit in commits),
        ("DELETE", "/installation/token"),
    ]


def test_runs_that_reported_themselves_cost_no_github_request(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("secret-scan-a", "Succeeded", report="Succeeded"))
    kubernetes.add_workflow(workflow("secret-scan-b", "Failed", message="step test failed", report="Succeeded"))
    kubernetes.add_workflow(workflow("tests-c", "Running", pipeline="tests"))
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert github.fake.requests == []
    assert result.stdout.strip() == "swept 3 Workflow(s): 0 completed, 0 left for the next sweep, 1 in flight"
    assert record(kubernetes) == Record(
        {"tests-c": {"pipeline": "tests", "repository": "acme/widgets", "commit": SHA}}, frozenset()
    )
    # Kubernetes: one list (the sweep's label), the record read and replaced; nothing else was asked for.
    assert [(seen.verb, seen.resource, seen.name) for seen in kubernetes.requests] == [
        ("get", "configmaps", RECORD_CONFIG_MAP),
        ("list", "workflows", None),
        ("update", "configmaps", RECORD_CONFIG_MAP),
    ]
    assert kubernetes.requests[1].query == {"labelSelector": "argo-github-webhooks/pipeline", "limit": "250"}


def test_a_terminated_run_is_completed_as_cancelled(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    # `argo terminate` skips exit handlers: no report node at all.
    kubernetes.add_workflow(
        workflow("secret-scan-t", "Failed", message="Stopped with strategy 'Terminate'", shutdown="Terminate")
    )
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert github.statuses == [
        (
            "acme/widgets",
            SHA,
            {
                "state": "error",
                "description": "Argo Workflow secret-scan-t cancelled: the run was terminated (argo terminate skips "
                "its exit hooks)",
                "context": "argo/secret-scan",
                "target_url": "https://argo-ui.example.com/workflows/workflows/secret-scan-t",
            },
        )
    ]
    assert github_calls(github) == one_repository_calls("acme/widgets", SHA)
    (minted,) = github.minted
    assert (minted.repositories, minted.permissions) == (["widgets"], {"statuses": "write"})
    assert github.revoked == {minted.token}
    assert record(kubernetes).completed == {"secret-scan-t"}
    # The next sweep does not post it again.
    again = sweep(environment)
    assert again.returncode == 0, again.stderr
    assert len(github.statuses) == 1
    assert again.stdout.strip() == "swept 1 Workflow(s): 0 completed, 0 left for the next sweep, 0 in flight"


def test_a_run_deleted_in_flight_is_completed_as_cancelled_by_the_next_sweep(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("tests-d", "Running", pipeline="tests", repository="acme/api", commit=OTHER_SHA))
    assert sweep(environment).returncode == 0
    assert github.fake.requests == []
    kubernetes.delete_workflow("tests-d")
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert github.statuses == [
        (
            "acme/api",
            OTHER_SHA,
            {
                "state": "error",
                "description": "Argo Workflow tests-d cancelled: the Workflow was deleted before it reported",
                "context": "ci/tests",
            },
        )
    ]
    assert record(kubernetes) == Record({}, frozenset())
    assert sweep(environment).returncode == 0
    assert len(github.statuses) == 1


def test_a_run_past_its_deadline_whose_report_failed_is_completed_as_timed_out(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    step = {"name": "secret-scan-x[0].scan", "templateName": "scan", "phase": "Failed",
            "message": "Pod was active on the node longer than the specified deadline"}
    kubernetes.add_workflow(
        workflow(
            "secret-scan-x",
            "Failed",
            message="Pod was active on the node longer than the specified deadline",
            report="Error",
            report_message="pod deleted",
            nodes={"secret-scan-x-0": step},
        )
    )
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    ((_, _, body),) = github.statuses
    assert (body["state"], body["description"]) == (
        "failure",
        "Argo Workflow secret-scan-x timed out: the run exceeded its deadline; its report gave up (pod deleted)",
    )


def test_a_report_that_gave_up_is_completed_with_the_runs_own_result(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    # The exit report exited 1 after GitHub throttled it past its retries: Argo records the node Failed, and
    # continueOn kept the run Succeeded.
    kubernetes.add_workflow(workflow("secret-scan-g", "Succeeded", report="Failed", report_message="Error (exit code 1)"))
    kubernetes.add_workflow(workflow("secret-scan-h", "Error", message="pod deleted during operation", report="Failed",
                                     report_message="Error (exit code 1)", commit=OTHER_SHA))
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert [(commit, body["state"], body["description"]) for _, commit, body in github.statuses] == [
        (SHA, "success", "Argo Workflow secret-scan-g succeeded; its report gave up (Error (exit code 1))"),
        (
            OTHER_SHA,
            "error",
            "Argo Workflow secret-scan-h ended in an error: pod deleted during operation; its report gave up (Error "
            "(exit code 1))",
        ),
    ]
    # Both runs are on one repository: one token for both.
    assert github_calls(github) == one_repository_calls("acme/widgets", SHA, OTHER_SHA)


def test_github_refusing_leaves_the_runs_for_the_next_sweep(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("secret-scan-t", "Failed", shutdown="Terminate"))
    kubernetes.add_workflow(workflow("tests-d", "Running", pipeline="tests"))
    assert sweep(environment).returncode == 0
    github.statuses.clear()
    kubernetes.delete_workflow("tests-d")
    kubernetes.add_workflow(workflow("secret-scan-u", "Failed", shutdown="Terminate"))
    github.fake.answer_next("GET", "/repos/{owner}/{repo}/installation", *[error(502, "injected 502")] * 3)
    result = sweep(environment)
    assert result.returncode == 1
    assert "could not complete 2 run(s) on acme/widgets" in result.stderr
    assert github.statuses == []
    assert record(kubernetes) == Record(
        {"tests-d": {"pipeline": "tests", "repository": "acme/widgets", "commit": SHA}}, frozenset({"secret-scan-t"})
    )
    retried = sweep(environment)
    assert retried.returncode == 0, retried.stderr
    assert sorted(body["description"].split()[2] for _, _, body in github.statuses) == ["secret-scan-u", "tests-d"]
    assert record(kubernetes) == Record({}, frozenset({"secret-scan-t", "secret-scan-u"}))


def test_other_workflows_and_pipelines_that_do_not_report_are_left_alone(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("hello-world-a", "Failed", pipeline="hello-world", shutdown="Terminate"))
    kubernetes.add_workflow(workflow("secret-scan-m", "Failed", commit="0" * 40, shutdown="Terminate"))
    by_hand = workflow("by-hand", "Failed", shutdown="Terminate")
    del by_hand["metadata"]["labels"]["argo-github-webhooks/pipeline"]
    kubernetes.add_workflow(by_hand)
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert github.fake.requests == []
    assert result.stdout.strip() == "swept 2 Workflow(s): 0 completed, 0 left for the next sweep, 0 in flight"


def test_workflows_are_listed_page_by_page(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.page_size = 2
    for index in range(5):
        kubernetes.add_workflow(workflow(f"secret-scan-{index}", "Failed", shutdown="Terminate"))
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    assert len(github.statuses) == 5
    lists = [seen.query for seen in kubernetes.requests if seen.verb == "list"]
    assert [query.get("continue") for query in lists] == [None, "2", "4"]


def test_a_concurrent_change_of_the_record_fails_the_sweep_rather_than_losing_it(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("tests-c", "Running", pipeline="tests"))
    original = kubernetes._answer

    def bump_then_answer(method: str, target: str, headers: Any, body: Any) -> tuple[int, Any]:
        if method == "PUT":  # someone else wrote the record since the sweep read it
            kubernetes.add_config_map(RECORD_CONFIG_MAP, {})
        return original(method, target, headers, body)

    kubernetes._answer = bump_then_answer  # type: ignore[method-assign]
    result = sweep(environment)
    assert result.returncode == 1
    assert "error: the record was not saved: PUT api/v1/namespaces/workflows/configmaps/" in result.stderr
    assert "HTTP 409" in result.stderr


def test_the_identity_may_do_nothing_else(environment: dict[str, str], kubernetes: FakeApiServer) -> None:
    """The fake applies the sweep's Role: a wrong record name is refused, which is what RBAC would do."""
    result = sweep({**environment, "SWEEP_RECORD": "another-config-map"})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: GET api/v1/namespaces/workflows/configmaps/another-config-map: HTTP 403: configmaps "
        '"another-config-map" is forbidden: User "system:serviceaccount:workflows:tested" cannot get resource '
        '"configmaps" in API group "" in the namespace "workflows"'
    )


def test_the_api_servers_certificate_is_checked(environment: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other-account"
    with FakeApiServer(other, NAMESPACE, "sweep-sa-token", SWEEP_RULES):  # a CA that did not sign the server's
        result = sweep({**environment, "KUBERNETES_SERVICE_ACCOUNT_DIR": str(other)})
    assert result.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SWEEP_PIPELINES": "[]"}, "error: SWEEP_PIPELINES must be a JSON object of pipeline name -> status context"),
        ({"SWEEP_RECORD": ""}, "error: WORKFLOW_NAMESPACE and SWEEP_RECORD must be set"),
        ({"KUBERNETES_SERVICE_HOST": ""}, "error: KUBERNETES_SERVICE_HOST is not set: not running in a pod"),
    ],
)
def test_a_bad_environment_exits_2(environment: dict[str, str], change: dict[str, str], message: str) -> None:
    result = sweep({**environment, **change})
    assert (result.returncode, result.stderr.strip()) == (2, message)


def test_no_token_is_printed(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    kubernetes.add_workflow(workflow("secret-scan-t", "Failed", shutdown="Terminate"))
    result = sweep(environment)
    output = result.stdout + result.stderr
    assert "sweep-sa-token" not in output
    assert all(minted.token not in output for minted in github.minted)


# --- check runs (a GitHub App with check runs on) ------------------------------------------------------------------


def in_progress(github: GitHubAppRoutes, name: str, context: str = "argo/secret-scan", commit: str = SHA) -> None:
    """The check run a run's start hook left in progress (as podkit's check-run command creates it)."""
    github.check_runs.append(
        {"repository": "acme/widgets", "id": 5_000_000 + len(github.check_runs), "app": {"id": int(APP_ID)},
         "name": context, "head_sha": commit, "external_id": name, "status": "in_progress",
         "annotations": [], "annotation_requests": []}
    )


def test_check_runs_left_in_progress_are_completed_with_the_conclusion(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    in_progress(github, "secret-scan-t")
    in_progress(github, "secret-scan-x", commit=OTHER_SHA)
    kubernetes.add_workflow(workflow("secret-scan-t", "Failed", shutdown="Terminate"))
    kubernetes.add_workflow(
        workflow("secret-scan-x", "Failed", message="Step exceeded its deadline", report="Failed", commit=OTHER_SHA,
                 report_message="Error (exit code 1)")
    )
    result = sweep({**environment, "SWEEP_REPORT": "check-run"})
    assert result.returncode == 0, result.stderr
    completed = {run["external_id"]: run for run in github.check_runs}
    assert {name: (run["status"], run["conclusion"]) for name, run in completed.items()} == {
        "secret-scan-t": ("completed", "cancelled"),
        "secret-scan-x": ("completed", "timed_out"),
    }
    assert completed["secret-scan-t"]["output"] == {
        "title": "cancelled",
        "summary": "Argo Workflow `secret-scan-t` cancelled: the run was terminated (argo terminate skips its exit "
        "hooks). Its own report was not made, so the stack's sweep completed this check run.",
    }
    assert github.statuses == []
    (minted,) = github.minted  # one token for the repository, for checks only
    assert minted.permissions == {"checks": "write"}
    assert github_calls(github) == [
        ("GET", "/repos/acme/widgets/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("GET", f"/repos/acme/widgets/commits/{SHA}/check-runs"),
        ("PATCH", "/repos/acme/widgets/check-runs/5000000"),
        ("GET", f"/repos/acme/widgets/commits/{OTHER_SHA}/check-runs"),
        ("PATCH", "/repos/acme/widgets/check-runs/5000001"),
        ("DELETE", "/installation/token"),
    ]


def test_a_run_deleted_before_its_check_run_existed_gets_one_completed(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    environment = {**environment, "SWEEP_REPORT": "check-run"}
    kubernetes.add_workflow(workflow("tests-d", "Pending", pipeline="tests"))
    assert sweep(environment).returncode == 0
    kubernetes.delete_workflow("tests-d")
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    (created,) = github.check_runs
    assert {key: created[key] for key in ("name", "head_sha", "external_id", "status", "conclusion")} == {
        "name": "ci/tests", "head_sha": SHA, "external_id": "tests-d", "status": "completed", "conclusion": "cancelled"
    }
    assert "details_url" not in created  # a deleted run has nothing left to show


def test_a_check_run_the_run_completed_itself_is_left_alone(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    in_progress(github, "secret-scan-g")
    github.check_runs[0].update(status="completed", conclusion="success")
    # Its report completed the check run, then failed on a later annotation batch: the step failed.
    kubernetes.add_workflow(workflow("secret-scan-g", "Succeeded", report="Failed"))
    result = sweep({**environment, "SWEEP_REPORT": "check-run"})
    assert result.returncode == 0, result.stderr
    assert "completed secret-scan-g: argo/secret-scan=success (already completed)" in result.stdout
    assert [method for method, _ in github_calls(github)].count("PATCH") == 0


def test_a_skip_run_reported_by_its_own_root_costs_nothing(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    """A required pipeline's skip run is nothing but its report (delivery/required.py): its root node."""
    skip = workflow("secret-scan-k", "Succeeded")
    skip["status"]["nodes"] = {"secret-scan-k": {"name": "secret-scan-k", "templateName": REPORT_TEMPLATE,
                                                 "phase": "Succeeded", "type": "Pod"}}
    kubernetes.add_workflow(skip)
    result = sweep({**environment, "SWEEP_REPORT": "check-run"})
    assert result.returncode == 0, result.stderr
    assert github.fake.requests == []


def test_a_stopped_run_whose_report_gave_up_is_completed_as_cancelled(
    environment: dict[str, str], github: GitHubAppRoutes, kubernetes: FakeApiServer
) -> None:
    # argo stop (or a newer push with cancelInProgress) runs the exit handler; here its report failed.
    kubernetes.add_workflow(
        workflow("secret-scan-p", "Failed", message="Stopped with strategy 'Stop'", shutdown="Stop", report="Failed",
                 report_message="Error (exit code 1)")
    )
    result = sweep(environment)
    assert result.returncode == 0, result.stderr
    ((_, _, body),) = github.statuses
    assert (body["state"], body["description"]) == (
        "error", "Argo Workflow secret-scan-p cancelled: the run was stopped; its report gave up (Error (exit code 1))"
    )
