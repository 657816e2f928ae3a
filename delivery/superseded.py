"""`cancelInProgress: true`: a newer push to the same branch or pull request stops the pipeline's older run.

The binding annotates each run with its group (`argo-github-webhooks/concurrency`: `push <repository id> <ref>` or
`pull <repository id> <number>`); the run's first step (podkit's `cancel-superseded`, podkit/superseded.py) lists the
pipeline's unfinished runs and stops, as `argo stop` does, those of its group created before it. Argo has no such
mechanism of its own: `synchronization` (a mutex or semaphore) makes the newer run wait for the older, it never stops
one; `Terminate` would skip the exit handler, so the stopped run would never report; `Stop` runs it, and the report
concludes `cancelled`.

The step runs as its own ServiceAccount, whose Role may list, get and patch Workflows in the workflow namespace and
nothing else (components/superseded_runs.py); it runs only podkit, with no input of the template's.
"""

from __future__ import annotations

from typing import Any

from delivery import podkit_artifact
from delivery.expr import quote
from delivery.github_events import PULL_REQUEST_EVENTS
from delivery.status_hooks import container_security_context, pod_security_context
from delivery.triggers import EVENT_HEADER, LABEL_PREFIX
from settings.config import Pipeline
from settings.containment import WORKFLOW_SERVICE_ACCOUNT
from settings.images import PYTHON

CONCURRENCY_ANNOTATION = f"{LABEL_PREFIX}/concurrency"
CANCEL_TEMPLATE = f"{LABEL_PREFIX}-cancel-superseded"
CANCEL_STEP = "cancel-superseded"
CANCEL_SERVICE_ACCOUNT = f"{LABEL_PREFIX}-cancel"
# RBAC cannot name a Workflow not yet created: the rules cover the namespace's Workflows, list/get to find the older
# runs, patch to stop them.
CANCEL_RULES = [{"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list", "patch"]}]
CANCEL_DEADLINE_SECONDS = 120

_REPOSITORY_ID = "string(int(payload.repository.id))"


def _group(event: str) -> str:
    if event == "push":
        ready = "payload?.repository?.id != nil && payload?.ref != nil"
        return f'({ready} ? "push " + {_REPOSITORY_ID} + " " + string(payload.ref) : "")'
    ready = "payload?.repository?.id != nil && payload?.pull_request?.number != nil"
    return f'({ready} ? "pull " + {_REPOSITORY_ID} + " " + string(int(payload.pull_request.number)) : "")'


def concurrency_annotation(pipeline: Pipeline) -> dict[str, str]:
    """The binding's extra Workflow annotation: the run's branch or pull request, when older runs get cancelled."""
    if not pipeline.cancel_in_progress:
        return {}
    expression = '""'
    for event in reversed([e for e in pipeline.events if e == "push" or e in PULL_REQUEST_EVENTS]):
        expression = f"({EVENT_HEADER} == [{quote(event)}] ? {_group(event)} : {expression})"
    return {CONCURRENCY_ANNOTATION: expression}


def cancel_template(pipeline: Pipeline) -> dict[str, Any]:
    env = [
        {"name": "PIPELINE", "value": pipeline.name},
        {"name": "WORKFLOW_NAME", "value": "{{workflow.name}}"},
        {"name": "WORKFLOW_NAMESPACE", "value": "{{workflow.namespace}}"},
        {"name": "WORKFLOW_ANNOTATIONS", "value": "{{workflow.annotations.json}}"},
    ]
    return {
        "name": CANCEL_TEMPLATE,
        "activeDeadlineSeconds": CANCEL_DEADLINE_SECONDS,
        "retryStrategy": {"limit": 2, "retryPolicy": "OnError"},
        "serviceAccountName": CANCEL_SERVICE_ACCOUNT,
        "automountServiceAccountToken": True,
        "executor": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT},
        "securityContext": pod_security_context(),
        "volumes": [podkit_artifact.volume()],
        "container": {
            "image": PYTHON,
            "command": podkit_artifact.command("cancel-superseded"),
            "env": env,
            "volumeMounts": [podkit_artifact.volume_mount()],
            "securityContext": container_security_context(),
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        },
    }
