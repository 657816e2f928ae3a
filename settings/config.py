"""The stack's settings: parsed once from Pulumi config into immutable objects, with every check in one place.

Nothing here touches Pulumi's engine: `parse_settings` takes the raw `argo-github-webhooks:*` values (strings, as
Pulumi stores them; objects and lists as JSON) and either returns `StackSettings` or raises `ConfigError` listing
every problem, so a bad config fails before a single resource is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from delivery.expr import expression_compile_error
from delivery.github_events import (
    EVENTS_WITHOUT_ACTION,
    EVENTS_WITHOUT_REPOSITORY,
    FORK_EVENTS,
    PULL_REQUEST_EVENTS,
    catalogue,
)
from delivery.workflow_names import MAX_PIPELINE_NAME_LENGTH
from settings.containment import containment_problems
from settings.deadlines import pipeline_deadline
from settings.filters import parse_filters
from settings.github_access import (
    GitHubAccess,
    StatusReport,
    check_installations,
    check_unique_contexts,
    parse_github_access,
    parse_pipeline_status,
)
from settings.injection import injection_problems
from settings.messages import did_you_mean, nearest, shown, unknown_key
from settings.required_checks import (
    RequiredChecks,
    check_required_pipeline,
    parse_required,
    parse_required_checks,
    required_checks_warnings,
)
from settings.secret_scan import SecretScanSettings, parse_secret_scan
from settings.security import (
    DEFAULT_PARALLELISM,
    DEFAULT_POD_SECURITY,
    DNS_SUBDOMAIN,
    NetworkPolicySettings,
    UiIngress,
    check_helm_values,
    check_public_annotations,
    parse_network_policy,
    parse_parallelism,
    parse_pod_security,
    parse_source_ranges,
    parse_ui,
    parse_workflow_service_accounts,
    pod_security_warnings,
)
from settings.templates import TemplateError, WorkflowTemplateFile, load_template

PROJECT = "argo-github-webhooks"
RELEASE_NAME = "argo-workflows"
DEFAULT_CHART_VERSION = "1.0.18"
EVENTS_DISCRIMINATOR = "github"  # the last segment of the stack's events URL, tested first by every binding
APP_EVENTS_DISCRIMINATOR = "github-app"  # the GitHub App's own webhook (Re-run from GitHub): delivery/rerun.py
# The default Kubernetes provider must update Secrets in place: see _check_kubernetes_provider.
SECRET_MUTABLE_KEY = "kubernetes:enableSecretMutable"

WELL_KNOWN_PARAMETERS = (
    "git_url",
    "git_ref",
    "head_commit",
    "repository",
    "event",
    "delivery_id",
    "base_commit",  # where the delivery's commits start: push `before`, pull request `base.sha`
    "default_branch",  # repository.default_branch: what a new branch's commits are counted from
)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = DNS_SUBDOMAIN
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_ACTION = re.compile(r"^[a-z][a-z_]*$")
_PAYLOAD_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
_INGRESS_PATH = re.compile(r"^/([A-Za-z0-9._~-]+/)*$")

_TOP_LEVEL_KEYS = (
    "host",
    "argoNamespace",
    "workflowNamespace",
    "chartVersion",
    "ingress",
    "helmValues",
    "organizations",
    "webhookSecretVersion",
    "pipelines",
    "githubApp",
    "githubToken",
    "ui",
    "parallelism",
    "podSecurity",
    "networkPolicy",
    "workflowServiceAccounts",
    "requiredChecks",
    "secretScan",
)
_INGRESS_KEYS = ("className", "annotations", "tlsSecretName", "path", "sourceRanges")
_PIPELINE_KEYS = (
    "name",
    "template",
    "events",
    "branches",
    "actions",
    "repositories",
    "organizations",
    "parameters",
    "status",
    "forks",
    "deadline",
    "branches-ignore",
    "tags",
    "tags-ignore",
    "paths",
    "paths-ignore",
    "required",
    "cancelInProgress",
)


class ConfigError(ValueError):
    """The stack config cannot be deployed; `problems` names each key or file and what is allowed."""

    def __init__(self, problems: Sequence[str], warnings: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        self.warnings = list(warnings)  # found on the way, as StackSettings.warnings would have held them
        count = len(self.problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid stack configuration ({count} problem{'s' if count != 1 else ''}):\n{listing}")


@dataclass(frozen=True)
class Ingress:
    class_name: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    tls_secret_name: str = f"{RELEASE_NAME}-server-tls"
    path: str = "/"
    source_ranges: tuple[str, ...] = ()  # client CIDRs admitted to the events ingress; () admits any


@dataclass(frozen=True)
class PayloadField:
    """A parameter read from the payload at a dotted path (`repository.clone_url`)."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class RawExpression:
    """A parameter computed by an Argo expression the user wrote."""

    expression: str


ParameterSource = PayloadField | RawExpression


@dataclass(frozen=True)
class Pipeline:
    """One event pipeline: which deliveries start which template, with which parameters."""

    name: str
    template: WorkflowTemplateFile
    events: tuple[str, ...]
    branches: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    parameters: Mapping[str, ParameterSource] = field(default_factory=dict)
    status: StatusReport | None = None  # the commit status the pipeline's runs report, if any
    forks: bool = False  # pull requests whose head repository is not the base repository start it too
    organizations: tuple[str, ...] = ()  # as the stack spells them; empty: every organization of the stack
    deadline_seconds: int | None = None  # the runs' activeDeadlineSeconds; None: the template's own is kept
    # GitHub Actions' filters (delivery.globs): ordered lists with `!`, or the `-ignore` list of the same kind
    branches_ignore: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tags_ignore: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    paths_ignore: tuple[str, ...] = ()
    required: bool = False  # its check must pass before a pull request merges (the organization's ruleset)
    cancel_in_progress: bool = False  # a newer push to the same branch or pull request stops the older run

    @property
    def well_known_parameters(self) -> tuple[str, ...]:
        """Well-known parameters the template declares and the pipeline does not map: the program fills them."""
        declared = self.template.parameter_names
        return tuple(name for name in WELL_KNOWN_PARAMETERS if name in declared and name not in self.parameters)


@dataclass(frozen=True)
class StackSettings:
    host: str
    organizations: tuple[str, ...]
    pipelines: tuple[Pipeline, ...]
    argo_namespace: str = "argo"
    workflow_namespace: str = "workflows"
    chart_version: str = DEFAULT_CHART_VERSION
    ingress: Ingress = field(default_factory=Ingress)
    helm_values: Mapping[str, Any] = field(default_factory=dict)
    webhook_secret_version: int = 1
    warnings: tuple[str, ...] = ()  # deployable, but worth telling at preview (logged by __main__.py)
    github_access: GitHubAccess | None = None
    ui: UiIngress | None = None
    parallelism: int = DEFAULT_PARALLELISM
    pod_security: str = DEFAULT_POD_SECURITY
    network_policy: NetworkPolicySettings = field(default_factory=NetworkPolicySettings)
    workflow_service_accounts: tuple[str, ...] = ()  # besides argo-workflow, what templates may run as
    required_checks: RequiredChecks = field(default_factory=RequiredChecks)  # the rulesets' targets
    secret_scan: SecretScanSettings = field(default_factory=SecretScanSettings)  # the shipped secret-scan's rules

    @property
    def argo_server_url(self) -> str:
        return f"https://{self.host}{self.ingress.path}"

    @property
    def ui_url(self) -> str | None:
        """Argo's UI, where a run can be looked at: the `ui` host, if the stack publishes one (the public host serves
        only the events API)."""
        return f"https://{self.ui.host}/" if self.ui else None

    @property
    def events_url(self) -> str:
        """The stack's one events endpoint: every organization's webhook posts here (discriminator `github`)."""
        return f"{self.argo_server_url}api/v1/events/{self.workflow_namespace}/{EVENTS_DISCRIMINATOR}"

    @property
    def report_contexts(self) -> dict[str, str]:
        """Reporting pipeline -> its status context / check run name."""
        return {pipeline.name: pipeline.status.context for pipeline in self.pipelines if pipeline.status is not None}

    @property
    def reruns_from_github(self) -> bool:
        """Re-run from GitHub: only an App's check runs have the button, and GitHub tells only the App's webhook."""
        access = self.github_access
        return bool(access and access.reports_check_runs and self.report_contexts)

    @property
    def app_webhook_url(self) -> str:
        """Where the GitHub App's own webhook posts: the same events API, discriminator `github-app`."""
        return f"{self.argo_server_url}api/v1/events/{self.workflow_namespace}/{APP_EVENTS_DISCRIMINATOR}"

    def pipelines_of(self, organization: str) -> tuple[Pipeline, ...]:
        """The pipelines that listen to `organization`'s deliveries: all but those whose `organizations` omit it."""
        return tuple(
            pipeline
            for pipeline in self.pipelines
            if not pipeline.organizations or organization in pipeline.organizations
        )

    def required_contexts(self, organization: str) -> tuple[str, ...]:
        """The checks `organization`'s ruleset requires: its required pipelines' check names, sorted (stable)."""
        return tuple(
            sorted(
                pipeline.status.context
                for pipeline in self.pipelines_of(organization)
                if pipeline.required and pipeline.status is not None
            )
        )

    def webhook_events(self, organization: str) -> tuple[str, ...]:
        """What the organization's one webhook subscribes to: the union of its pipelines' events, sorted (stable)."""
        return tuple(sorted({event for pipeline in self.pipelines_of(organization) for event in pipeline.events}))


class _Problems:
    """Collects problems so that one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.warnings: list[str] = []
        # Keys the user misspelt (`pipeline:` for `pipelines:`): reported once as the unknown key with its
        # suggestion, not again as missing.
        self.misspelt: set[str] = set()

    def add(self, key: str, message: str) -> None:
        problem = f"{key}: {message}"
        if key in self.misspelt:
            return
        if problem not in self.items:  # each problem once, however many checks arrive at it
            self.items.append(problem)

    def warn(self, key: str, message: str) -> None:
        warning = f"{key}: {message}"
        if warning not in self.warnings:
            self.warnings.append(warning)


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def parse_settings(raw: Mapping[str, str], project_root: Path, secret_keys: Collection[str] = ()) -> StackSettings:
    """Validate the raw config values (`argo-github-webhooks:<key>` → string) into settings, or raise ConfigError.

    `secret_keys`: the keys Pulumi holds as secrets (credentials given in plain text are refused)."""
    problems = _Problems()
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, _, name = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if name not in _TOP_LEVEL_KEYS:
            problems.add(full_key, unknown_key(name, _TOP_LEVEL_KEYS))
            if (meant := nearest(name, _TOP_LEVEL_KEYS)) and _key(meant) not in raw:
                problems.misspelt.add(_key(meant))
            continue
        values[name] = _decode(text)

    host = _parse_host(values.get("host"), problems)
    argo_namespace = _parse_dns_label(values.get("argoNamespace", "argo"), "argoNamespace", problems)
    workflow_namespace = _parse_dns_label(values.get("workflowNamespace", "workflows"), "workflowNamespace", problems)
    if argo_namespace and argo_namespace == workflow_namespace:
        problems.add(_key("workflowNamespace"), f"must differ from argoNamespace ({argo_namespace!r})")
    chart_version = _parse_chart_version(values.get("chartVersion", DEFAULT_CHART_VERSION), problems)
    ingress = _parse_ingress(values.get("ingress", {}), problems)
    helm_values = _parse_helm_values(values.get("helmValues", {}), problems)
    organizations = _parse_organizations(values.get("organizations"), problems)
    secret_version = _parse_secret_version(values.get("webhookSecretVersion", 1), problems)
    access = parse_github_access(values.get("githubApp"), values.get("githubToken"), secret_keys, _key, problems.add)
    check_installations(access, organizations, _key("githubApp"), problems.add)
    workflow_accounts = parse_workflow_service_accounts(
        values.get("workflowServiceAccounts", []), _key("workflowServiceAccounts"), problems.add
    )
    before_pipelines = len(problems.items)
    pipelines = _parse_pipelines(
        values.get("pipelines"), project_root, organizations, problems, access is not None, workflow_accounts
    )
    if len(problems.items) == before_pipelines:  # a pipeline left out for its own problems may be the missing one
        _check_every_organization_has_a_pipeline(organizations, pipelines, problems)
    check_unique_contexts({pipeline.name: pipeline.status for pipeline in pipelines}, _key("pipelines"), problems.add)
    _check_required_pipelines(values.get("pipelines"), access, problems)
    required_checks = parse_required_checks(values.get("requiredChecks"), _key("requiredChecks"), problems.add)
    for key, warning in required_checks_warnings(
        "requiredChecks" in values, any(pipeline.required for pipeline in pipelines), _key("requiredChecks")
    ):
        problems.warn(key, warning)
    _check_kubernetes_provider(raw, problems)
    ui = parse_ui(values.get("ui"), _key("ui"), host, problems.add)
    parallelism = parse_parallelism(values.get("parallelism", DEFAULT_PARALLELISM), _key("parallelism"), problems.add)
    pod_security = parse_pod_security(
        values.get("podSecurity", DEFAULT_POD_SECURITY), _key("podSecurity"), problems.add
    )
    network_policy = parse_network_policy(values.get("networkPolicy", {}), _key("networkPolicy"), problems.add)
    for key, warning in pod_security_warnings(pod_security, network_policy):
        problems.warn(_key(key), warning)
    secret_scan = parse_secret_scan(values.get("secretScan", {}), _key("secretScan"), project_root, problems.add)

    if problems.items:
        raise ConfigError(problems.items, problems.warnings)
    return StackSettings(
        host=host,
        organizations=organizations,
        pipelines=pipelines,
        argo_namespace=argo_namespace,
        workflow_namespace=workflow_namespace,
        chart_version=chart_version,
        ingress=ingress,
        helm_values=helm_values,
        webhook_secret_version=secret_version,
        warnings=tuple(problems.warnings),
        github_access=access,
        ui=ui,
        parallelism=parallelism,
        pod_security=pod_security,
        network_policy=network_policy,
        workflow_service_accounts=workflow_accounts,
        required_checks=required_checks,
        secret_scan=secret_scan,
    )


def _decode(text: str) -> Any:
    """Pulumi hands objects and lists over as JSON text, scalars as plain text."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _parse_host(value: Any, problems: _Problems) -> str:
    key = _key("host")
    if value is None:
        problems.add(key, "is required: the public host name of the Argo Server ingress, e.g. argo.dev.example.com")
        return ""
    if not isinstance(value, str) or not value:
        problems.add(key, "must be a non-empty string")
        return ""
    if "://" in value:
        problems.add(key, f"{value!r} must not include a scheme: write the host name only, e.g. argo.example.com")
    elif "/" in value:
        problems.add(key, f"{value!r} must not include a path: use ingress.path for a path prefix")
    elif any(character.isspace() for character in value):
        problems.add(key, f"{value!r} must not contain spaces")
    elif ":" in value:
        problems.add(key, f"{value!r} must not include a port: the ingress serves HTTPS on 443")
    elif not _DNS_SUBDOMAIN.match(value) or "." not in value:
        problems.add(key, f"{value!r} is not a fully qualified, lower-case DNS name (RFC 1123)")
    else:
        return value
    return ""


def _parse_dns_label(value: Any, name: str, problems: _Problems) -> str:
    if isinstance(value, str) and _DNS_LABEL.match(value):
        return value
    problems.add(
        _key(name), f"{shown(value)} is not a valid namespace name (DNS-1123 label: a-z, 0-9 and '-', at most 63)"
    )
    return ""


def _parse_chart_version(value: Any, problems: _Problems) -> str:
    if isinstance(value, str) and _CHART_VERSION.match(value):
        return value
    problems.add(_key("chartVersion"), f"{shown(value)} is not a pinned chart version (e.g. {DEFAULT_CHART_VERSION})")
    return ""


def _unknown_keys(mapping: Mapping[str, Any], allowed: Sequence[str], key: str, problems: _Problems) -> None:
    for unknown in sorted(set(mapping) - set(allowed)):
        problems.add(f"{key}.{unknown}", unknown_key(unknown, allowed))
        if (meant := nearest(unknown, allowed)) and meant not in mapping:
            problems.misspelt.add(f"{key}.{meant}")


def _parse_ingress(value: Any, problems: _Problems) -> Ingress:
    key = _key("ingress")
    if not isinstance(value, dict):
        problems.add(key, f"must be an object with keys {', '.join(_INGRESS_KEYS)}")
        return Ingress()
    _unknown_keys(value, _INGRESS_KEYS, key, problems)
    class_name = value.get("className")
    if class_name is not None and not (isinstance(class_name, str) and _DNS_SUBDOMAIN.match(class_name)):
        problems.add(f"{key}.className", f"{shown(class_name)} is not a valid IngressClass name")
    annotations = value.get("annotations", {})
    if not isinstance(annotations, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
    ):
        problems.add(f"{key}.annotations", "must be a map of strings to strings (quote numbers and booleans)")
        annotations = {}
    check_public_annotations(annotations, f"{key}.annotations", problems.add)
    tls_secret_name = value.get("tlsSecretName", Ingress.tls_secret_name)
    if not (isinstance(tls_secret_name, str) and _DNS_SUBDOMAIN.match(tls_secret_name)):
        problems.add(
            f"{key}.tlsSecretName", f"{shown(tls_secret_name)} is not a valid Secret name (DNS-1123 subdomain)"
        )
    path = value.get("path", "/")
    if not (isinstance(path, str) and _INGRESS_PATH.match(path)):
        problems.add(f"{key}.path", f"{shown(path)} must start and end with '/' (e.g. '/' or '/argo/')")
    source_ranges = parse_source_ranges(value.get("sourceRanges", []), f"{key}.sourceRanges", problems.add)
    return Ingress(
        class_name=class_name if isinstance(class_name, str) else None,
        annotations=dict(annotations),
        tls_secret_name=str(tls_secret_name),
        path=str(path),
        source_ranges=source_ranges,
    )


def _parse_helm_values(value: Any, problems: _Problems) -> dict[str, Any]:
    key = _key("helmValues")
    if not isinstance(value, dict):
        problems.add(key, "must be an object of chart values (deep-merged over the program's)")
        return {}
    server = value.get("server")
    auth_modes = server.get("authModes") if isinstance(server, dict) else None
    if auth_modes is not None and (not isinstance(auth_modes, list) or "server" in auth_modes):
        problems.add(
            f"{key}.server.authModes",
            f"{shown(auth_modes)} is not allowed: with 'server' Argo accepts unsigned deliveries as its own "
            "ServiceAccount; use ['client'] or ['client', 'sso']",
        )
    check_helm_values(value, key, problems.add)
    crds = value.get("crds")
    if isinstance(crds, dict) and crds.get("full") is True:
        problems.add(
            f"{key}.crds.full",
            "true is not allowed: the full CRDs are installed by a Helm hook, which Pulumi's Chart v4 never runs",
        )
    return value


def _parse_organizations(value: Any, problems: _Problems) -> tuple[str, ...]:
    key = _key("organizations")
    if value is None:
        problems.add(key, "is required: a list of GitHub organization logins")
        return ()
    if not isinstance(value, list) or not value:
        problems.add(key, "must be a non-empty list of GitHub organization logins")
        return ()
    seen: set[str] = set()
    organizations = []
    for index, login in enumerate(value):
        item = f"{key}[{index}]"
        if not isinstance(login, str) or not _GITHUB_LOGIN.match(login):
            problems.add(item, f"{shown(login)} is not a GitHub login (letters, digits, single hyphens; at most 39)")
        elif login.lower() in seen:
            problems.add(item, f"{login!r} is listed twice (logins are case-insensitive)")
        else:
            seen.add(login.lower())
            organizations.append(login)
    return tuple(organizations)


def _parse_secret_version(value: Any, problems: _Problems) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    problems.add(
        _key("webhookSecretVersion"), f"{shown(value)} must be a positive integer (bump it to rotate the secret)"
    )
    return 1


def _parse_pipelines(
    value: Any,
    project_root: Path,
    organizations: tuple[str, ...],
    problems: _Problems,
    has_access: bool = False,
    workflow_accounts: tuple[str, ...] = (),
) -> tuple[Pipeline, ...]:
    key = _key("pipelines")
    if value is None:
        problems.add(key, "is required: a list of pipelines (name, template, events, ...)")
        return ()
    if not isinstance(value, list) or not value:
        problems.add(key, "must be a non-empty list of pipelines")
        return ()
    templates: dict[Path, WorkflowTemplateFile | None] = {}
    pipelines: list[Pipeline] = []
    seen_names: dict[str, str] = {}
    for index, entry in enumerate(value):
        item = f"{key}[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
            item += f" ({entry['name']})"  # the user finds a pipeline by its name, not by counting from 0
        if not isinstance(entry, dict):
            problems.add(item, "must be an object with keys " + ", ".join(_PIPELINE_KEYS))
            continue
        pipeline = _parse_pipeline(
            entry, item, project_root, templates, organizations, problems, has_access, workflow_accounts
        )
        if pipeline is None:
            continue
        if pipeline.name in seen_names:
            problems.add(
                f"{item}.name", f"{pipeline.name!r} is used by {seen_names[pipeline.name]} too (names must be unique)"
            )
            continue
        seen_names[pipeline.name] = f"{key}[{index}]".partition(":")[2]
        pipelines.append(pipeline)
    return tuple(pipelines)


def _parse_pipeline(
    entry: Mapping[str, Any],
    item: str,
    project_root: Path,
    templates: dict[Path, WorkflowTemplateFile | None],
    stack_organizations: tuple[str, ...],
    problems: _Problems,
    has_access: bool = False,
    workflow_accounts: tuple[str, ...] = (),
) -> Pipeline | None:
    before = len(problems.items)
    _unknown_keys(entry, _PIPELINE_KEYS, item, problems)
    name = entry.get("name")
    if name is None:
        problems.add(f"{item}.name", "is required: a unique DNS-1123 label (a-z, 0-9, '-'), e.g. secret-scan")
    elif not isinstance(name, str) or not _DNS_LABEL.match(name):
        problems.add(f"{item}.name", f"{shown(name)} is not a valid pipeline name (DNS-1123 label: a-z, 0-9, '-')")
    elif len(name) > MAX_PIPELINE_NAME_LENGTH:
        problems.add(
            f"{item}.name",
            f"{name!r} is {len(name)} characters, at most {MAX_PIPELINE_NAME_LENGTH} are allowed: each run is named "
            "<pipeline>-<X-GitHub-Delivery GUID, 36 characters> so that a redelivery never runs twice, and Argo "
            "refuses Workflow names over 63 characters",
        )
    template = _parse_template_path(
        entry.get("template"), f"{item}.template", project_root, templates, problems, workflow_accounts
    )
    before_events = len(problems.items)
    events = _parse_events(entry.get("events"), f"{item}.events", problems)
    # Checks of what the events carry would only repeat a misspelt event as a knock-on problem: skip them then.
    events_complete = len(problems.items) == before_events
    filters = parse_filters(entry, events if events_complete else (), item, problems.add, has_access)
    branches = filters.branches
    actions = _string_list(entry.get("actions", []), f"{item}.actions", _action_problem, problems)
    repositories = _string_list(entry.get("repositories", []), f"{item}.repositories", _repository_problem, problems)
    if events_complete:
        _check_filters_apply(events, actions, repositories, item, problems)
        _check_actions_known(events, entry.get("actions", []), f"{item}.actions", problems)
    for event in events:  # e.g. Argo refuses repository transfers: deployable, but the user should know
        for warning in catalogue().warnings_for(event, actions):
            problems.warn(f"{item}.events", warning)
    organizations = _parse_pipeline_organizations(entry, f"{item}.organizations", stack_organizations, problems)
    parameters = _parse_parameters(entry.get("parameters", {}), f"{item}.parameters", problems)
    forks = _parse_forks(entry.get("forks", False), events if events_complete else (), f"{item}.forks", problems)
    cancel_in_progress = _parse_cancel_in_progress(
        entry.get("cancelInProgress", False), events if events_complete else (), f"{item}.cancelInProgress", problems
    )
    if template is not None:
        _check_parameters_against_template(parameters, template, item, problems)
        # What the pipeline maps from the payload is the delivery's text: it reaches containers through env only.
        # Well-known values the program fills are clean (the binding guarantees GitHub's shape, or gives "").
        event_derived = set(parameters) & template.parameter_names
        for problem in injection_problems(template, event_derived):
            problems.add(f"{item}.template ({entry.get('template')})", problem)
    template_names = [str(t.get("name")) for t in template.document["spec"]["templates"]] if template else []
    status = parse_pipeline_status(
        entry.get("status"), name, events, template_names, has_access, f"{item}.status", problems.add
    )
    template_spec = template.document["spec"] if template else {}
    deadline = pipeline_deadline(entry, template_spec, f"{item}.deadline", problems.add)
    required = parse_required(entry.get("required", False), f"{item}.required", problems.add)
    if len(problems.items) != before or template is None:
        return None
    return Pipeline(
        name=name,
        template=template,
        events=events,
        branches=branches,
        actions=actions,
        repositories=repositories,
        parameters=parameters,
        status=status,
        forks=forks,
        organizations=organizations,
        deadline_seconds=deadline,
        branches_ignore=filters.branches_ignore,
        tags=filters.tags,
        tags_ignore=filters.tags_ignore,
        paths=filters.paths,
        paths_ignore=filters.paths_ignore,
        required=required,
        cancel_in_progress=cancel_in_progress,
    )


def _parse_cancel_in_progress(value: Any, events: tuple[str, ...], key: str, problems: _Problems) -> bool:
    """Runs of a branch or a pull request superseded by a newer push are stopped: only push and pull request events
    name one."""
    if not isinstance(value, bool):
        problems.add(
            key,
            f"{shown(value)} must be true or false (true: a newer push to the branch or pull request stops the "
            "older run)",
        )
        return False
    grouped = ("push", *PULL_REQUEST_EVENTS)
    if value and events and not set(events) & set(grouped):
        problems.add(
            key,
            f"does not apply: none of {', '.join(events)} is about a branch or a pull request (cancelInProgress "
            f"applies to {', '.join(grouped)})",
        )
    return value


def _parse_forks(value: Any, events: tuple[str, ...], key: str, problems: _Problems) -> bool:
    """Forks run their author's code: a pipeline starts for a delivery about a fork's code (a pull request, a workflow
    run or check on a fork's head, a comment on a pull request) only when it says so."""
    if not isinstance(value, bool):
        problems.add(
            key, f"{shown(value)} must be true or false (true: pull requests from forks start this pipeline too)"
        )
        return False
    if value and events and not set(events) & set(FORK_EVENTS):
        problems.add(
            key,
            f"does not apply: none of {', '.join(events)} can name a fork's code (forks applies to "
            f"{', '.join(FORK_EVENTS)})",
        )
    return value


def _parse_template_path(
    value: Any,
    key: str,
    project_root: Path,
    templates: dict[Path, WorkflowTemplateFile | None],
    problems: _Problems,
    workflow_accounts: tuple[str, ...] = (),
) -> WorkflowTemplateFile | None:
    if not isinstance(value, str) or not value:
        problems.add(key, "is required: the path of a WorkflowTemplate YAML file (relative to the project or absolute)")
        return None
    path = Path(value)
    path = path if path.is_absolute() else project_root / path
    if path not in templates:  # each file is read and checked once, however many pipelines use it
        try:
            templates[path] = load_template(path)
        except TemplateError as error:
            templates[path] = None
            for problem in error.problems:
                problems.add(f"{key} ({value})", problem)
        else:  # what a template may not loosen, whichever pipeline uses it: once per file
            for problem in containment_problems(templates[path], frozenset(workflow_accounts)):
                problems.add(f"{key} ({value})", problem)
    return templates[path]


def _parse_events(value: Any, key: str, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.add(key, "must be a non-empty list of GitHub event names (e.g. [push, pull_request])")
        return ()
    events: list[str] = []
    for index, event in enumerate(value):
        if not isinstance(event, str):
            problems.add(f"{key}[{index}]", f"{shown(event)} is not an event name")
            continue
        problem = catalogue().problem_with(event)
        if problem:
            if event not in catalogue().github_events:
                problem += did_you_mean(event, catalogue().deliverable)
            problems.add(f"{key}[{index}]", problem)
        elif event in events:
            problems.add(f"{key}[{index}]", f"{event!r} is listed twice")
        else:
            events.append(event)
    return tuple(events)


def _string_list(value: Any, key: str, check: Callable[[str], str | None], problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.add(key, "must be a list of strings")
        return ()
    items: list[str] = []
    for index, item in enumerate(value):
        problem = check(item) if isinstance(item, str) and item else f"{shown(item)} is not a non-empty string"
        if problem:
            problems.add(f"{key}[{index}]", problem)
        else:
            items.append(item)
    return tuple(items)


def _check_actions_known(events: tuple[str, ...], raw_actions: Any, key: str, problems: _Problems) -> None:
    """An action none of the events carries never matches: refuse it, with the nearest action they do carry."""
    with_actions = [event for event in events if catalogue().actions.get(event)]
    carried = {action for event in with_actions for action in catalogue().actions[event]}
    if not carried or not isinstance(raw_actions, list):
        return  # no event carries an action: _check_filters_apply says so once
    for index, action in enumerate(raw_actions):
        if isinstance(action, str) and _ACTION.match(action) and action not in carried:
            problems.add(
                f"{key}[{index}]",
                f"{action!r} is not an action of {', '.join(with_actions)}" + did_you_mean(action, carried),
            )


def _action_problem(action: str) -> str | None:
    return None if _ACTION.match(action) else f"{action!r} is not an action name (lower case, e.g. 'opened')"


def _repository_problem(repository: str) -> str | None:
    owner, slash, name = repository.rpartition("/")
    if _REPOSITORY_NAME.match(name) and (not slash or _GITHUB_LOGIN.match(owner)):
        return None
    return f"{repository!r} is not a repository 'name' or 'owner/name'"


def _check_filters_apply(
    events: tuple[str, ...],
    actions: tuple[str, ...],
    repositories: tuple[str, ...],
    item: str,
    problems: _Problems,
) -> None:
    if not events:
        return
    if actions and all(event in EVENTS_WITHOUT_ACTION for event in events):
        problems.add(f"{item}.actions", f"does not apply: none of {', '.join(events)} carries an action")
    if repositories and all(event in EVENTS_WITHOUT_REPOSITORY for event in events):
        problems.add(f"{item}.repositories", f"does not apply: none of {', '.join(events)} carries a repository")


def _parse_parameters(value: Any, key: str, problems: _Problems) -> dict[str, ParameterSource]:
    if not isinstance(value, dict):
        problems.add(key, "must be a map of template parameter name to a payload path or {expression: ...}")
        return {}
    parameters: dict[str, ParameterSource] = {}
    for name, source in value.items():
        item = f"{key}.{name}"
        if not _PARAMETER_NAME.match(name):
            problems.add(item, f"{name!r} is not a valid parameter name")
        elif isinstance(source, str):
            segments = tuple(source.split("."))
            if all(_PAYLOAD_FIELD.match(segment) for segment in segments):
                parameters[name] = PayloadField(segments)
            else:
                problems.add(
                    item,
                    f"{source!r} is not a payload path: dot-separated field names, e.g. repository.clone_url",
                )
        elif isinstance(source, dict) and set(source) == {"expression"} and isinstance(source["expression"], str):
            if not source["expression"].strip():
                problems.add(item, "expression must not be empty")
            elif compile_error := expression_compile_error(source["expression"]):
                problems.add(item, f"Argo (expr v1.17) cannot compile this expression: {compile_error}")
            else:
                parameters[name] = RawExpression(source["expression"])
        else:
            problems.add(item, "must be a payload path string or {expression: '<Argo expression>'}")
    return parameters


def _check_parameters_against_template(
    parameters: Mapping[str, ParameterSource], template: WorkflowTemplateFile, item: str, problems: _Problems
) -> None:
    declared = template.parameter_names
    for name in parameters:
        if name not in declared:
            problems.add(
                f"{item}.parameters.{name}",
                f"is not declared by {template.path.name} (declared: {', '.join(sorted(declared)) or 'none'})",
            )
    for parameter in template.parameters:
        if parameter.required and parameter.name not in parameters and parameter.name not in WELL_KNOWN_PARAMETERS:
            problems.add(
                f"{item}.parameters",
                f"template parameter {parameter.name!r} of {template.path.name} has no default: map it "
                f"(well-known names filled automatically: {', '.join(WELL_KNOWN_PARAMETERS)})",
            )


def _parse_pipeline_organizations(
    entry: Mapping[str, Any], key: str, stack_organizations: tuple[str, ...], problems: _Problems
) -> tuple[str, ...]:
    """A non-empty subset of the stack's organizations, matched case-insensitively, kept as the stack spells them."""
    if "organizations" not in entry:
        return ()
    value = entry["organizations"]
    if not isinstance(value, list) or not value:
        problems.add(key, "must be a non-empty list of the stack's organizations (leave it out for all of them)")
        return ()
    known = {login.lower(): login for login in stack_organizations}
    listing = ", ".join(stack_organizations) or "none"
    chosen: list[str] = []
    for index, login in enumerate(value):
        item = f"{key}[{index}]"
        if not isinstance(login, str) or not login:
            problems.add(item, f"{shown(login)} is not an organization login")
        elif login.lower() not in known:
            problems.add(
                item,
                f"{login!r} is not one of the stack's organizations ({listing})"
                + did_you_mean(login, stack_organizations),
            )
        elif known[login.lower()] in chosen:
            problems.add(item, f"{login!r} is listed twice (logins are case-insensitive)")
        else:
            chosen.append(known[login.lower()])
    return tuple(chosen)


def _check_required_pipelines(value: Any, access: GitHubAccess | None, problems: _Problems) -> None:
    """What `required: true` needs (settings/required_checks.py), checked on each pipeline that sets it."""
    for index, entry in enumerate(value if isinstance(value, list) else []):
        if isinstance(entry, dict) and entry.get("required") is True:
            name = entry.get("name")
            item = _key(f"pipelines[{index}]") + (f" ({name})" if isinstance(name, str) and name else "")
            events = entry.get("events") if isinstance(entry.get("events"), list) else []
            check_required_pipeline(entry, events, access, f"{item}.required", problems.add)


def _check_every_organization_has_a_pipeline(
    organizations: tuple[str, ...], pipelines: tuple[Pipeline, ...], problems: _Problems
) -> None:
    """An organization no pipeline listens to would get a webhook with no events (GitHub would default it to push)."""
    if not pipelines:
        return
    for index, organization in enumerate(organizations):
        if not any(not pipeline.organizations or organization in pipeline.organizations for pipeline in pipelines):
            problems.add(
                f"{_key('organizations')}[{index}]",
                f"{organization!r} has no pipeline: every pipeline's organizations leaves it out (remove it, or add "
                "it to a pipeline)",
            )


def _check_kubernetes_provider(raw: Mapping[str, str], problems: _Problems) -> None:
    """Rotation changes argo-workflows-webhook-clients; pulumi-kubernetes replaces a Secret whose data changes (and,
    its name being fixed, deletes it first: every delivery fails with 403 meanwhile) unless the provider treats
    Secrets as mutable. The default provider reads this key from the stack config."""
    value = raw.get(SECRET_MUTABLE_KEY)
    if str(value).lower() != "true":
        found = "it is missing" if value is None else f"found {value!r}"
        problems.add(
            SECRET_MUTABLE_KEY,
            f"must be true ({found}): rotating the webhook secret updates the Secret "
            "argo-workflows-webhook-clients, which the Kubernetes provider would otherwise delete and recreate, "
            "failing every delivery in between; run: pulumi config set kubernetes:enableSecretMutable true",
        )
