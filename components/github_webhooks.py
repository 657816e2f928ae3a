"""One GitHub organization's one webhook: the union of its pipelines' events, posted to the stack's events URL.

GitHub writes are the scarce resource (80 content-creating requests a minute, 500 an hour, and the provider waits
1 s between writes), so the hook's Pulumi name comes from the organization alone and its events are sorted: creating
the stack costs one write per organization, a rotation one per organization, a pipeline one per organization only if
it adds an event that organization's hook did not have, and an organization one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class OrganizationWebhookArgs:
    organization: str
    url: str
    events: Sequence[str]
    secret: pulumi.Input[str]
    token: pulumi.Input[str] | None = None
    base_url: str | None = None


class OrganizationWebhook(pulumi.ComponentResource):
    """A GitHub provider for the organization and its webhook (JSON, TLS verified, signed with the secret)."""

    def __init__(self, name: str, args: OrganizationWebhookArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:OrganizationWebhook", name, None, opts)
        if not args.events:
            raise ValueError(f"{args.organization}: a webhook without events would get GitHub's default (push)")
        # An explicit provider does not read `github:token`: pass it on (None leaves it to GITHUB_TOKEN).
        self.provider = github.Provider(
            f"{name}-provider",
            owner=args.organization,
            token=args.token,
            base_url=args.base_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.webhook = github.OrganizationWebhook(
            f"{name}-webhook",
            events=sorted(args.events),
            active=True,
            configuration=github.OrganizationWebhookConfigurationArgs(
                url=args.url, content_type="json", insecure_ssl=False, secret=args.secret
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.webhook_id: pulumi.Output[str] = self.webhook.id
        self.register_outputs({"webhookId": self.webhook_id})
