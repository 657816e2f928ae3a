"""The benchmark's arithmetic, targets and GitHub accounting, fast: no timing grid runs here (that is
`python -m cli bench`, minutes); the per-run GitHub count is checked against the real in-pod steps."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cli import bench
from cli.bench_github import OPERATIONS, Call, OperationCost, counts, reporting_run_calls
from cli.bench_report import Cell, marginal
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import GitHubAppRoutes
from tests.fakes.kubernetes import FakeKubernetes
from tests.harness import PROJECT_ROOT
from tests.podkit.pod import run_pod

APP_ID = "4242"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


# -- per run: the model against the real steps ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(key: rsa.RSAPrivateKey) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, APP_ID, key.public_key(), installations={"acme/widgets": 7})


def credentials(tmp_path: Path, key: rsa.RSAPrivateKey, app: bool, github: GitHubAppRoutes) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir()
    if app:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        (directory / "private-key.pem").write_bytes(pem)
    else:
        github.personal_tokens.add("github_pat_bench")
        (directory / "token").write_text("github_pat_bench")
    return directory


def step(action: str, environment: dict[str, str]) -> None:
    """One in-pod step, run as its container runs it (`python3 podkit.pyz <command>`, the artifact the program
    builds)."""
    completed = run_pod(action, environment)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not completed.stdout.startswith("could not"), completed.stdout


def matches(call: Call, method: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(call.path))
    return call.method == method and re.fullmatch(pattern, path) is not None


@pytest.mark.parametrize("app", [True, False], ids=["app", "fine-grained token"])
def test_the_per_run_count_is_what_the_in_pod_steps_send(
    github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path, app: bool
) -> None:
    """A secret-scan run that reports statuses: clone credentials, the revoke after the fetch, pending, result."""
    common = {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials(tmp_path, key, app, github)),
    }
    clone = {
        "REPOSITORY": "acme/widgets",
        "GIT_CREDENTIALS_FILE": str(tmp_path / "gitconfig"),
        "GIT_TOKEN_FILE": str(tmp_path / "token"),
        "CLONE_STATUS_FILE": str(tmp_path / "clone-status"),
    }
    (tmp_path / "clone-status").write_text("0")
    status = {
        "WORKFLOW_ANNOTATIONS": json.dumps(
            {"argo-github-webhooks/repository": "acme/widgets", "argo-github-webhooks/commit": SHA}
        ),
        "WORKFLOW_NAME": "secret-scan-1",
        "STATUS_CONTEXT": "argo/secret-scan",
    }
    steps = [
        ("clone", "git-credentials", clone),
        ("clone", "revoke-git-credentials", clone),
        ("status pending", "status", {**status, "WORKFLOW_STATUS": "Running"}),
        ("status result", "status", {**status, "WORKFLOW_STATUS": "Succeeded"}),
    ]
    sent: dict[str, list[tuple[str, str]]] = {}
    for name, action, environment in steps:
        before = len(github.fake.requests)
        step(action, {**common, **environment})
        sent.setdefault(name, []).extend((r.method, r.path) for r in github.fake.requests[before:])
    model = reporting_run_calls(app=app, status=True, clone=True)
    for name, requests in sent.items():
        expected = [call for call in model if call.step == name]
        assert len(requests) == len(expected), (name, requests, expected)
        assert all(matches(call, *request) for call, request in zip(expected, requests, strict=True)), name
    assert counts(model) == ({"requests": 11, "writes": 8} if app else {"requests": 2, "writes": 2})


@pytest.mark.parametrize("findings", [0, 120])
def test_the_per_run_count_of_check_runs_is_what_the_in_pod_steps_send(
    github: GitHubAppRoutes, key: rsa.RSAPrivateKey, tmp_path: Path, findings: int
) -> None:
    """A run that reports a check run: created at the start, found and completed at the end, findings 50 a time."""
    name = "secret-scan-1"
    common = {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials(tmp_path, key, True, github)),
        "WORKFLOW_ANNOTATIONS": json.dumps(
            {"argo-github-webhooks/repository": "acme/widgets", "argo-github-webhooks/commit": SHA}
        ),
        "WORKFLOW_NAME": name,
        "WORKFLOW_NAMESPACE": "workflows",
        "STATUS_CONTEXT": "argo/secret-scan",
    }
    scan = {"id": f"{name}-1", "name": f"{name}.scan", "displayName": "scan", "type": "Pod", "templateName": "scan",
            "phase": "Failed", "startedAt": "2026-12-03T10:00:00Z", "finishedAt": "2026-12-03T10:00:40Z"}
    with FakeKubernetes() as kubernetes:
        kubernetes.workflows[("workflows", name)] = {"metadata": {"name": name}, "status": {"nodes": {scan["id"]: scan}}}
        from podkit.kubernetes import pod_name

        log = "".join(f"::error file=a.py,line={n}::leak\n" for n in range(1, findings + 1))
        kubernetes.logs[("workflows", pod_name(name, scan["name"], "scan", scan["id"]))] = log
        account = kubernetes.service_account_dir(tmp_path / "serviceaccount")
        cluster = {"KUBERNETES_API_URL": kubernetes.url, "KUBERNETES_SERVICE_ACCOUNT_DIR": str(account)}
        sent: dict[str, list[tuple[str, str]]] = {}
        for label, phase in (("check run started", "Running"), ("check run completed", "Failed")):
            before = len(github.fake.requests)
            step("check-run", {**common, **cluster, "WORKFLOW_STATUS": phase})
            sent[label] = [(r.method, r.path) for r in github.fake.requests[before:]]
    model = reporting_run_calls(app=True, status=True, check_runs=True, findings=findings)
    for label, requests in sent.items():
        expected = [call for call in model if call.step == label]
        assert len(requests) == len(expected), (label, requests, expected)
        assert all(matches(call, *request) for call, request in zip(expected, requests, strict=True)), label
    assert counts(model) == ({"requests": 9, "writes": 6} if findings == 0 else {"requests": 11, "writes": 8})


def test_a_run_without_statuses_or_clone_sends_nothing() -> None:
    assert reporting_run_calls(app=True, status=False, clone=False) == []
    assert counts(reporting_run_calls(app=True, status=True, clone=False)) == {"requests": 8, "writes": 6}


# -- per operation ---------------------------------------------------------------------------------------------------


def test_operation_costs_of_a_small_stack() -> None:
    """Each operation as `pulumi up` sends it, from the program's own registrations (2 organizations, 2 pipelines)."""
    costs = bench.operation_costs(2, 2)
    assert costs == {
        "create": OperationCost(created=2, updated=0, deleted=0, providers=2),
        "rotate": OperationCost(created=0, updated=2, deleted=0, providers=2),
        "add_pipeline_known_event": OperationCost(created=0, updated=0, deleted=0, providers=2),
        "add_pipeline_new_event": OperationCost(created=0, updated=2, deleted=0, providers=2),
        "add_organization": OperationCost(created=1, updated=0, deleted=0, providers=3),
    }
    assert (costs["create"].writes, costs["create"].requests) == (2, 6)  # POST + read back per hook, GET per org
    assert (costs["add_pipeline_known_event"].writes, costs["add_pipeline_known_event"].requests) == (0, 2)


# -- what grows, the targets and the exit code (synthetic measurements: no worker runs) ----------------------------


def cell(organizations: int, pipelines: int, deployed: int, program: float, floor: float, rss: float = 120) -> Cell:
    github = {operation: {"writes": organizations, "requests": 3 * organizations} for operation in OPERATIONS}
    github["add_pipeline_known_event"] = {"writes": 0, "requests": organizations}
    return Cell(
        organizations,
        pipelines,
        program=[{"resources": deployed + organizations + pipelines, "seconds": program, "rss_mb": rss, "import": 2}],
        floor=[{"resources": deployed, "seconds": floor, "rss_mb": rss - 5, "import": 2}],
        github=github,
    )


def test_the_marginal_cost_is_the_slope_over_deployed_resources() -> None:
    cells = [cell(10, 5, 50, 0.40, 0.20), cell(50, 20, 150, 0.90, 0.30)]
    fitted = marginal(cells)
    assert fitted is not None
    assert (round(fitted.program_ms, 6), round(fitted.floor_ms, 6), round(fitted.ratio, 6)) == (5.0, 1.0, 5.0)
    assert (round(fitted.program_fixed_s, 6), round(fitted.floor_fixed_s, 6)) == (0.15, 0.15)
    assert marginal([cell(1, 1, 25, 0.2, 0.1), cell(2, 2, 29, 0.1, 0.2)]) is None  # too close for a slope


def run_with(monkeypatch: pytest.MonkeyPatch, cells: list[Cell], *arguments: str) -> int:
    """`python -m cli bench --cells ... --json` with these measurements instead of worker processes."""
    by_size = {(c.organizations, c.pipelines): c for c in cells}
    monkeypatch.setattr(
        bench, "measure", lambda organizations, pipelines, repeat, scratch: by_size[organizations, pipelines]
    )
    sizes = ",".join(f"{c.organizations}x{c.pipelines}" for c in cells)
    return bench.main(["--cells", sizes, "--json", *arguments])


def test_targets_met_exit_0_and_a_missed_one_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    met = [cell(10, 5, 51, 0.40, 0.20), cell(50, 20, 161, 0.90, 0.40)]  # 4.5 ms against 1.8 ms: 2.5
    code = run_with(monkeypatch, met, "--output", str(tmp_path / "out.json"))
    document = json.loads(capsys.readouterr().out)
    assert (code, document["exit_code"]) == (0, 0)
    assert json.loads((tmp_path / "out.json").read_text()) == document
    assert {target["name"]: target["met"] for target in document["targets"]} == {
        "marginal cost per deployed resource, program / floor": True,
        "ms per resource at 50x20 / at 10x5": True,
        "peak RSS at 50x20": True,
        "GitHub writes of one operation": True,
        "GitHub writes of a pipeline whose events the hooks have": True,
    }
    slow = [cell(10, 5, 51, 0.40, 0.20), cell(50, 20, 161, 1.50, 0.40)]  # 10 ms against 1.8 ms: 5.5
    code = run_with(monkeypatch, slow)
    document = json.loads(capsys.readouterr().out)
    assert (code, document["exit_code"]) == (1, 1)
    missed = [target for target in document["targets"] if not target["met"]]
    assert [(target["name"], round(target["value"], 2), target["limit"]) for target in missed] == [
        ("marginal cost per deployed resource, program / floor", 5.5, 3.0)
    ]


def test_the_text_report_says_pass_and_fail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        bench,
        "measure",
        lambda organizations, pipelines, repeat, scratch: cell(
            organizations,
            pipelines,
            51 if organizations == 10 else 161,
            0.4 if organizations == 10 else 1.5,
            0.2 if organizations == 10 else 0.4,
        ),
    )
    assert bench.main(["--cells", "10x5,50x20"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert (
        "FAIL marginal cost per deployed resource, program / floor: 10.00 ms / 1.82 ms = 5.50 (target <= 3.0)" in lines
    )
    assert (
        "PASS GitHub writes of one operation: 50 at most, at 50x20 (target <= 80, GitHub's content-creating requests a minute)"
        in lines
    )
    assert "| commit status + clone (secret-scan), GitHub App | 11 | 8 | 62 |" in lines


def test_a_failed_measurement_exits_2_with_one_json_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(*args: str) -> dict[str, object]:
        raise bench.MeasurementFailed(f"worker {' '.join(args)} failed:\nthe floor imported inside the clock")

    monkeypatch.setattr(bench, "_worker", failing)
    assert bench.main(["--cells", "1x1", "--repeat", "1", "--json"]) == 2
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert (set(document), document["exit_code"]) == ({"error", "exit_code"}, 2)
    assert document["error"].startswith("worker program --cell 1x1 --record ")
    assert document["error"].endswith(" failed:\nthe floor imported inside the clock")
    assert err == ""


def test_the_program_worker_measures_a_cell_without_late_imports(tmp_path: Path) -> None:
    """One real worker process (seconds, not the grid): it stops when the program loads a module the floor never
    pays for inside the clock, as a new resource type does until `_import_heavy_modules` lists it."""
    record = tmp_path / "registrations.json"
    completed = subprocess.run(
        [sys.executable, "-m", "cli.bench", "--worker", "program", "--cell", "1x1", "--record", str(record)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["resources"] > 0 and result["seconds"] > 0
    assert {entry["type"] for entry in json.loads(record.read_text())} >= {
        "github:index/organizationWebhook:OrganizationWebhook"
    }
