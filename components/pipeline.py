"""One event pipeline in the cluster: its WorkflowTemplate and the WorkflowEventBinding that submits it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import Pipeline
from components.labels import MANAGED_BY
from components.templates import ARGO_API_VERSION
from components.triggers import LABEL_PREFIX, compile_parameters, compile_trigger, workflow_metadata


@dataclass(frozen=True)
class EventPipelineArgs:
    pipeline: Pipeline
    namespace: str


def _labels(pipeline: Pipeline) -> dict[str, str]:
    return {**MANAGED_BY, f"{LABEL_PREFIX}/pipeline": pipeline.name}


def workflow_template_manifest(pipeline: Pipeline, namespace: str) -> dict[str, Any]:
    """The template file as deployed: named after the pipeline, in the workflow namespace."""
    return pipeline.template.manifest(pipeline.name, namespace, _labels(pipeline))


def event_binding_manifest(pipeline: Pipeline, namespace: str) -> dict[str, Any]:
    """The binding: the compiled selector, the template to submit, parameters and traceable Workflow metadata."""
    parameters = [
        {"name": name, "valueFrom": {"event": expression}} for name, expression in compile_parameters(pipeline).items()
    ]
    submit: dict[str, Any] = {
        "workflowTemplateRef": {"name": pipeline.name},
        "metadata": workflow_metadata(pipeline),
    }
    if parameters:
        submit["arguments"] = {"parameters": parameters}
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowEventBinding",
        "metadata": {"name": pipeline.name, "namespace": namespace, "labels": _labels(pipeline)},
        "spec": {"event": {"selector": compile_trigger(pipeline).selector}, "submit": submit},
    }


class EventPipeline(pulumi.ComponentResource):
    """A pipeline's two Argo objects; they need Argo's CRDs, so the caller makes this depend on the chart."""

    def __init__(self, name: str, args: EventPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("argo-github-webhooks:index:EventPipeline", name, None, opts)
        self.template = self._custom_resource(
            f"{name}-template", workflow_template_manifest(args.pipeline, args.namespace)
        )
        self.binding = self._custom_resource(
            f"{name}-binding",
            event_binding_manifest(args.pipeline, args.namespace),
            depends_on=[self.template],
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
