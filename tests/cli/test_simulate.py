"""The delivery simulator: its words, its JSON, its exit codes, and its agreement with the compiled bindings."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.simulate import delivery_environment, main, simulate
from delivery.expr import evaluate
from delivery.github_events import catalogue
from delivery.triggers import compile_trigger
from settings.config import parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, checkout_copy, dev_config, fixture_project, stack_config

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PAYLOADS = FIXTURES / "payloads"


NO_ORGANIZATION = (
    "the payload has no organization.login: every organization webhook's delivery carries one, so none of the "
    "stack's webhooks sends this one (a repository webhook's or a GitHub App's payload?). If it reached Argo with a "
    "valid signature, the bindings would not check its origin: hello-world, secret-scan (no `organizations` filter) "
    "answer it as shown"
)


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments), project_root=fixture_project())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def simulate_json(capsys: pytest.CaptureFixture[str], event: str, payload: Path, stack: str = "dev") -> dict[str, Any]:
    code, out, _ = run_cli(
        capsys, "--stack", stack, "--event", event, "--payload", str(payload), "--delivery", DELIVERY, "--json"
    )
    document = json.loads(out)
    assert code == (0 if any(result["fires"] for result in document["pipelines"]) else 1)
    return document


def test_push_to_the_default_branch_fires_both_dev_pipelines(capsys: pytest.CaptureFixture[str]) -> None:
    document = simulate_json(capsys, "push", PAYLOADS / "push-branch.json")
    assert document == {
        "event": "push",
        "delivery": DELIVERY,
        "stack": "dev",
        "refused": None,
        "notes": [NO_ORGANIZATION],  # the fixture is a repository webhook's payload (cli/simulate.organization_note)
        "pipelines": [
            {
                "name": "hello-world",
                "fires": True,
                "reason": None,
                "template": "hello-world",
                "workflow": f"hello-world-{DELIVERY}",
                "parameters": {
                    "git_ref": "refs/heads/master",
                    "head_commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                    "repository": "Codertocat/Hello-World",
                    "event": "push",
                    "delivery_id": DELIVERY,
                },
                "notes": [],
            },
            {
                "name": "secret-scan",
                "fires": True,
                "reason": None,
                "template": "secret-scan",
                "workflow": f"secret-scan-{DELIVERY}",
                "parameters": {
                    "git_url": "https://github.com/Codertocat/Hello-World.git",
                    "git_ref": "refs/heads/master",
                    "head_commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                    "repository": "Codertocat/Hello-World",
                    "base_commit": "0000000000000000000000000000000000000000",
                    "default_branch": "master",
                },
                "notes": [],
            },
        ],
    }


def test_reasons_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feature = json.loads((PAYLOADS / "push-branch.json").read_text())
    feature["ref"] = "refs/heads/feature/x"
    (tmp_path / "feature.json").write_text(json.dumps(feature))
    closed = json.loads((PAYLOADS / "pull_request-opened.json").read_text())
    closed["action"] = "closed"
    (tmp_path / "closed.json").write_text(json.dumps(closed))

    def reasons(event: str, payload: Path) -> dict[str, str | None]:
        return {result["name"]: result["reason"] for result in simulate_json(capsys, event, payload)["pipelines"]}

    assert reasons("push", tmp_path / "feature.json") == {
        "hello-world": None,
        "secret-scan": "branch feature/x does not match main, master",
    }
    assert reasons("pull_request", PAYLOADS / "pull_request-opened.json") == {
        "hello-world": "event is pull_request, pipeline listens to push",
        "secret-scan": None,
    }
    assert reasons("pull_request", tmp_path / "closed.json") == {
        "hello-world": "event is pull_request, pipeline listens to push",
        "secret-scan": "action closed not in opened, synchronize, reopened",
    }
    assert reasons("push", PAYLOADS / "push-delete.json") == {
        "hello-world": "push deleted refs/tags/simple-tag (deleted: true): nothing to check out",
        "secret-scan": "push deleted refs/tags/simple-tag (deleted: true): nothing to check out",
    }
    assert reasons("push", PAYLOADS / "push-tag.json") == {
        "hello-world": None,
        "secret-scan": "refs/tags/simple-tag is a tag, not a branch; branch filter is main, master",
    }
    assert reasons("release", PAYLOADS / "release-published.json") == {
        "hello-world": "event is release, pipeline listens to push",
        "secret-scan": "event is release, pipeline listens to push, pull_request",
    }


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "--stack", "dev", "--event", "pull_request", "--payload", str(PAYLOADS / "pull_request-opened.json"),
        "--delivery", DELIVERY,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        f"pull_request delivery {DELIVERY} to stack dev\n"
        f"  note: {NO_ORGANIZATION}\n"
        "  hello-world: does not fire: event is pull_request, pipeline listens to push\n"
        "  secret-scan: fires, submits WorkflowTemplate secret-scan\n"
        f"      Workflow secret-scan-{DELIVERY}\n"
        "      git_url = https://github.com/Codertocat/Hello-World.git\n"
        "      git_ref = refs/pull/2/head\n"
        "      head_commit = ec26c3e57ca3a959ca5aad62de7213c562f8c821\n"
        "      repository = Codertocat/Hello-World\n"
        "      base_commit = f95f852bd8fca8fcc58a9a2d6c842781e32a215e\n"
        "      default_branch = master\n"
    )


def test_nothing_fired_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--stack", "dev", "--event", "ping", "--payload", str(PAYLOADS / "ping-organization.json")
    )
    assert code == 1
    assert "hello-world: does not fire: event is ping, pipeline listens to push" in out


def test_payload_from_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((PAYLOADS / "push-branch.json").read_bytes())))
    code, out, _ = run_cli(capsys, "--stack", "dev", "--event", "push", "--payload", "-", "--json")
    document = json.loads(out)
    assert code == 0
    assert [result["fires"] for result in document["pipelines"]] == [True, True]
    assert len(document["delivery"]) == 36  # a fresh GUID when none is given, as GitHub sends


def test_prod_stack(capsys: pytest.CaptureFixture[str]) -> None:
    document = simulate_json(capsys, "release", PAYLOADS / "release-published.json", stack="prod")
    audit = next(result for result in document["pipelines"] if result["name"] == "release-audit")
    assert audit["fires"] is True
    assert audit["parameters"]["git_ref"] == "refs/tags/0.0.1"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "staging", "--event", "push", "--payload", "x.json"], "unknown stack 'staging'"),
        (
            ["--stack", "dev", "--event", "pushed", "--payload", "x.json"],
            "unknown event name: 'pushed' is not a GitHub",
        ),
        (
            ["--stack", "dev", "--event", "push", "--payload", "/nonexistent.json"],
            "payload file /nonexistent.json not found",
        ),
    ],
)
def test_bad_input_exits_2(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *arguments)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {message}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "error: payload is not JSON"),
        (b"[1, 2]", "error: payload is not a JSON object (GitHub always sends one), it is a list"),
        (b"\xff\xfe", "error: payload is not JSON"),
        (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", "error: payload nests too deeply to be read here"),
    ],
)
def test_bad_payloads_exit_2(tmp_path: Path, content: bytes, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "payload.json"
    path.write_bytes(content)
    code, _, err = run_cli(capsys, "--stack", "dev", "--event", "push", "--payload", str(path))
    assert code == 2
    assert err.startswith(message)


def test_missing_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--stack", "dev")
    assert code == 2
    assert "the following arguments are required: --event, --payload" in err


def test_oversized_payload_is_refused_not_simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads((PAYLOADS / "push-branch.json").read_text())
    body["padding"] = "x" * (2 * 1024 * 1024)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(body))
    code, out, _ = run_cli(capsys, "--stack", "dev", "--event", "push", "--payload", str(path), "--delivery", DELIVERY)
    assert code == 1
    assert out == (
        f"push delivery {DELIVERY} to stack dev\n"
        f"  Argo Server would refuse this delivery: the payload is {path.stat().st_size} bytes, over Argo Server's "
        "limit of 2097152 bytes (2 MiB)\n"
    )


def test_raw_expressions_outside_the_subset_are_reported_not_simulated() -> None:
    settings = parse_settings(
        stack_config(
            pipelines=[
                {
                    "name": "hello",
                    "template": "workflows/hello-world.yaml",
                    "events": ["push"],
                    "parameters": {
                        "repository": {"expression": 'split(payload.repository.full_name, "/")[1]'},
                        "event": {"expression": "payload.ref | upper()"},
                    },
                }
            ]
        ),
        PROJECT_ROOT,
    )
    payload = json.loads((PAYLOADS / "push-branch.json").read_text())
    (result,) = simulate(settings, "dev", "push", payload, DELIVERY).pipelines
    assert result.fires
    assert result.parameters["repository"] is None
    assert result.parameters["event"] == "REFS/HEADS/MASTER"  # a pipe is a call: evaluated
    assert result.notes == [
        "parameter repository: not simulated: 'split(payload.repository.full_name, \"/\")[1]' is valid expr but "
        "uses the builtin split(): outside the subset this simulator evaluates; Argo evaluates it for real"
    ]


def test_events_argo_refuses_are_reported_as_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--stack", "dev", "--event", "star", "--payload", str(PAYLOADS / "push-branch.json"), "--json"
    )
    assert code == 1
    assert json.loads(out)["refused"] == (
        "Argo Server would refuse this delivery (HTTP 401: 'star' is not in Argo's list of GitHub events)"
    )


def _variants() -> list[tuple[str, str, dict[str, Any]]]:
    """Every real payload, plus crafted ones: branch globs with '/', deletions, tags, forks, no repository."""
    variants = []
    for path in sorted(PAYLOADS.glob("*.json")):
        variants.append((path.stem, path.stem.split("-")[0], json.loads(path.read_text())))
    push = json.loads((PAYLOADS / "push-branch.json").read_text())
    for ref in ["refs/heads/main", "refs/heads/release/1.0", "refs/heads/release/1.0/x", "refs/tags/v1", "main"]:
        variants.append((f"push {ref}", "push", {**push, "ref": ref}))
    variants.append(("deleted branch", "push", {**push, "ref": "refs/heads/main", "deleted": True}))
    pull_request = json.loads((PAYLOADS / "pull_request-opened.json").read_text())
    for action, base in [("opened", "main"), ("closed", "main"), ("reopened", "release/2"), ("opened", "dev")]:
        variant = copy.deepcopy(pull_request)
        variant["action"] = action
        variant["pull_request"]["base"]["ref"] = base
        variants.append((f"pull_request {action} into {base}", "pull_request", variant))
    fork = copy.deepcopy(pull_request)
    fork["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
    variants.append(("fork", "pull_request", fork))
    no_repository = {key: value for key, value in push.items() if key != "repository"}
    variants.append(("push without repository", "push", no_repository))
    variants.append(("pull_request without pull_request", "pull_request", {"action": "opened"}))
    return variants


AGREEMENT_CONFIG = {
    "argo-github-webhooks:pipelines": json.dumps(
        [
            {"name": "all-pushes", "template": "workflows/hello-world.yaml", "events": ["push"]},
            {
                "name": "releases",
                "template": "workflows/secret-scan.yaml",
                "events": ["push", "pull_request"],
                "branches": ["main", "release/*"],
                "actions": ["opened", "reopened"],
                "repositories": ["Hello-World"],
            },
            {
                "name": "deep",
                "template": "workflows/secret-scan.yaml",
                "events": ["pull_request", "release"],
                "actions": ["opened", "published"],
                "repositories": ["codertocat/hello-world"],
            },
            {
                "name": "fork-events",
                "template": "workflows/hello-world.yaml",
                "events": ["workflow_run", "check_suite", "check_run", "issue_comment"],
            },
        ]
    )
}


FORK_EVENTS_CONFIG = {
    "argo-github-webhooks:pipelines": json.dumps(
        [
            {"name": name, "template": "workflows/hello-world.yaml", "events": [event], "forks": forks}
            for event in ("workflow_run", "check_suite", "check_run", "issue_comment")
            for name, forks in ((event.replace("_", "-"), False), (f"{event.replace('_', '-')}-forks", True))
        ]
    )
}


@pytest.mark.parametrize(
    ("event", "fixture", "reason"),
    [
        (
            "workflow_run",
            "workflow_run-completed-fork",
            "workflow run on code from the fork octo-fork/octo-repo: forks run their author's code, opt in with "
            "forks: true",
        ),
        (
            "check_suite",
            "check_suite-completed-fork",
            "check suite on ec26c3e57ca3a959ca5aad62de7213c562f8c821 whose head branch is not in the repository "
            "(GitHub gives no head_branch for a fork's): forks run their author's code, opt in with forks: true",
        ),
        (
            "check_run",
            "check_run-completed-fork",
            "check run on ec26c3e57ca3a959ca5aad62de7213c562f8c821 whose head branch is not in the repository "
            "(GitHub gives no head_branch for a fork's): forks run their author's code, opt in with forks: true",
        ),
        (
            "issue_comment",
            "issue_comment-created-pull_request",
            "comment on the pull request https://github.com/Codertocat/Hello-World/pull/1: the payload does not say "
            "whether its head is a fork, and forks run their author's code; opt in with forks: true",
        ),
    ],
)
def test_the_simulator_says_why_a_forks_delivery_is_skipped(event: str, fixture: str, reason: str) -> None:
    settings = parse_settings({**dev_config(), **FORK_EVENTS_CONFIG}, PROJECT_ROOT)
    own = fixture.rsplit("-", 1)[0] if event != "issue_comment" else "issue_comment-created"
    name = event.replace("_", "-")
    for body, skipped in ((json.loads((PAYLOADS / f"{fixture}.json").read_text()), True), (json.loads((PAYLOADS / f"{own}.json").read_text()), False)):
        results = {result.name: result for result in simulate(settings, "dev", event, body, DELIVERY).pipelines}
        assert results[name].reason == (reason if skipped else None)
        assert results[f"{name}-forks"].reason is None  # forks: true opts in


@pytest.mark.parametrize(("label", "event", "body"), _variants(), ids=[label for label, _, _ in _variants()])
def test_simulator_agrees_with_the_compiled_selectors(label: str, event: str, body: dict[str, Any]) -> None:
    """What the simulator reports is what Argo would compute from the bindings the program deploys."""
    settings = parse_settings({**dev_config(), **AGREEMENT_CONFIG}, PROJECT_ROOT)
    simulation = simulate(settings, "dev", event, body, DELIVERY)
    # Every hook posts to the one events URL: Argo evaluates every binding in that one environment.
    environment = delivery_environment(body, event, DELIVERY, "github", "workflows")
    for pipeline, result in zip(settings.pipelines, simulation.pipelines, strict=True):
        selector_says = evaluate(compile_trigger(pipeline).selector, environment)
        assert result.fires is selector_says, (label, pipeline.name, result.reason)
        assert (result.reason is None) is selector_says
        assert result.workflow == (f"{pipeline.name}-{DELIVERY}" if selector_says else None)
    assert event in catalogue().deliverable


def test_the_documented_command_runs(tmp_path: Path) -> None:
    """`python -m cli simulate` as the README shows it, with the payload piped in."""
    assert shutil.which(sys.executable)
    completed = subprocess.run(
        [sys.executable, "-m", "cli", "simulate", "--stack", "dev", "--event", "push", "--payload", "-", "--json"],
        input=(PAYLOADS / "push-branch.json").read_bytes(),
        cwd=tmp_path,  # works from anywhere: the stack files are found beside the program
        capture_output=True,
        timeout=60,
        env={"PYTHONPATH": str(checkout_copy(tmp_path / "checkout"))},  # with the tests' own stack files
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert [result["name"] for result in json.loads(completed.stdout)["pipelines"]] == ["hello-world", "secret-scan"]
