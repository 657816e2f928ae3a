"""The identity GitHub deliveries act as, and the shared secret that proves a delivery comes from GitHub."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from delivery.webhook_clients import WEBHOOK_CLIENTS_SECRET, webhook_client_entry
from settings.labels import MANAGED_BY

SERVICE_ACCOUNT = "github-webhook"
TOKEN_SECRET = f"{SERVICE_ACCOUNT}.service-account-token"
SUBMIT_ROLE = "submit-workflow-template"
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


class WebhookAuth(pulumi.ComponentResource):
    """ServiceAccount, its token, the least-privilege Role, and the generated secret GitHub signs deliveries with."""

    def __init__(self, name: str, args: WebhookAuthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:WebhookAuth", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def metadata(object_name: str, **extra: object) -> dict[str, object]:
            return {"name": object_name, "namespace": args.namespace, "labels": MANAGED_BY, **extra}

        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            # Argo finds the token through this annotation (Kubernetes >= 1.24 creates no token Secret itself).
            metadata=metadata(
                SERVICE_ACCOUNT, annotations={"workflows.argoproj.io/service-account-token.name": TOKEN_SECRET}
            ),
            opts=child,
        )
        self.token = k8s.core.v1.Secret(
            f"{name}-token",
            metadata=metadata(
                TOKEN_SECRET, annotations={"kubernetes.io/service-account.name": self.service_account.metadata.name}
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.role = k8s.rbac.v1.Role(f"{name}-role", metadata=metadata(SUBMIT_ROLE), rules=SUBMIT_RULES, opts=child)
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata=metadata(SUBMIT_ROLE),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": self.role.metadata.name},
            subjects=[
                {"kind": "ServiceAccount", "name": self.service_account.metadata.name, "namespace": args.namespace}
            ],
            opts=child,
        )
        # Letters and digits only: safe in YAML, in GitHub's form and in shells; 48 of them are ~285 bits.
        self.password = random.RandomPassword(
            f"{name}-secret",
            length=SECRET_LENGTH,
            special=False,
            keepers={"webhookSecretVersion": str(args.secret_version)},
            opts=child,
        )
        self.secret: pulumi.Output[str] = pulumi.Output.secret(self.password.result)
        self.clients = k8s.core.v1.Secret(
            f"{name}-clients",
            metadata=metadata(WEBHOOK_CLIENTS_SECRET),
            type="Opaque",
            string_data={SERVICE_ACCOUNT: self.secret.apply(webhook_client_entry)},
            # A fixed name: a replacement must delete the old Secret first, or it clashes with itself.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[self.role_binding]),
        )
        self.register_outputs({"serviceAccount": self.service_account.metadata.name})
