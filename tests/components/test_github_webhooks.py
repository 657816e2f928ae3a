"""One webhook per organization: its events, its URL, the outputs, and what each change costs in GitHub writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import WEBHOOK_TYPE, StackRun, github_writes, reveal, run_stack, stack_config

HELLO = "workflows/hello-world.yaml"
SCAN = "workflows/secret-scan.yaml"
ORGANIZATIONS = ["acme", "Acme-Labs", "umbrella"]
PIPELINES: list[dict[str, Any]] = [
    {"name": "hello", "template": HELLO, "events": ["push"]},
    {"name": "scan", "template": SCAN, "events": ["pull_request", "push"], "organizations": ["acme-labs"]},
    {"name": "audit", "template": HELLO, "events": ["release"], "actions": ["published"], "organizations": ["ACME"]},
]
EVENTS_URL = "https://argo.example.com/api/v1/events/workflows/github"


def run(**overrides: Any) -> StackRun:
    return run_stack(stack_config(**{"organizations": ORGANIZATIONS, "pipelines": PIPELINES, **overrides}))


@pytest.fixture(scope="module")
def base() -> StackRun:
    return run()


def hooks(stack: StackRun) -> dict[str, dict[str, Any]]:
    return {hook.name: reveal(hook.inputs) for hook in stack.of_type(WEBHOOK_TYPE)}


def test_one_hook_per_organization_with_the_union_of_its_pipelines_events(base: StackRun) -> None:
    assert {name: hook["events"] for name, hook in hooks(base).items()} == {
        "github-acme-webhook": ["push", "release"],
        "github-Acme-Labs-webhook": ["pull_request", "push"],
        "github-umbrella-webhook": ["push"],
    }
    assert {hook["configuration"]["url"] for hook in hooks(base).values()} == {EVENTS_URL}
    for organization in ORGANIZATIONS:
        hook = base.named(f"github-{organization}-webhook")
        assert hook.provider.startswith(base.named(f"github-{organization}-provider").urn + "::")
        assert base.named(f"github-{organization}-provider").inputs["owner"] == organization


def test_outputs_name_the_one_url_and_each_organizations_hook(base: StackRun) -> None:
    assert base.outputs["webhookUrl"] == EVENTS_URL
    assert base.outputs["organizationWebhooks"] == {
        organization: f"github-{organization}-webhook-id" for organization in ORGANIZATIONS
    }
    assert "webhookUrls" not in base.outputs


def test_bindings_filter_on_the_organization_login_case_insensitively(base: StackRun) -> None:
    selector = base.named("scan-binding").inputs["spec"]["event"]["selector"]
    assert selector.startswith('discriminator == "github" && (')
    assert '(payload?.organization?.login ?? "") matches "(?i)^(?:Acme-Labs)$"' in selector
    assert "organization" not in base.named("hello-binding").inputs["spec"]["event"]["selector"]


def test_creating_the_stack_is_one_github_write_per_organization(base: StackRun) -> None:
    assert github_writes(None, base) == len(ORGANIZATIONS)


def test_rotating_the_secret_is_one_write_per_organization(base: StackRun) -> None:
    assert github_writes(base, run(webhookSecretVersion=2)) == len(ORGANIZATIONS)


def test_a_pipeline_costs_a_write_per_organization_only_where_it_adds_an_event(base: StackRun) -> None:
    known_events = {"name": "lint", "template": HELLO, "events": ["push"]}
    assert github_writes(base, run(pipelines=[*PIPELINES, known_events])) == 0
    new_somewhere = {"name": "rel", "template": HELLO, "events": ["release"]}  # acme listens to release already
    assert github_writes(base, run(pipelines=[*PIPELINES, new_somewhere])) == 2
    new_everywhere = {"name": "issues", "template": HELLO, "events": ["issues"]}
    assert github_writes(base, run(pipelines=[*PIPELINES, new_everywhere])) == len(ORGANIZATIONS)
    only_one = {**new_everywhere, "organizations": ["umbrella"]}
    assert github_writes(base, run(pipelines=[*PIPELINES, only_one])) == 1


def test_an_organization_costs_one_write(base: StackRun) -> None:
    assert github_writes(base, run(organizations=[*ORGANIZATIONS, "initech"])) == 1


def test_changing_the_pipelines_order_costs_nothing(base: StackRun) -> None:
    assert github_writes(base, run(pipelines=list(reversed(PIPELINES)))) == 0


def test_each_hook_waits_for_everything_that_answers_its_first_ping(base: StackRun) -> None:
    """The component depends on the last resource of each chain; through their own dependencies that is every
    resource of Argo, of the webhook auth and of every pipeline (GitHub pings a new hook at once)."""
    by_urn = {resource.urn: resource for resource in base.resources}
    waited: set[str] = set()
    pending = list(base.named("github-acme").dependencies)
    while pending:
        urn = pending.pop()
        if urn not in waited:
            waited.add(urn)
            pending.extend(by_urn[urn].dependencies if urn in by_urn else ())
    components = {base.named(name).urn for name in ("argo-workflows", "github-webhook", "hello", "scan", "audit")}
    # The NetworkPolicy of workflow pods (and the optional UI Ingress) play no part in answering a delivery.
    answering_types = {"kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:networking.k8s.io/v1:Ingress"}
    must_exist = {
        resource.urn
        for resource in base.resources
        if resource.parent in components and resource.type not in answering_types
    }
    assert len(must_exist) == 7 + 12 + 3 * 2  # Argo, the webhook auth, three pipelines
    assert must_exist <= waited
