"""Status hooks added to a deployed template: the user's own exit handler keeps running, names never clash."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hera.workflows.models import WorkflowTemplate

from delivery.status_hooks import (
    EXIT_STEPS,
    REPORT_TEMPLATE,
    START_HOOK,
    STATUS_STEPS,
    StatusReporting,
    with_status_hooks,
)
from settings.templates import schema_problems

REPORTING = StatusReporting("https://argo.example.com/", "https://api.github.com/", 1)


def template(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t", "namespace": "workflows"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "container": {"image": "busybox"}},
                {"name": "notify", "container": {"image": "busybox"}},
            ],
            **spec,
        },
    }


REPORT_AT_EXIT = {
    "name": "report",
    "template": REPORT_TEMPLATE,
    "arguments": {"parameters": [{"name": "failures", "value": "{{workflow.failures}}"}]},
    "continueOn": {"failed": True, "error": True},
}


def test_without_an_exit_handler_the_report_is_the_exit_handler() -> None:
    """onExit, not hooks.exit: Argo v4.0.6's validation knows {{workflow.failures}} only for an onExit handler."""
    original = template(hooks={"mine": {"expression": "true", "template": "notify"}})
    snapshot = copy.deepcopy(original)
    deployed = with_status_hooks(original, "argo/t", REPORTING)
    assert original == snapshot  # the input is not modified
    assert deployed["spec"]["hooks"] == {
        "mine": {"expression": "true", "template": "notify"},
        START_HOOK: {"expression": 'workflow.status == "Pending" || workflow.status == "Running"', "template": STATUS_STEPS},
    }
    assert deployed["spec"]["onExit"] == EXIT_STEPS
    names = [t["name"] for t in deployed["spec"]["templates"]]
    assert names == ["main", "notify", REPORT_TEMPLATE, STATUS_STEPS, EXIT_STEPS]
    exit_steps = next(t for t in deployed["spec"]["templates"] if t["name"] == EXIT_STEPS)
    assert exit_steps["steps"] == [[REPORT_AT_EXIT]]
    assert schema_problems(WorkflowTemplate, deployed) == []


def test_the_users_on_exit_runs_beside_the_report() -> None:
    deployed = with_status_hooks(template(onExit="notify"), "argo/t", REPORTING)
    spec = deployed["spec"]
    assert spec["onExit"] == EXIT_STEPS
    assert "exit" not in spec["hooks"]
    exit_steps = next(t for t in spec["templates"] if t["name"] == EXIT_STEPS)
    assert exit_steps["steps"] == [
        [
            {"name": "exit", "template": "notify"},  # may still fail the run, as the user wrote it
            REPORT_AT_EXIT,
        ]
    ]
    assert schema_problems(WorkflowTemplate, deployed) == []


def test_the_users_exit_hook_runs_beside_the_report() -> None:
    hook = {"template": "notify", "arguments": {"parameters": [{"name": "x", "value": "1"}]}}
    deployed = with_status_hooks(template(hooks={"exit": hook}), "argo/t", REPORTING)
    exit_steps = next(t for t in deployed["spec"]["templates"] if t["name"] == EXIT_STEPS)
    assert exit_steps["steps"][0] == [{"name": "exit", **hook}, REPORT_AT_EXIT]
    assert deployed["spec"]["onExit"] == EXIT_STEPS
    assert "exit" not in deployed["spec"]["hooks"]


def test_reserved_template_names_are_refused() -> None:
    clashing = template()
    clashing["spec"]["templates"].append({"name": REPORT_TEMPLATE, "container": {"image": "busybox"}})
    with pytest.raises(ValueError, match=f"template names {REPORT_TEMPLATE} are reserved"):
        with_status_hooks(clashing, "argo/t", REPORTING)


def test_the_report_pod_sets_its_identity_token_executor_and_security_itself() -> None:
    """Argo uses a template's own serviceAccountName, automountServiceAccountToken, executor and securityContext
    over the workflow spec's: whatever a template sets workflow-wide, the pod holding the App's key keeps these."""
    loose = template(serviceAccountName="team-a", securityContext={"runAsUser": 1000, "fsGroup": 0})
    report = next(t for t in with_status_hooks(loose, "argo/t", REPORTING)["spec"]["templates"]
                  if t["name"] == REPORT_TEMPLATE)
    assert report["serviceAccountName"] == "argo-workflow"
    assert report["automountServiceAccountToken"] is False
    assert report["executor"] == {"serviceAccountName": "argo-workflow"}
    assert report["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
