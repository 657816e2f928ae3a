"""Required pipelines: one organization ruleset per organization, pinned to the App, and what each change writes."""

from __future__ import annotations

from typing import Any

import pytest

from components.required_checks import RULESET_NAME
from settings.config import ConfigError
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, GITHUB_TOKEN_KEY, app_key_pem
from tests.harness import (
    RULESET_TYPE,
    WEBHOOK_TYPE,
    StackRun,
    diff_runs,
    github_writes,
    reveal,
    run_stack,
    stack_config,
)

HELLO = "workflows/hello-world.yaml"
SCAN = "workflows/secret-scan.yaml"
ORGANIZATIONS = ["acme", "Acme-Labs", "umbrella"]
PIPELINES: list[dict[str, Any]] = [
    {"name": "scan", "template": SCAN, "events": ["push", "pull_request"], "required": True},
    {"name": "lint", "template": HELLO, "events": ["pull_request"], "required": True, "organizations": ["acme"],
     "status": {"context": "acme/lint"}},
    {"name": "hello", "template": HELLO, "events": ["push"]},
]
REQUIRED = {
    "branches": ["~DEFAULT_BRANCH", "release/*"],
    "repositories": {"include": ["~ALL"], "exclude": ["sandbox-*"]},
    "enforcement": "evaluate",
    "bypassActors": [
        {"actorType": "OrganizationAdmin", "bypassMode": "pull_request"},
        {"actorType": "Team", "actorId": 42},
    ],
}


def run(pipelines: list[dict[str, Any]] = PIPELINES, **overrides: Any) -> StackRun:
    config = stack_config(
        **{"organizations": ORGANIZATIONS, **overrides},
        githubApp={"appId": APP_ID, "privateKey": app_key_pem()},
        pipelines=pipelines,
    )
    return run_stack(config, secret_keys=(GITHUB_APP_KEY,))


@pytest.fixture(scope="module")
def base() -> StackRun:
    return run(requiredChecks=REQUIRED)


def ruleset(stack: StackRun, organization: str) -> dict[str, Any]:
    return reveal(stack.named(f"required-checks-{organization}-ruleset").inputs)


def test_one_ruleset_per_organization_requiring_its_required_checks_from_the_app(base: StackRun) -> None:
    assert len(base.of_type(RULESET_TYPE)) == len(ORGANIZATIONS)
    expected_common = {
        "name": RULESET_NAME,
        "target": "branch",
        "enforcement": "evaluate",
        "conditions": {
            "refName": {"includes": ["~DEFAULT_BRANCH", "refs/heads/release/*"], "excludes": []},
            "repositoryName": {"includes": ["~ALL"], "excludes": ["sandbox-*"]},
        },
        "bypassActors": [
            {"actorType": "OrganizationAdmin", "bypassMode": "pull_request"},
            {"actorType": "Team", "actorId": 42, "bypassMode": "always"},
        ],
    }
    checks = {
        "acme": [{"context": "acme/lint", "integrationId": APP_ID}, {"context": "argo/scan", "integrationId": APP_ID}],
        "Acme-Labs": [{"context": "argo/scan", "integrationId": APP_ID}],
        "umbrella": [{"context": "argo/scan", "integrationId": APP_ID}],
    }
    for organization in ORGANIZATIONS:
        assert ruleset(base, organization) == {
            **expected_common,
            "rules": {"requiredStatusChecks": {"requiredChecks": checks[organization]}},
        }


def test_each_ruleset_is_made_with_its_organizations_provider_after_its_hook(base: StackRun) -> None:
    for organization in ORGANIZATIONS:
        resource = base.named(f"required-checks-{organization}-ruleset")
        component = base.named(f"required-checks-{organization}")
        assert resource.parent == component.urn
        assert resource.provider.startswith(base.named(f"github-{organization}-provider").urn + "::")
        assert component.dependencies == (base.named(f"github-{organization}-webhook").urn,)
    assert base.outputs["requiredCheckRulesets"] == {
        organization: f"required-checks-{organization}-ruleset-id" for organization in ORGANIZATIONS
    }


def test_defaults_target_the_default_branch_of_every_repository_actively() -> None:
    stack = run(organizations=["acme"])
    assert ruleset(stack, "acme") == {
        "name": RULESET_NAME,
        "target": "branch",
        "enforcement": "active",
        "conditions": {
            "refName": {"includes": ["~DEFAULT_BRANCH"], "excludes": []},
            "repositoryName": {"includes": ["~ALL"], "excludes": []},
        },
        "bypassActors": [],
        "rules": {
            "requiredStatusChecks": {
                "requiredChecks": [
                    {"context": "acme/lint", "integrationId": APP_ID},
                    {"context": "argo/scan", "integrationId": APP_ID},
                ]
            }
        },
    }


def test_no_required_pipeline_no_ruleset() -> None:
    stack = run([{**pipeline, "required": False} for pipeline in PIPELINES])
    assert stack.of_type(RULESET_TYPE) == []
    assert stack.outputs["requiredCheckRulesets"] == {}


def test_only_organizations_with_a_required_pipeline_get_a_ruleset() -> None:
    stack = run([{**PIPELINES[0], "required": False}, *PIPELINES[1:]])
    assert [resource.name for resource in stack.of_type(RULESET_TYPE)] == ["required-checks-acme-ruleset"]


def test_adding_or_removing_a_required_pipeline_is_one_write_per_organization(base: StackRun) -> None:
    added = {"name": "audit", "template": HELLO, "events": ["pull_request"], "required": True}
    assert github_writes(base, run([*PIPELINES, added], requiredChecks=REQUIRED)) == len(ORGANIZATIONS)
    not_required = {**PIPELINES[0], "required": False}  # acme's ruleset keeps lint's check, the others go
    assert github_writes(base, run([not_required, *PIPELINES[1:]], requiredChecks=REQUIRED)) == len(ORGANIZATIONS)
    only_acme = {**added, "organizations": ["acme"]}
    assert github_writes(base, run([*PIPELINES, only_acme], requiredChecks=REQUIRED)) == 1
    assert github_writes(base, run([PIPELINES[0], PIPELINES[2]], requiredChecks=REQUIRED)) == 1  # lint: acme only
    # Dropping a pipeline also drops its events from hooks no other pipeline needs them in: those writes are the
    # hooks' (components/github_webhooks.py); the rulesets' stay one per organization.
    dropped = run(PIPELINES[1:], requiredChecks=REQUIRED)
    assert diff_runs(base, dropped).of_type(RULESET_TYPE).count == len(ORGANIZATIONS)
    assert diff_runs(base, dropped).of_type(WEBHOOK_TYPE).count == 2


def test_a_rotation_writes_nothing_but_the_hooks(base: StackRun) -> None:
    rotated = run(requiredChecks=REQUIRED, webhookSecretVersion=2)
    assert github_writes(base, rotated) == len(ORGANIZATIONS)
    assert {ruleset(rotated, organization) == ruleset(base, organization) for organization in ORGANIZATIONS} == {True}


def test_the_pipelines_order_costs_nothing(base: StackRun) -> None:
    assert github_writes(base, run(list(reversed(PIPELINES)), requiredChecks=REQUIRED)) == 0


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        run_stack(stack_config(**overrides), secret_keys=(GITHUB_APP_KEY, GITHUB_TOKEN_KEY))
    return [problem.removeprefix("argo-github-webhooks:") for problem in caught.value.problems]


SCAN_REQUIRED = {"name": "scan", "template": SCAN, "events": ["pull_request"], "required": True}


def test_required_without_an_app_is_refused_with_the_reason() -> None:
    assert problems(pipelines=[SCAN_REQUIRED], githubToken="github_pat_x") == [
        "pipelines[0] (scan).required: needs githubApp (with check runs): a required check must be pinned to the "
        "stack's GitHub App, because commit statuses posted with a token can be forged by anyone who can push to the "
        "repository"
    ]
    assert problems(pipelines=[SCAN_REQUIRED])[0].startswith("pipelines[0] (scan).required: needs githubApp")


def test_required_needs_check_runs_pull_requests_and_a_check() -> None:
    app = {"appId": APP_ID, "privateKey": app_key_pem(), "checkRuns": False}
    assert problems(pipelines=[SCAN_REQUIRED], githubApp=app) == [
        "pipelines[0] (scan).required: needs githubApp.checkRuns (not false): only check runs can be pinned to the "
        "App; a commit status of the same name can be posted by anyone who can push"
    ]
    app["checkRuns"] = True
    push_only = {**SCAN_REQUIRED, "events": ["push"], "status": False}
    assert problems(pipelines=[push_only], githubApp=app) == [
        "pipelines[0] (scan).required: needs pull_request in events: the ruleset asks the check of every pull "
        "request",
        "pipelines[0] (scan).required: needs a check to require: remove status: false",
    ]
    assert problems(pipelines=[{**SCAN_REQUIRED, "actions": ["closed"]}], githubApp=app) == [
        "pipelines[0] (scan).required: actions leaves out opened, synchronize, reopened (the actions that bring a pull "
        "request's new commits): the required check would always be skipped; add them or drop required"
    ]
    assert problems(pipelines=[{**SCAN_REQUIRED, "required": "yes"}], githubApp=app) == [
        "pipelines[0] (scan).required: 'yes' must be true or false (true: its check must pass before a pull request "
        "merges)"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("main", ["requiredChecks: 'main' must be an object with keys branches, repositories, enforcement, "
                  "bypassActors"]),
        ({"branch": ["main"]}, ["requiredChecks.branch: unknown key; did you mean 'branches'? (allowed: branches, "
                                "repositories, enforcement, bypassActors)"]),
        ({"branches": []}, ["requiredChecks.branches: [] must be a non-empty list of patterns"]),
        ({"branches": ["~DEFAULT-BRANCH", "refs/heads/main", "a..b", "main", "main"]}, [
            "requiredChecks.branches[0]: '~DEFAULT-BRANCH' is not ~DEFAULT_BRANCH or ~ALL; did you mean '~DEFAULT_BRANCH'?",
            "requiredChecks.branches[1]: 'refs/heads/main' names a ref: write the branch name or glob (e.g. 'main', "
            "'release/*'); refs/heads/ is added",
            "requiredChecks.branches[2]: 'a..b' is not a branch pattern (~DEFAULT_BRANCH, ~ALL, or a branch name with "
            "* ? [...] as fnmatch has them)",
            "requiredChecks.branches[4]: 'main' is listed twice",
        ]),
        ({"repositories": ["app"]}, ['requiredChecks.repositories: ["app"] must be an object {include: [...], '
                                     'exclude: [...]} of repository name patterns']),
        ({"repositories": {"include": ["acme/app"], "exlude": ["x"]}}, [
            "requiredChecks.repositories.exlude: unknown key; did you mean 'exclude'? (allowed: include, exclude)",
            "requiredChecks.repositories.include[0]: 'acme/app' names an owner: the ruleset is the organization's, "
            "write the repository name or glob only",
        ]),
        ({"repositories": {"exclude": ["~ALL"]}}, [
            "requiredChecks.repositories.exclude: ~ALL would exclude every repository: the ruleset would require "
            "nothing"
        ]),
        ({"enforcement": "activ"}, [
            "requiredChecks.enforcement: 'activ' must be one of active, evaluate (evaluate: GitHub reports what the "
            "rule would block without blocking it, where the plan offers it); did you mean 'active'?"
        ]),
        ({"bypassActors": [{"actorType": "team", "actorId": 1}, {"actorType": "OrganizationAdmin", "actorId": 3},
                           {"actorType": "Integration"}, {"actorType": "Team", "actorId": 7, "bypassMode": "never"},
                           {"actorType": "DeployKey", "mode": "always"}]}, [
            "requiredChecks.bypassActors[0].actorType: 'team' must be one of OrganizationAdmin, RepositoryRole, Team, "
            "Integration, DeployKey, EnterpriseOwner; did you mean 'Team'?",
            "requiredChecks.bypassActors[1].actorId: OrganizationAdmin has no id: leave actorId out (GitHub would "
            "ignore it)",
            "requiredChecks.bypassActors[2].actorId: null must be a positive number: the GitHub App's id",
            "requiredChecks.bypassActors[3].bypassMode: 'never' must be one of always, pull_request, exempt",
            "requiredChecks.bypassActors[4].mode: unknown key (allowed: actorType, actorId, bypassMode)",
        ]),
    ],
)
def test_bad_required_checks_are_refused_naming_the_key(value: Any, expected: list[str]) -> None:
    app = {"appId": APP_ID, "privateKey": app_key_pem()}
    assert problems(pipelines=[SCAN_REQUIRED], githubApp=app, requiredChecks=value) == expected


def test_required_checks_without_a_required_pipeline_is_a_warning() -> None:
    from settings.config import parse_settings
    from tests.harness import PROJECT_ROOT

    config = stack_config(requiredChecks={"enforcement": "active"})
    settings = parse_settings(config, PROJECT_ROOT)
    assert settings.warnings == (
        "argo-github-webhooks:requiredChecks: no pipeline sets required: true, so no ruleset is made",
    )


def test_each_required_pipeline_gets_its_skip_template_and_binding(base: StackRun) -> None:
    from delivery.required import skip_binding_manifest, skip_template_manifest
    from settings.config import parse_settings
    from tests.harness import PROJECT_ROOT

    config = stack_config(organizations=ORGANIZATIONS, githubApp={"appId": APP_ID, "privateKey": app_key_pem()},
                          pipelines=PIPELINES, requiredChecks=REQUIRED)
    settings = parse_settings(config, PROJECT_ROOT, (GITHUB_APP_KEY,))
    for pipeline in settings.pipelines:
        component = base.named(pipeline.name)
        if not pipeline.required:
            assert [r.name for r in base.resources if r.parent == component.urn] == [
                f"{pipeline.name}-template", f"{pipeline.name}-binding"
            ]
            continue
        template, binding = base.named(f"{pipeline.name}-skip-template"), base.named(f"{pipeline.name}-skip-binding")
        assert (template.parent, binding.parent) == (component.urn, component.urn)
        assert binding.dependencies == (template.urn,)
        reporting = (settings.ui_url, "https://api.github.com/", APP_ID)
        expected_template = skip_template_manifest(pipeline, "workflows", _reporting(*reporting))
        assert {key: reveal(template.inputs)[key] for key in ("kind", "metadata", "spec")} == {
            key: expected_template[key] for key in ("kind", "metadata", "spec")
        }
        expected_binding = skip_binding_manifest(pipeline, "workflows", settings.required_checks)
        assert reveal(binding.inputs)["spec"] == expected_binding["spec"]
        # the skip binding answers deliveries too: the hooks wait for it like for the pipeline's own
        assert binding.urn in base.named("github-acme").dependencies


def _reporting(ui_url: str | None, api_url: str, app_id: int) -> Any:
    from delivery.status_hooks import StatusReporting

    return StatusReporting(ui_url, api_url, app_id, check_runs=True, log_lines=50)


def test_every_kubernetes_object_of_a_stack_with_required_pipelines_is_valid(base: StackRun) -> None:
    from settings.templates import schema_problems
    from tests.test_validation import ARGO_MODELS, kubernetes_problems

    kinds = set()
    for manifest in base.kubernetes_objects():
        model = ARGO_MODELS.get(manifest["kind"])
        found = schema_problems(model, manifest) if model else kubernetes_problems(manifest)
        assert found == [], (manifest["kind"], manifest["metadata"]["name"], found)
        if manifest["metadata"]["name"].startswith("argo-github-webhooks-skip-"):
            kinds.add(manifest["kind"])
    assert kinds == {"WorkflowTemplate", "WorkflowEventBinding"}
