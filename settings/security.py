"""The stack's security settings: who may reach Argo Server, and how tightly workflow pods are contained.

Parsed apart from `settings.config` (which calls these functions) so the rules live next to each other: the optional
UI ingress, the events ingress' source ranges, the cap on running Workflows, the Pod Security level and the
NetworkPolicy of workflow pods. Each parser reports through `add(key, message)` and returns a safe default on error.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from settings.containment import WORKFLOW_SERVICE_ACCOUNT, reserved_account
from settings.messages import did_you_mean, shown

AddProblem = Callable[[str, str], None]

DEFAULT_PARALLELISM = 10  # Workflows running at once in the workflow namespace; more wait (Pending) in order
MAX_PARALLELISM = 10_000
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
DEFAULT_POD_SECURITY = "restricted"
# Egress of workflow pods besides DNS and the API server: HTTPS to public addresses. The API server has its own rule
# (its addresses found at deploy time, or `apiServer`), so in-cluster services and private networks stay closed.
DEFAULT_EGRESS_PORTS = (443,)
DEFAULT_EGRESS_CIDRS = ("0.0.0.0/0", "::/0")
# Left out of the default egress: RFC 1918, shared address space (RFC 6598: CGNAT, some clusters' pods), link-local
# (cloud metadata endpoints), IPv6 unique-local (fd00:ec2::254 is AWS's metadata endpoint) and IPv6 link-local.
PRIVATE_RANGES = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
)
# Where kube-apiserver listens when `apiServer.ports` is not given: 443 (GKE, EKS, AKS), 6443 (kubeadm, k3s, kind).
DEFAULT_API_SERVER_PORTS = (443, 6443)
UI_KEYS = ("host", "className", "annotations", "tlsSecretName", "sourceRanges")
NETWORK_POLICY_KEYS = ("enabled", "egressCidrs", "egressPorts", "apiServer", "dnsCidrs")
API_SERVER_KEYS = ("cidrs", "ports")
# ingress-nginx's annotation that admits only the given client CIDRs (others get HTTP 403).
SOURCE_RANGE_ANNOTATION = "nginx.ingress.kubernetes.io/whitelist-source-range"

DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class UiIngress:
    """A second Ingress for the Argo UI (and the whole API): on its own host, which the user protects."""

    host: str
    class_name: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    tls_secret_name: str = "argo-workflows-ui-tls"
    source_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiServerAddresses:
    """Where the Kubernetes API server listens, as NetworkPolicy sees it (after `kubernetes.default:443` is
    translated to the endpoint): Argo's init and wait containers report every step there."""

    cidrs: tuple[str, ...]
    ports: tuple[int, ...] = DEFAULT_API_SERVER_PORTS


@dataclass(frozen=True)
class NetworkPolicySettings:
    """Default-deny for workflow pods: no ingress; egress only DNS to the cluster's DNS pods (and `dns_cidrs`), the
    API server (`api_server`; None: found at deploy time) and TCP `egress_ports` to `egress_cidrs` less
    `egress_except` (the private ranges, unless the user lists the CIDRs)."""

    enabled: bool = True
    egress_cidrs: tuple[str, ...] = DEFAULT_EGRESS_CIDRS
    egress_ports: tuple[int, ...] = DEFAULT_EGRESS_PORTS
    egress_except: tuple[str, ...] = PRIVATE_RANGES
    api_server: ApiServerAddresses | None = None
    dns_cidrs: tuple[str, ...] = ()


def source_range_annotations(source_ranges: Sequence[str]) -> dict[str, str]:
    """The ingress annotation that restricts clients to `source_ranges` (none when the list is empty)."""
    return {SOURCE_RANGE_ANNOTATION: ",".join(source_ranges)} if source_ranges else {}


def parse_source_ranges(value: Any, key: str, add: AddProblem) -> tuple[str, ...]:
    """A list of CIDRs (IPv4 or IPv6, host bits zero); [] means any client."""
    if not isinstance(value, list):
        add(key, "must be a list of CIDRs, e.g. ['192.30.252.0/22', '2a0a:a440::/29']")
        return ()
    ranges: list[str] = []
    for index, item in enumerate(value):
        try:
            network = ipaddress.ip_network(item, strict=True) if isinstance(item, str) else None
        except ValueError as error:
            add(f"{key}[{index}]", f"{shown(item)} is not a CIDR ({error})")
            continue
        if network is None:
            add(f"{key}[{index}]", f"{shown(item)} is not a CIDR string")
        elif str(network) in ranges:
            add(f"{key}[{index}]", f"{item!r} is listed twice")
        else:
            ranges.append(str(network))
    return tuple(ranges)


def _string_map(value: Any, key: str, add: AddProblem) -> dict[str, str]:
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    add(key, "must be a map of strings to strings (quote numbers and booleans)")
    return {}


def parse_ui(value: Any, key: str, public_host: str, add: AddProblem) -> UiIngress | None:
    """The optional UI ingress; None (the default) publishes no UI: use `kubectl port-forward`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        add(key, f"must be an object with keys {', '.join(UI_KEYS)} (host required)")
        return None
    before = _Counter(add)
    for unknown in sorted(set(value) - set(UI_KEYS)):
        before.add(f"{key}.{unknown}", f"unknown key (allowed: {', '.join(UI_KEYS)})")
    host = value.get("host")
    if not (isinstance(host, str) and DNS_SUBDOMAIN.match(host) and "." in host):
        needed = "is required" if host is None else f"{shown(host)} is not valid"
        before.add(f"{key}.host", f"{needed}: a fully qualified, lower-case DNS name for the UI")
    elif host == public_host:
        before.add(
            f"{key}.host",
            f"{host!r} must differ from host: the UI ingress publishes the whole Argo Server API, the events "
            "host only the events API",
        )
    class_name = value.get("className")
    if class_name is not None and not (isinstance(class_name, str) and DNS_SUBDOMAIN.match(class_name)):
        before.add(f"{key}.className", f"{class_name!r} is not a valid IngressClass name")
    annotations = _string_map(value.get("annotations", {}), f"{key}.annotations", before.add)
    tls_secret_name = value.get("tlsSecretName", UiIngress.tls_secret_name)
    if not (isinstance(tls_secret_name, str) and DNS_SUBDOMAIN.match(tls_secret_name)):
        before.add(f"{key}.tlsSecretName", f"{shown(tls_secret_name)} is not a valid Secret name (DNS-1123 subdomain)")
    source_ranges = parse_source_ranges(value.get("sourceRanges", []), f"{key}.sourceRanges", before.add)
    if before.count:
        return None
    return UiIngress(
        host=host,
        class_name=class_name,
        annotations=annotations,
        tls_secret_name=tls_secret_name,
        source_ranges=source_ranges,
    )


def check_helm_values(value: Mapping[str, Any], key: str, add: AddProblem) -> None:
    """helmValues must not publish more of Argo Server than the events API on the public host, nor let the server
    answer unsigned requests, watch other namespaces or take the chart's cluster-wide rights."""
    server = value.get("server")
    server = server if isinstance(server, Mapping) else {}
    ingress = server.get("ingress")
    if isinstance(ingress, Mapping):
        for name in ("paths", "extraPaths", "pathType", "hosts"):
            if name in ingress:
                add(
                    f"{key}.server.ingress.{name}",
                    "is not allowed: the public ingress routes only the events API; publish the UI with `ui` "
                    "(its own host and Ingress), and set the host with `host`",
                )
        annotations = ingress.get("annotations")
        if isinstance(annotations, Mapping):
            check_public_annotations(annotations, f"{key}.server.ingress.annotations", add)
    if "authMode" in server:  # the chart renders the singular key as one more --auth-mode, beside authModes
        add(f"{key}.server.authMode", _AUTH_MODE)
    _check_server_args(server.get("extraArgs"), f"{key}.server.extraArgs", add)
    rbac = server.get("rbac")
    if isinstance(rbac, Mapping) and rbac.get("create", False) is not False:
        add(
            f"{key}.server.rbac.create",
            f"{rbac['create']!r} is not allowed: the chart's ClusterRole lets Argo Server read every Secret and "
            "delete pods in every namespace; the program grants the server what client auth needs, in two namespaces",
        )
    for component in ("server", "controller"):
        section = value.get(component)
        service_type = section.get("serviceType") if isinstance(section, Mapping) else None
        if service_type is not None and service_type != "ClusterIP":
            add(
                f"{key}.{component}.serviceType",
                f"{service_type!r} is not allowed (only ClusterIP): a LoadBalancer or NodePort Service publishes the "
                "whole Argo Server API, the UI and artifacts included, past the ingress that routes only the events "
                "API",
            )
    for name in server:
        route = server[name]
        if name.lower() == "httproute" and not (isinstance(route, Mapping) and route.get("enabled", False) is False):
            add(
                f"{key}.server.{name}",
                "is not allowed: a Gateway API HTTPRoute publishes Argo Server beside the ingress that routes only "
                "the events API (publish the UI with `ui`)",
            )


_AUTH_MODE = (
    "is not allowed: the program runs Argo Server with client auth only; 'server' mode would answer unsigned "
    "requests to the public events URL as the server's own ServiceAccount (forged deliveries dispatch), and a "
    "second auth mode the chart renders beside authModes cannot be checked"
)
# Argo Server flags the program sets itself (settings/chart.py), with why a user's value is refused.
_OWN_SERVER_FLAGS = {
    "auth-mode": "the program sets Argo Server's auth mode (client only); 'server' would answer unsigned requests to "
    "the public events URL as the server's own ServiceAccount",
    "namespaced": "the program runs the server --namespaced --managed-namespace=<workflowNamespace> so it watches "
    "and serves the workflow namespace only",
}
_OWN_SERVER_FLAGS["managed-namespace"] = _OWN_SERVER_FLAGS["namespaced"]
# ingress-nginx's older and newer names of the source-range annotation: both would replace sourceRanges'.
SOURCE_RANGE_ANNOTATIONS = (SOURCE_RANGE_ANNOTATION, "nginx.ingress.kubernetes.io/allowlist-source-range")


def _check_server_args(value: Any, key: str, add: AddProblem) -> None:
    if value is None:
        return
    if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        add(key, "must be a list of strings (Argo Server flags, added after the program's)")
        return
    for index, argument in enumerate(value):
        flag = argument.lstrip("-").split("=", 1)[0]
        if argument.startswith("-") and flag in _OWN_SERVER_FLAGS:
            add(f"{key}[{index}]", f"{argument!r} is not allowed: {_OWN_SERVER_FLAGS[flag]}")


def check_public_annotations(annotations: Mapping[str, Any], key: str, add: AddProblem) -> None:
    """Annotations of the public (events) ingress: no raw nginx configuration, no source range but sourceRanges'."""
    for name in annotations:
        if name.endswith("-snippet"):
            add(
                f"{key}.{name}",
                "is not allowed: a snippet is raw nginx configuration for the public host: it can route any path of "
                "Argo Server (or, CVE-2021-25742, read the ingress controller's files and Secrets), undoing the "
                "events-only surface",
            )
        elif name in SOURCE_RANGE_ANNOTATIONS:
            add(
                f"{key}.{name}",
                "is not allowed: the program sets it from ingress.sourceRanges (an annotation here would override "
                "them); list the client CIDRs in ingress.sourceRanges",
            )


def parse_parallelism(value: Any, key: str, add: AddProblem) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PARALLELISM:
        return value
    add(key, f"{shown(value)} must be an integer from 1 to {MAX_PARALLELISM}: how many Workflows may run at once")
    return DEFAULT_PARALLELISM


def parse_pod_security(value: Any, key: str, add: AddProblem) -> str:
    if value in POD_SECURITY_LEVELS:
        return str(value)
    add(
        key,
        f"{shown(value)} is not a Pod Security Standard level (allowed: {', '.join(POD_SECURITY_LEVELS)})"
        + did_you_mean(value, POD_SECURITY_LEVELS),
    )
    return DEFAULT_POD_SECURITY


def parse_network_policy(value: Any, key: str, add: AddProblem) -> NetworkPolicySettings:
    if not isinstance(value, dict):
        add(key, f"must be an object with keys {', '.join(NETWORK_POLICY_KEYS)}")
        return NetworkPolicySettings()
    for unknown in sorted(set(value) - set(NETWORK_POLICY_KEYS)):
        add(f"{key}.{unknown}", f"unknown key (allowed: {', '.join(NETWORK_POLICY_KEYS)})")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        add(f"{key}.enabled", f"{shown(enabled)} must be true or false")
        enabled = True
    cidrs, excluded = DEFAULT_EGRESS_CIDRS, PRIVATE_RANGES
    if "egressCidrs" in value:  # the user's own list is taken as it is: private ranges too, if listed
        cidrs, excluded = parse_source_ranges(value["egressCidrs"], f"{key}.egressCidrs", add), ()
    ports = DEFAULT_EGRESS_PORTS
    if "egressPorts" in value:
        ports = _parse_ports(value["egressPorts"], f"{key}.egressPorts", add)
    if enabled and not (cidrs and ports):
        add(
            key,
            "egressCidrs and egressPorts must not be empty while enabled: workflow pods could reach nothing but DNS "
            "and the API server (the shipped secret-scan clones over HTTPS); set enabled: false to manage workflow "
            "pods' policies yourself",
        )
    api_server = _parse_api_server(value["apiServer"], f"{key}.apiServer", add) if "apiServer" in value else None
    dns_cidrs = parse_source_ranges(value["dnsCidrs"], f"{key}.dnsCidrs", add) if "dnsCidrs" in value else ()
    return NetworkPolicySettings(
        enabled=enabled,
        egress_cidrs=cidrs,
        egress_ports=ports,
        egress_except=excluded,
        api_server=api_server,
        dns_cidrs=dns_cidrs,
    )


def _parse_api_server(value: Any, key: str, add: AddProblem) -> ApiServerAddresses | None:
    """The API server's addresses as the user gives them; None (the default) finds them at deploy time."""
    if not isinstance(value, dict):
        add(key, "must be an object {cidrs: [...], ports: [...]} (leave it out to find the API server at deploy time)")
        return None
    for unknown in sorted(set(value) - set(API_SERVER_KEYS)):
        add(f"{key}.{unknown}", f"unknown key (allowed: {', '.join(API_SERVER_KEYS)})")
    cidrs = parse_source_ranges(value.get("cidrs", []), f"{key}.cidrs", add)
    if "cidrs" not in value or (isinstance(value["cidrs"], list) and not value["cidrs"]):
        add(
            f"{key}.cidrs",
            "is required: the API server's addresses as workflow pods reach them (kubectl get endpointslices -n "
            "default kubernetes), e.g. ['203.0.113.10/32']",
        )
    ports = DEFAULT_API_SERVER_PORTS
    if "ports" in value:
        ports = _parse_ports(value["ports"], f"{key}.ports", add)
        if value["ports"] == []:
            add(f"{key}.ports", "must not be empty: the ports the API server listens on, e.g. [6443]")
    return ApiServerAddresses(cidrs=cidrs, ports=ports)


def _parse_ports(value: Any, key: str, add: AddProblem) -> tuple[int, ...]:
    if not isinstance(value, list):
        add(key, "must be a list of TCP port numbers, e.g. [443, 6443]")
        return DEFAULT_EGRESS_PORTS
    ports: list[int] = []
    for index, port in enumerate(value):
        if not (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65_535):
            add(f"{key}[{index}]", f"{port!r} is not a port number (1-65535)")
        elif port in ports:
            add(f"{key}[{index}]", f"{port} is listed twice")
        else:
            ports.append(port)
    return tuple(ports)


def parse_workflow_service_accounts(value: Any, key: str, add: AddProblem) -> tuple[str, ...]:
    """ServiceAccounts of the workflow namespace that templates may run as, besides the workflow identity: a team's
    own (e.g. for cloud access). Never one of the stack's identities."""
    if not isinstance(value, list):
        add(key, "must be a list of ServiceAccount names of the workflow namespace, e.g. ['team-a-deployer']")
        return ()
    accounts: list[str] = []
    for index, name in enumerate(value):
        item = f"{key}[{index}]"
        if not (isinstance(name, str) and DNS_SUBDOMAIN.match(name)):
            add(item, f"{shown(name)} is not a ServiceAccount name (DNS-1123 subdomain)")
        elif reserved_account(name):
            add(
                item,
                f"{name!r} is one of the stack's identities (github-webhook-*: the webhook identities, whose token "
                "submits any pipeline with any arguments; argo-workflows-*: the server's and the controller's; "
                "argo-github-webhooks-*: the program's own steps'): a workflow must never run as one",
            )
        elif name == WORKFLOW_SERVICE_ACCOUNT:
            add(item, f"{name!r} is the workflow identity, allowed anyway: remove it")
        elif name in accounts:
            add(item, f"{name!r} is listed twice")
        else:
            accounts.append(name)
    return tuple(accounts)


def pod_security_warnings(pod_security: str, network_policy: NetworkPolicySettings) -> list[tuple[str, str]]:
    """(key, what it opens) for the deployable settings that loosen workflow pods' containment."""
    warnings = []
    if pod_security == "privileged":
        warnings.append(
            (
                "podSecurity",
                "privileged: the workflow namespace admits any pod the preview does not refuse: host paths, host "
                "ports, unsafe sysctls, Unconfined profiles set through fields the template checks do not know, "
                "and every pod another controller creates there; the preview's template checks are then the only "
                "guard (use baseline or restricted unless a template needs it)",
            )
        )
    if not network_policy.enabled:
        warnings.append(
            (
                "networkPolicy.enabled",
                "false: workflow pods may connect anywhere (the cloud metadata endpoint 169.254.169.254 and its "
                "credentials, Argo Server, the Kubernetes API and every in-cluster service on any port, any host on "
                "the internet) and any pod may connect to them; manage their policies yourself",
            )
        )
    return warnings


class _Counter:
    """Counts the problems one parser adds, so it can tell whether its own value is usable."""

    def __init__(self, add: AddProblem) -> None:
        self._add = add
        self.count = 0

    def add(self, key: str, message: str) -> None:
        self.count += 1
        self._add(key, message)
