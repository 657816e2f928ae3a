"""The security keys: the UI ingress, source ranges, parallelism, Pod Security level, NetworkPolicy, forks."""

from __future__ import annotations

from typing import Any

import pytest

from settings.config import Ingress
from settings.security import PRIVATE_RANGES, ApiServerAddresses, NetworkPolicySettings, UiIngress
from tests.settings.test_config import parse, problems

K = "argo-github-webhooks"


def test_defaults_contain_by_default() -> None:
    settings = parse()
    assert settings.ui is None
    assert settings.ingress.source_ranges == ()
    assert settings.parallelism == 10
    assert settings.pod_security == "restricted"
    assert settings.network_policy == NetworkPolicySettings(
        enabled=True,
        egress_cidrs=("0.0.0.0/0", "::/0"),
        egress_ports=(443,),  # the API server has its own rule (found at deploy time): 6443 is not opened to all
        egress_except=PRIVATE_RANGES,
        api_server=None,
        dns_cidrs=(),
    )
    assert PRIVATE_RANGES == (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
    assert settings.pipelines[0].forks is False
    assert settings.ui_url is None  # the public host serves only the events API: no UI to link to


def test_good_values() -> None:
    settings = parse(
        ui={
            "host": "argo-ui.example.com",
            "className": "internal",
            "annotations": {"a": "b"},
            "tlsSecretName": "ui-tls",
            "sourceRanges": ["10.0.0.0/8"],
        },
        ingress={"sourceRanges": ["192.30.252.0/22", "2a0a:a440::/29", "140.82.115.3/32"]},
        parallelism=50,
        podSecurity="baseline",
        networkPolicy={"enabled": True, "egressCidrs": ["140.82.112.0/20"], "egressPorts": [443]},
        pipelines=[{"name": "p", "template": "workflows/secret-scan.yaml", "events": ["pull_request"], "forks": True}],
    )
    assert settings.ui == UiIngress(
        host="argo-ui.example.com",
        class_name="internal",
        annotations={"a": "b"},
        tls_secret_name="ui-tls",
        source_ranges=("10.0.0.0/8",),
    )
    assert settings.ui_url == "https://argo-ui.example.com/"
    assert settings.ingress == Ingress(source_ranges=("192.30.252.0/22", "2a0a:a440::/29", "140.82.115.3/32"))
    assert (settings.parallelism, settings.pod_security) == (50, "baseline")
    assert settings.network_policy == NetworkPolicySettings(True, ("140.82.112.0/20",), (443,), egress_except=())
    given = parse(networkPolicy={"apiServer": {"cidrs": ["203.0.113.7/32"]}, "dnsCidrs": ["169.254.20.10/32"]})
    assert given.network_policy.api_server == ApiServerAddresses(("203.0.113.7/32",), (443, 6443))
    assert given.network_policy.dns_cidrs == ("169.254.20.10/32",)
    assert given.network_policy.egress_except == PRIVATE_RANGES
    assert settings.pipelines[0].forks is True
    assert parse(networkPolicy={"enabled": False}).network_policy.enabled is False


def test_every_bad_value_is_named() -> None:
    found = problems(
        ui={"host": "argo.example.com", "classname": "x", "annotations": {"a": 1}, "sourceRanges": ["10.0.0.1/8"]},
        ingress={"sourceRanges": ["192.30.252.0/22", "192.30.252.0/22", "not-a-cidr", 7]},
        parallelism=0,
        podSecurity="strict",
        networkPolicy={"enabled": "yes", "egressCidrs": "0.0.0.0/0", "egressPorts": [443, 70000, True], "x": 1},
    )
    assert found == [
        f"{K}:ingress.sourceRanges[1]: '192.30.252.0/22' is listed twice",
        f"{K}:ingress.sourceRanges[2]: 'not-a-cidr' is not a CIDR "
        "('not-a-cidr' does not appear to be an IPv4 or IPv6 network)",
        f"{K}:ingress.sourceRanges[3]: 7 is not a CIDR string",
        f"{K}:ui.classname: unknown key (allowed: host, className, annotations, tlsSecretName, sourceRanges)",
        f"{K}:ui.host: 'argo.example.com' must differ from host: the UI ingress publishes the whole Argo Server API, "
        "the events host only the events API",
        f"{K}:ui.annotations: must be a map of strings to strings (quote numbers and booleans)",
        f"{K}:ui.sourceRanges[0]: '10.0.0.1/8' is not a CIDR (10.0.0.1/8 has host bits set)",
        f"{K}:parallelism: 0 must be an integer from 1 to 10000: how many Workflows may run at once",
        f"{K}:podSecurity: 'strict' is not a Pod Security Standard level (allowed: restricted, baseline, privileged); did you mean 'restricted'?",
        f"{K}:networkPolicy.x: unknown key (allowed: enabled, egressCidrs, egressPorts, apiServer, dnsCidrs)",
        f"{K}:networkPolicy.enabled: 'yes' must be true or false",
        f"{K}:networkPolicy.egressCidrs: must be a list of CIDRs, e.g. ['192.30.252.0/22', '2a0a:a440::/29']",
        f"{K}:networkPolicy.egressPorts[1]: 70000 is not a port number (1-65535)",
        f"{K}:networkPolicy.egressPorts[2]: True is not a port number (1-65535)",
        f"{K}:networkPolicy: egressCidrs and egressPorts must not be empty while enabled: workflow pods could reach "
        "nothing but DNS and the API server (the shipped secret-scan clones over HTTPS); set enabled: false to manage "
        "workflow pods' policies yourself",
    ]


@pytest.mark.parametrize(
    ("ui", "problem"),
    [
        ("argo-ui.example.com", "ui: must be an object with keys host, className, annotations, tlsSecretName, "
         "sourceRanges (host required)"),
        ({}, "ui.host: is required: a fully qualified, lower-case DNS name for the UI"),
        ({"host": "UI.example.com", "tlsSecretName": "Bad"}, "ui.host: 'UI.example.com' is not valid: a fully "
         "qualified, lower-case DNS name for the UI"),
    ],
)
def test_ui_shapes(ui: Any, problem: str) -> None:
    assert problems(ui=ui)[0] == f"{K}:{problem}"


def test_parallelism_must_be_an_integer() -> None:
    assert problems(parallelism="ten") == [
        f"{K}:parallelism: 'ten' must be an integer from 1 to 10000: how many Workflows may run at once"
    ]
    assert problems(parallelism=True)[0].startswith(f"{K}:parallelism: true must be an integer")


def test_forks_must_be_a_boolean_on_a_pull_request_pipeline() -> None:
    scan = {"name": "p", "template": "workflows/secret-scan.yaml"}
    assert problems(pipelines=[{**scan, "events": ["pull_request"], "forks": "yes"}]) == [
        f"{K}:pipelines[0] (p).forks: 'yes' must be true or false (true: pull requests from forks start this pipeline too)"
    ]
    assert problems(pipelines=[{**scan, "events": ["push", "release"], "forks": True}]) == [
        f"{K}:pipelines[0] (p).forks: does not apply: none of push, release can name a fork's code (forks applies "
        "to pull_request, pull_request_review, pull_request_review_comment, workflow_run, check_suite, check_run, "
        "issue_comment)"
    ]
    assert parse(pipelines=[{**scan, "events": ["push"], "forks": False}]).pipelines[0].forks is False
    for event in ("workflow_run", "check_suite", "check_run", "issue_comment"):
        assert parse(pipelines=[{**scan, "events": ["push", event], "forks": True}]).pipelines[0].forks is True


def test_helm_values_cannot_publish_more_than_the_events_api() -> None:
    found = problems(helmValues={"server": {"ingress": {"paths": ["/"], "extraPaths": [], "hosts": ["x.example.com"]}}})
    message = (
        "is not allowed: the public ingress routes only the events API; publish the UI with `ui` (its own host and "
        "Ingress), and set the host with `host`"
    )
    assert found == [f"{K}:helmValues.server.ingress.{name}: {message}" for name in ("paths", "extraPaths", "hosts")]


# Issue 15, item 4: helmValues cannot reopen the public surface. Each value below was accepted before.
AUTH_MODE = (
    "is not allowed: the program runs Argo Server with client auth only; 'server' mode would answer unsigned "
    "requests to the public events URL as the server's own ServiceAccount (forged deliveries dispatch), and a "
    "second auth mode the chart renders beside authModes cannot be checked"
)


@pytest.mark.parametrize(
    ("values", "key", "reason"),
    [
        ({"server": {"authMode": "server"}}, "server.authMode", AUTH_MODE),
        ({"server": {"authMode": "client"}}, "server.authMode", AUTH_MODE),
        (
            {"server": {"extraArgs": ["--auth-mode=server"]}},
            "server.extraArgs[0]",
            "'--auth-mode=server' is not allowed: the program sets Argo Server's auth mode (client only); 'server' "
            "would answer unsigned requests to the public events URL as the server's own ServiceAccount",
        ),
        (
            {"server": {"extraArgs": ["--loglevel", "debug", "--auth-mode", "server"]}},
            "server.extraArgs[2]",
            "'--auth-mode' is not allowed: the program sets Argo Server's auth mode (client only); 'server' "
            "would answer unsigned requests to the public events URL as the server's own ServiceAccount",
        ),
        (
            {"server": {"extraArgs": ["--namespaced=false"]}},
            "server.extraArgs[0]",
            "'--namespaced=false' is not allowed: the program runs the server --namespaced "
            "--managed-namespace=<workflowNamespace> so it watches and serves the workflow namespace only",
        ),
        (
            {"server": {"extraArgs": ["--managed-namespace=kube-system"]}},
            "server.extraArgs[0]",
            "'--managed-namespace=kube-system' is not allowed: the program runs the server --namespaced "
            "--managed-namespace=<workflowNamespace> so it watches and serves the workflow namespace only",
        ),
        (
            {"server": {"rbac": {"create": True}}},
            "server.rbac.create",
            "True is not allowed: the chart's ClusterRole lets Argo Server read every Secret and delete pods in "
            "every namespace; the program grants the server what client auth needs, in two namespaces",
        ),
        (
            {"server": {"serviceType": "LoadBalancer"}},
            "server.serviceType",
            "'LoadBalancer' is not allowed (only ClusterIP): a LoadBalancer or NodePort Service publishes the whole "
            "Argo Server API, the UI and artifacts included, past the ingress that routes only the events API",
        ),
        (
            {"controller": {"serviceType": "NodePort"}},
            "controller.serviceType",
            "'NodePort' is not allowed (only ClusterIP): a LoadBalancer or NodePort Service publishes the whole "
            "Argo Server API, the UI and artifacts included, past the ingress that routes only the events API",
        ),
        (
            {"server": {"httproute": {"enabled": True}}},
            "server.httproute",
            "is not allowed: a Gateway API HTTPRoute publishes Argo Server beside the ingress that routes only the "
            "events API (publish the UI with `ui`)",
        ),
        (
            {"server": {"ingress": {"annotations": {"nginx.ingress.kubernetes.io/server-snippet": "location / {}"}}}},
            "server.ingress.annotations.nginx.ingress.kubernetes.io/server-snippet",
            "is not allowed: a snippet is raw nginx configuration for the public host: it can route any path of "
            "Argo Server (or, CVE-2021-25742, read the ingress controller's files and Secrets), undoing the "
            "events-only surface",
        ),
        (
            {"server": {"ingress": {"annotations": {"nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0"}}}},
            "server.ingress.annotations.nginx.ingress.kubernetes.io/whitelist-source-range",
            "is not allowed: the program sets it from ingress.sourceRanges (an annotation here would override "
            "them); list the client CIDRs in ingress.sourceRanges",
        ),
        (
            {"server": {"ingress": {"annotations": {"nginx.ingress.kubernetes.io/allowlist-source-range": "0.0.0.0/0"}}}},
            "server.ingress.annotations.nginx.ingress.kubernetes.io/allowlist-source-range",
            "is not allowed: the program sets it from ingress.sourceRanges (an annotation here would override "
            "them); list the client CIDRs in ingress.sourceRanges",
        ),
    ],
)
def test_helm_values_cannot_reopen_the_public_surface(values: dict[str, Any], key: str, reason: str) -> None:
    assert problems(helmValues=values, ingress={"sourceRanges": ["192.30.252.0/22"]}) == [
        f"{K}:helmValues.{key}: {reason}"
    ]


def test_the_public_ingress_annotations_take_no_snippet_and_no_source_range() -> None:
    found = problems(
        ingress={
            "annotations": {
                "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers 'x: y';",
                "nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0",
                "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
            },
            "sourceRanges": ["192.30.252.0/22"],
        }
    )
    assert found == [
        f"{K}:ingress.annotations.nginx.ingress.kubernetes.io/configuration-snippet: is not allowed: a snippet is raw "
        "nginx configuration for the public host: it can route any path of Argo Server (or, CVE-2021-25742, read "
        "the ingress controller's files and Secrets), undoing the events-only surface",
        f"{K}:ingress.annotations.nginx.ingress.kubernetes.io/whitelist-source-range: is not allowed: the program "
        "sets it from ingress.sourceRanges (an annotation here would override them); list the client CIDRs in "
        "ingress.sourceRanges",
    ]


def test_harmless_helm_values_still_pass_and_extra_server_args_are_added_to_ours() -> None:
    from settings.chart import chart_values

    values = {
        "server": {
            "extraArgs": ["--loglevel=debug"],
            "rbac": {"create": False},
            "serviceType": "ClusterIP",
            "httproute": {"enabled": False},
            "ingress": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "2m"}},
        },
        "controller": {"serviceType": "ClusterIP"},
    }
    settings = parse(helmValues=values)
    assert chart_values(settings)["server"]["extraArgs"] == [
        "--namespaced",
        "--managed-namespace=workflows",
        "--loglevel=debug",
    ]
    assert problems(helmValues={"server": {"extraArgs": "--loglevel=debug"}}) == [
        f"{K}:helmValues.server.extraArgs: must be a list of strings (Argo Server flags, added after the program's)"
    ]


@pytest.mark.parametrize(
    ("network_policy", "expected"),
    [
        (
            {"apiServer": ["10.0.0.1/32"]},
            ["networkPolicy.apiServer: must be an object {cidrs: [...], ports: [...]} (leave it out to find the API "
             "server at deploy time)"],
        ),
        (
            {"apiServer": {"ports": [6443], "port": 1}},
            ["networkPolicy.apiServer.port: unknown key (allowed: cidrs, ports)",
             "networkPolicy.apiServer.cidrs: is required: the API server's addresses as workflow pods reach them "
             "(kubectl get endpointslices -n default kubernetes), e.g. ['203.0.113.10/32']"],
        ),
        (
            {"apiServer": {"cidrs": ["10.0.0.1"], "ports": []}},
            ["networkPolicy.apiServer.ports: must not be empty: the ports the API server listens on, e.g. [6443]"],
        ),
        (
            {"apiServer": {"cidrs": ["10.0.0.1/8"], "ports": [0]}},
            ["networkPolicy.apiServer.cidrs[0]: '10.0.0.1/8' is not a CIDR (10.0.0.1/8 has host bits set)",
             "networkPolicy.apiServer.ports[0]: 0 is not a port number (1-65535)"],
        ),
        (
            {"dnsCidrs": "169.254.20.10/32"},
            ["networkPolicy.dnsCidrs: must be a list of CIDRs, e.g. ['192.30.252.0/22', '2a0a:a440::/29']"],
        ),
    ],
)
def test_network_policy_api_server_and_dns_errors(network_policy: dict[str, Any], expected: list[str]) -> None:
    assert problems(networkPolicy=network_policy) == [f"{K}:{problem}" for problem in expected]
