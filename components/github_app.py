"""What the workflows need to talk to GitHub: the App's key (or a token) as a Secret, and the script as a ConfigMap.

The Secret exists only when `githubApp` or `githubToken` is set; its data is a Pulumi secret end to end. The
ConfigMap always exists: templates such as secret-scan mount it to mint a clone token (or clone anonymously when
there are no credentials). The status hooks inline the script instead, so a running Workflow never depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from delivery.status_hooks import CREDENTIALS_SECRET, SCRIPT, script_source
from settings.labels import MANAGED_BY

SCRIPTS_CONFIG_MAP = "github-app-scripts"


@dataclass(frozen=True)
class GitHubAppArgs:
    namespace: pulumi.Input[str]
    api_url: str
    app_id: int | None
    credentials: Mapping[str, str] | None  # Secret data (private-key.pem or token); None: no credentials


class GitHubApp(pulumi.ComponentResource):
    """The workflow namespace's GitHub credentials Secret and the ConfigMap with podkit/github_app.py."""

    def __init__(self, name: str, args: GitHubAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:GitHubApp", name, None, opts)
        data = {SCRIPT.name: script_source(), "api-url": args.api_url}
        if args.app_id is not None:
            data["app-id"] = str(args.app_id)
        self.scripts = k8s.core.v1.ConfigMap(
            f"{name}-scripts",
            metadata={"name": SCRIPTS_CONFIG_MAP, "namespace": args.namespace, "labels": MANAGED_BY},
            data=data,
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
        self.register_outputs({"scripts": self.scripts.metadata["name"]})
