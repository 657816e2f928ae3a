"""Argo Workflows itself: the namespaces, the Helm chart with values fit for webhooks, the server's least-privilege
RBAC, the optional UI ingress and the NetworkPolicy that contains workflow pods."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from delivery.webhook_clients import APP_SERVICE_ACCOUNT, APP_TOKEN_SECRET, SLOTS, WEBHOOK_CLIENTS_SECRET
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
from settings.security import ApiServerAddresses, NetworkPolicySettings, UiIngress, source_range_annotations

UI_INGRESS = f"{RELEASE_NAME}-ui"
API_SERVER_ENDPOINT_SLICE = "default/kubernetes"  # kube-apiserver keeps it: its own addresses and port
# The cluster's DNS: CoreDNS (or kube-dns) pods keep the `k8s-app: kube-dns` label in kubeadm, k3s, kind, GKE, EKS
# and AKS; `kubernetes.io/metadata.name` is set on every namespace since Kubernetes 1.21.
CLUSTER_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
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
    webhook_identities: Sequence[tuple[str, str]] = field(default_factory=lambda: webhook_identities(False))

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
            webhook_identities=webhook_identities(settings.reruns_from_github),
        )


def webhook_identities(app_webhook: bool) -> tuple[tuple[str, str], ...]:
    """(ServiceAccount, token Secret) of each webhook-clients entry: the organizations' three, and the App's."""
    identities = tuple((slot.service_account, slot.token_secret) for slot in SLOTS)
    return (*identities, (APP_SERVICE_ACCOUNT, APP_TOKEN_SECRET)) if app_webhook else identities


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


def _ip_block(cidr: str, excluded: Sequence[str] = ()) -> dict[str, Any]:
    """An ipBlock peer; `except` holds the excluded ranges that lie inside `cidr` (Kubernetes refuses others)."""
    network = ipaddress.ip_network(cidr)
    inside = [
        other
        for other in excluded
        if (candidate := ipaddress.ip_network(other)).version == network.version
        and candidate != network
        and candidate.subnet_of(network)  # type: ignore[arg-type]
    ]
    return {"ipBlock": {"cidr": cidr, "except": inside}} if inside else {"ipBlock": {"cidr": cidr}}


def _tcp(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _field(item: Any, name: str) -> Any:
    """A field of a read object: a plain map once Output.all has resolved it, else the SDK's output type."""
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def api_server_addresses(addresses: Sequence[str], ports: Sequence[int]) -> ApiServerAddresses:
    """The API server as the `kubernetes` EndpointSlice in `default` lists it (each address a /32 or /128)."""
    if not addresses or not ports:
        raise ValueError(
            "the EndpointSlice default/kubernetes lists no API server address or port: workflow pods could not "
            "report their steps; give them with networkPolicy.apiServer.cidrs and .ports (kubectl get "
            "endpointslices -n default kubernetes -o yaml)"
        )
    cidrs = tuple(dict.fromkeys(str(ipaddress.ip_network(address)) for address in addresses))
    return ApiServerAddresses(cidrs=cidrs, ports=tuple(dict.fromkeys(ports)))


def workflow_pods_policy_spec(policy: NetworkPolicySettings, api_server: ApiServerAddresses) -> dict[str, Any]:
    """Default deny for workflow pods: nothing may connect to them; they may resolve names with the cluster's DNS
    (UDP/TCP 53 to the kube-dns pods, and `dns_cidrs`), report to the API server on its own addresses and ports, and
    open TCP connections to `egress_ports` in `egress_cidrs` less the private ranges (by default: HTTPS to public
    addresses only, so no in-cluster service, private network or metadata endpoint)."""
    return {
        "podSelector": {"matchExpressions": [{"key": WORKFLOW_POD_LABEL, "operator": "Exists"}]},
        "policyTypes": ["Ingress", "Egress"],
        "egress": [
            {
                "to": [CLUSTER_DNS, *(_ip_block(cidr) for cidr in policy.dns_cidrs)],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            },
            {
                "to": [_ip_block(cidr, policy.egress_except) for cidr in policy.egress_cidrs],
                "ports": _tcp(policy.egress_ports),
            },
            {"to": [_ip_block(cidr) for cidr in api_server.cidrs], "ports": _tcp(api_server.ports)},
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
            policy = args.network_policy
            api_server = pulumi.Output.from_input(policy.api_server or self._api_server(f"{name}-api-server"))
            k8s.networking.v1.NetworkPolicy(
                f"{name}-workflow-pods",
                metadata={
                    "name": WORKFLOW_PODS_POLICY,
                    "namespace": self.workflow_namespace.metadata.name,
                    "labels": MANAGED_BY,
                },
                spec=api_server.apply(lambda addresses: workflow_pods_policy_spec(policy, addresses)),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "argoNamespace": self.argo_namespace.metadata.name,
                "workflowNamespace": self.workflow_namespace.metadata.name,
            }
        )

    def _api_server(self, resource_name: str) -> pulumi.Output[ApiServerAddresses]:
        """The API server's own addresses and ports, read from the cluster at deploy time: the apiserver keeps the
        EndpointSlice `kubernetes` in `default` (the endpoints of the `kubernetes.default` Service) current."""
        endpoints = k8s.discovery.v1.EndpointSlice.get(
            resource_name, API_SERVER_ENDPOINT_SLICE, opts=pulumi.ResourceOptions(parent=self)
        )
        return pulumi.Output.all(endpoints.endpoints, endpoints.ports).apply(
            lambda found: api_server_addresses(
                [address for endpoint in found[0] or [] for address in _field(endpoint, "addresses") or []],
                [
                    int(_field(port, "port"))
                    for port in found[1] or []
                    if _field(port, "port") is not None and _field(port, "protocol") in (None, "TCP")
                ],
            )
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
