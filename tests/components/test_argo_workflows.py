"""The workflow pods' NetworkPolicy built from plain settings: API server addresses, private ranges, DNS peers."""

from __future__ import annotations

import re

import pytest

from components.argo_workflows import api_server_addresses, workflow_pods_policy_spec
from settings.security import ApiServerAddresses, NetworkPolicySettings
from tests.test_validation import kubernetes_problems


def policy(spec: dict) -> dict:  # type: ignore[type-arg]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": spec}


def test_api_server_addresses_from_the_endpoint_slice() -> None:
    found = api_server_addresses(["10.0.0.1", "2001:db8::1", "10.0.0.1"], [6443, 6443])
    assert found == ApiServerAddresses(cidrs=("10.0.0.1/32", "2001:db8::1/128"), ports=(6443,))


@pytest.mark.parametrize(("addresses", "ports"), [([], [6443]), (["10.0.0.1"], [])])
def test_an_endpoint_slice_without_addresses_or_ports_stops_the_deployment(addresses: list[str], ports: list[int]) -> None:
    with pytest.raises(ValueError, match=re.escape("give them with networkPolicy.apiServer.cidrs and .ports")):
        api_server_addresses(addresses, ports)


def test_private_ranges_are_taken_out_of_the_networks_that_contain_them_only() -> None:
    settings = NetworkPolicySettings(egress_cidrs=("0.0.0.0/0", "10.0.0.0/8", "2001:db8::/32", "::/0"))
    spec = workflow_pods_policy_spec(settings, ApiServerAddresses(("192.168.1.10/32",), (443,)))
    https = spec["egress"][1]
    assert https["to"] == [
        {
            "ipBlock": {
                "cidr": "0.0.0.0/0",
                "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"],
            }
        },
        {"ipBlock": {"cidr": "10.0.0.0/8"}},  # Kubernetes refuses an except equal to (or outside) its cidr
        {"ipBlock": {"cidr": "2001:db8::/32"}},
        {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
    ]
    # The API server's own address is allowed by its own rule, on its own ports, although it is private.
    assert spec["egress"][2] == {"to": [{"ipBlock": {"cidr": "192.168.1.10/32"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert kubernetes_problems(policy(spec)) == []
