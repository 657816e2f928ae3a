"""argo-github-webhooks: read the settings, build the components, export the outputs."""

import gc
from pathlib import Path

import pulumi

from components.argo_workflows import ArgoWorkflows, ArgoWorkflowsArgs
from components.github_app import GitHubApp, GitHubAppArgs
from components.github_webhooks import OrganizationWebhook, OrganizationWebhookArgs
from components.pipeline import EventPipeline, EventPipelineArgs
from components.report_upkeep import ReportUpkeep, ReportUpkeepArgs
from components.required_checks import OrganizationRequiredChecks, OrganizationRequiredChecksArgs
from components.secret_scan import SecretScanRules, SecretScanRulesArgs
from components.superseded_runs import SupersededRuns, SupersededRunsArgs
from components.webhook_auth import WebhookAuth, WebhookAuthArgs
from delivery.rerun import APP_EVENTS
from delivery.status_hooks import StatusReporting
from settings.pulumi_config import github_credentials, load_settings

settings = load_settings(Path(__file__).resolve().parent)
for warning in settings.warnings:
    pulumi.log.warn(warning)
credentials = github_credentials()
# The SDKs and Argo's schema models stay loaded for the whole run: keep them out of the garbage collector's full
# collections, which would otherwise walk them again and again while a large stack registers its resources. No
# gc.collect() first: it walked that whole heap once more (about 0.2 s) to free a handful of objects (0 to 10 in the
# benchmark's cells).
gc.freeze()

argo = ArgoWorkflows("argo-workflows", ArgoWorkflowsArgs.from_settings(settings))
auth = WebhookAuth(
    "github-webhook",
    WebhookAuthArgs(
        namespace=argo.workflow_namespace.metadata.name,
        secret_version=settings.webhook_secret_version,
        app_webhook=settings.reruns_from_github,
    ),
)
access = settings.github_access
github_app = GitHubApp(
    "workflow-github",  # not "github-...": that prefix names each organization's webhooks
    GitHubAppArgs(
        namespace=argo.workflow_namespace.metadata.name,
        api_url=credentials.api_url,
        app_id=access.app_id if access else None,
        credentials=access.secret_data if access else None,
        check_runs=bool(access and access.reports_check_runs),
    ),
)
scan_rules = SecretScanRules(
    "secret-scan-rules",
    SecretScanRulesArgs(namespace=argo.workflow_namespace.metadata.name, settings=settings.secret_scan),
)
reporting = StatusReporting(
    settings.ui_url,
    credentials.api_url,
    access.app_id if access else None,
    check_runs=bool(access and access.reports_check_runs),
    log_lines=access.log_lines if access else 0,
    installations=tuple(sorted(access.installations.items())) if access else (),
)
superseded_runs = (  # the identity of the cancel-superseded step, only when a pipeline asks for it
    [SupersededRuns("superseded-runs", SupersededRunsArgs(namespace=argo.workflow_namespace.metadata.name))]
    if any(pipeline.cancel_in_progress for pipeline in settings.pipelines)
    else []
)
pipelines = [
    EventPipeline(
        pipeline.name,
        EventPipelineArgs(
            pipeline=pipeline,
            namespace=settings.workflow_namespace,
            status_reporting=reporting,
            required_checks=settings.required_checks,
        ),
        opts=pulumi.ResourceOptions(depends_on=[argo, github_app, scan_rules, *superseded_runs]),
    )
    for pipeline in settings.pipelines
]
# Runs that end without their report are completed by the sweep; an App's check runs can be re-run from GitHub.
upkeep = (
    ReportUpkeep(
        "report-upkeep",
        ReportUpkeepArgs(
            namespace=settings.workflow_namespace,
            contexts=settings.report_contexts,
            reporting=reporting,
            reruns=settings.reruns_from_github,
        ),
        opts=pulumi.ResourceOptions(depends_on=[argo, github_app]),
    )
    if settings.report_contexts and access
    else None
)
# GitHub pings each new webhook at once: everything that answers it must exist first. The last resource of each chain
# (each waits for the ones before it), rather than whole components: the same order, without expanding every
# component into its children once per organization.
answering: list[pulumi.Resource] = [
    argo.chart,
    *argo.server_role_bindings,
    auth.clients,
    *(pipeline.binding for pipeline in pipelines),
    *(pipeline.skip_binding for pipeline in pipelines if pipeline.skip_binding is not None),
]
organizations = {
    organization: OrganizationWebhook(
        f"github-{organization}",
        OrganizationWebhookArgs(
            organization=organization,
            url=settings.events_url,
            events=settings.webhook_events(organization),
            secret=auth.secret,
            token=credentials.token,
            base_url=credentials.base_url,
        ),
        opts=pulumi.ResourceOptions(depends_on=answering),
    )
    for organization in settings.organizations
}

# One ruleset per organization with required pipelines, pinned to the App (settings refuse `required` without one);
# made with the organization's provider once its hook (and so everything that reports the checks) exists.
required = settings.required_checks
rulesets = {
    organization: OrganizationRequiredChecks(
        f"required-checks-{organization}",
        OrganizationRequiredChecksArgs(
            organization=organization,
            contexts=settings.required_contexts(organization),
            app_id=access.app_id,
            provider=organizations[organization].provider,
            ref_patterns=required.ref_patterns,
            include_repositories=required.include_repositories,
            exclude_repositories=required.exclude_repositories,
            enforcement=required.enforcement,
            bypass_actors=required.bypass_actors,
        ),
        opts=pulumi.ResourceOptions(depends_on=[organizations[organization].webhook]),
    )
    for organization in settings.organizations
    if access is not None and access.app_id and settings.required_contexts(organization)
}

pulumi.export("argoServerUrl", settings.argo_server_url)
pulumi.export("webhookUrl", settings.events_url)
pulumi.export("webhookSecret", auth.secret)
pulumi.export("organizationWebhooks", {name: component.webhook_id for name, component in organizations.items()})
pulumi.export("requiredCheckRulesets", {name: component.ruleset_id for name, component in rulesets.items()})
if settings.reruns_from_github and auth.app_secret is not None:
    # What the GitHub App's own webhook needs (docs/github-app.md, "Re-run from GitHub").
    pulumi.export(
        "githubAppWebhook",
        {"url": settings.app_webhook_url, "contentType": "application/json", "events": list(APP_EVENTS)},
    )
    pulumi.export("githubAppWebhookSecret", auth.app_secret)
