"""The re-run bindings through Argo's expressions (the simulator's interpreter of expr, as Argo Server evaluates
them) on real `check_run` / `check_suite` `rerequested` payloads (octokit/webhooks' examples, copied into
tests/fixtures/payloads): our App's click fires exactly its binding with the right parameters and run name; another
App's click, another event or action, or a delivery to the organizations' discriminator fires nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cli.simulate import delivery_environment, simulate_pipeline
from delivery.expr import argo_parameter_value, evaluate
from delivery.rerun import BINDINGS, rerun_binding_manifest
from settings.config import parse_settings
from tests.harness import PROJECT_ROOT, stack_config

PAYLOADS = PROJECT_ROOT / "tests" / "fixtures" / "payloads"
CHECK_RUN = json.loads((PAYLOADS / "check_run-rerequested.json").read_text())  # app.id 2 (GitHub's example App)
CHECK_SUITE = json.loads((PAYLOADS / "check_suite-rerequested.json").read_text())  # app.id 29310
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
RUN_NAME = "scan-0b1c2d3e-4f5a-11f0-9b8c-7d6e5f4a3b2c"


def fires(binding_index: int, app_id: int, payload: dict[str, Any], event: str, discriminator: str = "github-app"
          ) -> tuple[bool, dict[str, str], str]:
    """(selector, parameters, Workflow name) of one binding for one delivery, evaluated as Argo would."""
    manifest = rerun_binding_manifest(BINDINGS[binding_index], "workflows", app_id)
    env = delivery_environment(payload, event, DELIVERY, discriminator, "workflows")
    matched = evaluate(manifest["spec"]["event"]["selector"], env)
    assert isinstance(matched, bool)  # Argo's EvalBool refuses anything else
    submit = manifest["spec"]["submit"]
    parameters = {
        item["name"]: argo_parameter_value(evaluate(item["valueFrom"]["event"], env))
        for item in submit["arguments"]["parameters"]
    }
    return matched, parameters, evaluate(submit["metadata"]["name"], env)


def ours(payload: dict[str, Any], subject: str, **fields: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed[subject].update(fields)
    return changed


def test_our_apps_check_run_rerequest_fires_the_rerun_with_the_click_and_the_run() -> None:
    payload = ours(CHECK_RUN, "check_run", external_id=RUN_NAME)
    matched, parameters, name = fires(0, 2, payload, "check_run")
    assert matched is True
    assert parameters == {
        "event": "check_run",
        "repository": "github/hello-world",
        "commit": "d6fde92930d4715a2b49857d24b940956b26d2d3",
        "external_id": RUN_NAME,
        "delivery": DELIVERY,
    }
    assert name == f"rerun-{DELIVERY}"  # a redelivered click asks for the same name: Argo refuses a second run


def test_the_real_payload_as_github_sent_it_fires_for_its_app() -> None:
    # GitHub's example check run has an empty external_id: the binding fires, the re-run step refuses it (exit 2).
    matched, parameters, _ = fires(0, 2, CHECK_RUN, "check_run")
    assert (matched, parameters["external_id"]) == (True, "")


def test_our_apps_check_suite_rerequest_fires_rerun_all() -> None:
    matched, parameters, name = fires(1, 29310, CHECK_SUITE, "check_suite")
    assert matched is True
    assert parameters == {
        "event": "check_suite",
        "repository": "Codertocat/Hello-World",
        "commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "external_id": "",
        "delivery": DELIVERY,
    }
    assert name == f"rerun-{DELIVERY}"


@pytest.mark.parametrize(
    ("binding", "app_id", "payload", "event", "discriminator"),
    [
        (0, 3, CHECK_RUN, "check_run", "github-app"),  # another App's check run
        (1, 3, CHECK_SUITE, "check_suite", "github-app"),  # another App's suite
        (0, 2, CHECK_RUN, "check_run", "github"),  # posted to the organizations' discriminator
        (1, 29310, CHECK_SUITE, "check_suite", "github"),
        (0, 2, CHECK_SUITE, "check_suite", "github-app"),  # the other event
        (1, 29310, CHECK_RUN, "check_run", "github-app"),
        (0, 2, ours(CHECK_RUN, "check_run"), "check_suite", "github-app"),  # event header and payload disagree
        (0, 2, {**CHECK_RUN, "action": "completed"}, "check_run", "github-app"),
        (0, 2, {**CHECK_RUN, "action": "requested_action"}, "check_run", "github-app"),
        (1, 29310, {**CHECK_SUITE, "action": "requested"}, "check_suite", "github-app"),
        (0, 2, {"action": "rerequested"}, "check_run", "github-app"),  # no check_run: nil, not an error
        (0, 2, {**CHECK_RUN, "check_run": {**CHECK_RUN["check_run"], "app": None}}, "check_run", "github-app"),
        (0, 2, {**CHECK_RUN, "check_run": {**CHECK_RUN["check_run"], "app": {"id": "2"}}}, "check_run", "github-app"),
    ],
)
def test_anything_else_fires_nothing(
    binding: int, app_id: int, payload: dict[str, Any], event: str, discriminator: str
) -> None:
    matched, _, _ = fires(binding, app_id, payload, event, discriminator)
    assert matched is False


def test_the_pipelines_ignore_the_apps_deliveries() -> None:
    """The organizations' pipelines (even one listening to check_run) test the discriminator `github` first."""
    config = stack_config(
        pipelines=[
            {"name": "hello", "template": "workflows/hello-world.yaml", "events": ["push"]},
            {"name": "checks", "template": "workflows/hello-world.yaml", "events": ["check_run", "check_suite"]},
        ]
    )
    settings = parse_settings(config, PROJECT_ROOT)
    for payload, event in ((CHECK_RUN, "check_run"), (CHECK_SUITE, "check_suite")):
        env = delivery_environment(payload, event, DELIVERY, "github-app", "workflows")
        results = [simulate_pipeline(pipeline, env) for pipeline in settings.pipelines]
        assert [(result.name, result.fires) for result in results] == [("hello", False), ("checks", False)]
        assert results[1].reason == "delivered to events/<namespace>/github-app, the stack's webhooks post to .../github"
