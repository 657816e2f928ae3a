"""argo-github-webhooks: read the settings, build the components, export the outputs."""

import gc
from pathlib import Path

import pulumi

from components.argo_workflows import ArgoWorkflows, ArgoWorkflowsArgs
from components.github_app import GitHubApp, GitHubAppArgs
from components.github_webhooks import OrganizationWebhooks, OrganizationWebhooksArgs, WebhookSpec
from components.pipeline import EventPipeline, EventPipelineArgs
from components.webhook_auth import WebhookAuth, WebhookAuthArgs
from delivery.status_hooks import StatusReporting
from settings.pulumi_config import github_credentials, load_settings

settings = load_settings(Path(__file__).resolve().parent)
for warning in settings.warnings:
    pulumi.log.warn(warning)
credentials = github_credentials()
# The SDKs and Argo's schema models stay loaded for the whole run: keep them out of the garbage collector's full
# collections, which would otherwise walk them again and again while a large stack registers its resources.
gc.collect()
gc.freeze()

argo = ArgoWorkflows("argo-workflows", ArgoWorkflowsArgs.from_settings(settings))
auth = WebhookAuth(
    "github-webhook",
    WebhookAuthArgs(namespace=argo.workflow_namespace.metadata.name, secret_version=settings.webhook_secret_version),
)
access = settings.github_access
github_app = GitHubApp(
    "workflow-github",  # not "github-...": that prefix names each organization's webhooks
    GitHubAppArgs(
        namespace=argo.workflow_namespace.metadata.name,
        api_url=credentials.api_url,
        app_id=access.app_id if access else None,
        credentials=access.secret_data if access else None,
    ),
)
reporting = StatusReporting(settings.argo_server_url, credentials.api_url, access.app_id if access else None)
pipelines = [
    EventPipeline(
        pipeline.name,
        EventPipelineArgs(pipeline=pipeline, namespace=settings.workflow_namespace, status_reporting=reporting),
        opts=pulumi.ResourceOptions(depends_on=[argo, github_app]),
    )
    for pipeline in settings.pipelines
]
webhooks = [
    WebhookSpec(pipeline.name, settings.webhook_url(pipeline), pipeline.events) for pipeline in settings.pipelines
]
organizations = {
    organization: OrganizationWebhooks(
        f"github-{organization}",
        OrganizationWebhooksArgs(
            organization=organization,
            webhooks=webhooks,
            secret=auth.secret,
            token=credentials.token,
            base_url=credentials.base_url,
        ),
        # GitHub pings each new webhook at once: everything that answers it must exist first.
        opts=pulumi.ResourceOptions(depends_on=[argo, auth, *pipelines]),
    )
    for organization in settings.organizations
}

pulumi.export("argoServerUrl", settings.argo_server_url)
pulumi.export("webhookUrls", {pipeline.name: settings.webhook_url(pipeline) for pipeline in settings.pipelines})
pulumi.export("webhookSecret", auth.secret)
pulumi.export("organizationWebhooks", {name: component.webhook_ids for name, component in organizations.items()})
