"""Argo Workflows itself: the namespaces, the Helm chart with values fit for webhooks, the server's least-privilege
RBAC, the optional UI ingress and the NetworkPolicy that contains workflow pods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from delivery.webhook_clients import SLOTS, WEBHOOK_CLIENTS_SECRET
from settings.chart import (
    CHART_NAME,
    CHART_REPOSITORY,
    CONTROLLER_CONFIG_MAP,
    SERVER_PORT,
    SERVER_ROLE,
    SERVER_SERVICE,
    SERVER_SERVICE_ACCOUNT,
    chart_values,
)
from settings.config import RELEASE_NAME, StackSettings
from settings.labels import MANAGED_BY
from settings.security import NetworkPolicySettings, UiIngress, source_range_annotations

UI_INGRESS = f"{RELEASE_NAME}-ui"
WORKFLOW_PODS_POLICY = "argo-workflow-pods"
WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow"  # Argo labels every pod of a Workflow with its name


@dataclass(frozen=True)
class ArgoWorkflowsArgs:
    argo_namespace: str
    workflow_namespace: str
    chart_version: str
    chart_values: Mapping[str, Any]
    pod_security: str = "restricted"
    network_policy: NetworkPolicySettings = field(default_factory=NetworkPolicySettings)
    ui: UiIngress | None = None
    # The ServiceAccounts webhook clients act as (keys of the webhook-clients Secret) and their token Secrets:
    # the server reads exactly these.
    webhook_identities: Sequence[tuple[str, str]] = tuple((slot.service_account, slot.token_secret) for slot in SLOTS)

    @classmethod
    def from_settings(cls, settings: StackSettings) -> ArgoWorkflowsArgs:
        return cls(
            argo_namespace=settings.argo_namespace,
            workflow_namespace=settings.workflow_namespace,
            chart_version=settings.chart_version,
            chart_values=chart_values(settings),
            pod_security=settings.pod_security,
            network_policy=settings.network_policy,
            ui=settings.ui,
        )


def server_rules(webhook_identities: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """What Argo Server's own ServiceAccount needs in the workflow namespace with `--auth-mode=client`: everything a
    user or a webhook does runs with the caller's token, so the server itself only authenticates webhooks (the
    clients Secret, each client's ServiceAccount and token Secret), feeds its informers, and records events."""
    return [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflows", "workflowtemplates"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": [WEBHOOK_CLIENTS_SECRET, *(token for _, token in webhook_identities)],
            "verbs": ["get"],
        },
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "resourceNames": [account for account, _ in webhook_identities],
            "verbs": ["get"],
        },
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    ]


# In its own namespace the server reads the controller's ConfigMap (its links, columns and workflow defaults).
SERVER_CONFIG_RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [CONTROLLER_CONFIG_MAP], "verbs": ["get"]}
]


def ui_ingress_spec(ui: UiIngress) -> dict[str, Any]:
    """The UI's own Ingress: the whole Argo Server on `ui.host`, for the user to protect (SSO proxy, VPN, class)."""
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": ui.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": SERVER_SERVICE, "port": {"number": SERVER_PORT}}},
                        }
                    ]
                },
            }
        ],
        "tls": [{"hosts": [ui.host], "secretName": ui.tls_secret_name}],
    }
    if ui.class_name:
        spec["ingressClassName"] = ui.class_name
    return spec


def workflow_pods_policy_spec(policy: NetworkPolicySettings) -> dict[str, Any]:
    """Default deny for workflow pods: nothing may connect to them; they may resolve names (UDP/TCP 53) and open
    TCP connections to `egress_ports` in `egress_cidrs` (HTTPS, and the API server Argo's wait container reports to)."""
    return {
        "podSelector": {"matchExpressions": [{"key": WORKFLOW_POD_LABEL, "operator": "Exists"}]},
        "policyTypes": ["Ingress", "Egress"],
        "egress": [
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in policy.egress_cidrs],
                "ports": [{"protocol": "TCP", "port": port} for port in policy.egress_ports],
            },
        ],
    }


def pod_security_labels(level: str) -> dict[str, str]:
    """Pod Security Admission: pods of the namespace that break `level` are refused, and warned about at apply."""
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


class ArgoWorkflows(pulumi.ComponentResource):
    """The namespaces, the argo-workflows chart, the server's RBAC, the optional UI ingress, the pods' policy."""

    def __init__(self, name: str, args: ArgoWorkflowsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:ArgoWorkflows", name, None, opts)
        self.argo_namespace = self._namespace(f"{name}-argo-namespace", args.argo_namespace, {})
        self.workflow_namespace = self._namespace(
            f"{name}-workflow-namespace", args.workflow_namespace, pod_security_labels(args.pod_security)
        )
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
        # The chart's server ClusterRole is off (server.rbac.create: false); these two Roles are all it gets.
        self.server_role_bindings = [
            self._server_role(
                f"{name}-server-workflows", self.workflow_namespace, server_rules(args.webhook_identities)
            ),
            self._server_role(f"{name}-server-config", self.argo_namespace, SERVER_CONFIG_RULES),
        ]
        self.ui_ingress = self._ui_ingress(f"{name}-ui", args.ui) if args.ui else None
        if args.network_policy.enabled:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-workflow-pods",
                metadata={
                    "name": WORKFLOW_PODS_POLICY,
                    "namespace": self.workflow_namespace.metadata.name,
                    "labels": MANAGED_BY,
                },
                spec=workflow_pods_policy_spec(args.network_policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "argoNamespace": self.argo_namespace.metadata.name,
                "workflowNamespace": self.workflow_namespace.metadata.name,
            }
        )

    def _namespace(self, resource_name: str, namespace: str, labels: Mapping[str, str]) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(
            resource_name,
            metadata={"name": namespace, "labels": {**MANAGED_BY, **labels}},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _server_role(
        self, resource_name: str, namespace: k8s.core.v1.Namespace, rules: list[dict[str, Any]]
    ) -> k8s.rbac.v1.RoleBinding:
        metadata = {"name": SERVER_ROLE, "namespace": namespace.metadata.name, "labels": MANAGED_BY}
        argo_namespace = self.argo_namespace.metadata.name
        server = {"kind": "ServiceAccount", "name": SERVER_SERVICE_ACCOUNT, "namespace": argo_namespace}
        role = k8s.rbac.v1.Role(resource_name, metadata=metadata, rules=rules, opts=pulumi.ResourceOptions(parent=self))
        return k8s.rbac.v1.RoleBinding(
            resource_name,
            metadata=metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[server],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.chart]),
        )

    def _ui_ingress(self, resource_name: str, ui: UiIngress) -> k8s.networking.v1.Ingress:
        return k8s.networking.v1.Ingress(
            resource_name,
            metadata={
                "name": UI_INGRESS,
                "namespace": self.argo_namespace.metadata.name,
                "labels": MANAGED_BY,
                "annotations": {**ui.annotations, **source_range_annotations(ui.source_ranges)},
            },
            spec=ui_ingress_spec(ui),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.chart]),
        )
