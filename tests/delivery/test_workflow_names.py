"""Workflow names from the pipeline and the X-GitHub-Delivery GUID, evaluated as Argo evaluates the binding's name."""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any

import pytest

from cli.simulate import delivery_environment
from delivery.expr import evaluate
from delivery.github_events import catalogue
from delivery.triggers import workflow_metadata
from delivery.workflow_names import MAX_PIPELINE_NAME_LENGTH, workflow_name
from settings.config import Pipeline, parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, stack_config

PAYLOADS = {path.stem: path for path in sorted((FIXTURES / "payloads").glob("*.json"))}
GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # what Argo's 63 and Kubernetes accept
LONGEST = "a" + "-b" * ((MAX_PIPELINE_NAME_LENGTH - 1) // 2) + "c" * ((MAX_PIPELINE_NAME_LENGTH - 1) % 2)


@cache
def payload(name: str) -> dict[str, Any]:
    return json.loads(PAYLOADS[name].read_text())


@cache
def pipelines() -> tuple[Pipeline, ...]:
    names = ["a", "a-b", "hello-world", "9", LONGEST, "z" * MAX_PIPELINE_NAME_LENGTH]
    config = stack_config(
        pipelines=[{"name": name, "template": "workflows/hello-world.yaml", "events": ["push"]} for name in names]
    )
    return parse_settings(config, PROJECT_ROOT).pipelines


def name_for(pipeline: Pipeline, body: dict[str, Any], event: str, delivery: str) -> str:
    environment = delivery_environment(body, event, delivery, "github", "workflows")
    result = evaluate(workflow_metadata(pipeline)["name"], environment)
    assert isinstance(result, str)  # Argo refuses a name expression that gives anything else
    return result


def test_the_longest_allowed_pipeline_name_gives_a_63_character_name() -> None:
    assert len(LONGEST) == MAX_PIPELINE_NAME_LENGTH == 26
    name = name_for(pipelines()[4], payload("push-branch"), "push", GUID)
    assert (name, len(name)) == (f"{LONGEST}-{GUID}", 63)
    assert DNS_1123_LABEL.match(name)


@pytest.mark.parametrize("fixture", sorted(PAYLOADS))
def test_every_real_payload_gives_valid_distinct_names(fixture: str) -> None:
    """The payload plays no part: names are valid and distinct across pipelines and deliveries, for any event."""
    deliveries = [
        GUID,
        str(uuid.UUID(int=0)),
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        *(str(uuid.uuid4()) for _ in range(5)),
    ]
    event = fixture.split("-")[0]
    names = set()
    for delivery in deliveries:
        for pipeline in pipelines():
            name = name_for(pipeline, payload(fixture), event, delivery)
            assert name == workflow_name(pipeline.name, delivery) == f"{pipeline.name}-{delivery}"
            assert DNS_1123_LABEL.match(name), name
            names.add(name)
    assert len(names) == len(deliveries) * len(pipelines())


def test_a_redelivery_gets_the_same_name() -> None:
    """GitHub keeps the GUID when it redelivers: the second Create is refused (AlreadyExists), nothing runs twice."""
    hello = pipelines()[2]
    first = name_for(hello, payload("push-branch"), "push", GUID)
    assert first == name_for(hello, payload("push-branch"), "push", GUID) == f"hello-world-{GUID}"


@pytest.mark.parametrize(
    "delivery",
    [
        "",
        "not-a-guid",
        GUID.upper(),  # GitHub sends lower case; upper case letters are not valid in a name
        GUID + "\n",
        f"{GUID}-x",
        "../" + GUID[3:],
        "x" * 100,
        "72d3162e-cc78-11e3-81ab-4c9367dc095",  # one short
        "72d3162ecc7811e381ab4c9367dc0958",  # no hyphens
        "a" * 27 + GUID,
    ],
)
def test_a_header_that_is_not_a_guid_gives_argos_random_name(delivery: str) -> None:
    """Empty name: Argo's dispatch sets `<template>-` + 5 random characters (never an attacker-chosen name)."""
    for pipeline in pipelines():
        assert name_for(pipeline, payload("push-branch"), "push", delivery) == ""
        assert workflow_name(pipeline.name, delivery) is None


def test_a_missing_header_gives_argos_random_name() -> None:
    environment = {"payload": payload("push-branch"), "metadata": {}, "discriminator": "github", "namespace": "w"}
    assert evaluate(workflow_metadata(pipelines()[0])["name"], environment) == ""


def test_the_name_never_fails_with_any_event_header() -> None:
    """Argo evaluates the name of every matching binding: a failure would be HTTP 500 for the whole delivery."""
    for event in sorted(catalogue().deliverable):
        for body in (payload("push-branch"), {}):
            assert name_for(pipelines()[0], body, event, GUID) == f"a-{GUID}"
