"""The chart as Helm renders it with the program's values: only the events path is public, the server has no
ClusterRole, and the containment settings reach the controller's ConfigMap.

Needs a `helm` binary and an unpacked argo-workflows chart, which CI has neither of (no network): set
`ARGO_WORKFLOWS_CHART=<dir of charts/argo-workflows at 1.0.18>` (and `HELM=<path>` unless `helm` is on PATH) to run
it; otherwise it is skipped. The chart is never part of this repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from settings.chart import chart_values
from settings.config import parse_settings
from tests.harness import PROJECT_ROOT, dev_config

CHART = os.environ.get("ARGO_WORKFLOWS_CHART")
HELM = os.environ.get("HELM") or shutil.which("helm")
pytestmark = pytest.mark.skipif(not (CHART and HELM), reason="set ARGO_WORKFLOWS_CHART (and HELM) to render the chart")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    config = {
        **dev_config(),
        "argo-github-webhooks:ingress": json.dumps({"className": "nginx", "sourceRanges": ["192.30.252.0/22"]}),
    }
    values = tmp_path_factory.mktemp("values") / "values.json"
    values.write_text(json.dumps(chart_values(parse_settings(config, PROJECT_ROOT))))
    result = subprocess.run(
        [str(HELM), "template", "argo-workflows", str(CHART), "--namespace", "argo", "--values", str(values)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def named(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def test_the_public_ingress_routes_only_the_events_api(rendered: list[dict[str, Any]]) -> None:
    (ingress,) = named(rendered, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "argo.dev.example.com"
    assert [(path["path"], path["pathType"]) for path in rule["http"]["paths"]] == [
        ("/api/v1/events/workflows/", "Prefix")
    ]
    assert ingress["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/whitelist-source-range": "192.30.252.0/22"}


def test_the_server_has_no_cluster_role_and_is_namespaced(rendered: list[dict[str, Any]]) -> None:
    assert not [name for name in named(rendered, "ClusterRole") if "server" in name]
    assert not [name for name in named(rendered, "ClusterRoleBinding") if "server" in name]
    container = named(rendered, "Deployment")["argo-workflows-server"]["spec"]["template"]["spec"]["containers"][0]
    assert {"--namespaced", "--managed-namespace=workflows", "--auth-mode=client"} <= set(container["args"])
    assert "--configmap=argo-workflows-workflow-controller-configmap" in container["args"]


def test_containment_reaches_the_controller(rendered: list[dict[str, Any]]) -> None:
    config_map = named(rendered, "ConfigMap")["argo-workflows-workflow-controller-configmap"]
    config = yaml.safe_load(config_map["data"]["config"])
    assert config["namespaceParallelism"] == 10
    # Strict: only WorkflowTemplates run, and a deploy that changes one leaves the runs in flight alone.
    assert config["workflowRestrictions"] == {"templateReferencing": "Strict"}
    assert config["workflowDefaults"]["spec"]["automountServiceAccountToken"] is False
    assert config["workflowDefaults"]["spec"]["executor"] == {"serviceAccountName": "argo-workflow"}
    assert config["mainContainer"]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert config["executor"]["securityContext"]["allowPrivilegeEscalation"] is False
    tokens = [
        (document["metadata"]["name"], document["metadata"].get("namespace"))
        for document in rendered
        if document["kind"] == "Secret" and document.get("type") == "kubernetes.io/service-account-token"
    ]
    assert ("argo-workflow.service-account-token", "workflows") in tokens
