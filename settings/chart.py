"""The argo-workflows chart's values, derived from the settings: static data, so `pulumi preview` renders the chart."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from settings.config import RELEASE_NAME, StackSettings
from settings.containment import WORKFLOW_SERVICE_ACCOUNT
from settings.security import source_range_annotations

CHART_NAME = "argo-workflows"
CHART_REPOSITORY = "https://argoproj.github.io/argo-helm"
# The chart's fullname is the release name (it contains the chart name), so the server's ServiceAccount is:
SERVER_SERVICE_ACCOUNT = f"{RELEASE_NAME}-server"
SERVER_ROLE = f"{RELEASE_NAME}-server"
SERVER_SERVICE = f"{RELEASE_NAME}-server"  # the chart's Service in front of Argo Server
SERVER_PORT = 2746  # the chart's server.servicePort
CONTROLLER_CONFIG_MAP = f"{RELEASE_NAME}-workflow-controller-configmap"  # read by the server at start
TEMPLATE_REFERENCING = "Strict"

# Finished runs go away on their own: successful ones after four days, failed ones after a week (for their logs);
# pods of successful steps are deleted at once. A run's Workflow (named after its delivery) is what stops a
# redelivery from running a pipeline twice, and GitHub redelivers for 3 days: keep it longer than that.
WORKFLOW_TTL = {"secondsAfterSuccess": 345_600, "secondsAfterFailure": 604_800}
POD_GC = {"strategy": "OnPodSuccess"}

# Workflow pods run as one non-root user (Argo's own executor UID, so the executor's files in the shared emptyDirs
# are the user's too), under the runtime's default seccomp profile. Templates may override any of it.
WORKFLOW_USER = 8737
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": WORKFLOW_USER,
    "runAsGroup": WORKFLOW_USER,
    "fsGroup": WORKFLOW_USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}
# Every main container (the `mainContainer` defaults, merged under the template's own) and Argo's init and wait
# containers: no privilege escalation, no capabilities. Not a read-only root filesystem for them: Argo's executor
# cannot run with one yet (argo-workflows issue 10787), and users' images often write to it; the shipped templates
# set it themselves.
CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


# Argo Server takes event bodies up to 2 MB; ingress-nginx refuses bodies over 1 MB by default (HTTP 413, which
# GitHub records as a failed delivery). Other controllers ignore the annotation: see docs/security.md.
EVENTS_BODY_LIMIT = {"nginx.ingress.kubernetes.io/proxy-body-size": "2m"}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: maps merge key by key, anything else (lists included) is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def events_path(settings: StackSettings) -> str:
    """The only path the public ingress routes: Argo Server's events API for the workflow namespace."""
    return f"{settings.ingress.path}api/v1/events/{settings.workflow_namespace}/"


def workflow_defaults(settings: StackSettings) -> dict[str, Any]:
    """What every Workflow gets unless its template says otherwise (the controller merges it under each Workflow)."""
    return {
        "spec": {
            "serviceAccountName": WORKFLOW_SERVICE_ACCOUNT,
            # No ServiceAccount token in the user's containers; Argo's init and wait containers get the token of
            # `executor.serviceAccountName` mounted into them alone (it may only write WorkflowTaskResults).
            "automountServiceAccountToken": False,
            "executor": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT},
            "securityContext": POD_SECURITY_CONTEXT,
            "ttlStrategy": WORKFLOW_TTL,
            "podGC": POD_GC,
        }
    }


def chart_values(settings: StackSettings) -> dict[str, Any]:
    """The chart's values: static (no Outputs), so `pulumi preview` renders every object of the chart."""
    ingress: dict[str, Any] = {
        "enabled": True,
        "annotations": {
            **EVENTS_BODY_LIMIT,  # before the user's: a controller-specific value there wins
            **settings.ingress.annotations,
            **source_range_annotations(settings.ingress.source_ranges),
        },
        "hosts": [settings.host],
        # Only the events API is public: the UI and every other API answer 404 there (see `ui` for the UI).
        "paths": [events_path(settings)],
        "pathType": "Prefix",
        "tls": [{"secretName": settings.ingress.tls_secret_name, "hosts": [settings.host]}],
    }
    if settings.ingress.class_name:
        ingress["ingressClassName"] = settings.ingress.class_name
    ours = {
        # Chart v4 runs no hooks: the full CRDs come from a hook Job, the minimal ones are plain manifests.
        "crds": {"install": True, "full": False, "keep": True},
        "workflow": {
            # createSecret: the token Secret the executor's ServiceAccount needs (Kubernetes >= 1.24 makes none).
            "serviceAccount": {"create": True, "createSecret": True, "name": WORKFLOW_SERVICE_ACCOUNT},
            "rbac": {"create": True},
        },
        "controller": {
            "workflowNamespaces": [settings.workflow_namespace],
            "workflowDefaults": workflow_defaults(settings),
            # Only WorkflowTemplates may run; a run keeps the spec it started with (`Strict`, not `Secure`, which
            # re-compares it with the current template on every reconcile and errors runs in flight when a deploy
            # changes a template, before their hooks report: docs/operations.md, "Deploying while runs are in flight").
            "workflowRestrictions": {"templateReferencing": TEMPLATE_REFERENCING},
            # Workflows running at once in the namespace; the rest wait, so a burst of deliveries queues up.
            "namespaceParallelism": settings.parallelism,
        },
        "mainContainer": {"securityContext": CONTAINER_SECURITY_CONTEXT},
        "executor": {"securityContext": CONTAINER_SECURITY_CONTEXT},
        "server": {
            # `client` only: `server` would accept unsigned requests as the server's own ServiceAccount.
            "authModes": ["client"],
            # The chart's ClusterRole would let the server get every Secret and delete pods cluster-wide; client
            # auth needs none of it. components/argo_workflows.py grants what it does need, in two namespaces.
            "rbac": {"create": False},
            # Its own informers (Workflows, WorkflowTemplates) watch only the workflow namespace.
            "extraArgs": ["--namespaced", f"--managed-namespace={settings.workflow_namespace}"],
            # Two replicas and a disruption budget: deliveries keep being answered during node drains.
            "replicas": 2,
            "pdb": {"enabled": True, "minAvailable": 1},
            # The UI is served at `/` only: on the `ui` host or through a port-forward, never under ingress.path.
            "baseHref": "/",
            "ingress": ingress,
        },
    }
    merged = deep_merge(ours, settings.helm_values)
    # The user's server flags come after ours, never instead of them (settings refuse the flags we set).
    users_args = (settings.helm_values.get("server") or {}).get("extraArgs") or []
    merged["server"]["extraArgs"] = [*ours["server"]["extraArgs"], *users_args]
    return merged
