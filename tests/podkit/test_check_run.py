"""podkit's `check-run` command run for real from the built artifact, as the report container runs it, against the
local fakes of GitHub (JWT, token scope, check-run rules) and of the Kubernetes API (the report's identity reads its
Workflow and its pods' logs): each conclusion, 120 findings, a long log, throttling, and what it costs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from podkit.kubernetes import pod_name
from tests.fakes.github import FakeGitHub, error
from tests.fakes.github_app import GitHubAppRoutes
from tests.fakes.kubernetes import FakeKubernetes
from tests.podkit.pod import run_pod

APP_ID = "424242"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
NAME = "secret-scan-3f2a9"
NAMESPACE = "workflows"
ANNOTATIONS = {"argo-github-webhooks/repository": "acme/widgets", "argo-github-webhooks/commit": SHA}
CHECK_RUNS = "/repos/acme/widgets/check-runs"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(key: rsa.RSAPrivateKey) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, APP_ID, key.public_key(), installations={"acme/widgets": 77})


@pytest.fixture
def kubernetes() -> Iterator[FakeKubernetes]:
    with FakeKubernetes() as fake:
        yield fake


@pytest.fixture
def pod_environment(tmp_path: Path, key: rsa.RSAPrivateKey, github: GitHubAppRoutes, kubernetes: FakeKubernetes) -> dict[str, str]:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "private-key.pem").write_text(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
    )
    return {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials),
        "STATUS_CONTEXT": "argo/secret-scan",
        "ARGO_UI_URL": "https://argo-ui.example.com/",
        "WORKFLOW_NAME": NAME,
        "WORKFLOW_NAMESPACE": NAMESPACE,
        "WORKFLOW_ANNOTATIONS": json.dumps(ANNOTATIONS),
        "KUBERNETES_API_URL": kubernetes.url,
        "KUBERNETES_SERVICE_ACCOUNT_DIR": str(kubernetes.service_account_dir(tmp_path / "serviceaccount")),
    }


def node(node_id: str, display: str, template: str, phase: str, started: str, finished: str, message: str = "") -> dict[str, Any]:
    return {
        "id": node_id,
        "name": f"{NAME}.{display}",
        "displayName": display,
        "type": "Pod",
        "templateName": template,
        "phase": phase,
        "startedAt": started,
        "finishedAt": finished,
        **({"message": message} if message else {}),
    }


def workflow(*nodes: dict[str, Any], shutdown: str = "") -> dict[str, Any]:
    report = node(f"{NAME}-9", "report", "argo-github-webhooks-status-report", "Running", "2026-12-03T10:01:20Z", "")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {"shutdown": shutdown} if shutdown else {},
        "status": {
            "phase": "Running",
            "startedAt": "2026-12-03T10:00:00Z",
            "finishedAt": "2026-12-03T10:01:12Z",
            "nodes": {
                NAME: {"id": NAME, "name": NAME, "displayName": NAME, "type": "Steps", "phase": "Failed"},
                **{item["id"]: item for item in nodes},
                report["id"]: report,
            },
        },
    }


def pod_of(item: dict[str, Any]) -> str:
    return pod_name(NAME, item["name"], item["templateName"], item["id"])


def go_quote(value: str) -> str:
    """strconv.Quote for the ASCII texts of these tests (Go escapes \\" and \\\\ as JSON does)."""
    return json.dumps(value, ensure_ascii=True)


def failures_value(*failed: dict[str, Any]) -> str:
    """{{workflow.failures}} as the exit handler's pod receives it (Argo v4.0.6: strconv.Quote of the JSON list)."""
    items = [
        {
            "displayName": item["displayName"],
            "message": item.get("message", ""),
            "templateName": item["templateName"],
            "phase": item["phase"],
            "podName": pod_of(item),
            "finishedAt": item["finishedAt"],
        }
        for item in failed
    ]
    return go_quote(json.dumps(items, separators=(",", ":")))


def report(environment: dict[str, str], phase: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_pod("check-run", {**environment, "WORKFLOW_STATUS": phase, **extra})


SCAN_OK = node(f"{NAME}-1", "scan", "scan", "Succeeded", "2026-12-03T10:00:05Z", "2026-12-03T10:00:47Z")
SCAN_FAILED = node(f"{NAME}-1", "scan", "scan", "Failed", "2026-12-03T10:00:05Z", "2026-12-03T10:00:47Z", "Error (exit code 2)")
TEST_OK = node(f"{NAME}-2", "test", "test", "Succeeded", "2026-12-03T10:00:48Z", "2026-12-03T10:01:10Z")


def the_check_run(github: GitHubAppRoutes) -> dict[str, Any]:
    (check_run,) = github.check_runs
    return check_run


def test_the_start_creates_one_check_run_in_progress(github: GitHubAppRoutes, pod_environment: dict[str, str]) -> None:
    result = report(pod_environment, "Running")
    assert result.returncode == 0, result.stderr
    check_run = the_check_run(github)
    assert {key: check_run[key] for key in ("name", "head_sha", "external_id", "status", "details_url", "output")} == {
        "name": "argo/secret-scan",
        "head_sha": SHA,
        "external_id": NAME,
        "status": "in_progress",
        "details_url": f"https://argo-ui.example.com/workflows/{NAMESPACE}/{NAME}",
        "output": {"title": "running", "summary": f"Argo Workflow `{NAME}` is running."},
    }
    assert [(r.method, r.path) for r in github.fake.requests] == [
        ("GET", "/repos/acme/widgets/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("POST", CHECK_RUNS),
        ("DELETE", "/installation/token"),
    ]
    (minted,) = github.minted
    assert (minted.repositories, minted.permissions) == (["widgets"], {"checks": "write"})
    assert github.revoked == {minted.token}
    assert result.stdout == (
        f"reported check run argo/secret-scan=in_progress on acme/widgets@{SHA}: 4 requests to GitHub, 3 writes\n"
    )
    assert minted.token not in result.stdout + result.stderr


def test_a_failed_step_completes_the_same_check_run_with_the_reason_and_its_log(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED, TEST_OK)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = "".join(f"line {n}\n" for n in range(1, 201)) + "fatal: nope\n"
    kubernetes.logs[(NAMESPACE, pod_of(TEST_OK))] = "all good\n"
    github.fake.requests.clear()
    result = report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED))
    assert result.returncode == 0, result.stderr
    check_run = the_check_run(github)
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "failure")
    output = check_run["output"]
    assert output["title"] == "step scan failed: exit code 2"
    assert output["summary"] == (
        f"Argo Workflow `{NAME.replace('-', '-')}` failed after 1m 12s.\n"
        f"\n[Open the run in Argo's UI](https://argo-ui.example.com/workflows/{NAMESPACE}/{NAME})\n"
        "\n| step | phase | duration | message |\n|---|---|---|---|\n"
        "| scan | ❌ Failed | 42 s | Error \\(exit code 2\\) |\n"
        "| test | ✅ Succeeded | 22 s |  |"
    )
    tail = "".join(f"line {n}\n" for n in range(152, 201)) + "fatal: nope"
    assert output["text"] == f"### scan: the last lines of its log\n\n```text\n{tail}\n```"
    assert [(r.method, r.path) for r in github.fake.requests] == [
        ("GET", "/repos/acme/widgets/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("GET", f"/repos/acme/widgets/commits/{SHA}/check-runs"),
        ("PATCH", f"{CHECK_RUNS}/{check_run['id']}"),
        ("DELETE", "/installation/token"),
    ]
    assert github.fake.requests[2].query == {"per_page": "100", "check_name": "argo/secret-scan", "filter": "all"}
    # the report's identity read its Workflow and its steps' logs, and nothing else
    assert [(method, path) for method, path, _ in kubernetes.requests] == [
        ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflows/{NAME}"),
        ("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod_of(SCAN_FAILED)}/log"),
        ("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod_of(TEST_OK)}/log"),
    ]


@pytest.mark.parametrize(
    ("phase", "nodes", "shutdown", "logs", "conclusion", "title"),
    [
        ("Succeeded", [SCAN_OK, TEST_OK], "", {}, "success", "succeeded in 1m 12s"),
        ("Failed", [SCAN_FAILED, TEST_OK], "", {}, "failure", "step scan failed: exit code 2"),
        ("Error", [{**SCAN_FAILED, "phase": "Error", "message": "pod deleted"}], "", {}, "failure", "step scan failed: pod deleted"),
        ("Failed", [{**SCAN_FAILED, "message": "Step exceeded its deadline"}], "", {}, "timed_out", "step scan exceeded its deadline"),
        ("Failed", [{**SCAN_FAILED, "message": "Stopped with strategy 'Stop'"}], "Stop", {}, "cancelled", "stopped before it ended"),
        ("Succeeded", [{**SCAN_OK, "phase": "Skipped", "type": "Skipped"}], "", {}, "skipped", "skipped: no step ran"),
        ("Succeeded", [SCAN_OK], "", {"scan": "::skipped::no file matches paths\n"}, "skipped", "skipped: no file matches paths"),
        ("Succeeded", [SCAN_OK], "", {"scan": "::neutral::nothing to deploy\n"}, "neutral", "neutral: nothing to deploy"),
    ],
)
def test_each_conclusion(
    github: GitHubAppRoutes,
    kubernetes: FakeKubernetes,
    pod_environment: dict[str, str],
    phase: str,
    nodes: list[dict[str, Any]],
    shutdown: str,
    logs: dict[str, str],
    conclusion: str,
    title: str,
) -> None:
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(*nodes, shutdown=shutdown)
    for item in nodes:
        kubernetes.logs[(NAMESPACE, pod_of(item))] = logs.get(item["displayName"], "")
    failed = [item for item in nodes if item["phase"] in ("Failed", "Error")]
    result = report(pod_environment, phase, WORKFLOW_FAILURES=failures_value(*failed))
    assert result.returncode == 0, result.stderr
    check_run = the_check_run(github)
    assert (check_run["status"], check_run["conclusion"], check_run["output"]["title"]) == ("completed", conclusion, title)
    content_writes = [r for r in github.fake.requests if r.path.startswith(CHECK_RUNS) and r.method != "GET"]
    assert [r.method for r in content_writes] == ["POST", "PATCH"]  # created, completed: two content writes a run
    assert f"reported check run argo/secret-scan={conclusion} on acme/widgets@{SHA} ({title}): 5 requests" in result.stdout


def findings_log(count: int) -> str:
    return "".join(
        f"::error file=src/module_{n % 7}.py,line={n},endLine={n + 1},title=Hard-coded secret::A token%0Ais here\n"
        for n in range(1, count + 1)
    )


def test_a_step_that_hands_over_120_findings_gets_them_posted_50_per_request(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = "scanning\n" + findings_log(120) + "120 leaks found\n"
    result = report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED))
    assert result.returncode == 0, result.stderr
    check_run = the_check_run(github)
    assert check_run["annotation_requests"] == [50, 50, 20]
    assert len(check_run["annotations"]) == 120
    assert check_run["annotations"][0] == {
        "path": "src/module_1.py",
        "start_line": 1,
        "end_line": 2,
        "annotation_level": "failure",
        "message": "A token\nis here",
        "title": "Hard-coded secret",
    }
    assert check_run["output"]["title"] == "120 errors in 7 files"
    assert "120 findings from the steps, shown as annotations on the files." in check_run["output"]["summary"]
    writes = [r.method for r in github.fake.requests if r.path.startswith(CHECK_RUNS)]
    assert writes == ["POST", "PATCH", "PATCH", "PATCH"]


def test_findings_over_the_cap_are_left_out_and_counted(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = findings_log(230)
    result = report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED))
    check_run = the_check_run(github)
    assert check_run["annotation_requests"] == [50, 50, 50]
    assert "80 more were left out (at most 150 per run)." in check_run["output"]["summary"]
    assert result.stdout.rstrip().endswith("; 80 findings left out")
    # no start hook ran (a very short run): the end creates the check run, completed
    assert [r.method for r in github.fake.requests if r.path.startswith(CHECK_RUNS)] == ["POST", "PATCH", "PATCH"]


def test_a_long_log_is_cut_to_its_last_lines_within_githubs_limit(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
    long_line = "x" * 5000
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = "".join(f"{n} {long_line}\n" for n in range(400)) + "the end\n"
    result = report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED), CHECK_RUN_LOG_LINES="30")
    assert result.returncode == 0, result.stderr
    text = the_check_run(github)["output"]["text"]
    assert len(text) <= 65_535
    assert text.rstrip("`\n").endswith("the end")
    assert "… (earlier lines left out)" in text
    assert "\n370 x" not in text  # only the last 30 lines were ever considered


def test_throttling_is_waited_out_with_retry_after(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_OK)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_OK))] = ""
    secondary = error(403, "You have exceeded a secondary rate limit.", **{"Retry-After": "1"})
    github.fake.answer_next("PATCH", CHECK_RUNS + "/{id}", secondary, error(429, "slow down", **{"Retry-After": "1"}))
    result = report(pod_environment, "Succeeded")
    assert result.returncode == 0, result.stderr
    assert the_check_run(github)["conclusion"] == "success"
    assert result.stderr.splitlines() == [
        f"PATCH /repos/acme/widgets/check-runs/{the_check_run(github)['id']}: HTTP 403 (You have exceeded a secondary "
        "rate limit.); retrying in 1 s",
        f"PATCH /repos/acme/widgets/check-runs/{the_check_run(github)['id']}: HTTP 429 (slow down); retrying in 1 s",
    ]


def test_throttled_past_the_bound_the_report_says_so_and_the_run_is_untouched(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_OK)
    github.fake.answer_next("POST", CHECK_RUNS, error(403, "secondary rate limit", **{"Retry-After": "3600"}))
    result = report(pod_environment, "Succeeded")
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert result.stdout.startswith(f"could not report check run argo/secret-scan=success on acme/widgets@{SHA}: ")
    assert "GitHub asks to wait 3600 s, over the limit of 120 s" in result.stdout
    assert github.check_runs == [] and len(github.revoked) == 1  # the token is revoked all the same


def test_without_the_kubernetes_api_the_report_uses_argos_failures(
    github: GitHubAppRoutes, pod_environment: dict[str, str]
) -> None:
    environment = {**pod_environment, "KUBERNETES_SERVICE_ACCOUNT_DIR": "/nonexistent"}
    result = report(environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED))
    assert result.returncode == 0, result.stderr
    output = the_check_run(github)["output"]
    assert output["title"] == "step scan failed: exit code 2"
    assert "| scan | ❌ Failed | n/a | Error \\(exit code 2\\) |" in output["summary"]
    assert "The run's steps and logs could not be read: no ServiceAccount token in /nonexistent" in output["summary"].replace("\\", "")


def test_a_token_without_checks_write_is_refused_by_the_fake_and_reported(
    github: GitHubAppRoutes, pod_environment: dict[str, str], tmp_path: Path
) -> None:
    """A fine-grained token cannot write check runs (only Apps can): GitHub answers 403, the log says so."""
    github.personal_tokens.add("github_pat_stack")
    (tmp_path / "pat").mkdir()
    (tmp_path / "pat" / "token").write_text("github_pat_stack")
    result = report({**pod_environment, "GITHUB_CREDENTIALS_DIR": str(tmp_path / "pat")}, "Running")
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert "HTTP 403: Resource not accessible by integration" in result.stdout
    assert "github_pat_stack" not in result.stdout + result.stderr


@pytest.mark.parametrize(("findings", "started"), [(0, True), (120, True), (230, True), (70, False)])
def test_what_a_run_costs_is_what_the_benchmark_reports(
    github: GitHubAppRoutes,
    kubernetes: FakeKubernetes,
    pod_environment: dict[str, str],
    findings: int,
    started: bool,
) -> None:
    """podkit.costs.run_cost (what cli/bench.py and the docs quote) against what the report really sent."""
    from podkit.costs import run_cost

    if started:
        assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = findings_log(findings)
    assert report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED)).returncode == 0
    requests = github.fake.requests
    content = [r for r in requests if r.path.startswith(CHECK_RUNS) and r.method in ("POST", "PATCH")]
    measured = (len(requests), sum(r.method != "GET" for r in requests), len(content))
    expected = run_cost(findings=findings, started=started)
    assert measured == (expected.requests, expected.writes, expected.content_writes)
    assert len(github.minted) == (2 if started else 1)  # one token per pod


def test_a_known_installation_is_not_looked_up(github: GitHubAppRoutes, pod_environment: dict[str, str]) -> None:
    """githubApp.installations reaches the pod as GITHUB_INSTALLATIONS: the token is minted at once."""
    from podkit.costs import run_cost

    result = report({**pod_environment, "GITHUB_INSTALLATIONS": '{"acme": 77}'}, "Running")
    assert result.returncode == 0, result.stderr
    assert [(r.method, r.path) for r in github.fake.requests] == [
        ("POST", "/app/installations/77/access_tokens"),
        ("POST", CHECK_RUNS),
        ("DELETE", "/installation/token"),
    ]
    assert run_cost(installation_known=True).requests == run_cost().requests - 2


def test_a_wrong_installation_id_falls_back_to_the_lookup(github: GitHubAppRoutes, pod_environment: dict[str, str]) -> None:
    result = report({**pod_environment, "GITHUB_INSTALLATIONS": '{"ACME": 78}'}, "Running")
    assert result.returncode == 0, result.stderr
    assert [(r.method, r.path) for r in github.fake.requests] == [
        ("POST", "/app/installations/78/access_tokens"),
        ("GET", "/repos/acme/widgets/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("POST", CHECK_RUNS),
        ("DELETE", "/installation/token"),
    ]
    assert result.stderr.startswith(
        "note: installation 78 (githubApp.installations.acme) did not mint a token for acme/widgets "
        "(POST /app/installations/78/access_tokens: HTTP 404: Not Found); looking the installation up"
    )
    assert len(github.check_runs) == 1


def test_a_start_that_ran_twice_leaves_no_check_run_in_progress(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    """Argo retries a report pod that failed to run (retryStrategy OnError): a second start makes a second check
    run; the end completes both, the annotations only on the first."""
    assert report(pod_environment, "Running").returncode == 0
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_FAILED)
    kubernetes.logs[(NAMESPACE, pod_of(SCAN_FAILED))] = findings_log(3)
    assert report(pod_environment, "Failed", WORKFLOW_FAILURES=failures_value(SCAN_FAILED)).returncode == 0
    first, second = github.check_runs
    assert [(run["status"], run["conclusion"]) for run in (first, second)] == [("completed", "failure")] * 2
    assert (len(first["annotations"]), len(second["annotations"])) == (3, 0)
    assert first["output"] == second["output"]


def test_a_rate_limit_that_persists_gives_up_within_the_reports_deadline(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(SCAN_OK)
    github.fake.answer_next("POST", CHECK_RUNS, *[error(429, "slow down", **{"Retry-After": "0"})] * 4)
    result = report(pod_environment, "Succeeded")
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert result.stderr.count("retrying in 0 s") == 2  # two retries: at most 2 x 120 s of waiting
    assert "POST /repos/acme/widgets/check-runs: HTTP 429: slow down" in result.stdout
    assert github.check_runs == []


def test_a_pull_request_its_path_filter_skips_concludes_skipped_with_the_reason(
    github: GitHubAppRoutes, kubernetes: FakeKubernetes, pod_environment: dict[str, str]
) -> None:
    """The paths step (delivery/paths_gate.py) is the one program step shown: its log's ::skipped:: is the reason."""
    gate = node(f"{NAME}-1", "paths", "argo-github-webhooks-paths", "Succeeded", "2026-12-03T10:00:01Z", "2026-12-03T10:00:09Z")
    skipped = {**node(f"{NAME}-2", "run", "main", "Skipped", "2026-12-03T10:00:10Z", "2026-12-03T10:00:10Z"), "type": "Skipped"}
    assert report(pod_environment, "Running").returncode == 0
    kubernetes.workflows[(NAMESPACE, NAME)] = workflow(gate, skipped)
    reason = "none of the 3 changed files matches paths-ignore: docs/**"
    kubernetes.logs[(NAMESPACE, pod_of(gate))] = f"{NAME}: 3 requests to GitHub\n::skipped::{reason}\nskip\n"
    result = report(pod_environment, "Succeeded")
    assert result.returncode == 0, result.stderr
    check_run = the_check_run(github)
    assert (check_run["conclusion"], check_run["output"]["title"]) == ("skipped", f"skipped: {reason}")
