"""The whole dev stack under Pulumi's mocks: every resource's exact inputs, names, parents, wiring and outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from delivery.bindings import event_binding_manifest
from settings.chart import chart_values
from settings.config import ConfigError, parse_settings
from tests.harness import (
    MOCK_WEBHOOK_SECRET,
    PROJECT_ROOT,
    StackRun,
    dev_config,
    is_secret,
    mock_password,
    reveal,
    run_stack,
    without_secrets,
)
from tests.test_validation import kubernetes_problems

MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "argo-github-webhooks"}
COMPONENT = "argo-github-webhooks:index:"
WEBHOOK = "github:index/organizationWebhook:OrganizationWebhook"


@pytest.fixture(scope="module")
def dev() -> StackRun:
    return run_stack(dev_config())


def test_registers_exactly_these_resources(dev: StackRun) -> None:
    assert sorted((resource.type, resource.name) for resource in dev.resources) == sorted(
        [
            (f"{COMPONENT}ArgoWorkflows", "argo-workflows"),
            ("kubernetes:core/v1:Namespace", "argo-workflows-argo-namespace"),
            ("kubernetes:core/v1:Namespace", "argo-workflows-workflow-namespace"),
            ("kubernetes:helm.sh/v4:Chart", "argo-workflows-chart"),
            ("kubernetes:rbac.authorization.k8s.io/v1:Role", "argo-workflows-server-workflows"),
            ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "argo-workflows-server-workflows"),
            ("kubernetes:rbac.authorization.k8s.io/v1:Role", "argo-workflows-server-config"),
            ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "argo-workflows-server-config"),
            ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "argo-workflows-workflow-pods"),
            (f"{COMPONENT}WebhookAuth", "github-webhook"),
            ("kubernetes:core/v1:ServiceAccount", "github-webhook-previous-service-account"),
            ("kubernetes:core/v1:ServiceAccount", "github-webhook-current-service-account"),
            ("kubernetes:core/v1:ServiceAccount", "github-webhook-next-service-account"),
            ("kubernetes:core/v1:Secret", "github-webhook-previous-token"),
            ("kubernetes:core/v1:Secret", "github-webhook-current-token"),
            ("kubernetes:core/v1:Secret", "github-webhook-next-token"),
            ("kubernetes:rbac.authorization.k8s.io/v1:Role", "github-webhook-role"),
            ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "github-webhook-role-binding"),
            ("random:index/randomPassword:RandomPassword", "github-webhook-secret-v0"),
            ("random:index/randomPassword:RandomPassword", "github-webhook-secret-v1"),
            ("random:index/randomPassword:RandomPassword", "github-webhook-secret-v2"),
            ("kubernetes:core/v1:Secret", "github-webhook-clients"),
            (f"{COMPONENT}GitHubApp", "workflow-github"),
            ("kubernetes:core/v1:ConfigMap", "workflow-github-podkit"),
            (f"{COMPONENT}SecretScanRules", "secret-scan-rules"),
            ("kubernetes:core/v1:ConfigMap", "secret-scan-rules-config-map"),
            (f"{COMPONENT}EventPipeline", "hello-world"),
            ("kubernetes:argoproj.io/v1alpha1:WorkflowTemplate", "hello-world-template"),
            ("kubernetes:argoproj.io/v1alpha1:WorkflowEventBinding", "hello-world-binding"),
            (f"{COMPONENT}EventPipeline", "secret-scan"),
            ("kubernetes:argoproj.io/v1alpha1:WorkflowTemplate", "secret-scan-template"),
            ("kubernetes:argoproj.io/v1alpha1:WorkflowEventBinding", "secret-scan-binding"),
            (f"{COMPONENT}OrganizationWebhook", "github-example-org"),
            ("pulumi:providers:github", "github-example-org-provider"),
            ("github:index/organizationWebhook:OrganizationWebhook", "github-example-org-webhook"),
        ]
    )


def _urn(run: StackRun, name: str, type_suffix: str) -> str:
    (resource,) = [r for r in run.resources if r.name == name and r.type.endswith(type_suffix)]
    return resource.urn


def test_every_child_is_parented_to_its_component(dev: StackRun) -> None:
    components = {r.urn: r for r in dev.resources if r.type.startswith(COMPONENT)}
    for resource in dev.resources:
        if resource.type.startswith(COMPONENT):
            assert resource.parent.endswith("::argo-github-webhooks-dev"), resource.name
            continue
        parent = components[resource.parent]
        assert resource.name.startswith(f"{parent.name}-"), (resource.name, parent.name)


RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def test_namespaces(dev: StackRun) -> None:
    for name, namespace, labels in [
        ("argo-workflows-argo-namespace", "argo", MANAGED_BY),
        # Pod Security Admission refuses workflow pods that break the restricted standard.
        ("argo-workflows-workflow-namespace", "workflows", {**MANAGED_BY, **RESTRICTED}),
    ]:
        assert dev.named(name).inputs == {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": labels},
        }


CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
DEV_CHART_VALUES = {
    "crds": {"install": True, "full": False, "keep": True},
    "workflow": {
        "serviceAccount": {"create": True, "createSecret": True, "name": "argo-workflow"},
        "rbac": {"create": True},
    },
    "controller": {
        "workflowNamespaces": ["workflows"],
        "workflowDefaults": {
            "spec": {
                "serviceAccountName": "argo-workflow",
                "automountServiceAccountToken": False,
                "executor": {"serviceAccountName": "argo-workflow"},
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 8737,
                    "runAsGroup": 8737,
                    "fsGroup": 8737,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "ttlStrategy": {"secondsAfterSuccess": 345600, "secondsAfterFailure": 604800},
                "podGC": {"strategy": "OnPodSuccess"},
            }
        },
        "workflowRestrictions": {"templateReferencing": "Strict"},
        "namespaceParallelism": 10,
    },
    "mainContainer": {"securityContext": CONTAINER_SECURITY_CONTEXT},
    "executor": {"securityContext": CONTAINER_SECURITY_CONTEXT},
    "server": {
        "authModes": ["client"],
        "rbac": {"create": False},
        "extraArgs": ["--namespaced", "--managed-namespace=workflows"],
        "replicas": 2,
        "pdb": {"enabled": True, "minAvailable": 1},
        "baseHref": "/",
        "ingress": {
            "enabled": True,
            # Argo takes bodies up to 2 MB; ingress-nginx would refuse those over 1 MB with HTTP 413.
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
                "cert-manager.io/cluster-issuer": "letsencrypt-staging",
            },
            "hosts": ["argo.dev.example.com"],
            "paths": ["/api/v1/events/workflows/"],
            "pathType": "Prefix",
            "tls": [{"secretName": "argo-dev-tls", "hosts": ["argo.dev.example.com"]}],
            "ingressClassName": "nginx",
        },
    },
}


def test_chart(dev: StackRun) -> None:
    chart = dev.named("argo-workflows-chart")
    assert chart.custom is False  # a remote component: one registration, rendered by the provider
    assert chart.inputs == {
        "chart": "argo-workflows",
        "name": "argo-workflows",
        "namespace": "argo",
        "version": "1.0.18",
        "repositoryOpts": {"repo": "https://argoproj.github.io/argo-helm"},
        "values": DEV_CHART_VALUES,
    }
    namespaces = {
        _urn(dev, "argo-workflows-argo-namespace", "Namespace"),
        _urn(dev, "argo-workflows-workflow-namespace", "Namespace"),
    }
    assert namespaces <= set(chart.dependencies)


def test_helm_values_are_deep_merged_over_ours() -> None:
    settings = parse_settings(
        {
            **dev_config(),
            "argo-github-webhooks:helmValues": json.dumps(
                {"server": {"replicas": 3, "ingress": {"labels": {"team": "x"}}}, "controller": {"parallelism": 5}}
            ),
        },
        PROJECT_ROOT,
    )
    values = chart_values(settings)
    assert values["server"]["replicas"] == 3
    assert values["server"]["ingress"]["labels"] == {"team": "x"}
    assert values["server"]["ingress"]["paths"] == ["/api/v1/events/workflows/"]
    assert values["server"]["ingress"]["hosts"] == ["argo.dev.example.com"]
    assert values["server"]["authModes"] == ["client"]
    assert values["controller"]["parallelism"] == 5
    assert values["controller"]["workflowNamespaces"] == ["workflows"]


def _role_and_binding(run: StackRun, name: str) -> tuple[Any, Any]:
    pair = [r for r in run.resources if r.name == name]
    return next(r for r in pair if r.type.endswith(":Role")), next(r for r in pair if r.type.endswith(":RoleBinding"))


def test_the_server_gets_only_what_client_auth_and_webhook_auth_need(dev: StackRun) -> None:
    """The chart's ClusterRole (every Secret, pods delete, workflows write, cluster-wide) is off; these two Roles
    are all the server's own ServiceAccount may do."""
    server = [{"kind": "ServiceAccount", "name": "argo-workflows-server", "namespace": "argo"}]
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "argo-workflows-server"}
    role, binding = _role_and_binding(dev, "argo-workflows-server-workflows")
    metadata = {"name": "argo-workflows-server", "namespace": "workflows", "labels": MANAGED_BY}
    assert role.inputs == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata,
        "rules": [
            {
                "apiGroups": ["argoproj.io"],
                "resources": ["workflows", "workflowtemplates"],
                "verbs": ["get", "list", "watch"],
            },
            {
                "apiGroups": [""],
                "resources": ["secrets"],
                "resourceNames": [
                    "argo-workflows-webhook-clients",
                    "github-webhook-previous.service-account-token",
                    "github-webhook-current.service-account-token",
                    "github-webhook-next.service-account-token",
                ],
                "verbs": ["get"],
            },
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts"],
                "resourceNames": ["github-webhook-previous", "github-webhook-current", "github-webhook-next"],
                "verbs": ["get"],
            },
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        ],
    }
    assert binding.inputs == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata,
        "roleRef": role_ref,
        "subjects": server,
    }
    role, binding = _role_and_binding(dev, "argo-workflows-server-config")
    metadata = {"name": "argo-workflows-server", "namespace": "argo", "labels": MANAGED_BY}
    assert role.inputs["metadata"] == metadata
    assert role.inputs["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": ["argo-workflows-workflow-controller-configmap"],
            "verbs": ["get"],
        }
    ]
    assert binding.inputs["subjects"] == server
    assert binding.inputs["roleRef"] == role_ref
    assert _urn(dev, "argo-workflows-chart", "Chart") in binding.dependencies


def test_workflow_pods_network_policy_denies_all_but_dns_and_https(dev: StackRun) -> None:
    assert dev.named("argo-workflows-workflow-pods").inputs == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "argo-workflow-pods", "namespace": "workflows", "labels": MANAGED_BY},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": "workflows.argoproj.io/workflow", "operator": "Exists"}]},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [
                {  # DNS: only the cluster's own (CoreDNS/kube-dns pods), not any host on the internet
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {  # HTTPS to public addresses: no in-cluster service, private network or metadata endpoint
                    "to": [
                        {
                            "ipBlock": {
                                "cidr": "0.0.0.0/0",
                                "except": [
                                    "10.0.0.0/8",
                                    "172.16.0.0/12",
                                    "192.168.0.0/16",
                                    "100.64.0.0/10",
                                    "169.254.0.0/16",
                                ],
                            }
                        },
                        {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
                    ],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
                {  # the API server, as the cluster's EndpointSlice default/kubernetes lists it (MOCK_API_SERVER_SLICE)
                    "to": [{"ipBlock": {"cidr": "172.18.0.2/32"}}, {"ipBlock": {"cidr": "172.18.0.3/32"}}],
                    "ports": [{"protocol": "TCP", "port": 6443}],
                },
            ],
        },
    }
    assert dev.reads == [("kubernetes:discovery.k8s.io/v1:EndpointSlice", "default/kubernetes")]
    assert kubernetes_problems(reveal(dev.named("argo-workflows-workflow-pods").inputs)) == []


def test_security_settings_reach_the_cluster() -> None:
    config = {
        **dev_config(),
        "argo-github-webhooks:ui": json.dumps(
            {
                "host": "argo-ui.internal.example.com",
                "className": "internal",
                "annotations": {"nginx.ingress.kubernetes.io/auth-url": "https://oauth2.example.com/oauth2/auth"},
                "sourceRanges": ["10.0.0.0/8"],
            }
        ),
        "argo-github-webhooks:ingress": json.dumps({"className": "nginx", "sourceRanges": ["192.30.252.0/22"]}),
        "argo-github-webhooks:parallelism": "3",
        "argo-github-webhooks:podSecurity": "baseline",
        "argo-github-webhooks:networkPolicy": json.dumps(
            {
                "egressCidrs": ["140.82.112.0/20"],
                "egressPorts": [443],
                "apiServer": {"cidrs": ["10.0.0.1/32", "fd00::1/128"], "ports": [443]},
                "dnsCidrs": ["169.254.20.10/32"],
            }
        ),
    }
    run = run_stack(config)
    assert run.named("argo-workflows-ui").inputs == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "argo-workflows-ui",
            "namespace": "argo",
            "labels": MANAGED_BY,
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-url": "https://oauth2.example.com/oauth2/auth",
                "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8",
            },
        },
        "spec": {
            "ingressClassName": "internal",
            "rules": [
                {
                    "host": "argo-ui.internal.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "argo-workflows-server", "port": {"number": 2746}}},
                            }
                        ]
                    },
                }
            ],
            "tls": [{"hosts": ["argo-ui.internal.example.com"], "secretName": "argo-workflows-ui-tls"}],
        },
    }
    assert _urn(run, "argo-workflows-chart", "Chart") in run.named("argo-workflows-ui").dependencies
    for name in ("argo-workflows-ui", "argo-workflows-workflow-pods", "argo-workflows-workflow-namespace"):
        assert kubernetes_problems(reveal(run.named(name).inputs)) == [], name
    values = run.named("argo-workflows-chart").inputs["values"]
    assert values["server"]["ingress"]["annotations"] == {
        "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
        "nginx.ingress.kubernetes.io/whitelist-source-range": "192.30.252.0/22",
    }
    assert values["server"]["ingress"]["paths"] == ["/api/v1/events/workflows/"]
    assert values["controller"]["namespaceParallelism"] == 3
    labels = run.named("argo-workflows-workflow-namespace").inputs["metadata"]["labels"]
    assert {key: value for key, value in labels.items() if key.startswith("pod-security")} == {
        f"pod-security.kubernetes.io/{mode}": "baseline" for mode in ("enforce", "audit", "warn")
    }
    dns, https, api_server = run.named("argo-workflows-workflow-pods").inputs["spec"]["egress"]
    assert dns["to"][1:] == [{"ipBlock": {"cidr": "169.254.20.10/32"}}]  # e.g. NodeLocal DNSCache
    # The user's own list is taken as it is (no private ranges taken out of it).
    assert https == {"to": [{"ipBlock": {"cidr": "140.82.112.0/20"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert api_server == {
        "to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}, {"ipBlock": {"cidr": "fd00::1/128"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert run.reads == []  # given: nothing is read from the cluster


def test_no_ui_ingress_and_no_policy_unless_asked(dev: StackRun) -> None:
    assert not [r for r in dev.resources if r.type.endswith(":Ingress")]  # the chart's one is the only ingress
    run = run_stack({**dev_config(), "argo-github-webhooks:networkPolicy": json.dumps({"enabled": False})})
    assert not run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert run.reads == []


def test_events_path_follows_the_ingress_path() -> None:
    settings = parse_settings(
        {**dev_config(), "argo-github-webhooks:ingress": json.dumps({"path": "/argo/"})}, PROJECT_ROOT
    )
    assert chart_values(settings)["server"]["ingress"]["paths"] == ["/argo/api/v1/events/workflows/"]
    assert settings.events_url == "https://argo.dev.example.com/argo/api/v1/events/workflows/github"
    assert settings.events_url.startswith("https://argo.dev.example.com" + chart_values(settings)["server"]["ingress"]["paths"][0])


def test_webhook_identity(dev: StackRun) -> None:
    def metadata(name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "namespace": "workflows", "labels": MANAGED_BY, **extra}

    for role in ("previous", "current", "next"):
        account = f"github-webhook-{role}"
        assert dev.named(f"github-webhook-{role}-service-account").inputs == {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(
                account,
                annotations={"workflows.argoproj.io/service-account-token.name": f"{account}.service-account-token"},
            ),
        }
        token = dev.named(f"github-webhook-{role}-token")
        assert token.inputs == {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata(
                f"{account}.service-account-token", annotations={"kubernetes.io/service-account.name": account}
            ),
            "type": "kubernetes.io/service-account-token",
        }
        assert token.delete_before_replace is True
    assert dev.named("github-webhook-role").inputs == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata("submit-workflow-template"),
        "rules": [
            {"apiGroups": ["argoproj.io"], "resources": ["workfloweventbindings"], "verbs": ["list"]},
            {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"], "verbs": ["get"]},
            {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
        ],
    }
    assert dev.named("github-webhook-role-binding").inputs == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata("submit-workflow-template"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "submit-workflow-template"},
        "subjects": [
            {"kind": "ServiceAccount", "name": f"github-webhook-{role}", "namespace": "workflows"}
            for role in ("previous", "current", "next")
        ],
    }


def test_generated_secret_and_the_clients_secret(dev: StackRun) -> None:
    for version in (0, 1, 2):
        assert dev.named(f"github-webhook-secret-v{version}").inputs == {
            "length": 48,
            "special": False,
            "keepers": {"webhookSecretVersion": str(version)},
        }
    clients = dev.named("github-webhook-clients")
    assert clients.delete_before_replace is True  # only a change of type could replace it (mutable Secrets)
    string_data = clients.inputs["stringData"]
    assert is_secret(string_data)
    assert reveal(clients.inputs) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "argo-workflows-webhook-clients", "namespace": "workflows", "labels": MANAGED_BY},
        "type": "Opaque",
        "stringData": {
            "github-webhook-previous": f"type: github\nsecret: {mock_password('github-webhook-secret-v0')}\n",
            "github-webhook-current": f"type: github\nsecret: {MOCK_WEBHOOK_SECRET}\n",
            "github-webhook-next": f"type: github\nsecret: {mock_password('github-webhook-secret-v2')}\n",
        },
    }
    entry = yaml.safe_load(reveal(string_data)["github-webhook-current"])
    assert entry == {"type": "github", "secret": MOCK_WEBHOOK_SECRET}
    # A delivery matching an entry needs that entry's ServiceAccount, token and Role in place.
    waited_for = {urn.rsplit("::", 1)[1] for urn in clients.dependencies}
    assert {"github-webhook-role-binding", "github-webhook-current-token", "github-webhook-next-token"} <= waited_for


def test_workflow_templates_are_the_files_named_by_the_program(dev: StackRun) -> None:
    # hello-world sets no deadline: it gets the default hour; secret-scan's own 1800 s is kept.
    for name, deadline in (("hello-world", {"activeDeadlineSeconds": 3600}), ("secret-scan", {})):
        document = yaml.safe_load((PROJECT_ROOT / "workflows" / f"{name}.yaml").read_text())
        assert dev.named(f"{name}-template").inputs == {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {
                "name": name,
                "namespace": "workflows",
                "labels": {**MANAGED_BY, "argo-github-webhooks/pipeline": name},
            },
            "spec": {**document["spec"], **deadline},
        }


def test_event_bindings_are_the_compiled_manifests(dev: StackRun) -> None:
    settings = parse_settings(dev_config(), PROJECT_ROOT)
    for pipeline in settings.pipelines:
        binding = dev.named(f"{pipeline.name}-binding")
        assert binding.inputs == event_binding_manifest(pipeline, "workflows")
        assert _urn(dev, f"{pipeline.name}-template", "WorkflowTemplate") in binding.dependencies
    hello = dev.named("hello-world-binding").inputs
    assert hello["spec"]["event"]["selector"] == (
        'discriminator == "github" && (metadata["x-github-event"] == ["push"] && payload?.deleted != true)'
    )
    assert hello["spec"]["submit"]["workflowTemplateRef"] == {"name": "hello-world"}
    guid = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    header = '(metadata["x-github-delivery"] ?? [""])[0]'
    assert hello["spec"]["submit"]["metadata"]["name"] == (
        f'({header} matches "{guid}" ? "hello-world-" + {header} : "")'
    )
    assert [parameter["name"] for parameter in hello["spec"]["submit"]["arguments"]["parameters"]] == [
        "git_ref",
        "head_commit",
        "repository",
        "event",
        "delivery_id",
    ]


def test_pipelines_wait_for_argo(dev: StackRun) -> None:
    """Depending on a component means waiting for all its children: the chart (with the CRDs) among them."""
    argo = _urn(dev, "argo-workflows", "ArgoWorkflows")
    argo_children = {resource.urn for resource in dev.resources if resource.parent == argo}
    assert _urn(dev, "argo-workflows-chart", "Chart") in argo_children
    for name in ("hello-world", "secret-scan"):
        assert argo_children <= set(dev.named(name).dependencies)


def test_organization_webhooks(dev: StackRun) -> None:
    provider = dev.named("github-example-org-provider")
    assert provider.inputs == {"owner": "example-org", "baseUrl": "https://api.github.com/"}
    webhook = dev.named("github-example-org-webhook")
    assert webhook.provider.startswith(provider.urn + "::")
    assert is_secret(webhook.inputs["configuration"])  # carries the secret: the whole object stays secret
    assert reveal(webhook.inputs) == {
        "events": ["pull_request", "push"],  # the union of hello-world's and secret-scan's, sorted
        "active": True,
        "configuration": {
            "url": "https://argo.dev.example.com/api/v1/events/workflows/github",
            "contentType": "json",
            "insecureSsl": False,
            "secret": MOCK_WEBHOOK_SECRET,
        },
    }
    component = dev.named("github-example-org")
    waited_for = {"github-webhook-clients", "hello-world-binding", "secret-scan-binding", "argo-workflows-chart"}
    assert waited_for <= {urn.rsplit("::", 1)[1] for urn in component.dependencies}


def test_github_credentials_reach_every_provider() -> None:
    config = {
        **dev_config(),
        "argo-github-webhooks:organizations": json.dumps(["acme", "acme-labs"]),
        "github:token": "ghp_example",
        "github:baseUrl": "https://ghe.example.com/api/v3",
    }
    run = run_stack(config, secret_keys=("github:token",))
    for organization in ("acme", "acme-labs"):
        provider = run.named(f"github-{organization}-provider")
        assert is_secret(provider.inputs["token"])
        assert reveal(provider.inputs) == {
            "owner": organization,
            "token": "ghp_example",
            "baseUrl": "https://ghe.example.com/api/v3/",
        }
    assert len(run.of_type(WEBHOOK)) == 2


def test_outputs(dev: StackRun) -> None:
    assert dev.outputs == {
        "argoServerUrl": "https://argo.dev.example.com/",
        "webhookUrl": "https://argo.dev.example.com/api/v1/events/workflows/github",
        "webhookSecret": MOCK_WEBHOOK_SECRET,
        "organizationWebhooks": {"example-org": "github-example-org-webhook-id"},
        "requiredCheckRulesets": {},
    }
    assert dev.secret_outputs == {"webhookSecret"}


def test_no_secret_in_plain_inputs(dev: StackRun) -> None:
    for resource in dev.resources:
        plain = json.dumps(without_secrets(resource.inputs))
        assert MOCK_WEBHOOK_SECRET not in plain, resource.name


def test_bad_config_registers_nothing() -> None:
    with pytest.raises(ConfigError, match="argo-github-webhooks:host"):
        run_stack({**dev_config(), "argo-github-webhooks:host": "https://argo.example.com"})


def test_prod_stack_has_one_webhook_per_organization() -> None:
    prod = run_stack(dev_config("prod"), stack="prod")
    webhooks = {resource.name: reveal(resource.inputs) for resource in prod.of_type(WEBHOOK)}
    assert {name: hook["events"] for name, hook in webhooks.items()} == {
        "github-example-org-webhook": ["pull_request", "push", "release"],
        "github-example-org-labs-webhook": ["pull_request", "push", "release"],
    }
    assert {hook["configuration"]["url"] for hook in webhooks.values()} == {prod.outputs["webhookUrl"]}
    assert prod.outputs["webhookUrl"] == "https://argo.example.com/api/v1/events/workflows/github"
    assert prod.outputs["organizationWebhooks"] == {
        "example-org": "github-example-org-webhook-id",
        "example-org-labs": "github-example-org-labs-webhook-id",
    }
    assert prod.named("argo-workflows-chart").inputs["values"]["server"]["ingress"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
        "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
    }
    assert prod.secret_outputs == {"webhookSecret"}
