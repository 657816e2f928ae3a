"""Every event name of the catalogue through the config check, and the preview warning for refused actions."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from delivery.github_events import catalogue
from settings.config import ConfigError, StackSettings, parse_settings
from tests.harness import PROJECT_ROOT, run_stack, stack_config

CATALOGUE = json.loads((PROJECT_ROOT / "delivery" / "github_events.json").read_text(encoding="utf-8"))
ALL_NAMES = sorted([*CATALOGUE["events"], *CATALOGUE["not_sent_by_github"]])
KEY = "argo-github-webhooks:pipelines[0] (p).events"
PARSER = "the parser's Go types (github.com/go-playground/webhooks/v6 v6.4.0)"
TRANSFER_WARNING = (
    f"{KEY}: 'repository' deliveries with action 'transferred' cannot be decoded by Argo's GitHub parser: "
    f"changes.owner.from is an object in GitHub's payloads but a string in {PARSER}; Argo Server answers them HTTP 401, "
    "so this pipeline never sees them"
)
TOPICS_WARNING = (
    f"{KEY}: 'repository' deliveries with action 'edited' whose changes.topics.from is an array cannot be decoded by "
    f"Argo's GitHub parser: changes.topics.from is an array in GitHub's payloads but a string in {PARSER}; Argo Server "
    "answers them HTTP 401, so this pipeline never sees them"
)


def deployment_payload_warning(event: str) -> str:
    return (
        f"{KEY}: {event!r} deliveries whose deployment.payload is a string cannot be decoded by Argo's GitHub parser: "
        f"deployment.payload is a string in GitHub's payloads but an empty struct in {PARSER}; Argo Server answers "
        "them HTTP 401, so this pipeline never sees them"
    )


WARNINGS = {
    "repository": (TRANSFER_WARNING, TOPICS_WARNING),
    "deployment": (deployment_payload_warning("deployment"),),
    "deployment_status": (deployment_payload_warning("deployment_status"),),
}


def parse_events(events: list[str], **fields: Any) -> StackSettings:
    pipeline = {"name": "p", "template": "workflows/hello-world.yaml", "events": events, **fields}
    return parse_settings(stack_config(pipelines=[pipeline]), PROJECT_ROOT)


def expected_problem(name: str) -> str | None:
    """The one message each class gets, filled with the catalogue's facts about the event."""
    entry = CATALOGUE["events"].get(name)
    if entry is None:
        return f"{KEY}[0]: {name!r} is not a GitHub webhook event name (Argo still lists it; GitHub no longer sends it)"
    if entry["class"] == "refused_by_argo":
        return (
            f"{KEY}[0]: {name!r} can be sent by GitHub but Argo Server refuses it "
            f"(HTTP 401: {name!r} {entry['argo_refuses']})"
        )
    if entry["class"] == "not_org_webhook":
        return (
            f"{KEY}[0]: {name!r} cannot be subscribed to by an organization webhook "
            f"(GitHub sends it only to {entry['sent_only_to']})"
        )
    return None


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_catalogue_name_through_the_config_check(name: str) -> None:
    expected = expected_problem(name)
    if expected is None:
        settings = parse_events([name])
        assert settings.pipelines[0].events == (name,)
        assert settings.warnings == WARNINGS.get(name, ())
        return
    with pytest.raises(ConfigError) as raised:
        parse_events([name])
    assert raised.value.problems == [expected]


def test_each_class_has_its_own_message() -> None:
    assert expected_problem("project") == (
        f"{KEY}[0]: 'project' can be sent by GitHub but Argo Server refuses it (HTTP 401: 'project' payloads cannot be "
        f"decoded by Argo's GitHub parser: project.created_at is a string in GitHub's payloads but an int64 in {PARSER})"
    )
    assert expected_problem("discussion") == (
        f"{KEY}[0]: 'discussion' can be sent by GitHub but Argo Server refuses it "
        "(HTTP 401: 'discussion' is not in Argo's list of GitHub events)"
    )
    assert expected_problem("sponsorship") == (
        f"{KEY}[0]: 'sponsorship' cannot be subscribed to by an organization webhook "
        "(GitHub sends it only to GitHub Sponsors listings)"
    )
    assert catalogue().problem_with("pushed") == "'pushed' is not a GitHub webhook event name"


@pytest.mark.parametrize(
    ("actions", "warnings"),
    [
        ([], [TRANSFER_WARNING, TOPICS_WARNING]),
        (["transferred", "created"], [TRANSFER_WARNING]),
        (["edited"], [TOPICS_WARNING]),
        (["created", "deleted"], []),
    ],
)
def test_repository_pipelines_are_warned_about_the_actions_argo_refuses(
    actions: list[str], warnings: list[str]
) -> None:
    assert list(parse_events(["push", "repository"], actions=actions).warnings) == warnings


def test_other_pipelines_get_no_warning() -> None:
    assert parse_events(["push", "pull_request", "release"]).warnings == ()


def test_the_program_logs_the_warnings_at_preview(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = {"name": "p", "template": "workflows/hello-world.yaml", "events": ["repository"]}
    with caplog.at_level(logging.WARNING):
        run_stack(stack_config(pipelines=[pipeline]))
    warned = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warned == [TRANSFER_WARNING, TOPICS_WARNING]
