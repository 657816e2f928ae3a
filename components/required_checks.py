"""One organization's ruleset: the check of every required pipeline must pass, from this stack's GitHub App only.

The required checks are pinned to the App (`integration_id`): a check run or status of the same name from anyone
else (a user with write access posting a status through the REST API, another App) does not satisfy the rule. One
ruleset per organization whatever the number of required pipelines, with the checks sorted: adding or removing a
required pipeline is one write (an update of the ruleset), and nothing here depends on the webhook secret, so a
rotation writes nothing but the hooks. The organization's own provider (its owner and token) makes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github

from settings.required_checks import BypassActor

RULESET_NAME = "argo-github-webhooks required checks"


@dataclass(frozen=True)
class OrganizationRequiredChecksArgs:
    organization: str
    contexts: Sequence[str]  # the required pipelines' check names (podkit's check run is named by the context)
    app_id: int  # only check runs this App creates satisfy the rule
    provider: github.Provider  # the organization's (components/github_webhooks.py)
    ref_patterns: Sequence[str]  # `~DEFAULT_BRANCH`, `~ALL` or `refs/heads/<glob>`
    include_repositories: Sequence[str]
    exclude_repositories: Sequence[str] = ()
    enforcement: str = "active"
    bypass_actors: Sequence[BypassActor] = ()


class OrganizationRequiredChecks(pulumi.ComponentResource):
    """A branch ruleset of the organization requiring its required pipelines' checks, from the App."""

    def __init__(
        self, name: str, args: OrganizationRequiredChecksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("argo-github-webhooks:index:OrganizationRequiredChecks", name, None, opts)
        if not args.contexts:
            raise ValueError(f"{args.organization}: no required pipeline: a ruleset would require nothing")
        self.ruleset = github.OrganizationRuleset(
            f"{name}-ruleset",
            name=RULESET_NAME,
            target="branch",
            enforcement=args.enforcement,
            conditions=github.OrganizationRulesetConditionsArgs(
                ref_name=github.OrganizationRulesetConditionsRefNameArgs(
                    includes=list(args.ref_patterns), excludes=[]
                ),
                repository_name=github.OrganizationRulesetConditionsRepositoryNameArgs(
                    includes=list(args.include_repositories), excludes=list(args.exclude_repositories)
                ),
            ),
            rules=github.OrganizationRulesetRulesArgs(
                required_status_checks=github.OrganizationRulesetRulesRequiredStatusChecksArgs(
                    required_checks=[
                        github.OrganizationRulesetRulesRequiredStatusChecksRequiredCheckArgs(
                            context=context, integration_id=args.app_id
                        )
                        for context in sorted(args.contexts)
                    ],
                ),
            ),
            bypass_actors=[
                github.OrganizationRulesetBypassActorArgs(
                    actor_type=actor.actor_type, bypass_mode=actor.bypass_mode, actor_id=actor.actor_id
                )
                for actor in args.bypass_actors
            ],
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.ruleset_id: pulumi.Output[str] = self.ruleset.id
        self.register_outputs({"rulesetId": self.ruleset_id})
