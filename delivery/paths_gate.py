"""The path filter of a pull request, decided in the run: a first step added to the deployed WorkflowTemplate.

A pull request's payload does not list its files, so the selector cannot test `paths` / `paths-ignore` for pull
request events. For a pipeline that has a path filter and a pull request event, the deployed template's entrypoint
becomes two steps: `paths` (podkit's `paths` command asks GitHub for the pull request's files, podkit/paths.py) and
then the template's own entrypoint, `when` the first answered `run`. A skipped run succeeds with every step of the
template skipped; its log's `::skipped::<reason>` makes the check run's conclusion `skipped`. Pushes pass the step
at once (their files were the selector's).

The step holds the stack's GitHub credentials, so it runs like the report: the workflow identity without a token,
non-root, read-only, nothing of the template's pod settings; the filter reaches it as a constant in its env.
"""

from __future__ import annotations

import json
from typing import Any

from delivery import podkit_artifact
from delivery.github_events import PULL_REQUEST_EVENTS
from delivery.globs import parse_glob
from delivery.status_hooks import (
    CREDENTIALS_MOUNT,
    StatusReporting,
    container_security_context,
    credentials_volume,
    github_environment,
    pod_security_context,
)
from delivery.triggers import LABEL_PREFIX
from settings.config import Pipeline
from settings.containment import WORKFLOW_SERVICE_ACCOUNT
from settings.images import PYTHON

GATE_TEMPLATE = f"{LABEL_PREFIX}-paths"
GATE_STEP = "paths"
PULL_REQUEST_ANNOTATION = f"{LABEL_PREFIX}/pull-request"
GATE_DEADLINE_SECONDS = 300


def needs_gate(pipeline: Pipeline) -> bool:
    """A path filter on a pipeline with a pull request event: decided in the run."""
    return bool(pipeline.paths or pipeline.paths_ignore) and any(e in PULL_REQUEST_EVENTS for e in pipeline.events)


def path_filter_document(pipeline: Pipeline) -> str:
    """PATH_FILTER for podkit: the key and each pattern with its sign and the RE2 the selector uses."""
    key, patterns = ("paths", pipeline.paths) if pipeline.paths else ("paths-ignore", pipeline.paths_ignore)
    globs = [parse_glob(pattern) for pattern in patterns]
    return json.dumps({"key": key, "patterns": [[g.pattern, g.negated, g.regexp] for g in globs]}, sort_keys=True)


def pull_request_annotation(pipeline: Pipeline) -> dict[str, str]:
    """The binding's extra Workflow annotation: the pull request's number, when the run decides its paths."""
    if not needs_gate(pipeline):
        return {}
    number = "payload?.pull_request?.number"
    return {PULL_REQUEST_ANNOTATION: f'({number} != nil ? string(int({number})) : "")'}


def gate_template(pipeline: Pipeline, reporting: StatusReporting) -> dict[str, Any]:
    env = [
        *github_environment(reporting),
        {"name": "PATH_FILTER", "value": path_filter_document(pipeline)},
        {"name": "WORKFLOW_ANNOTATIONS", "value": "{{workflow.annotations.json}}"},
    ]
    return {
        "name": GATE_TEMPLATE,
        "activeDeadlineSeconds": GATE_DEADLINE_SECONDS,
        "retryStrategy": {"limit": 2, "retryPolicy": "OnError"},
        "serviceAccountName": WORKFLOW_SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        "executor": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT},
        "securityContext": pod_security_context(),
        "volumes": [credentials_volume(), podkit_artifact.volume()],
        "container": {
            "image": PYTHON,
            "command": podkit_artifact.command("paths"),
            "env": env,
            "volumeMounts": [
                {"name": "github-credentials", "mountPath": CREDENTIALS_MOUNT, "readOnly": True},
                podkit_artifact.volume_mount(),
            ],
            "securityContext": container_security_context(),
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        },
    }
