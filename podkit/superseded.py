"""`cancel-superseded`: the first step of a pipeline with `cancelInProgress: true` stops that pipeline's older runs
for the same branch or pull request, as `argo stop` does.

`argo stop` is a JSON merge patch `{"spec": {"shutdown": "Stop"}}` (argo-workflows v4.0.6, workflow/util/util.go,
StopWorkflow -> patchShutdownStrategy); unlike `Terminate`, `Stop` still runs the exit handler, so the stopped run
reports: its check run concludes `cancelled` (podkit/report.py reads spec.shutdown), its commit status says so (the
annotation `argo-github-webhooks/superseded-by` names the newer run).

Which runs: one list request for the namespace's Workflows labelled with this pipeline and not completed; of those,
the ones whose annotation `argo-github-webhooks/concurrency` (the repository's id and the pushed ref, or the pull
request's number, set by the binding) equals this run's and that were created strictly before it. Not stopped twice
(a run already shutting down is left alone). The pod's identity may list and patch Workflows in the workflow
namespace only (components/superseded_runs.py). Always exits 0: cancelling is best effort, never this run's failure.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from podkit.kubernetes import KubernetesApi, KubernetesProblem
from podkit.workflow import annotations

PIPELINE_LABEL = "argo-github-webhooks/pipeline"
COMPLETED_LABEL = "workflows.argoproj.io/completed"
CONCURRENCY_ANNOTATION = "argo-github-webhooks/concurrency"
SUPERSEDED_BY_ANNOTATION = "argo-github-webhooks/superseded-by"


def superseded(runs: list[dict[str, Any]], name: str, group: str) -> list[str]:
    """The names of the runs `name` supersedes: same group, created strictly before it, not shutting down."""
    own = next((run for run in runs if (run.get("metadata") or {}).get("name") == name), None)
    created = str(((own or {}).get("metadata") or {}).get("creationTimestamp") or "")
    if not created:
        return []
    older = []
    for run in runs:
        metadata = run.get("metadata") or {}
        if metadata.get("name") == name or ((run.get("spec") or {}).get("shutdown")):
            continue
        same_group = (metadata.get("annotations") or {}).get(CONCURRENCY_ANNOTATION) == group
        # RFC 3339 times in UTC with a Z, as the API server writes them: text order is time order
        if same_group and str(metadata.get("creationTimestamp") or "") < created:
            older.append(str(metadata.get("name")))
    return sorted(older)


def cancel_superseded(environ: Mapping[str, str], now: float) -> int:
    name, namespace = environ.get("WORKFLOW_NAME", ""), environ.get("WORKFLOW_NAMESPACE", "")
    pipeline = environ.get("PIPELINE", "")
    group = str(annotations(environ).get(CONCURRENCY_ANNOTATION, ""))
    if not (name and namespace and pipeline and group):
        print("nothing to cancel: this run has no branch or pull request to supersede runs of")
        return 0
    try:
        api = KubernetesApi.in_cluster(environ)
        selector = f"{PIPELINE_LABEL}={pipeline},{COMPLETED_LABEL}!=true"
        older = superseded(api.workflows(namespace, selector), name, group)
        for run in older:
            patch = {"metadata": {"annotations": {SUPERSEDED_BY_ANNOTATION: name}}, "spec": {"shutdown": "Stop"}}
            api.patch_workflow(namespace, run, patch)
            print(f"stopped {run}: superseded by {name} ({group})")
    except KubernetesProblem as error:
        print(f"note: older runs could not be cancelled: {error}", file=sys.stderr)
        return 0
    if not older:
        print(f"no older run of {pipeline} for {group} to cancel")
    return 0
