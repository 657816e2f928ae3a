"""The pipeline `organizations` filter on real payloads, and what the simulator says about it and about run names."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cli.simulate import delivery_environment, simulate
from cli.simulate import main as simulate_main
from delivery.expr import evaluate
from delivery.triggers import compile_trigger
from settings.config import StackSettings, parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, fixture_project, stack_config


def main(arguments: list[str]) -> int:
    """The simulator on the tests' own dev and prod stack files (never the checkout's)."""
    return simulate_main(arguments, project_root=fixture_project())


PAYLOADS = FIXTURES / "payloads"
GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def payload(name: str, organization: Any = ...) -> dict[str, Any]:
    body = json.loads((PAYLOADS / f"{name}.json").read_text())
    if organization is not ...:
        body = copy.deepcopy(body)
        body["organization"] = organization
    return body


def settings() -> StackSettings:
    return parse_settings(
        stack_config(
            organizations=["Octocoders", "acme"],
            pipelines=[
                {"name": "everywhere", "template": "workflows/hello-world.yaml", "events": ["push"]},
                {
                    "name": "octo-only",
                    "template": "workflows/secret-scan.yaml",
                    "events": ["push", "pull_request"],
                    "organizations": ["octocoders"],
                },
            ],
        ),
        PROJECT_ROOT,
    )


def fires(body: dict[str, Any], event: str = "push") -> dict[str, bool]:
    environment = delivery_environment(body, event, GUID, "github", "workflows")
    return {p.name: evaluate(compile_trigger(p).selector, environment) for p in settings().pipelines}


@pytest.mark.parametrize("login", ["Octocoders", "octocoders", "OCTOCODERS"])
def test_the_login_matches_case_insensitively(login: str) -> None:
    assert fires(payload("push-branch", {"login": login, "id": 1})) == {"everywhere": True, "octo-only": True}
    body = payload("pull_request-opened", {"login": login})
    assert fires(body, "pull_request") == {"everywhere": False, "octo-only": True}


@pytest.mark.parametrize(
    "organization",
    [{"login": "acme"}, {"login": "Octocoders-labs"}, {"login": "xOctocoders"}, {"login": None}, {}, None],
)
def test_other_organizations_and_missing_logins_do_not_match(organization: Any) -> None:
    assert fires(payload("push-branch", organization)) == {"everywhere": True, "octo-only": False}


def test_a_payload_without_organization_does_not_match_and_does_not_fail() -> None:
    assert "organization" not in payload("push-branch")
    assert fires(payload("push-branch")) == {"everywhere": True, "octo-only": False}


def test_the_simulator_says_why_a_pipeline_did_not_fire_for_an_organization() -> None:
    simulation = simulate(settings(), "dev", "push", payload("push-branch", {"login": "acme"}), GUID)
    everywhere, octo = simulation.pipelines
    assert (everywhere.fires, everywhere.workflow) == (True, f"everywhere-{GUID}")
    assert (octo.fires, octo.reason, octo.workflow) == (False, "organization acme not in Octocoders", None)
    missing = simulate(settings(), "dev", "push", payload("push-branch"), GUID).pipelines[1]
    assert missing.reason == "organization (none) not in Octocoders"


def test_the_simulator_prints_the_workflow_name_and_warns_when_the_delivery_is_not_a_guid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["--stack", "dev", "--event", "push", "--payload", str(PAYLOADS / "push-branch.json"), "--delivery", "abc"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "      Workflow hello-world-<random>\n" in out
    assert (
        "      note: the X-GitHub-Delivery header is not a GUID as GitHub sends it (lower-case hexadecimal, "
        "8-4-4-4-12): Argo names the run hello-world-<5 random characters>, and a redelivery would start another "
        "run\n"
    ) in out
    arguments = ["--stack", "dev", "--event", "push", "--payload", str(PAYLOADS / "push-branch.json")]
    assert main([*arguments, "--delivery", GUID, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [result["workflow"] for result in document["pipelines"]] == [f"hello-world-{GUID}", f"secret-scan-{GUID}"]
