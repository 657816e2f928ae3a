"""One event pipeline in the cluster: its WorkflowTemplate and the WorkflowEventBinding that submits it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from delivery.bindings import event_binding_manifest, workflow_template_manifest
from delivery.first_steps import needs_first_steps, with_first_steps
from delivery.required import skip_binding_manifest, skip_template_manifest
from delivery.status_hooks import StatusReporting, with_status_hooks
from delivery.triggers import compile_parameters
from settings.config import Pipeline
from settings.required_checks import RequiredChecks


@dataclass(frozen=True)
class EventPipelineArgs:
    pipeline: Pipeline
    namespace: str
    status_reporting: StatusReporting | None = None  # where reports go; used when the pipeline reports a status
    required_checks: RequiredChecks | None = None  # the rulesets' targets; a required pipeline answers all of them


class EventPipeline(pulumi.ComponentResource):
    """A pipeline's two Argo objects; they need Argo's CRDs, so the caller makes this depend on the chart."""

    def __init__(self, name: str, args: EventPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:EventPipeline", name, None, opts)
        template = workflow_template_manifest(args.pipeline, args.namespace)
        if args.pipeline.status is not None and args.status_reporting is not None:
            template = with_status_hooks(template, args.pipeline.status.context, args.status_reporting)
        if needs_first_steps(args.pipeline):
            passed = compile_parameters(args.pipeline)
            template = with_first_steps(template, args.pipeline, args.status_reporting, passed)
        self.template = self._custom_resource(f"{name}-template", template)
        self.binding = self._custom_resource(
            f"{name}-binding",
            event_binding_manifest(args.pipeline, args.namespace),
            depends_on=[self.template],
        )
        # A required check always reports: the pull requests the ruleset targets and the pipeline's filters refuse
        # get a skipped (a fork's: failed) check run from a one-step run (delivery/required.py).
        self.skip_template = self.skip_binding = None
        if args.pipeline.required and args.status_reporting is not None and args.required_checks is not None:
            self.skip_template = self._custom_resource(
                f"{name}-skip-template",
                skip_template_manifest(args.pipeline, args.namespace, args.status_reporting),
            )
            self.skip_binding = self._custom_resource(
                f"{name}-skip-binding",
                skip_binding_manifest(args.pipeline, args.namespace, args.required_checks),
                depends_on=[self.skip_template],
            )
        self.register_outputs({"template": self.template.metadata["name"], "binding": self.binding.metadata["name"]})

    def _custom_resource(
        self, resource_name: str, manifest: dict[str, Any], depends_on: list[pulumi.Resource] | None = None
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
        )
