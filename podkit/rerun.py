"""Re-runs pipelines for a "Re-run" / "Re-run all checks" click on GitHub. Standard library only.

Runs as the re-run Workflow's one step (delivery/rerun.py), with the pod's own ServiceAccount (get, list and create
Workflows in its namespace; no GitHub credentials: the new runs report through their own hooks).

- check_run: the check run's `external_id` names the Workflow that created it. That Workflow is read, checked to be
  one of the stack's reporting pipelines and about the same repository and commit as the click, and its pipeline is
  submitted again with the same arguments (GitHub Actions re-runs with the original event; so does this).
- check_suite: every reporting pipeline's newest Workflow on that repository and commit is run again the same way.

Each new run is named `<pipeline>-<the click's delivery GUID>`: a retried step, or a redelivered click, asks for a
name that exists and starts nothing (AlreadyExists). A run whose Workflow is gone (finished runs are deleted after 4
or 7 days) cannot be repeated with its parameters: the step says so and exits 1.

Environment: WORKFLOW_NAMESPACE, RERUN_PIPELINES (JSON list of the reporting pipelines), RERUN_EVENT, RERUN_REPOSITORY,
RERUN_COMMIT, RERUN_EXTERNAL_ID, RERUN_DELIVERY. Exit code: 0 re-run (or already re-run), 1 nothing could be re-run,
2 bad input.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from podkit.kubernetes import KubernetesApi, KubernetesProblem
from podkit.runs import (
    COMMIT,
    DELIVERY_KEY,
    LABEL_PREFIX,
    LABEL_VALUE,
    PIPELINE_LABEL,
    REPOSITORY,
    REPOSITORY_LABEL,
    pipeline_of,
    report_target,
)

RERUN_OF = f"{LABEL_PREFIX}/rerun-of"
EVENTS = ("check_run", "check_suite")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WORKFLOW_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class BadInput(ValueError):
    """The click's values are not what GitHub sends for one of our check runs."""


def _inputs(environ: Mapping[str, str]) -> dict[str, Any]:
    try:
        pipelines = json.loads(environ.get("RERUN_PIPELINES") or "")
    except ValueError:
        pipelines = None
    if not isinstance(pipelines, list) or not all(isinstance(name, str) for name in pipelines):
        raise BadInput("RERUN_PIPELINES must be a JSON list of pipeline names")
    values = {name: environ.get(f"RERUN_{name.upper()}", "") for name in ("event", "repository", "commit",
                                                                           "external_id", "delivery")}
    namespace = environ.get("WORKFLOW_NAMESPACE", "")
    if not WORKFLOW_NAME.match(namespace):
        raise BadInput(f"WORKFLOW_NAMESPACE {namespace!r} is not a namespace")
    if values["event"] not in EVENTS:
        raise BadInput(f"event {values['event']!r} is not one of {', '.join(EVENTS)}")
    if not REPOSITORY.match(values["repository"]):
        raise BadInput(f"repository {values['repository']!r} is not owner/name")
    if not COMMIT.match(values["commit"]):
        raise BadInput(f"commit {values['commit']!r} is not a commit SHA")
    if not GUID.match(values["delivery"]):
        raise BadInput(f"delivery {values['delivery']!r} is not a delivery GUID (X-GitHub-Delivery)")
    if values["event"] == "check_run" and not WORKFLOW_NAME.match(values["external_id"]):
        raise BadInput(
            f"the check run's external_id {values['external_id']!r} names no Workflow: not a check run of this stack"
        )
    return {**values, "namespace": namespace, "pipelines": frozenset(pipelines)}


def _about(workflow: Mapping[str, Any], repository: str, commit: str) -> bool:
    """The run reports on `repository` (GitHub's names are case-insensitive) at `commit`."""
    target = report_target(workflow)
    return target is not None and target[0].lower() == repository.lower() and target[1] == commit


def originals(kubernetes: KubernetesApi, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Workflows to repeat: the check run's own, or each reporting pipeline's newest on the commit."""
    namespace, repository, commit = inputs["namespace"], inputs["repository"], inputs["commit"]
    if inputs["event"] == "check_run":
        name = inputs["external_id"]
        try:
            workflow = kubernetes.workflow(namespace, name)
        except KubernetesProblem as error:
            if error.status == 404:
                raise LookupError(
                    f"the run {name} is gone (finished runs are kept 4 days, failed ones 7): its parameters cannot "
                    "be repeated; push again or re-open the pull request to start a new run"
                ) from None
            raise
        if pipeline_of(workflow) not in inputs["pipelines"]:
            raise LookupError(f"{name} is not a run of a reporting pipeline of this stack")
        if not _about(workflow, repository, commit):
            raise LookupError(f"{name} is not about {repository}@{commit}: the check run does not belong to it")
        template_of(workflow)
        return [workflow]
    short_name = repository.partition("/")[2]
    selector = [PIPELINE_LABEL]
    if LABEL_VALUE.match(short_name):  # the binding's label holds the name as GitHub spells it
        selector.append(f"{REPOSITORY_LABEL}={short_name}")
    newest: dict[str, dict[str, Any]] = {}
    for workflow in kubernetes.workflows(namespace, ",".join(selector)):
        pipeline = pipeline_of(workflow)
        if pipeline not in inputs["pipelines"] or not _about(workflow, repository, commit):
            continue
        try:
            template_of(workflow)
        except LookupError:
            continue
        created = str(workflow["metadata"].get("creationTimestamp", ""))
        if pipeline not in newest or created > str(newest[pipeline]["metadata"].get("creationTimestamp", "")):
            newest[pipeline] = workflow
    if not newest:
        raise LookupError(f"no run of a reporting pipeline on {repository}@{commit} is left to repeat")
    return [newest[pipeline] for pipeline in sorted(newest)]


SKIP_PREFIX = f"{LABEL_PREFIX}-skip-"  # a required pipeline's skip run (delivery/required.py)


def template_of(workflow: Mapping[str, Any]) -> str:
    """The template the run ran: its pipeline's, or its pipeline's skip template; anything else is refused."""
    pipeline = pipeline_of(workflow)
    name = str(((workflow.get("spec") or {}).get("workflowTemplateRef") or {}).get("name", ""))
    if name not in (pipeline, f"{SKIP_PREFIX}{pipeline}"):
        raise LookupError(f"{workflow['metadata']['name']} ran the template {name!r}, not its pipeline's")
    return name


def repeated(original: Mapping[str, Any], delivery: str) -> dict[str, Any]:
    """The new Workflow: the same pipeline and arguments, our labels and annotations, named after the click."""
    metadata = original.get("metadata") or {}
    pipeline = pipeline_of(original)
    labels = {key: value for key, value in (metadata.get("labels") or {}).items() if key.startswith(LABEL_PREFIX)}
    annotations = {
        key: value for key, value in (metadata.get("annotations") or {}).items() if key.startswith(LABEL_PREFIX)
    }
    labels.update({DELIVERY_KEY: delivery, RERUN_OF: metadata["name"]})
    annotations.update({DELIVERY_KEY: delivery, RERUN_OF: metadata["name"]})
    parameters = [
        {"name": str(parameter["name"]), "value": str(parameter["value"])}
        for parameter in ((original.get("spec") or {}).get("arguments") or {}).get("parameters") or []
        if isinstance(parameter, dict) and "name" in parameter and "value" in parameter
    ]
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": template_of(original)}}
    if parameters:
        spec["arguments"] = {"parameters": parameters}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": f"{pipeline}-{delivery}", "labels": labels, "annotations": annotations},
        "spec": spec,
    }


def run(environ: Mapping[str, str], now: float) -> int:
    try:
        inputs = _inputs(environ)
        kubernetes = KubernetesApi.in_cluster(environ)
    except (BadInput, KubernetesProblem) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        found = originals(kubernetes, inputs)
    except (LookupError, KubernetesProblem, OSError) as error:
        print(f"nothing re-run: {error}", file=sys.stderr)
        return 1
    failed = 0
    for original in found:
        workflow = repeated(original, inputs["delivery"])
        name, of = workflow["metadata"]["name"], original["metadata"]["name"]
        try:
            kubernetes.create_workflow(inputs["namespace"], workflow)
            print(f"re-running {of} as {name} (same pipeline, commit and parameters)")
        except KubernetesProblem as error:
            if error.status == 409:
                print(f"{of} was already re-run for this click as {name}")
                continue
            print(f"could not re-run {of}: {error}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0
