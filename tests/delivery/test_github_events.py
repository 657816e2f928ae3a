"""The event catalogue: generated from its committed inputs, one class per GitHub event, refusals on real payloads."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli import catalog as generate_events
from cli.catalog import GenerationError, extract, generate, generate_from_files, main
from delivery.github_events import EVENTS_WITHOUT_ACTION, catalogue
from tests.harness import FIXTURES, PROJECT_ROOT

PAYLOADS = FIXTURES / "payloads"
SOURCES = PROJECT_ROOT / "delivery" / "catalog_sources"
PARSER = "the parser's Go types (github.com/go-playground/webhooks/v6 v6.4.0)"


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def committed() -> dict[str, Any]:
    return read(PROJECT_ROOT / "delivery" / "github_events.json")


def test_the_committed_catalogue_is_what_the_generator_gives() -> None:
    assert (PROJECT_ROOT / "delivery" / "github_events.json").read_text(encoding="utf-8") == generate_from_files()
    assert main(["--check"]) == 0


def test_the_documented_command_checks_offline(tmp_path: Path) -> None:
    """`python -m cli catalog --check` as CI would run it, from anywhere."""
    completed = subprocess.run(
        [sys.executable, "-m", "cli", "catalog", "--check"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (0, b"")


def test_sources_and_versions_are_recorded() -> None:
    assert committed()["sources"] == {
        "github": {
            "package": "@octokit/openapi-webhooks",
            "version": "12.1.0",
            "file": "generated/api.github.com.json",
        },
        "argo": {
            "argo_workflows": {"version": "v4.0.6", "file": "server/auth/webhook/github.go"},
            "parser": {
                "module": "github.com/go-playground/webhooks/v6",
                "version": "v6.4.0",
                "file": "github/github.go",
            },
        },
    }
    assert read(SOURCES / "github-webhooks.json")["source"]["version"] == "12.1.0"


def test_every_github_event_is_in_exactly_one_class() -> None:
    events = catalogue()
    classes = [events.deliverable, events.rejected_by_argo, events.not_org_webhook]
    assert sum(len(names) for names in classes) == len(events.github_events) == len(committed()["events"]) == 75
    assert set(committed()["events"]) == events.github_events
    assert not events.not_sent_by_github & events.github_events
    for name, entry in committed()["events"].items():
        assert name in {"deliverable": events.deliverable, "refused_by_argo": events.rejected_by_argo}.get(
            entry["class"], events.not_org_webhook
        )


def test_the_classes_of_the_events_the_issue_names() -> None:
    events = catalogue()
    assert {"merge_group", "deployment_review", "repository_dispatch", "sponsorship", "marketplace_purchase"} <= (
        events.not_org_webhook
    )
    assert events.sent_only_to["sponsorship"] == "GitHub Sponsors listings"
    assert events.sent_only_to["marketplace_purchase"] == "GitHub Marketplace listings"
    assert events.sent_only_to["merge_group"] == "GitHub Apps"
    assert {"push", "pull_request", "release", "repository", "ping", "workflow_run"} <= events.deliverable
    assert {"project", "project_card", "project_column", "star", "discussion", "sub_issues"} <= events.rejected_by_argo
    assert events.not_sent_by_github == {"integration_installation", "integration_installation_repositories"}
    unparseable = {name for name, why in events.argo_refuses.items() if why.startswith("payloads cannot be decoded")}
    assert unparseable == {"project", "project_card", "project_column"}
    assert events.argo_refuses["project_card"] == (
        "payloads cannot be decoded by Argo's GitHub parser: project_card.created_at is a string in GitHub's payloads "
        f"but an int64 in {PARSER}"
    )
    assert events.argo_refuses["star"] == "is not in Argo's list of GitHub events"


def test_event_names_use_underscores_as_the_header_does() -> None:
    """GitHub's OpenAPI spells three events with hyphens; the X-GitHub-Event header never has one."""
    assert {"sub_issues", "issue_dependencies", "custom_property_values"} <= catalogue().github_events
    assert not any("-" in name for name in catalogue().github_events)


def test_events_without_action_agree_with_githubs_schema() -> None:
    without_action = {name for name, entry in committed()["events"].items() if not entry["actions"]}
    assert without_action & catalogue().deliverable == EVENTS_WITHOUT_ACTION
    assert committed()["events"]["repository_dispatch"]["actions"] == ["*"]  # the dispatcher chooses it


# ---------------------------------------------------------------------------------------------------------------------
# Refusals of some deliveries, on real payloads (@octokit/webhooks-examples 7.6.1).


def payload(name: str) -> dict[str, Any]:
    return read(PAYLOADS / f"{name}.json")


def test_repository_transfers_are_refused() -> None:
    transferred = payload("repository-transferred")
    assert isinstance(transferred["changes"]["owner"]["from"], dict)  # what go-playground's string cannot take
    assert catalogue().refusal("repository", transferred) == (
        "HTTP 401: 'repository' deliveries with action 'transferred' cannot be decoded by Argo's GitHub parser: "
        f"changes.owner.from is an object in GitHub's payloads but a string in {PARSER}"
    )


def test_repository_edits_are_refused_only_when_they_change_topics() -> None:
    edited = payload("repository-edited")
    assert catalogue().refusal("repository", edited) is None
    with_topics = copy.deepcopy(edited)
    with_topics["changes"] = {"topics": {"from": ["old-topic"]}}
    assert catalogue().refusal("repository", with_topics) == (
        "HTTP 401: 'repository' deliveries with action 'edited' whose changes.topics.from is an array cannot be "
        f"decoded by Argo's GitHub parser: changes.topics.from is an array in GitHub's payloads but a string in {PARSER}"
    )
    with_topics["changes"] = {"topics": {"from": None}}  # JSON null decodes into a Go string
    assert catalogue().refusal("repository", with_topics) is None


@pytest.mark.parametrize("event", ["deployment", "deployment_status"])
def test_deployments_are_refused_only_with_a_string_payload(event: str) -> None:
    """The REST API lets a deployment's `payload` be a string; the parser's struct takes only an object."""
    assert catalogue().refusal(event, {"action": "created", "deployment": {"payload": {"task": "migrate"}}}) is None
    assert catalogue().refusal(event, {"action": "created", "deployment": {"payload": "migrate"}}) == (
        f"HTTP 401: {event!r} deliveries whose deployment.payload is a string cannot be decoded by Argo's GitHub "
        f"parser: deployment.payload is a string in GitHub's payloads but an empty struct in {PARSER}"
    )


@pytest.mark.parametrize("name", sorted(path.stem for path in PAYLOADS.glob("*.json")))
def test_other_fixtures_are_accepted(name: str) -> None:
    event = name.split("-")[0]
    refusal = catalogue().refusal(event, payload(name))
    assert (refusal is not None) == (name == "repository-transferred")


def test_event_refusals_do_not_depend_on_the_payload() -> None:
    assert catalogue().refusal("project", {}) == f"HTTP 401: 'project' {catalogue().argo_refuses['project']}"
    assert catalogue().refusal("star", payload("push-branch")) == (
        "HTTP 401: 'star' is not in Argo's list of GitHub events"
    )


# ---------------------------------------------------------------------------------------------------------------------
# The generator's own rules, on small inputs.


def openapi(webhooks: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"webhooks": webhooks, "components": {"schemas": schemas}}


def webhook(operation_id: str, schema: str, hook_types: list[str]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation_id,
            "requestBody": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
            "x-github": {"supported-webhook-types": hook_types},
        }
    }


SMALL_OPENAPI = openapi(
    {
        "sub-issues-added": webhook("sub-issues/sub-issue-added", "sub-added", ["organization", "app"]),
        "push": webhook("push", "push", ["repository", "organization"]),
        "dispatch": webhook("repository-dispatch/sample.collected", "dispatch", ["app"]),
        "review-requested": webhook("pull-request/review-requested", "review-requested", ["organization"]),
        "card-moved": webhook("project-card/moved", "card-moved", ["organization"]),
    },
    {
        "sub-added": {"properties": {"action": {"type": "string", "enum": ["sub_issue_added"]}}},
        "push": {"properties": {"ref": {"type": "string"}}},
        "dispatch": {"properties": {"action": {"type": "string"}}},
        "review-requested": {
            "oneOf": [
                {"properties": {"action": {"enum": ["review_requested"]}}},
                {"$ref": "#/components/schemas/review-requested-team"},
            ]
        },
        "review-requested-team": {"properties": {"action": {"enum": ["review_requested"]}}},
        "card": {"properties": {"created_at": {"type": "string", "format": "date-time"}}},
        "card-moved": {
            "properties": {
                "action": {"enum": ["moved"]},
                "project_card": {"allOf": [{"$ref": "#/components/schemas/card"}, {"properties": {}}]},
            }
        },
    },
)
CARD_FAILURE = {
    "event": "project_card",
    "field": "project_card.created_at",
    "github_sends": ["string"],
    "parser_expects": "int64",
    "always": True,
}


def test_extract_reads_names_actions_hook_kinds_and_field_types() -> None:
    extracted = extract(SMALL_OPENAPI, "1.2.3", [CARD_FAILURE])
    assert extracted["source"]["version"] == "1.2.3"
    assert extracted["webhooks"] == [
        {
            "webhook": "card-moved",
            "event": "project_card",
            "actions": ["moved"],
            "supported_webhook_types": ["organization"],
            "field_types": {"project_card.created_at": ["string"]},
        },
        {"webhook": "dispatch", "event": "repository_dispatch", "actions": ["*"], "supported_webhook_types": ["app"]},
        {"webhook": "push", "event": "push", "actions": [], "supported_webhook_types": ["organization", "repository"]},
        {
            "webhook": "review-requested",
            "event": "pull_request",
            "actions": ["review_requested"],
            "supported_webhook_types": ["organization"],
        },
        {
            "webhook": "sub-issues-added",
            "event": "sub_issues",
            "actions": ["sub_issue_added"],
            "supported_webhook_types": ["app", "organization"],
        },
    ]


def argo_facts(events: list[str], failures: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "argo_workflows": {"version": "v9", "file": "github.go", "events": events},
        "parser": {"module": "parser", "version": "v1", "file": "github.go", "events": [*events, "unused"]},
        "parse_failures": failures,
    }


def test_generate_classifies_small_inputs() -> None:
    github = extract(SMALL_OPENAPI, "1.2.3", [CARD_FAILURE])
    catalogue_ = generate(github, argo_facts(["push", "project_card", "old_name"], [CARD_FAILURE]))
    assert catalogue_["deliverable"] == ["push"]
    assert catalogue_["refused_by_argo"] == ["project_card", "pull_request", "sub_issues"]
    assert catalogue_["not_org_webhook"] == ["repository_dispatch"]
    assert catalogue_["not_sent_by_github"] == ["old_name"]
    assert catalogue_["events"]["repository_dispatch"]["sent_only_to"] == "GitHub Apps"
    assert catalogue_["events"]["project_card"]["argo_refuses"] == (
        "payloads cannot be decoded by Argo's GitHub parser: project_card.created_at is a string in GitHub's "
        "payloads but an int64 in the parser's Go types (parser v1)"
    )


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            {**CARD_FAILURE, "github_sends": ["object"]},
            "parse failure for 'project_card': GitHub's schema gives project_card.created_at the types ['string'] "
            "in every delivery, not ['object']",
        ),
        (
            {**CARD_FAILURE, "field": "project_card.id"},
            "parse failure for 'project_card': GitHub's schema gives project_card.id the types none in every delivery, "
            "not ['string']",
        ),
        ({**CARD_FAILURE, "action": "archived"}, "parse failure for 'project_card': 'archived' is not one of its"),
        ({**CARD_FAILURE, "event": "star"}, "parse failure for 'star': not an event GitHub sends and Argo passes on"),
    ],
)
def test_generate_refuses_failures_that_contradict_githubs_schema(failure: dict[str, Any], message: str) -> None:
    github = extract(SMALL_OPENAPI, "1.2.3", [failure] if failure["event"] == "project_card" else [])
    with pytest.raises(GenerationError, match="^" + re.escape(message)):
        generate(github, argo_facts(["push", "project_card"], [failure]))


def copy_sources(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    return sources


def test_check_reports_a_stale_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "github_events.json"
    stale.write_text("{}\n")
    assert main(["--check"], catalogue=stale) == 1
    assert "is not what the inputs give: run python -m cli catalog" in capsys.readouterr().err
    assert main([], catalogue=stale) == 0
    assert stale.read_text(encoding="utf-8") == generate_from_files()
    assert main(["--check"], catalogue=tmp_path / "missing.json") == 1


def test_extract_from_an_unpacked_package(tmp_path: Path) -> None:
    package = tmp_path / "package"
    (package / "generated").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@octokit/openapi-webhooks", "version": "1.2.3"}))
    (package / "generated" / "api.github.com.json").write_text(json.dumps(SMALL_OPENAPI))
    sources = copy_sources(tmp_path)
    (sources / "argo-server.json").write_text(json.dumps(argo_facts(["push", "project_card"], [CARD_FAILURE])))
    out = tmp_path / "catalogue.json"
    assert main(["--extract-from", str(package / "generated" / "api.github.com.json")], sources, out) == 0
    assert read(sources / "github-webhooks.json")["source"]["version"] == "1.2.3"
    assert read(out)["deliverable"] == ["push"]


@pytest.mark.parametrize(
    ("arguments", "prepare", "message"),
    [
        (["--bogus"], None, None),
        (["--check", "--extract-from", "x.json"], None, "error: --check and --extract-from do not go together"),
        (["--extract-from", "nowhere/generated/api.github.com.json"], None, "error: nowhere/generated/api.github.com"),
        ([], "missing", "error: {sources}/argo-server.json not found"),
        ([], "broken", "error: {sources}/argo-server.json cannot be read as JSON"),
        ([], "shape", "error: the inputs in {sources} do not have the expected shape"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], prepare: str | None, message: str | None
) -> None:
    sources = copy_sources(tmp_path)
    facts = sources / "argo-server.json"
    if prepare == "missing":
        facts.unlink()
    elif prepare == "broken":
        facts.write_text("{")
    elif prepare == "shape":
        facts.write_text("{}")
    assert main(arguments, sources, tmp_path / "out.json") == 2
    if message:
        assert capsys.readouterr().err.startswith(message.format(sources=sources))
    assert not (tmp_path / "out.json").exists()


def test_the_generator_module_writes_next_to_the_catalogue() -> None:
    assert generate_events.CATALOGUE == PROJECT_ROOT / "delivery" / "github_events.json"
    assert generate_events.SOURCES_DIR == SOURCES
