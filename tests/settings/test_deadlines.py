"""Pipeline deadlines: the formats accepted, the range, the default, the template's own value, the errors."""

from __future__ import annotations

from typing import Any

import pytest

from delivery.bindings import workflow_template_manifest
from settings.config import ConfigError, StackSettings, parse_settings
from settings.deadlines import DEFAULT_DEADLINE_SECONDS, duration_text, parse_deadline
from tests.harness import PROJECT_ROOT, stack_config

HELLO = "workflows/hello-world.yaml"
SCAN = "workflows/secret-scan.yaml"  # sets activeDeadlineSeconds: 1800 itself


def parse(*pipelines: dict[str, Any]) -> StackSettings:
    return parse_settings(stack_config(pipelines=list(pipelines)), PROJECT_ROOT)


def problems(*pipelines: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse(*pipelines)
    return raised.value.problems


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("90s", 90), ("2h0m5s", 7205), (600, 600), ("600", 600)],
)
def test_durations_and_seconds_are_accepted(value: Any, seconds: int) -> None:
    found: list[tuple[str, str]] = []
    assert parse_deadline(value, "k", lambda key, message: found.append((key, message))) == seconds
    assert found == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "'' is not a deadline: write a duration such as 30m, 1h or 1h30m, or a number of seconds"),
        ("1d", "'1d' is not a deadline: write a duration such as 30m, 1h or 1h30m, or a number of seconds"),
        ("30 minutes", "'30 minutes' is not a deadline: write a duration such as 30m, 1h or 1h30m, or a number of seconds"),
        (True, "true is not a deadline: write a duration such as 30m, 1h or 1h30m, or a number of seconds"),
        (1.5, "1.5 is not a deadline: write a duration such as 30m, 1h or 1h30m, or a number of seconds"),
        ("30s", "'30s' is 30s: a deadline must be at least 1m and at most 72h"),
        (0, "0 is 0s: a deadline must be at least 1m and at most 72h"),
        ("73h", "'73h' is 73h: a deadline must be at least 1m and at most 72h"),
    ],
)
def test_bad_deadlines_are_refused_with_the_formats(value: Any, message: str) -> None:
    found: list[tuple[str, str]] = []
    assert parse_deadline(value, "k", lambda key, text: found.append((key, text))) is None
    assert found == [("k", message)]


def test_duration_text() -> None:
    assert [duration_text(s) for s in (0, 59, 60, 3600, 5400, 7205)] == ["0s", "59s", "1m", "1h", "1h30m", "2h5s"]


def test_a_pipeline_without_a_deadline_gets_the_default_hour_on_its_deployed_template() -> None:
    (pipeline,) = parse({"name": "hello", "template": HELLO, "events": ["push"]}).pipelines
    assert pipeline.deadline_seconds == DEFAULT_DEADLINE_SECONDS == 3600
    assert workflow_template_manifest(pipeline, "workflows")["spec"]["activeDeadlineSeconds"] == 3600


def test_the_template_keeps_its_own_deadline_unless_the_pipeline_sets_one() -> None:
    (kept,) = parse({"name": "scan", "template": SCAN, "events": ["push"]}).pipelines
    assert kept.deadline_seconds is None
    assert workflow_template_manifest(kept, "workflows")["spec"]["activeDeadlineSeconds"] == 1800
    (overridden,) = parse({"name": "scan", "template": SCAN, "events": ["push"], "deadline": "45m"}).pipelines
    assert workflow_template_manifest(overridden, "workflows")["spec"]["activeDeadlineSeconds"] == 2700


def test_a_bad_deadline_is_a_config_error_naming_the_pipeline_key() -> None:
    assert problems(
        {"name": "hello", "template": HELLO, "events": ["push"], "deadline": "forever"},
        {"name": "other", "template": HELLO, "events": ["push"], "deadline": "10s"},
    ) == [
        "argo-github-webhooks:pipelines[0] (hello).deadline: 'forever' is not a deadline: write a duration such as 30m, "
        "1h or 1h30m, or a number of seconds",
        "argo-github-webhooks:pipelines[1] (other).deadline: '10s' is 10s: a deadline must be at least 1m and at most 72h",
    ]
