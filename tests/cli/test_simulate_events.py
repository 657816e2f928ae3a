"""Every event name of the catalogue through the simulator: refused (exit 1), simulated, or bad input (exit 2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cli.simulate import main as simulate_main
from tests.harness import FIXTURES, PROJECT_ROOT, fixture_project


def main(arguments: list[str]) -> int:
    """The simulator on the tests' own dev and prod stack files (never the checkout's)."""
    return simulate_main(arguments, project_root=fixture_project())


CATALOGUE = json.loads((PROJECT_ROOT / "delivery" / "github_events.json").read_text(encoding="utf-8"))
PAYLOADS = FIXTURES / "payloads"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PARSER = "the parser's Go types (github.com/go-playground/webhooks/v6 v6.4.0)"


def simulate(capsys: pytest.CaptureFixture[str], event: str, payload: Path) -> tuple[int, dict[str, Any] | None, str]:
    code = main(["--stack", "dev", "--event", event, "--payload", str(payload), "--delivery", DELIVERY, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def expected_refusal(name: str) -> str | None:
    entry = CATALOGUE["events"][name]
    argo = f"Argo Server would refuse this delivery (HTTP 401: {name!r} {entry['argo_refuses']})"
    not_org = (
        f"{name!r} cannot be subscribed to by an organization webhook (GitHub sends it only to {entry['sent_only_to']})"
    )
    if entry["class"] == "refused_by_argo":
        return argo
    if entry["class"] == "not_org_webhook":
        return (
            f"{argo}; besides, {not_org}"
            if entry["argo_refuses"]
            else f"No organization webhook sends this delivery: {not_org}"
        )
    return None


@pytest.mark.parametrize("name", sorted(CATALOGUE["events"]))
def test_every_github_event_through_the_simulator(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A generic payload: what decides is the event name (no name GitHub sends is bad input)."""
    code, document, err = simulate(capsys, name, PAYLOADS / "push-branch.json")
    assert document is not None, err
    assert document["refused"] == expected_refusal(name)
    if document["refused"]:
        assert (code, document["pipelines"]) == (1, [])
    else:
        assert [result["name"] for result in document["pipelines"]] == ["hello-world", "secret-scan"]
        assert code == (0 if name == "push" else 1)  # the dev stack listens to push (and pull_request)


@pytest.mark.parametrize("name", [*CATALOGUE["not_sent_by_github"], "pushed", "*", "Push"])
def test_names_github_never_sends_are_bad_input(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the error is the JSON document on standard output (cli/common.py), and nothing on stderr."""
    code, document, err = simulate(capsys, name, PAYLOADS / "push-branch.json")
    assert (code, err) == (2, "")
    assert document is not None and set(document) == {"error", "exit_code"}
    assert document["exit_code"] == 2
    assert document["error"].startswith(f"unknown event name: {name!r}")


def test_the_events_the_issue_names_are_real_events(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["merge_group", "deployment_review", "repository_dispatch", "sponsorship", "marketplace_purchase"]:
        code, document, _ = simulate(capsys, name, PAYLOADS / "push-branch.json")
        assert code == 1
        assert document is not None
        assert document["refused"].startswith(
            f"Argo Server would refuse this delivery (HTTP 401: {name!r} is not in Argo's list of GitHub events); "
            f"besides, {name!r} cannot be subscribed to by an organization webhook (GitHub sends it only to "
        )
    code, document, _ = simulate(capsys, "workflow_dispatch", PAYLOADS / "push-branch.json")
    assert (code, document and document["refused"]) == (
        1,
        "No organization webhook sends this delivery: 'workflow_dispatch' cannot be subscribed to by an organization "
        "webhook (GitHub sends it only to GitHub Apps)",
    )


def test_a_repository_transfer_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stack", "dev", "--event", "repository", "--payload", str(PAYLOADS / "repository-transferred.json"),
                 "--delivery", DELIVERY])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert out == (
        f"repository delivery {DELIVERY} to stack dev\n"
        "  Argo Server would refuse this delivery (HTTP 401: 'repository' deliveries with action 'transferred' cannot "
        "be decoded by Argo's GitHub parser: changes.owner.from is an object in GitHub's payloads but a string in "
        f"{PARSER})\n"
    )


def test_a_repository_edit_is_simulated_unless_it_changes_topics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document, _ = simulate(capsys, "repository", PAYLOADS / "repository-edited.json")
    assert (code, document and document["refused"]) == (1, None)
    assert document is not None
    assert [result["reason"] for result in document["pipelines"]] == [
        "event is repository, pipeline listens to push",
        "event is repository, pipeline listens to push, pull_request",
    ]
    topics = copy.deepcopy(json.loads((PAYLOADS / "repository-edited.json").read_text()))
    topics["changes"] = {"topics": {"from": ["old"]}}
    (tmp_path / "topics.json").write_text(json.dumps(topics))
    code, document, _ = simulate(capsys, "repository", tmp_path / "topics.json")
    assert code == 1
    assert document is not None
    assert document["refused"] == (
        "Argo Server would refuse this delivery (HTTP 401: 'repository' deliveries with action 'edited' whose "
        "changes.topics.from is an array cannot be decoded by Argo's GitHub parser: changes.topics.from is an array "
        f"in GitHub's payloads but a string in {PARSER})"
    )


@pytest.mark.parametrize(("name", "meant"), [("Push", "push"), ("pull_requests", "pull_request"), ("relase", "release")])
def test_a_misspelt_event_name_is_told_the_nearest_one(name: str, meant: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, document, _ = simulate(capsys, name, PAYLOADS / "push-branch.json")
    assert code == 2 and document is not None
    assert document["error"] == f"unknown event name: {name!r} is not a GitHub webhook event name; did you mean {meant!r}?"
