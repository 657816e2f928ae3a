"""Everything the stack registers, checked offline against the schemas the cluster and Argo will apply."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from hera.workflows.models import CronWorkflow, WorkflowEventBinding, WorkflowSpec, WorkflowTemplate

from settings.chart import chart_values
from settings.config import parse_settings
from settings.stack_files import stack_names
from settings.templates import schema_problems
from tests.harness import PROJECT_ROOT, StackRun, dev_config, fixture_project, run_stack, stack_config

KUBERNETES_VERSION = "1.33.0"
ARGO_MODELS = {
    "WorkflowTemplate": WorkflowTemplate,
    "WorkflowEventBinding": WorkflowEventBinding,
    "CronWorkflow": CronWorkflow,
}

# The chart keys the program sets, each checked by hand in argo-helm's charts/argo-workflows/values.yaml (1.0.18 and
# the versions around it; the chart has no values.schema.json, so a misspelt key would be silently ignored).
CHART_KEYS_SET_BY_THE_PROGRAM = {
    "crds.install",
    "crds.full",
    "crds.keep",
    "workflow.serviceAccount.create",
    "workflow.serviceAccount.createSecret",
    "workflow.serviceAccount.name",
    "workflow.rbac.create",
    "controller.workflowNamespaces",
    "controller.workflowDefaults",
    "controller.workflowRestrictions",
    "controller.namespaceParallelism",
    "mainContainer.securityContext",
    "executor.securityContext",
    "server.authModes",
    "server.rbac.create",
    "server.extraArgs",
    "server.replicas",
    "server.pdb.enabled",
    "server.pdb.minAvailable",
    "server.baseHref",
    "server.ingress.enabled",
    "server.ingress.ingressClassName",
    "server.ingress.annotations",
    "server.ingress.hosts",
    "server.ingress.paths",
    "server.ingress.pathType",
    "server.ingress.tls",
}
# Values whose content is free-form for the chart (copied into a manifest or the controller's ConfigMap).
FREE_FORM = {
    "controller.workflowDefaults",
    "controller.workflowRestrictions",
    "server.ingress.annotations",
    "mainContainer.securityContext",
    "executor.securityContext",
}


# Beside the stack files: organization filters and a rotated secret (the objects those add or change).
FILTERS_AND_ROTATION = stack_config(
    organizations=["acme", "Acme-Labs"],
    webhookSecretVersion=7,
    pipelines=[
        {"name": "hello", "template": "workflows/hello-world.yaml", "events": ["push"], "organizations": ["acme"]},
        {"name": "scan", "template": "workflows/secret-scan.yaml", "events": ["pull_request"]},
    ],
)


@pytest.fixture(scope="module", params=[*stack_names(fixture_project()), "filters-and-rotation"])
def stack(request: pytest.FixtureRequest) -> StackRun:
    if request.param == "filters-and-rotation":
        return run_stack(FILTERS_AND_ROTATION)
    return run_stack(dev_config(request.param), stack=request.param)


def kubernetes_problems(manifest: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    return []


def test_every_kubernetes_object_is_valid(stack: StackRun) -> None:
    checked = 0
    for manifest in stack.kubernetes_objects():
        model = ARGO_MODELS.get(manifest["kind"])
        found = schema_problems(model, manifest) if model else kubernetes_problems(manifest)
        assert found == [], (manifest["kind"], manifest["metadata"]["name"], found)
        checked += 1
    assert checked == len(stack.kubernetes_objects()) >= 10


def test_validators_catch_mistakes() -> None:
    """The checks above can fail: a typo and a wrong type are found by each of them."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "lables": {}}}
    assert kubernetes_problems(namespace) == [
        "metadata: Additional properties are not allowed ('lables' was unexpected)"
    ]
    binding = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowEventBinding",
        "metadata": {"name": "x"},
        "spec": {"event": {"selector": "true"}, "submit": {"workflowTemplateRef": {"nmae": "x"}}},
    }
    assert schema_problems(WorkflowEventBinding, binding) == ["spec.submit.workflowTemplateRef.nmae: unknown field"]
    binding["spec"]["event"] = {"selector": 3}
    assert schema_problems(WorkflowEventBinding, binding)[0].startswith("spec.event.selector: Input should be")
    cron = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "x"},
        "spec": {"schedule": "* * * * *", "workflowSpec": {"workflowTemplateRef": {"name": "x"}}},
    }
    # Argo v4 has `schedules` (a list); the singular `schedule` of v3 is gone.
    assert schema_problems(CronWorkflow, cron)[0] == "spec.schedules: Field required"


def _leaf_keys(values: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in FREE_FORM:
            keys |= _leaf_keys(value, f"{path}.")
        else:
            keys.add(path)
    return keys


def test_chart_values_use_only_keys_the_chart_knows() -> None:
    settings = parse_settings(dev_config(), PROJECT_ROOT)
    values = chart_values(settings)
    assert _leaf_keys(values) == CHART_KEYS_SET_BY_THE_PROGRAM


def test_workflow_defaults_are_a_valid_workflow_spec() -> None:
    settings = parse_settings(dev_config(), PROJECT_ROOT)
    defaults = chart_values(settings)["controller"]["workflowDefaults"]
    assert schema_problems(WorkflowSpec, defaults["spec"]) == []


def test_container_defaults_are_valid_container_security_contexts() -> None:
    """mainContainer and executor securityContext land in every workflow pod's containers: valid, and restricted."""
    values = chart_values(parse_settings(dev_config(), PROJECT_ROOT))
    defaults = values["controller"]["workflowDefaults"]["spec"]
    for section in ("mainContainer", "executor"):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "check"},
            "spec": {
                "securityContext": defaults["securityContext"],
                "automountServiceAccountToken": defaults["automountServiceAccountToken"],
                "containers": [{"name": "main", "image": "busybox", "securityContext": values[section]["securityContext"]}],
            },
        }
        assert kubernetes_problems(pod) == []
        context = values[section]["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
