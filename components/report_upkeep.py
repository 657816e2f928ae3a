"""What keeps the runs' reports right after the runs themselves: the sweep (a CronWorkflow that completes the
reports of runs that ended without their own) and Re-run from GitHub (the re-run template and the bindings of the
App's own webhook). Each runs as its own ServiceAccount with its own Role: delivery/sweep.py and delivery/rerun.py
list exactly what each may do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from delivery import podkit_artifact
from delivery.rerun import BINDINGS, RERUN, RERUN_RULES, rerun_binding_manifest, rerun_template_manifest
from delivery.status_hooks import StatusReporting
from delivery.sweep import (
    RECORD_CONFIG_MAP,
    SWEEP,
    SWEEP_RULES,
    sweep_cron_manifest,
    sweep_template_manifest,
)
from settings.labels import MANAGED_BY


@dataclass(frozen=True)
class ReportUpkeepArgs:
    namespace: str
    contexts: Mapping[str, str]  # reporting pipeline -> its context / check run name
    reporting: StatusReporting
    reruns: bool  # Re-run from GitHub (a GitHub App with check runs)


def podkit_runner(command: str) -> dict[str, Any]:
    """How a step runs one podkit command from the artifact's ConfigMap."""
    return {
        "command": podkit_artifact.command(command),
        "volumes": [podkit_artifact.volume()],
        "volumeMounts": [podkit_artifact.volume_mount()],
    }


class ReportUpkeep(pulumi.ComponentResource):
    """The sweep (identity, record, template, CronWorkflow) and, with `reruns`, the re-run (identity, template,
    bindings). Needs Argo's CRDs and the podkit ConfigMap: the caller makes it depend on them."""

    def __init__(self, name: str, args: ReportUpkeepArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:ReportUpkeep", name, None, opts)
        sweep_identity = self._identity(f"{name}-sweep", SWEEP, args.namespace, SWEEP_RULES)
        self.record = k8s.core.v1.ConfigMap(
            f"{name}-sweep-record",
            metadata={"name": RECORD_CONFIG_MAP, "namespace": args.namespace, "labels": MANAGED_BY},
            data={},
            # The sweep writes it; a deploy must not reset what it remembers.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["data"]),
        )
        sweep_template = self._custom_resource(
            f"{name}-sweep-template",
            sweep_template_manifest(args.namespace, args.contexts, args.reporting, podkit_runner("sweep")),
            [sweep_identity, self.record],
        )
        self.cron = self._custom_resource(
            f"{name}-sweep-cron", sweep_cron_manifest(args.namespace), [sweep_template]
        )
        self.bindings: list[k8s.apiextensions.CustomResource] = []
        if args.reruns and args.reporting.app_id is not None:
            rerun_identity = self._identity(f"{name}-rerun", RERUN, args.namespace, RERUN_RULES)
            template = self._custom_resource(
                f"{name}-rerun-template",
                rerun_template_manifest(args.namespace, args.contexts, podkit_runner("rerun")),
                [rerun_identity],
            )
            self.bindings = [
                self._custom_resource(
                    f"{name}-{binding.event}-binding",
                    rerun_binding_manifest(binding, args.namespace, args.reporting.app_id),
                    [template],
                )
                for binding in BINDINGS
            ]
        self.register_outputs({"cron": self.cron.metadata["name"]})

    def _identity(
        self, resource_name: str, account: str, namespace: str, rules: list[dict[str, Any]]
    ) -> pulumi.Resource:
        """A ServiceAccount bound to a Role of `rules`; returns the binding (the last to exist)."""
        metadata = {"name": account, "namespace": namespace, "labels": MANAGED_BY}
        child = pulumi.ResourceOptions(parent=self)
        service_account = k8s.core.v1.ServiceAccount(f"{resource_name}-service-account", metadata=metadata, opts=child)
        role = k8s.rbac.v1.Role(f"{resource_name}-role", metadata=metadata, rules=rules, opts=child)
        return k8s.rbac.v1.RoleBinding(
            f"{resource_name}-role-binding",
            metadata=metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": service_account.metadata.name, "namespace": namespace}],
            opts=child,
        )

    def _custom_resource(
        self, resource_name: str, manifest: dict[str, Any], depends_on: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
