"""What the workflows need to talk to GitHub: the App's key (or a token) as a Secret, and podkit as a ConfigMap.

The Secret exists only when `githubApp` or `githubToken` is set; its data is a Pulumi secret end to end. The
ConfigMap `podkit` always exists: it holds the artifact every program-made step runs (podkit.pyz, built from podkit/
and github/ by delivery/podkit_artifact.py) and the API URL and App ID, which templates such as secret-scan read to
mint a clone token (or to clone anonymously when there are no credentials).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from delivery import podkit_artifact
from delivery.status_hooks import CREDENTIALS_SECRET, REPORT_SERVICE_ACCOUNT
from settings.labels import MANAGED_BY


@dataclass(frozen=True)
class GitHubAppArgs:
    namespace: pulumi.Input[str]
    api_url: str
    app_id: int | None
    credentials: Mapping[str, str] | None  # Secret data (private-key.pem or token); None: no credentials
    check_runs: bool = False  # runs report check runs: their report needs its own identity to read its run


# What the check-run report may read, and all it may: its run's Workflow (steps, phases, times) and its pods' logs.
# RBAC cannot name a Workflow or pod not yet created, so the rules cover the namespace's; `get` only (no list or
# watch: a name must be known), and only the program's report template runs as this identity.
REPORT_RULES = [
    {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]


class GitHubApp(pulumi.ComponentResource):
    """The workflow namespace's GitHub credentials Secret and the ConfigMap with podkit.pyz."""

    def __init__(self, name: str, args: GitHubAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:GitHubApp", name, None, opts)
        data = {"api-url": args.api_url}
        if args.app_id is not None:
            data["app-id"] = str(args.app_id)
        self.podkit = k8s.core.v1.ConfigMap(
            f"{name}-podkit",
            metadata={"name": podkit_artifact.CONFIG_MAP, "namespace": args.namespace, "labels": MANAGED_BY},
            data=data,
            binary_data={podkit_artifact.ARCHIVE: base64.b64encode(podkit_artifact.artifact()).decode("ascii")},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.credentials: k8s.core.v1.Secret | None = None
        if args.credentials is not None:
            self.credentials = k8s.core.v1.Secret(
                f"{name}-credentials",
                metadata={"name": CREDENTIALS_SECRET, "namespace": args.namespace, "labels": MANAGED_BY},
                type="Opaque",
                string_data=pulumi.Output.secret(dict(args.credentials)),
                # A fixed name and new data means replace: delete first, or the create collides with the old one.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        self.report_identity: k8s.rbac.v1.RoleBinding | None = None
        if args.check_runs:
            self.report_identity = self._report_identity(name, args.namespace)
        self.register_outputs({"podkit": self.podkit.metadata["name"]})

    def _report_identity(self, name: str, namespace: pulumi.Input[str]) -> k8s.rbac.v1.RoleBinding:
        metadata = {"name": REPORT_SERVICE_ACCOUNT, "namespace": namespace, "labels": MANAGED_BY}
        child = pulumi.ResourceOptions(parent=self)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-report-service-account", metadata=metadata, automount_service_account_token=False, opts=child
        )
        role = k8s.rbac.v1.Role(f"{name}-report-role", metadata=metadata, rules=REPORT_RULES, opts=child)
        return k8s.rbac.v1.RoleBinding(
            f"{name}-report-role-binding",
            metadata=metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": namespace}],
            opts=child,
        )
