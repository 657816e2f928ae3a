"""Argo Workflows itself: the namespaces, the Helm chart with values fit for webhooks, and the RBAC it forgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from settings.chart import (
    CHART_NAME,
    CHART_REPOSITORY,
    SERVER_READS_SERVICE_ACCOUNTS_ROLE,
    SERVER_SERVICE_ACCOUNT,
    chart_values,
)
from settings.config import RELEASE_NAME, StackSettings
from settings.labels import MANAGED_BY


@dataclass(frozen=True)
class ArgoWorkflowsArgs:
    argo_namespace: str
    workflow_namespace: str
    chart_version: str
    chart_values: Mapping[str, Any]

    @classmethod
    def from_settings(cls, settings: StackSettings) -> ArgoWorkflowsArgs:
        return cls(
            argo_namespace=settings.argo_namespace,
            workflow_namespace=settings.workflow_namespace,
            chart_version=settings.chart_version,
            chart_values=chart_values(settings),
        )


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
            values=dict(args.chart_values),
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
