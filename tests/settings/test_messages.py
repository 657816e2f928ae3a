"""How config problems are worded: pipelines by name, the nearest valid value, each problem once, no Python or
parser internals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.config import _PIPELINE_KEYS as PIPELINE_KEYS  # others add keys: the list itself is test_config's
from settings.config import _TOP_LEVEL_KEYS as TOP_LEVEL_KEYS
from settings.config import ConfigError, parse_settings
from settings.messages import did_you_mean, nearest, shown, unknown_key, yaml_error
from settings.stack_files import StackFileError, read_stack_config
from tests.harness import PROJECT_ROOT, project_with_stack, stack_config

K = "argo-github-webhooks"
HELLO = "workflows/hello-world.yaml"


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_settings(stack_config(**overrides), PROJECT_ROOT)
    return raised.value.problems


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (False, "false"), ("x", "'x'"), (3, "3"), (["a", None], '["a", null]')],
)
def test_values_are_shown_as_yaml_spells_them(value: Any, text: str) -> None:
    assert shown(value) == text


def test_the_nearest_name_prefers_a_case_difference_then_a_close_spelling() -> None:
    assert nearest("Push", ["push", "pull_request"]) == "push"
    assert nearest("pull_requests", ["push", "pull_request", "pull_request_review"]) == "pull_request"
    assert nearest("push", ["push"]) is None  # valid: nothing to suggest
    assert nearest("deploy", ["push", "pull_request"]) is None  # nothing close: no guess
    assert nearest(3, ["push"]) is None
    assert did_you_mean("opend", ["opened", "closed"]) == "; did you mean 'opened'?"
    assert did_you_mean("zzz", ["opened"]) == ""
    assert unknown_key("pipeline", ["host", "pipelines"]) == (
        "unknown key; did you mean 'pipelines'? (allowed: host, pipelines)"
    )
    assert unknown_key("zzz", ["host"]) == "unknown key (allowed: host)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: b: c", "line 1, column 5: mapping values are not allowed here"),
        (
            "a:\n  - x\n  y: 2\n",
            "line 3, column 3: expected <block end>, but found '?' (while parsing a block collection at line 2, "
            "column 3)",
        ),
        ('a: "x', "line 1, column 6: found unexpected end of stream (while scanning a quoted scalar at line 1, "
         "column 4)"),
    ],
)
def test_yaml_errors_say_line_and_column_without_the_parsers_internals(text: str, message: str) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        yaml.safe_load(text)
    assert yaml_error(raised.value) == message


def test_a_misspelt_event_is_one_problem_with_a_suggestion_and_no_knock_on() -> None:
    pipeline = {"name": "scan", "template": HELLO, "events": ["push", "pull_requests"], "actions": ["opened"]}
    assert problems(pipelines=[{"name": "hello", "template": HELLO, "events": ["push"]}, pipeline]) == [
        f"{K}:pipelines[1] (scan).events[1]: 'pull_requests' is not a GitHub webhook event name; did you mean "
        "'pull_request'?"
    ]


def test_an_event_in_the_wrong_case_is_told_the_right_one() -> None:
    assert problems(pipelines=[{"name": "p", "template": HELLO, "events": ["Push"]}]) == [
        f"{K}:pipelines[0] (p).events[0]: 'Push' is not a GitHub webhook event name; did you mean 'push'?"
    ]


def test_an_action_none_of_the_events_carries_is_refused_with_the_nearest_one() -> None:
    pipeline = {"name": "p", "template": HELLO, "events": ["push", "pull_request"], "actions": ["opend", "closed"]}
    assert problems(pipelines=[pipeline]) == [
        f"{K}:pipelines[0] (p).actions[0]: 'opend' is not an action of pull_request; did you mean 'opened'?"
    ]
    release = {"name": "p", "template": HELLO, "events": ["release"], "actions": ["merged"]}
    assert problems(pipelines=[release]) == [f"{K}:pipelines[0] (p).actions[0]: 'merged' is not an action of release"]


def test_unknown_keys_are_told_the_nearest_allowed_key() -> None:
    found = problems(ingress={"classname": "nginx"}, pipelines=[{"name": "p", "template": HELLO, "event": ["push"]}])
    assert found == [
        f"{K}:ingress.classname: unknown key; did you mean 'className'? (allowed: className, annotations, "
        "tlsSecretName, path, sourceRanges)",
        f"{K}:pipelines[0] (p).event: unknown key; did you mean 'events'? (allowed: {', '.join(PIPELINE_KEYS)})",
    ]  # and not also "events: must be a non-empty list": the misspelt key is that problem


def test_a_misspelt_required_key_is_not_also_reported_missing() -> None:
    found = problems(pipeline=[{"name": "p", "template": HELLO, "events": ["push"]}], pipelines=None)
    assert len(found) == 1
    assert found[0].startswith(f"{K}:pipeline: unknown key; did you mean 'pipelines'? (allowed: host, ")
    # Both spelt: the unknown key is reported, and the real key's own problems too.
    found = problems(pipelines=[{"name": "p", "template": HELLO, "event": ["push"], "events": "push"}])
    assert found[1:] == [
        f"{K}:pipelines[0] (p).events: must be a non-empty list of GitHub event names (e.g. [push, pull_request])"
    ]


def test_a_pipeline_organization_near_a_stack_organization_is_suggested() -> None:
    pipeline = {"name": "p", "template": HELLO, "events": ["push"], "organizations": ["acme-lab"]}
    assert problems(organizations=["acme", "acme-labs"], pipelines=[pipeline]) == [
        f"{K}:pipelines[0] (p).organizations[0]: 'acme-lab' is not one of the stack's organizations (acme, "
        "acme-labs); did you mean 'acme-labs'?"
    ]


def test_a_pipeline_without_a_name_is_told_it_needs_one() -> None:
    assert problems(pipelines=[{"template": HELLO, "events": ["push"]}]) == [
        f"{K}:pipelines[0].name: is required: a unique DNS-1123 label (a-z, 0-9, '-'), e.g. secret-scan"
    ]


def test_nulls_and_wrong_types_never_show_python() -> None:
    """Every key set to null (YAML `~`) or to the wrong type: the messages speak YAML, not Python."""
    nulls = {
        "argoNamespace": None,
        "chartVersion": None,
        "webhookSecretVersion": None,
        "ingress": {"className": None, "tlsSecretName": None, "path": None},
        "organizations": [None, True],
        "pipelines": [
            {"name": None, "template": None, "events": [None], "forks": None, "branches": [None]},
            {"name": "p", "template": HELLO, "events": ["push"], "organizations": [None]},
        ],
    }
    raw = stack_config(**{key: value for key, value in nulls.items()})
    raw[f"{K}:argoNamespace"] = "null"  # Pulumi hands a YAML null over as the JSON text null
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw, PROJECT_ROOT)
    text = "\n".join(raised.value.problems)
    assert "None" not in text and "True" not in text
    assert f"{K}:argoNamespace: null is not a valid namespace name" in text
    assert f"{K}:organizations[1]: true is not a GitHub login" in text
    assert f"{K}:pipelines[0].forks: null must be true or false" in text
    assert f"{K}:pipelines[0].events[0]: null is not an event name" in text
    raw.pop("kubernetes:enableSecretMutable")
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw, PROJECT_ROOT)
    assert any(problem.startswith("kubernetes:enableSecretMutable: must be true (it is missing)") for problem in
               raised.value.problems)


def test_a_problem_reached_twice_is_listed_once(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("a: [1")
    template = str(tmp_path / "t.yaml")
    found = problems(
        pipelines=[
            {"name": "a", "template": template, "events": ["push"]},
            {"name": "b", "template": template, "events": ["push"]},
        ]
    )
    assert found == [
        f"{K}:pipelines[0] (a).template ({template}): is not valid YAML: line 1, column 6: expected ',' or ']', but "
        "got '<stream end>' (while parsing a flow sequence at line 1, column 4)"
    ]


def test_a_stack_file_that_is_not_yaml_says_where_without_the_parsers_internals(tmp_path: Path) -> None:
    project_with_stack(tmp_path, "t", {})
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n  argo-github-webhooks:host: a: b\n")
    with pytest.raises(StackFileError) as raised:
        read_stack_config(tmp_path, "t")
    assert str(raised.value) == (
        "Pulumi.t.yaml is not valid YAML: line 2, column 31: mapping values are not allowed here"
    )
    assert json.dumps(str(raised.value)).count("unicode") == 0


# Wrong values for any key, including objects whose usual sub-keys are null or of the wrong type.
WRONG_VALUES: list[Any] = [
    None,
    True,
    False,
    3,
    [None],
    [True],
    {"zz": None},
    {
        key: None
        for key in ("host", "enabled", "context", "appId", "privateKey", "className", "tlsSecretName", "path", "name")
    }
    | {"annotations": {"a": None}, "sourceRanges": [None], "logLines": True},
]
PYTHON = re.compile(r"\b(None|True|False)\b|<unicode string>|\{'")


@pytest.mark.parametrize("key", [*TOP_LEVEL_KEYS, *(f"pipelines.{key}" for key in PIPELINE_KEYS)])
def test_no_key_shows_python_for_a_wrong_value(key: str) -> None:
    """Every key the config knows (those added later included), set to null or a wrong type: the problems name the
    value as YAML does (null, true, [null]), never Python's None, True or {'...'}."""
    leaks = []
    for value in WRONG_VALUES:
        if key.startswith("pipelines."):
            field = key.partition(".")[2]
            raw = stack_config(pipelines=[{"name": "p", "template": HELLO, "events": ["push"], field: value}])
        else:
            raw = {**stack_config(), f"{K}:{key}": json.dumps(value)}  # JSON null: what Pulumi hands over
        try:
            parse_settings(raw, PROJECT_ROOT)
        except ConfigError as error:
            leaks += [problem for problem in error.problems if PYTHON.search(problem)]
    assert not leaks
