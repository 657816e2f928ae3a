"""Argo Workflows itself: the namespaces, the Helm chart with values fit for webhooks, and the RBAC it forgets."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import RELEASE_NAME, Ingress, StackSettings
from components.labels import MANAGED_BY

CHART_NAME = "argo-workflows"
CHART_REPOSITORY = "https://argoproj.github.io/argo-helm"
WORKFLOW_SERVICE_ACCOUNT = "argo-workflow"
# The chart's fullname is the release name (it contains the chart name), so the server's ServiceAccount is:
SERVER_SERVICE_ACCOUNT = f"{RELEASE_NAME}-server"
SERVER_READS_SERVICE_ACCOUNTS_ROLE = f"{RELEASE_NAME}-server-webhook-auth"

# Finished runs go away on their own: successful ones after a day, failed ones after a week (for their logs);
# pods of successful steps are deleted at once.
WORKFLOW_TTL = {"secondsAfterSuccess": 86_400, "secondsAfterFailure": 604_800}
POD_GC = {"strategy": "OnPodSuccess"}


@dataclass(frozen=True)
class ArgoWorkflowsArgs:
    argo_namespace: str
    workflow_namespace: str
    chart_version: str
    host: str
    ingress: Ingress
    helm_values: Mapping[str, Any]

    @classmethod
    def from_settings(cls, settings: StackSettings) -> ArgoWorkflowsArgs:
        return cls(
            argo_namespace=settings.argo_namespace,
            workflow_namespace=settings.workflow_namespace,
            chart_version=settings.chart_version,
            host=settings.host,
            ingress=settings.ingress,
            helm_values=settings.helm_values,
        )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: maps merge key by key, anything else (lists included) is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def chart_values(args: ArgoWorkflowsArgs) -> dict[str, Any]:
    """The chart's values: static (no Outputs), so `pulumi preview` renders every object of the chart."""
    ingress: dict[str, Any] = {
        "enabled": True,
        "annotations": dict(args.ingress.annotations),
        "hosts": [args.host],
        "paths": [args.ingress.path],
        "pathType": "Prefix",
        "tls": [{"secretName": args.ingress.tls_secret_name, "hosts": [args.host]}],
    }
    if args.ingress.class_name:
        ingress["ingressClassName"] = args.ingress.class_name
    ours = {
        # Chart v4 runs no hooks: the full CRDs come from a hook Job, the minimal ones are plain manifests.
        "crds": {"install": True, "full": False, "keep": True},
        "workflow": {
            "serviceAccount": {"create": True, "name": WORKFLOW_SERVICE_ACCOUNT},
            "rbac": {"create": True},
        },
        "controller": {
            "workflowNamespaces": [args.workflow_namespace],
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
            "baseHref": args.ingress.path,
            "ingress": ingress,
        },
    }
    return deep_merge(ours, args.helm_values)


class ArgoWorkflows(pulumi.ComponentResource):
    """The namespaces, the argo-workflows chart, and the Role that lets the server authenticate webhooks."""

    def __init__(self, name: str, args: ArgoWorkflowsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:ArgoWorkflows", name, None, opts)
        self.argo_namespace = self._namespace(f"{name}-argo-namespace", args.argo_namespace)
        self.workflow_namespace = self._namespace(f"{name}-workflow-namespace", args.workflow_namespace)
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=CHART_NAME,
            name=RELEASE_NAME,
            namespace=args.argo_namespace,
            version=args.chart_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            values=chart_values(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.argo_namespace, self.workflow_namespace]),
        )
        # The chart grants the server `serviceaccounts: get` only with SSO RBAC; webhook auth needs it in the
        # namespace of the webhook's ServiceAccount, else every delivery is refused with HTTP 403.
        role_metadata = {
            "name": SERVER_READS_SERVICE_ACCOUNTS_ROLE,
            "namespace": self.workflow_namespace.metadata.name,
            "labels": MANAGED_BY,
        }
        self.server_role = k8s.rbac.v1.Role(
            f"{name}-server-webhook-auth",
            metadata=role_metadata,
            rules=[{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get"]}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.server_role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-server-webhook-auth",
            metadata=role_metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": self.server_role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": SERVER_SERVICE_ACCOUNT, "namespace": args.argo_namespace}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.chart]),
        )
        self.register_outputs(
            {
                "argoNamespace": self.argo_namespace.metadata.name,
                "workflowNamespace": self.workflow_namespace.metadata.name,
            }
        )

    def _namespace(self, resource_name: str, namespace: str) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(
            resource_name,
            metadata={"name": namespace, "labels": MANAGED_BY},
            opts=pulumi.ResourceOptions(parent=self),
        )
