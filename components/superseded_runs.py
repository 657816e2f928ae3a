"""The identity that stops superseded runs (`cancelInProgress: true`): a ServiceAccount whose Role may get, list and
patch Workflows in the workflow namespace, nothing else and nowhere else. Only the program's `cancel-superseded`
step runs as it (settings/containment.py reserves `argo-github-webhooks-*` identities)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from delivery.superseded import CANCEL_RULES, CANCEL_SERVICE_ACCOUNT
from settings.labels import MANAGED_BY


@dataclass(frozen=True)
class SupersededRunsArgs:
    namespace: pulumi.Input[str]


class SupersededRuns(pulumi.ComponentResource):
    def __init__(self, name: str, args: SupersededRunsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:SupersededRuns", name, None, opts)
        metadata = {"name": CANCEL_SERVICE_ACCOUNT, "namespace": args.namespace, "labels": MANAGED_BY}
        child = pulumi.ResourceOptions(parent=self)
        self.account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=metadata, automount_service_account_token=False, opts=child
        )
        self.role = k8s.rbac.v1.Role(f"{name}-role", metadata=metadata, rules=CANCEL_RULES, opts=child)
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata=metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": self.role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": self.account.metadata.name, "namespace": args.namespace}],
            opts=child,
        )
        self.register_outputs({"serviceAccount": self.account.metadata.name})
