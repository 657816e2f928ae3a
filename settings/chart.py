"""The argo-workflows chart's values, derived from the settings: static data, so `pulumi preview` renders the chart."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from settings.config import RELEASE_NAME, StackSettings

CHART_NAME = "argo-workflows"
CHART_REPOSITORY = "https://argoproj.github.io/argo-helm"
WORKFLOW_SERVICE_ACCOUNT = "argo-workflow"
# The chart's fullname is the release name (it contains the chart name), so the server's ServiceAccount is:
SERVER_SERVICE_ACCOUNT = f"{RELEASE_NAME}-server"
SERVER_READS_SERVICE_ACCOUNTS_ROLE = f"{RELEASE_NAME}-server-webhook-auth"

# Finished runs go away on their own: successful ones after four days, failed ones after a week (for their logs);
# pods of successful steps are deleted at once. A run's Workflow (named after its delivery) is what stops a
# redelivery from running a pipeline twice, and GitHub redelivers for 3 days: keep it longer than that.
WORKFLOW_TTL = {"secondsAfterSuccess": 345_600, "secondsAfterFailure": 604_800}
POD_GC = {"strategy": "OnPodSuccess"}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: maps merge key by key, anything else (lists included) is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def chart_values(settings: StackSettings) -> dict[str, Any]:
    """The chart's values: static (no Outputs), so `pulumi preview` renders every object of the chart."""
    ingress: dict[str, Any] = {
        "enabled": True,
        "annotations": dict(settings.ingress.annotations),
        "hosts": [settings.host],
        "paths": [settings.ingress.path],
        "pathType": "Prefix",
        "tls": [{"secretName": settings.ingress.tls_secret_name, "hosts": [settings.host]}],
    }
    if settings.ingress.class_name:
        ingress["ingressClassName"] = settings.ingress.class_name
    ours = {
        # Chart v4 runs no hooks: the full CRDs come from a hook Job, the minimal ones are plain manifests.
        "crds": {"install": True, "full": False, "keep": True},
        "workflow": {
            "serviceAccount": {"create": True, "name": WORKFLOW_SERVICE_ACCOUNT},
            "rbac": {"create": True},
        },
        "controller": {
            "workflowNamespaces": [settings.workflow_namespace],
            "workflowDefaults": {
                "spec": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT, "ttlStrategy": WORKFLOW_TTL, "podGC": POD_GC}
            },
            "workflowRestrictions": {"templateReferencing": "Secure"},
        },
        "server": {
            # `client` only: `server` would accept unsigned requests as the server's own ServiceAccount.
            "authModes": ["client"],
            # Two replicas and a disruption budget: deliveries keep being answered during node drains.
            "replicas": 2,
            "pdb": {"enabled": True, "minAvailable": 1},
            "baseHref": settings.ingress.path,
            "ingress": ingress,
        },
    }
    return deep_merge(ours, settings.helm_values)
