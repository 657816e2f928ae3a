"""Every bad-input rule of the stack config, and the settings a good config gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settings.config import (
    ConfigError,
    Ingress,
    PayloadField,
    RawExpression,
    StackSettings,
    parse_settings,
)
from settings.templates import TemplateParameter
from tests.harness import PROJECT_ROOT, dev_config, stack_config

HELLO = "workflows/hello-world.yaml"
SCAN = "workflows/secret-scan.yaml"


def parse(**overrides: Any) -> StackSettings:
    return parse_settings(stack_config(**overrides), PROJECT_ROOT)


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse(**overrides)
    return raised.value.problems


def pipeline(**fields: Any) -> dict[str, Any]:
    return {"name": "p", "template": HELLO, "events": ["push"], **fields}


def write_template(tmp_path: Path, text: str, name: str = "t.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_dev_stack_parses_to_the_documented_settings() -> None:
    settings = parse_settings(dev_config(), PROJECT_ROOT)
    assert settings.host == "argo.dev.example.com"
    assert settings.argo_namespace == "argo"
    assert settings.workflow_namespace == "workflows"
    assert settings.chart_version == "1.0.18"
    assert settings.organizations == ("example-org",)
    assert settings.webhook_secret_version == 1
    assert settings.ingress == Ingress(
        class_name="nginx",
        annotations={"cert-manager.io/cluster-issuer": "letsencrypt-staging"},
        tls_secret_name="argo-dev-tls",
        path="/",
    )
    hello, scan = settings.pipelines
    assert (hello.name, hello.events, hello.branches, hello.actions) == ("hello-world", ("push",), (), ())
    assert hello.well_known_parameters == ("git_ref", "head_commit", "repository", "event", "delivery_id")
    assert (scan.name, scan.events) == ("secret-scan", ("push", "pull_request"))
    assert scan.branches == ("main", "master")
    assert scan.actions == ("opened", "synchronize", "reopened")
    assert scan.well_known_parameters == (
        "git_url",
        "git_ref",
        "head_commit",
        "repository",
        "base_commit",
        "default_branch",
    )
    assert (hello.organizations, scan.organizations) == ((), ())
    assert settings.events_url == "https://argo.dev.example.com/api/v1/events/workflows/github"
    assert settings.webhook_events("example-org") == ("pull_request", "push")
    assert settings.argo_server_url == "https://argo.dev.example.com/"


def test_defaults_apply_when_optional_keys_are_absent() -> None:
    settings = parse()
    assert (settings.argo_namespace, settings.workflow_namespace, settings.chart_version) == (
        "argo",
        "workflows",
        "1.0.18",
    )
    assert settings.ingress == Ingress(class_name=None, annotations={}, tls_secret_name="argo-workflows-server-tls")
    assert settings.helm_values == {}
    assert settings.webhook_secret_version == 1


def test_ingress_path_is_part_of_every_url() -> None:
    settings = parse(ingress={"path": "/argo/"})
    assert settings.argo_server_url == "https://argo.example.com/argo/"
    assert settings.events_url == "https://argo.example.com/argo/api/v1/events/workflows/github"


def test_all_problems_are_reported_at_once() -> None:
    found = problems(host="https://x.example.com", organizations=[], webhookSecretVersion=0, pipelines=[])
    assert found == [
        "argo-github-webhooks:host: 'https://x.example.com' must not include a scheme: write the host name only, "
        "e.g. argo.example.com",
        "argo-github-webhooks:organizations: must be a non-empty list of GitHub organization logins",
        "argo-github-webhooks:webhookSecretVersion: 0 must be a positive integer (bump it to rotate the secret)",
        "argo-github-webhooks:pipelines: must be a non-empty list of pipelines",
    ]
    with pytest.raises(ConfigError, match=r"invalid stack configuration \(4 problems\)"):
        parse(host="https://x.example.com", organizations=[], webhookSecretVersion=0, pipelines=[])


def test_required_keys() -> None:
    assert problems(host=None, organizations=None, pipelines=None) == [
        "argo-github-webhooks:host: is required: the public host name of the Argo Server ingress, "
        "e.g. argo.dev.example.com",
        "argo-github-webhooks:organizations: is required: a list of GitHub organization logins",
        "argo-github-webhooks:pipelines: is required: a list of pipelines (name, template, events, ...)",
    ]


def test_unknown_top_level_key_is_an_error() -> None:
    assert problems(pipeline=[]) == [
        "argo-github-webhooks:pipeline: unknown key; did you mean 'pipelines'? (allowed: host, argoNamespace, workflowNamespace, chartVersion, "
        "ingress, helmValues, organizations, webhookSecretVersion, pipelines, githubApp, githubToken, ui, parallelism, podSecurity, networkPolicy, "
        "workflowServiceAccounts, requiredChecks, secretScan)"
    ]


def test_other_namespaces_are_not_ours() -> None:
    settings = parse_settings({**stack_config(), "github:owner": "x", "kubernetes:context": "y"}, PROJECT_ROOT)
    assert settings.host == "argo.example.com"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("http://argo.example.com", "must not include a scheme"),
        ("argo.example.com/path", "must not include a path"),
        ("argo example.com", "must not contain spaces"),
        ("argo.example.com:8443", "must not include a port"),
        ("Argo.Example.com", "is not a fully qualified, lower-case DNS name"),
        ("localhost", "is not a fully qualified, lower-case DNS name"),
        ("-argo.example.com", "is not a fully qualified, lower-case DNS name"),
    ],
)
def test_bad_hosts(host: str, message: str) -> None:
    (problem,) = problems(host=host)
    assert problem.startswith(f"argo-github-webhooks:host: {host!r} {message}")


@pytest.mark.parametrize("key", ["argoNamespace", "workflowNamespace"])
@pytest.mark.parametrize("value", ["Argo", "argo_ns", "-argo", "a" * 64, ""])
def test_namespaces_must_be_dns_labels(key: str, value: str) -> None:
    assert problems(**{key: value}) == [
        f"argo-github-webhooks:{key}: {value!r} is not a valid namespace name (DNS-1123 label: a-z, 0-9 and '-', "
        "at most 63)"
    ]


def test_namespaces_must_differ() -> None:
    assert problems(argoNamespace="argo", workflowNamespace="argo") == [
        "argo-github-webhooks:workflowNamespace: must differ from argoNamespace ('argo')"
    ]


def test_chart_version_must_be_pinned() -> None:
    assert problems(chartVersion="latest") == [
        "argo-github-webhooks:chartVersion: 'latest' is not a pinned chart version (e.g. 1.0.18)"
    ]
    assert parse(chartVersion="1.0.19-rc.1").chart_version == "1.0.19-rc.1"


def test_ingress_problems() -> None:
    found = problems(
        ingress={
            "className": "Nginx!",
            "annotations": {"a": 1},
            "tlsSecretName": "Bad_Secret",
            "path": "argo",
            "host": "x",
        }
    )
    assert found == [
        "argo-github-webhooks:ingress.host: unknown key (allowed: className, annotations, tlsSecretName, path, sourceRanges)",
        "argo-github-webhooks:ingress.className: 'Nginx!' is not a valid IngressClass name",
        "argo-github-webhooks:ingress.annotations: must be a map of strings to strings (quote numbers and booleans)",
        "argo-github-webhooks:ingress.tlsSecretName: 'Bad_Secret' is not a valid Secret name (DNS-1123 subdomain)",
        "argo-github-webhooks:ingress.path: 'argo' must start and end with '/' (e.g. '/' or '/argo/')",
    ]
    assert problems(ingress=["x"]) == [
        "argo-github-webhooks:ingress: must be an object with keys className, annotations, tlsSecretName, path, "
            "sourceRanges"
    ]


def test_helm_values_must_be_an_object_and_keep_webhooks_safe() -> None:
    assert problems(helmValues=[1]) == [
        "argo-github-webhooks:helmValues: must be an object of chart values (deep-merged over the program's)"
    ]
    assert problems(helmValues={"server": {"authModes": ["server"]}, "crds": {"full": True}}) == [
        'argo-github-webhooks:helmValues.server.authModes: ["server"] is not allowed: with \'server\' Argo accepts '
        "unsigned deliveries as its own ServiceAccount; use ['client'] or ['client', 'sso']",
        "argo-github-webhooks:helmValues.crds.full: true is not allowed: the full CRDs are installed by a Helm hook, "
        "which Pulumi's Chart v4 never runs",
    ]
    values = {"server": {"authModes": ["client", "sso"]}, "controller": {"parallelism": 10}}
    assert parse(helmValues=values).helm_values == values


def test_organizations() -> None:
    assert problems(organizations=["acme", "Acme", "bad_login", "-x", "a" * 40, 7]) == [
        "argo-github-webhooks:organizations[1]: 'Acme' is listed twice (logins are case-insensitive)",
        "argo-github-webhooks:organizations[2]: 'bad_login' is not a GitHub login (letters, digits, single hyphens; "
        "at most 39)",
        "argo-github-webhooks:organizations[3]: '-x' is not a GitHub login (letters, digits, single hyphens; at most 39)",
        f"argo-github-webhooks:organizations[4]: '{'a' * 40}' is not a GitHub login (letters, digits, single hyphens; "
        "at most 39)",
        "argo-github-webhooks:organizations[5]: 7 is not a GitHub login (letters, digits, single hyphens; at most 39)",
    ]
    assert parse(organizations=["acme", "acme-labs", "A1"]).organizations == ("acme", "acme-labs", "A1")


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "true", "two"])
def test_secret_version_must_be_a_positive_integer(value: str) -> None:
    (problem,) = problems(webhookSecretVersion=value)
    assert problem.startswith("argo-github-webhooks:webhookSecretVersion: ")
    assert problem.endswith("must be a positive integer (bump it to rotate the secret)")


def test_secret_version_parses() -> None:
    assert parse(webhookSecretVersion="3").webhook_secret_version == 3


def test_pipeline_keys_names_and_uniqueness() -> None:
    found = problems(
        pipelines=[
            pipeline(name="Scan_All", evnets=["push"]),
            pipeline(name="dup"),
            pipeline(name="dup"),
            "not-an-object",
        ]
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (Scan_All).evnets: unknown key; did you mean 'events'? (allowed: name, "
        "template, events, branches, actions, repositories, organizations, parameters, status, forks, deadline, "
        "branches-ignore, tags, tags-ignore, paths, paths-ignore, required, cancelInProgress)",
        "argo-github-webhooks:pipelines[0] (Scan_All).name: 'Scan_All' is not a valid pipeline name (DNS-1123 label: "
        "a-z, 0-9, '-')",
        "argo-github-webhooks:pipelines[2] (dup).name: 'dup' is used by pipelines[1] too (names must be unique)",
        "argo-github-webhooks:pipelines[3]: must be an object with keys name, template, events, branches, actions, "
        "repositories, organizations, parameters, status, forks, deadline, branches-ignore, tags, tags-ignore, paths, "
        "paths-ignore, required, cancelInProgress",
    ]


def test_events() -> None:
    found = problems(
        pipelines=[pipeline(events=["push", "push", "star", "installation", "*", "pushed", 3])],
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (p).events[1]: 'push' is listed twice",
        "argo-github-webhooks:pipelines[0] (p).events[2]: 'star' can be sent by GitHub but Argo Server refuses it "
        "(HTTP 401: 'star' is not in Argo's list of GitHub events)",
        "argo-github-webhooks:pipelines[0] (p).events[3]: 'installation' cannot be subscribed to by an organization webhook "
        "(GitHub sends it only to GitHub Apps)",
        "argo-github-webhooks:pipelines[0] (p).events[4]: '*' (all events) is not allowed: Argo Server refuses several "
        "events, list the ones you need",
        "argo-github-webhooks:pipelines[0] (p).events[5]: 'pushed' is not a GitHub webhook event name; did you mean "
        "'push'?",
        "argo-github-webhooks:pipelines[0] (p).events[6]: 3 is not an event name",
    ]
    assert problems(pipelines=[pipeline(events=[])]) == [
        "argo-github-webhooks:pipelines[0] (p).events: must be a non-empty list of GitHub event names "
        "(e.g. [push, pull_request])"
    ]


def test_filters_must_apply_to_the_events() -> None:
    found = problems(
        pipelines=[
            pipeline(name="a", events=["push", "release"], branches=["main"]),
            pipeline(name="b", events=["push", "create"], actions=["opened"]),
            pipeline(name="c", events=["organization"], repositories=["x"]),
        ]
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (a).branches: does not apply to release (branch filters work with push, "
        "pull_request, pull_request_review, pull_request_review_comment); split the pipeline or drop the filter",
        "argo-github-webhooks:pipelines[1] (b).actions: does not apply: none of push, create carries an action",
        "argo-github-webhooks:pipelines[2] (c).repositories: does not apply: none of organization carries a "
        "repository",
    ]
    mixed = parse(pipelines=[pipeline(events=["push", "pull_request"], actions=["opened"])])
    assert mixed.pipelines[0].actions == ("opened",)


def test_filter_values() -> None:
    found = problems(
        pipelines=[
            pipeline(
                events=["pull_request"],
                branches=["!main", "refs/heads/main", "feat ure", "a..b", "", "release/**", "v[1-]"],
                actions=["Opened", "closed"],
                repositories=["ok-repo", "acme/ok.repo", "a/b/c", "bad repo", "-bad/x"],
            )
        ]
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (p).branches[1]: 'refs/heads/main': write the branch name or glob "
        "(e.g. 'main', 'release/*'), not the full ref",
        "argo-github-webhooks:pipelines[0] (p).branches[2]: 'feat ure' can never match: git refuses branch names with "
        "spaces, '~', '^', ':', '..', '@{', '//' or a leading or trailing '/'",
        "argo-github-webhooks:pipelines[0] (p).branches[3]: 'a..b' can never match: git refuses branch names with "
        "spaces, '~', '^', ':', '..', '@{', '//' or a leading or trailing '/'",
        "argo-github-webhooks:pipelines[0] (p).branches[4]: '' is not a non-empty string",
        "argo-github-webhooks:pipelines[0] (p).branches[6]: 'v[1-]': '[1-]': '-' cannot be in a class, which holds "
        "only letters, digits and the ranges a-z, A-Z, 0-9",
        "argo-github-webhooks:pipelines[0] (p).actions[0]: 'Opened' is not an action name (lower case, e.g. 'opened')",
        "argo-github-webhooks:pipelines[0] (p).repositories[2]: 'a/b/c' is not a repository 'name' or 'owner/name'",
        "argo-github-webhooks:pipelines[0] (p).repositories[3]: 'bad repo' is not a repository 'name' or 'owner/name'",
        "argo-github-webhooks:pipelines[0] (p).repositories[4]: '-bad/x' is not a repository 'name' or 'owner/name'",
    ]
    assert problems(pipelines=[pipeline(branches="main")]) == [
        "argo-github-webhooks:pipelines[0] (p).branches: must be a list of strings"
    ]


def test_parameters_map_payload_paths_and_expressions() -> None:
    settings = parse(
        pipelines=[
            pipeline(
                template=SCAN,
                events=["push"],
                parameters={"git_url": "repository.ssh_url", "repository": {"expression": "payload.repository.name"}},
            )
        ]
    )
    (scan,) = settings.pipelines
    assert scan.parameters == {
        "git_url": PayloadField(("repository", "ssh_url")),
        "repository": RawExpression("payload.repository.name"),
    }
    assert scan.well_known_parameters == ("git_ref", "head_commit", "base_commit", "default_branch")


def test_parameter_problems() -> None:
    found = problems(
        pipelines=[
            pipeline(
                parameters={
                    "undeclared": "repository.name",
                    "git_ref": "repository..name",
                    "head_commit": "commits.0.id",
                    "event": {"expression": "  "},
                    "delivery_id": {"expr": "x"},
                    "bad name!": "x",
                    "repository": 5,
                }
            )
        ]
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (p).parameters.git_ref: 'repository..name' is not a payload path: "
        "dot-separated field names, e.g. repository.clone_url",
        "argo-github-webhooks:pipelines[0] (p).parameters.head_commit: 'commits.0.id' is not a payload path: "
        "dot-separated field names, e.g. repository.clone_url",
        "argo-github-webhooks:pipelines[0] (p).parameters.event: expression must not be empty",
        "argo-github-webhooks:pipelines[0] (p).parameters.delivery_id: must be a payload path string or "
        "{expression: '<Argo expression>'}",
        "argo-github-webhooks:pipelines[0] (p).parameters.bad name!: 'bad name!' is not a valid parameter name",
        "argo-github-webhooks:pipelines[0] (p).parameters.repository: must be a payload path string or "
        "{expression: '<Argo expression>'}",
        "argo-github-webhooks:pipelines[0] (p).parameters.undeclared: is not declared by hello-world.yaml "
        "(declared: delivery_id, event, git_ref, head_commit, repository)",
    ]


def test_raw_expressions_argo_cannot_compile_are_refused_at_preview() -> None:
    found = problems(
        pipelines=[
            pipeline(
                template=SCAN,
                parameters={
                    "git_url": {"expression": 'payload?.after ?? "" == ""'},
                    "git_ref": {"expression": "body.ref"},
                    "head_commit": {"expression": 'payload.after matches "("'},
                    "repository": {"expression": "payload.repository.name +"},
                },
            )
        ]
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (p).parameters.git_url: Argo (expr v1.17) cannot compile this expression: "
        "Operator (==) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses. at 1:22 in "
        '\'payload?.after ?? "" == ""\'',
        "argo-github-webhooks:pipelines[0] (p).parameters.git_ref: Argo (expr v1.17) cannot compile this expression: "
        "unknown name body",
        "argo-github-webhooks:pipelines[0] (p).parameters.head_commit: Argo (expr v1.17) cannot compile this "
        "expression: error parsing regexp: missing closing ): `(`",
        "argo-github-webhooks:pipelines[0] (p).parameters.repository: Argo (expr v1.17) cannot compile this "
        "expression: unexpected end of expression at 1:26 in 'payload.repository.name +'",
    ]


def test_raw_expressions_outside_the_simulated_subset_are_accepted() -> None:
    settings = parse(
        pipelines=[
            pipeline(
                template=SCAN,
                parameters={
                    "git_url": {"expression": 'split(payload.repository.full_name, "/")[0]'},
                    "repository": {"expression": 'filter(payload.commits ?? [], .distinct) | map(.id) | join(",")'},
                },
            )
        ]
    )
    (scan,) = settings.pipelines
    assert scan.parameters["git_url"] == RawExpression('split(payload.repository.full_name, "/")[0]')


TEMPLATE_WITH_INPUTS = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: ignored}
spec:
  entrypoint: main
  arguments:
    parameters:
      - {name: team}
      - {name: level, value: "2"}
      - {name: git_url}
  templates:
    - name: main
      inputs:
        parameters:
          - {name: team}
          - {name: level}
          - {name: mode, default: fast}
          - {name: owner}
      container: {image: busybox}
"""


def test_required_template_parameters_must_be_mapped(tmp_path: Path) -> None:
    template = write_template(tmp_path, TEMPLATE_WITH_INPUTS)
    assert problems(pipelines=[pipeline(template=template)]) == [
        "argo-github-webhooks:pipelines[0] (p).parameters: template parameter 'team' of t.yaml has no default: map it "
        "(well-known names filled automatically: git_url, git_ref, head_commit, repository, event, delivery_id, base_commit, default_branch)",
        "argo-github-webhooks:pipelines[0] (p).parameters: template parameter 'owner' of t.yaml has no default: map it "
        "(well-known names filled automatically: git_url, git_ref, head_commit, repository, event, delivery_id, base_commit, default_branch)",
    ]
    settings = parse(
        pipelines=[pipeline(template=template, parameters={"team": "sender.login", "owner": "repository.owner.login"})]
    )
    assert settings.pipelines[0].template.parameters == (
        TemplateParameter("team", required=True),
        TemplateParameter("level", required=False),
        TemplateParameter("git_url", required=True),
        TemplateParameter("mode", required=False),
        TemplateParameter("owner", required=True),
    )
    assert settings.pipelines[0].well_known_parameters == ("git_url",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: [1", "is not valid YAML"),
        ("- 1\n- 2\n", "is not a YAML mapping (expected a WorkflowTemplate object)"),
        ("kind: Workflow\napiVersion: argoproj.io/v1alpha1\n", "is not a WorkflowTemplate: expected apiVersion"),
        ("a: 1\n---\nb: 2\n", "must hold exactly one YAML document, found 2"),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
            "spec: {entrypoint: main, templates: [{name: main, container: {image: 3}}]}\n",
            "does not match Argo's WorkflowTemplate schema: spec.templates[0].container.image: Input should be a valid "
            "string",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
            "spec: {entrypoint: main, templates: [{name: main, container: {image: busybox, comand: [x]}}]}\n",
            "does not match Argo's WorkflowTemplate schema: spec.templates[0].container.comand: unknown field",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
            "spec: {templates: [{name: main, container: {image: busybox}}]}\n",
            "spec.entrypoint is not set (the event-submitted Workflow needs one)",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
            "spec: {entrypoint: mian, templates: [{name: main, container: {image: busybox}}]}\n",
            "spec.entrypoint 'mian' is not defined in spec.templates (defined: main)",
        ),
    ],
)
def test_bad_template_files(tmp_path: Path, text: str, problem: str) -> None:
    template = write_template(tmp_path, text)
    (found,) = problems(pipelines=[pipeline(template=template)])
    assert found.startswith(f"argo-github-webhooks:pipelines[0] (p).template ({template}): {problem}")


def test_missing_template_file_and_relative_paths() -> None:
    assert problems(pipelines=[pipeline(template="workflows/nope.yaml")]) == [
        "argo-github-webhooks:pipelines[0] (p).template (workflows/nope.yaml): file not found"
    ]
    assert problems(pipelines=[pipeline(template="")]) == [
        "argo-github-webhooks:pipelines[0] (p).template: is required: the path of a WorkflowTemplate YAML file "
        "(relative to the project or absolute)"
    ]


def test_a_template_file_is_read_once_for_many_pipelines(monkeypatch: pytest.MonkeyPatch) -> None:
    import settings.config as config_module

    calls: list[Path] = []
    original = config_module.load_template

    def counting(path: Path):  # type: ignore[no-untyped-def]
        calls.append(path)
        return original(path)

    monkeypatch.setattr(config_module, "load_template", counting)
    parse(pipelines=[pipeline(name=f"p{index}") for index in range(5)])
    assert calls == [PROJECT_ROOT / HELLO]


def test_any_number_of_pipelines_may_listen_to_one_event() -> None:
    """One webhook per organization: GitHub's 20 webhooks per event no longer limit the pipelines (issue 10)."""
    settings = parse(pipelines=[pipeline(name=f"p{index}") for index in range(45)])
    assert len(settings.pipelines) == 45
    assert settings.webhook_events("acme") == ("push",)


# --- one webhook per organization: the organizations filter, Workflow names, the Kubernetes provider -------------


def test_webhook_events_are_the_sorted_union_of_each_organizations_pipelines() -> None:
    settings = parse(
        organizations=["acme", "Acme-Labs", "other"],
        pipelines=[
            pipeline(name="a", events=["release", "push"], actions=["published"]),
            pipeline(name="b", events=["pull_request"], organizations=["ACME-labs"]),
            pipeline(name="c", events=["issues", "push"], organizations=["other", "acme"]),
        ],
    )
    assert [p.organizations for p in settings.pipelines] == [(), ("Acme-Labs",), ("other", "acme")]
    assert settings.webhook_events("acme") == ("issues", "push", "release")
    assert settings.webhook_events("Acme-Labs") == ("pull_request", "push", "release")
    assert settings.webhook_events("other") == ("issues", "push", "release")
    assert [p.name for p in settings.pipelines_of("Acme-Labs")] == ["a", "b"]


def test_pipeline_organizations_must_be_a_non_empty_subset_without_duplicates() -> None:
    found = problems(
        organizations=["acme", "acme-labs"],
        pipelines=[
            pipeline(name="a", organizations=[]),
            pipeline(name="b", organizations=["acme", "ACME", "nope", 3]),
            pipeline(name="c", organizations="acme"),
        ],
    )
    assert found == [
        "argo-github-webhooks:pipelines[0] (a).organizations: must be a non-empty list of the stack's organizations "
        "(leave it out for all of them)",
        "argo-github-webhooks:pipelines[1] (b).organizations[1]: 'ACME' is listed twice (logins are case-insensitive)",
        "argo-github-webhooks:pipelines[1] (b).organizations[2]: 'nope' is not one of the stack's organizations "
        "(acme, acme-labs)",
        "argo-github-webhooks:pipelines[1] (b).organizations[3]: 3 is not an organization login",
        "argo-github-webhooks:pipelines[2] (c).organizations: must be a non-empty list of the stack's organizations "
        "(leave it out for all of them)",
    ]


def test_an_organization_no_pipeline_listens_to_is_refused() -> None:
    found = problems(organizations=["acme", "quiet"], pipelines=[pipeline(name="a", organizations=["acme"])])
    assert found == [
        "argo-github-webhooks:organizations[1]: 'quiet' has no pipeline: every pipeline's organizations leaves it "
        "out (remove it, or add it to a pipeline)"
    ]


def test_pipeline_names_must_leave_room_for_the_delivery_guid() -> None:
    longest = "p" * 26
    assert parse(pipelines=[pipeline(name=longest)]).pipelines[0].name == longest
    assert problems(pipelines=[pipeline(name="p" * 27)]) == [
        f"argo-github-webhooks:pipelines[0] ({'p' * 27}).name: '{'p' * 27}' is 27 characters, at most 26 are allowed: each run is "
        "named <pipeline>-<X-GitHub-Delivery GUID, 36 characters> so that a redelivery never runs twice, and Argo "
        "refuses Workflow names over 63 characters"
    ]


@pytest.mark.parametrize("value", [None, "false", "yes"])
def test_the_kubernetes_provider_must_update_secrets_in_place(value: str | None) -> None:
    raw = stack_config()
    if value is None:
        del raw["kubernetes:enableSecretMutable"]
    else:
        raw["kubernetes:enableSecretMutable"] = value
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw, PROJECT_ROOT)
    found = "it is missing" if value is None else f"found {value!r}"
    assert raised.value.problems == [
        f"kubernetes:enableSecretMutable: must be true ({found}): rotating the webhook secret updates the "
        "Secret argo-workflows-webhook-clients, which the Kubernetes provider would otherwise delete and recreate, "
        "failing every delivery in between; run: pulumi config set kubernetes:enableSecretMutable true"
    ]


def test_an_invalid_pipeline_does_not_also_leave_its_organization_without_one() -> None:
    assert problems(
        organizations=["acme", "quiet"],
        pipelines=[pipeline(name="a", organizations=["acme"]), pipeline(name="b", events=[], organizations=["quiet"])],
    ) == [
        "argo-github-webhooks:pipelines[1] (b).events: must be a non-empty list of GitHub event names (e.g. [push, "
        "pull_request])"
    ]
