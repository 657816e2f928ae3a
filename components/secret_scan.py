"""The rules of the shipped secret-scan: a ConfigMap the stack owns, so a scanned repository cannot change them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from settings.labels import MANAGED_BY
from settings.secret_scan import RULES_CONFIG_MAP, SecretScanSettings


@dataclass(frozen=True)
class SecretScanRulesArgs:
    namespace: pulumi.Input[str]
    settings: SecretScanSettings


class SecretScanRules(pulumi.ComponentResource):
    """ConfigMap `secret-scan-rules` in the workflow namespace: gitleaks' config and whether a repository's
    .gitleaksignore may suppress findings (workflows/secret-scan.yaml mounts it)."""

    def __init__(self, name: str, args: SecretScanRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:SecretScanRules", name, None, opts)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config-map",
            metadata={"name": RULES_CONFIG_MAP, "namespace": args.namespace, "labels": MANAGED_BY},
            data=args.settings.config_map_data,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"configMap": self.config_map.metadata["name"]})
