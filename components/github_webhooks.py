"""One GitHub organization's webhooks: one per pipeline, each posting its events to that pipeline's URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class WebhookSpec:
    """What one pipeline's webhook sends, and where."""

    pipeline: str
    url: str
    events: Sequence[str]


@dataclass(frozen=True)
class OrganizationWebhooksArgs:
    organization: str
    webhooks: Sequence[WebhookSpec]
    secret: pulumi.Input[str]
    token: pulumi.Input[str] | None = None
    base_url: str | None = None


class OrganizationWebhooks(pulumi.ComponentResource):
    """A GitHub provider for the organization and its webhooks (JSON, TLS verified, signed with the secret)."""

    def __init__(self, name: str, args: OrganizationWebhooksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:OrganizationWebhooks", name, None, opts)
        # An explicit provider does not read `github:token`: pass it on (None leaves it to GITHUB_TOKEN).
        self.provider = github.Provider(
            f"{name}-provider",
            owner=args.organization,
            token=args.token,
            base_url=args.base_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.webhooks: Mapping[str, github.OrganizationWebhook] = {
            spec.pipeline: github.OrganizationWebhook(
                f"{name}-{spec.pipeline}",
                events=list(spec.events),
                active=True,
                configuration=github.OrganizationWebhookConfigurationArgs(
                    url=spec.url, content_type="json", insecure_ssl=False, secret=args.secret
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
            )
            for spec in args.webhooks
        }
        self.webhook_ids: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{pipeline: webhook.id for pipeline, webhook in self.webhooks.items()}
        )
        self.register_outputs({"webhookIds": self.webhook_ids})
