"""The sweep's objects as plain manifests: a WorkflowTemplate running podkit's `sweep` command, the CronWorkflow
that submits it every few minutes, and what its ServiceAccount may do (see podkit/sweep.py for what it does).

Under `templateReferencing: Strict` a CronWorkflow's runs must reference a WorkflowTemplate like every other run, so
the CronWorkflow's spec is nothing but that reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from delivery.status_hooks import (
    CREDENTIALS_MOUNT,
    StatusReporting,
    container_security_context,
    credentials_volume,
    pod_security_context,
)
from delivery.triggers import LABEL_PREFIX
from settings.images import PYTHON
from settings.labels import MANAGED_BY
from settings.templates import ARGO_API_VERSION

SWEEP = f"{LABEL_PREFIX}-sweep"  # the WorkflowTemplate, the CronWorkflow, the ServiceAccount and its Role
RECORD_CONFIG_MAP = f"{LABEL_PREFIX}-sweep-record"
SCHEDULE = "*/5 * * * *"  # a run left pending is completed within about five minutes of its end
SWEEP_DEADLINE_SECONDS = 240  # shorter than the schedule: two sweeps never overlap (and concurrencyPolicy: Forbid)

# Exactly what podkit/sweep.py does with Kubernetes: list the Workflows, read and replace its record.
SWEEP_RULES = [
    {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["list"]},
    {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [RECORD_CONFIG_MAP], "verbs": ["get", "update"]},
]


def sweep_environment(
    namespace: str, contexts: Mapping[str, str], reporting: StatusReporting
) -> list[dict[str, str]]:
    """The sweep's inputs: the reporting pipelines and their contexts, where GitHub and the UI are."""
    return [
        {"name": "WORKFLOW_NAMESPACE", "value": namespace},
        {"name": "SWEEP_PIPELINES", "value": json.dumps(dict(sorted(contexts.items())), separators=(",", ":"))},
        {"name": "SWEEP_RECORD", "value": RECORD_CONFIG_MAP},
        {"name": "SWEEP_REPORT", "value": reporting.command},  # check-run or status, as the hooks report
        {"name": "GITHUB_API_URL", "value": reporting.api_url},
        *([{"name": "GITHUB_APP_ID", "value": str(reporting.app_id)}] if reporting.app_id is not None else []),
        {"name": "GITHUB_CREDENTIALS_DIR", "value": CREDENTIALS_MOUNT},
        {"name": "ARGO_UI_URL", "value": reporting.ui_url or ""},
    ]


def sweep_template_manifest(
    namespace: str, contexts: Mapping[str, str], reporting: StatusReporting, runner: Mapping[str, Any]
) -> dict[str, Any]:
    """The WorkflowTemplate: one step, as the sweep's ServiceAccount (its token mounted: it calls the API server).

    `runner`: how a step runs podkit (`command`, `volumes`, `volumeMounts`)."""
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowTemplate",
        "metadata": {"name": SWEEP, "namespace": namespace, "labels": MANAGED_BY},
        "spec": {
            "entrypoint": "sweep",
            "serviceAccountName": SWEEP,
            "automountServiceAccountToken": True,
            "activeDeadlineSeconds": SWEEP_DEADLINE_SECONDS,
            # The CronWorkflow keeps the last runs; older ones go after a day (failed) or ten minutes (succeeded).
            "ttlStrategy": {"secondsAfterSuccess": 600, "secondsAfterFailure": 86_400},
            "templates": [
                {
                    "name": "sweep",
                    "securityContext": pod_security_context(),
                    "volumes": [credentials_volume(), *runner["volumes"]],
                    "container": {
                        "image": PYTHON,
                        "command": list(runner["command"]),
                        "env": sweep_environment(namespace, contexts, reporting),
                        "volumeMounts": [
                            {"name": "github-credentials", "mountPath": CREDENTIALS_MOUNT, "readOnly": True},
                            *runner["volumeMounts"],
                        ],
                        "securityContext": container_security_context(),
                        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                    },
                }
            ],
        },
    }


def sweep_cron_manifest(namespace: str) -> dict[str, Any]:
    """The CronWorkflow: the template every five minutes, never two at once, a missed slot skipped."""
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "CronWorkflow",
        "metadata": {"name": SWEEP, "namespace": namespace, "labels": MANAGED_BY},
        "spec": {
            "schedules": [SCHEDULE],
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 60,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "workflowSpec": {"workflowTemplateRef": {"name": SWEEP}},
        },
    }
