"""The identities GitHub deliveries act as, and the shared secrets that prove a delivery comes from GitHub.

Three ServiceAccounts with fixed names (previous, current, next), each with its token and bound to the submit Role,
and three passwords named by the secret version they belong to (N-1, N, N+1). See `delivery.webhook_clients` for why
a rotation then never refuses a delivery, whatever the order of the updates and wherever `pulumi up` stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from delivery.rerun import APP_WEBHOOK_RULES
from delivery.webhook_clients import (
    APP_SERVICE_ACCOUNT,
    APP_TOKEN_SECRET,
    CURRENT,
    SLOTS,
    WEBHOOK_CLIENTS_SECRET,
    password_versions,
    webhook_client_entry,
    webhook_clients_data,
)
from settings.labels import MANAGED_BY

SUBMIT_ROLE = "submit-workflow-template"
RERUN_ROLE = "submit-rerun"  # the App webhook's: the re-run template only
SECRET_LENGTH = 48

# Exactly what dispatching an event needs (server/auth/webhook and server/event/dispatch), nothing more.
SUBMIT_RULES = [
    {"apiGroups": ["argoproj.io"], "resources": ["workfloweventbindings"], "verbs": ["list"]},
    {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"], "verbs": ["get"]},
    {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
]


@dataclass(frozen=True)
class WebhookAuthArgs:
    namespace: pulumi.Input[str]
    secret_version: int
    app_webhook: bool = False  # an entry and an identity for the GitHub App's own webhook (Re-run from GitHub)


class WebhookAuth(pulumi.ComponentResource):
    """ServiceAccounts, their tokens, the least-privilege Role, the passwords and the webhook-clients Secret."""

    def __init__(self, name: str, args: WebhookAuthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:WebhookAuth", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def metadata(object_name: str, **extra: object) -> dict[str, object]:
            return {"name": object_name, "namespace": args.namespace, "labels": MANAGED_BY, **extra}

        self.service_accounts: dict[str, k8s.core.v1.ServiceAccount] = {}
        self.tokens: dict[str, k8s.core.v1.Secret] = {}
        for slot in SLOTS:
            self._identity(name, slot.role, slot.service_account, slot.token_secret, metadata)
        self.role = k8s.rbac.v1.Role(f"{name}-role", metadata=metadata(SUBMIT_ROLE), rules=SUBMIT_RULES, opts=child)
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata=metadata(SUBMIT_ROLE),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": self.role.metadata.name},
            subjects=[
                {"kind": "ServiceAccount", "name": account.metadata.name, "namespace": args.namespace}
                for account in self.service_accounts.values()
            ],
            opts=child,
        )
        # Named by version, never replaced: a bump creates the password of N+2 and deletes the one of N-1.
        # Letters and digits only: safe in YAML, in GitHub's form and in shells; 48 of them are ~285 bits.
        self.passwords: dict[int, random.RandomPassword] = {
            version: random.RandomPassword(
                f"{name}-secret-v{version}",
                length=SECRET_LENGTH,
                special=False,
                keepers={"webhookSecretVersion": str(version)},
                opts=child,
            )
            for version in password_versions(args.secret_version)
        }
        # What the organization webhooks sign with.
        self.secret: pulumi.Output[str] = pulumi.Output.secret(
            self.passwords[args.secret_version + CURRENT.offset].result
        )
        results = pulumi.Output.all(*(password.result for password in self.passwords.values()))
        string_data = pulumi.Output.secret(
            results.apply(
                lambda values: webhook_clients_data(args.secret_version, dict(zip(self.passwords, values, strict=True)))
            )
        )
        # The App's webhook: its own identity, Role and secret (what the App's settings page is given).
        self.app_secret: pulumi.Output[str] | None = None
        waits: list[pulumi.Resource] = []
        if args.app_webhook:
            self._identity(name, "app", APP_SERVICE_ACCOUNT, APP_TOKEN_SECRET, metadata)
            app_role = k8s.rbac.v1.Role(
                f"{name}-app-role", metadata=metadata(RERUN_ROLE), rules=APP_WEBHOOK_RULES, opts=child
            )
            waits.append(
                k8s.rbac.v1.RoleBinding(
                    f"{name}-app-role-binding",
                    metadata=metadata(RERUN_ROLE),
                    role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app_role.metadata.name},
                    subjects=[{"kind": "ServiceAccount", "name": APP_SERVICE_ACCOUNT, "namespace": args.namespace}],
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service_accounts["app"]]),
                )
            )
            app_password = random.RandomPassword(
                f"{name}-app-secret", length=SECRET_LENGTH, special=False, opts=child
            )
            self.app_secret = pulumi.Output.secret(app_password.result)
            string_data = pulumi.Output.secret(
                pulumi.Output.all(string_data, app_password.result).apply(
                    lambda pair: {**pair[0], APP_SERVICE_ACCOUNT: webhook_client_entry(pair[1])}
                )
            )
        # Updated in place on every rotation (the stack requires kubernetes:enableSecretMutable): never absent.
        # Only a change of type would replace it, and its fixed name then needs the old one deleted first.
        self.clients = k8s.core.v1.Secret(
            f"{name}-clients",
            metadata=metadata(WEBHOOK_CLIENTS_SECRET),
            type="Opaque",
            string_data=string_data,
            # Each entry's ServiceAccount, token and Role must exist before a delivery can match the entry.
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=True,
                depends_on=[self.role_binding, *self.tokens.values(), *waits],
            ),
        )
        self.register_outputs(
            {"serviceAccounts": [account.metadata.name for account in self.service_accounts.values()]}
        )

    def _identity(
        self, name: str, role: str, account: str, token_secret: str, metadata: Callable[..., dict[str, object]]
    ) -> None:
        """A ServiceAccount and its token Secret, found by Argo through the annotation."""
        self.service_accounts[role] = k8s.core.v1.ServiceAccount(
            f"{name}-{role}-service-account",
            # Argo finds the token through this annotation (Kubernetes >= 1.24 creates no token Secret itself).
            metadata=metadata(account, annotations={"workflows.argoproj.io/service-account-token.name": token_secret}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.tokens[role] = k8s.core.v1.Secret(
            f"{name}-{role}-token",
            metadata=metadata(
                token_secret,
                annotations={"kubernetes.io/service-account.name": self.service_accounts[role].metadata.name},
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
