"""A pipeline's two Argo objects as plain manifests: its WorkflowTemplate, and the WorkflowEventBinding whose
selector and parameters (compiled by `delivery.triggers`) decide which deliveries submit it."""

from __future__ import annotations

from typing import Any

from delivery.paths_gate import pull_request_annotation
from delivery.status_hooks import commit_annotation
from delivery.superseded import concurrency_annotation
from delivery.triggers import LABEL_PREFIX, compile_parameters, compile_trigger, workflow_metadata
from settings.config import Pipeline
from settings.labels import MANAGED_BY
from settings.templates import ARGO_API_VERSION


def _labels(pipeline: Pipeline) -> dict[str, str]:
    return {**MANAGED_BY, f"{LABEL_PREFIX}/pipeline": pipeline.name}


def workflow_template_manifest(pipeline: Pipeline, namespace: str) -> dict[str, Any]:
    """The template file as deployed: named after the pipeline, in the workflow namespace, with its deadline."""
    manifest = pipeline.template.manifest(pipeline.name, namespace, _labels(pipeline))
    if pipeline.deadline_seconds is not None:
        manifest["spec"]["activeDeadlineSeconds"] = pipeline.deadline_seconds
    return manifest


def event_binding_manifest(pipeline: Pipeline, namespace: str) -> dict[str, Any]:
    """The binding: the compiled selector, the template to submit, parameters and traceable Workflow metadata."""
    parameters = [
        {"name": name, "valueFrom": {"event": expression}} for name, expression in compile_parameters(pipeline).items()
    ]
    metadata = workflow_metadata(pipeline)
    metadata["annotations"].update(commit_annotation(pipeline))  # the commit a status is reported on, if any
    metadata["annotations"].update(pull_request_annotation(pipeline))  # the pull request whose files the run reads
    metadata["annotations"].update(concurrency_annotation(pipeline))  # the branch or pull request it supersedes for
    submit: dict[str, Any] = {"workflowTemplateRef": {"name": pipeline.name}, "metadata": metadata}
    if parameters:
        submit["arguments"] = {"parameters": parameters}
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowEventBinding",
        "metadata": {"name": pipeline.name, "namespace": namespace, "labels": _labels(pipeline)},
        "spec": {"event": {"selector": compile_trigger(pipeline).selector}, "submit": submit},
    }
