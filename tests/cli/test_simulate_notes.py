"""What the simulator says about the delivery itself: where it came from (organization), the X-GitHub-Delivery header
as the bindings' expressions read it, and the stack's Pulumi ESC imports it cannot open."""

from __future__ import annotations

import copy
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.simulate import main, simulate
from settings.config import parse_settings
from tests.harness import FIXTURES, PROJECT_ROOT, project_with_stack, stack_config

PAYLOADS = FIXTURES / "payloads"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
PIPELINES = [
    {"name": "everyone", "template": "workflows/hello-world.yaml", "events": ["push"]},
    {"name": "acme-only", "template": "workflows/hello-world.yaml", "events": ["push"], "organizations": ["acme"]},
]
SETTINGS = parse_settings(stack_config(organizations=["acme", "Initech"], pipelines=PIPELINES), PROJECT_ROOT)


def push(organization: Any = None) -> dict[str, Any]:
    payload = copy.deepcopy(json.loads((PAYLOADS / "push-branch.json").read_text(encoding="utf-8")))
    payload.pop("organization", None)
    if organization is not None:
        payload["organization"] = organization
    return payload


def fired(simulation: Any) -> dict[str, bool]:
    return {result.name: result.fires for result in simulation.pipelines}


def test_a_payload_of_a_served_organization_has_no_note() -> None:
    simulation = simulate(SETTINGS, "ci", "push", push({"login": "ACME"}), DELIVERY)  # logins are case-insensitive
    assert simulation.notes == []
    assert fired(simulation) == {"everyone": True, "acme-only": True}


def test_a_payload_without_organization_fires_the_unfiltered_pipelines_and_says_so() -> None:
    """What the bindings do: no condition on the origin; only an `organizations` filter reads organization.login."""
    simulation = simulate(SETTINGS, "ci", "push", push(), DELIVERY)
    assert fired(simulation) == {"everyone": True, "acme-only": False}
    assert simulation.notes == [
        "the payload has no organization.login: every organization webhook's delivery carries one, so none of the "
        "stack's webhooks sends this one (a repository webhook's or a GitHub App's payload?). If it reached Argo "
        "with a valid signature, the bindings would not check its origin: everyone (no `organizations` filter) "
        "answers it as shown; acme-only (an `organizations` filter) does not fire"
    ]
    assert simulate(SETTINGS, "ci", "push", push("acme"), DELIVERY).notes == simulation.notes  # not an object


def test_a_payload_of_another_organization_says_none_of_the_stacks_hooks_sends_it() -> None:
    simulation = simulate(SETTINGS, "ci", "push", push({"login": "umbrella"}), DELIVERY)
    assert fired(simulation) == {"everyone": True, "acme-only": False}
    assert simulation.notes[0].startswith(
        "organization umbrella is not one of the stack's (acme, Initech): none of its webhooks sends this delivery. "
        "If it reached Argo with a valid signature, the bindings would not check its origin: everyone"
    )


def test_the_note_is_in_the_text_and_the_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "ci", stack_config(organizations=["acme"], pipelines=PIPELINES[:1]))
    (tmp_path / "push.json").write_text(json.dumps(push({"login": "umbrella"})))
    arguments = ["--stack", "ci", "--event", "push", "--payload", str(tmp_path / "push.json"), "--delivery", DELIVERY]
    assert main(arguments, project) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("  note: organization umbrella is not one of the stack's (acme)")
    assert main([*arguments, "--json"], project) == 0
    (note,) = json.loads(capsys.readouterr().out)["notes"]
    assert note.startswith("organization umbrella is not one of the stack's (acme)")


@pytest.mark.parametrize(
    ("delivery", "problem"),
    [
        (
            DELIVERY.upper(),
            "is a GUID in upper case: GitHub sends lower case, and the bindings compare the header as it is sent",
        ),
        ("not-a-guid", "is not a GUID as GitHub sends it (lower-case hexadecimal, 8-4-4-4-12)"),
    ],
)
def test_the_delivery_header_as_the_bindings_read_it(delivery: str, problem: str) -> None:
    """One shape for the run's name and the delivery_id parameter: an upper-case GUID is neither (GitHub sends lower
    case; Kubernetes names are lower case)."""
    settings = parse_settings(
        stack_config(
            organizations=["acme"],
            pipelines=[{"name": "hello", "template": "workflows/hello-world.yaml", "events": ["push"]}],
        ),
        PROJECT_ROOT,
    )
    (result,) = simulate(settings, "ci", "push", push({"login": "acme"}), delivery).pipelines
    assert result.fires
    assert result.workflow is None
    assert result.parameters["delivery_id"] == ""
    assert result.notes == [
        f"the X-GitHub-Delivery header {problem}: Argo names the run hello-<5 random characters>, and a redelivery "
        "would start another run"
    ]
    (result,) = simulate(settings, "ci", "push", push({"login": "acme"}), DELIVERY).pipelines
    assert (result.workflow, result.parameters["delivery_id"], result.notes) == (f"hello-{DELIVERY}", DELIVERY, [])


ESC_NOTE = (
    "the stack file imports the Pulumi ESC environments acme/ci, acme/shared (`environment:`): its pulumiConfig "
    "values reach pulumi up but not this offline simulation, which uses the stack file's own values (they win over "
    "the environment's wherever both set a key)"
)


def test_esc_imports_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "ci", stack_config(organizations=["acme"], pipelines=PIPELINES[:1]))
    stack_file = project / "Pulumi.ci.yaml"
    document = json.loads(stack_file.read_text())
    stack_file.write_text(json.dumps({"environment": ["acme/ci", "acme/shared"], **document}))
    (tmp_path / "push.json").write_text(json.dumps(push({"login": "acme"})))
    arguments = ["--stack", "ci", "--event", "push", "--payload", str(tmp_path / "push.json"), "--json"]
    assert main(arguments, project) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == [ESC_NOTE]
    # a key only the environment supplies: the error says the simulation could not see it
    del document["config"]["argo-github-webhooks:host"]
    stack_file.write_text(json.dumps({"environment": ["acme/ci", "acme/shared"], **document}))
    assert main(arguments, project) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error.startswith("invalid stack configuration")
    assert error.endswith(f"\n{ESC_NOTE}")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_payload_typed_at_a_terminal_is_asked_for_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_with_stack(tmp_path, "ci", stack_config(organizations=["acme"], pipelines=PIPELINES[:1]))
    monkeypatch.setattr(sys, "stdin", Terminal(json.dumps(push({"login": "acme"}))))
    assert main(["--stack", "ci", "--event", "push", "--payload", "-", "--json"], project) == 0
    out, err = capsys.readouterr()
    assert err == "reading the payload from standard input: paste it, then Ctrl-D\n"
    assert json.loads(out)["pipelines"][0]["fires"] is True


def test_the_stacks_config_warnings_are_notes() -> None:
    """What `pulumi preview` warns about, the simulator says too (it hid them)."""
    pipelines = [{"name": "repo-events", "template": "workflows/hello-world.yaml", "events": ["repository"]}]
    settings = parse_settings(stack_config(organizations=["acme"], pipelines=pipelines), PROJECT_ROOT)
    assert settings.warnings
    notes = simulate(settings, "ci", "push", push({"login": "acme"}), DELIVERY).notes
    assert notes == [f"stack config warning (pulumi preview prints it too): {warning}" for warning in settings.warnings]
    assert notes[0].startswith(
        "stack config warning (pulumi preview prints it too): argo-github-webhooks:pipelines[0] (repo-events).events: "
        "'repository' deliveries with action 'transferred' cannot be decoded by Argo's GitHub parser"
    )
