"""What the in-pod commands know about the stack's runs: the labels and annotations the bindings put on every
Workflow (delivery/triggers.py, delivery/status_hooks.py); the repository and commit shapes are podkit/workflow.py's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podkit.workflow import COMMIT, COMMIT_ANNOTATION, REPOSITORY, REPOSITORY_ANNOTATION

LABEL_PREFIX = "argo-github-webhooks"
PIPELINE_LABEL = f"{LABEL_PREFIX}/pipeline"
REPOSITORY_LABEL = f"{LABEL_PREFIX}/repository"  # the repository's name, without its owner
DELIVERY_KEY = f"{LABEL_PREFIX}/delivery"  # a label and an annotation
LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")


def pipeline_of(workflow: Mapping[str, Any]) -> str:
    return str(((workflow.get("metadata") or {}).get("labels") or {}).get(PIPELINE_LABEL, ""))


def report_target(workflow: Mapping[str, Any]) -> tuple[str, str] | None:
    """(repository, commit) the run reports on, from the annotations its binding set; None: it reports nothing."""
    annotations = (workflow.get("metadata") or {}).get("annotations") or {}
    repository = str(annotations.get(REPOSITORY_ANNOTATION, ""))
    commit = str(annotations.get(COMMIT_ANNOTATION, ""))
    if REPOSITORY.match(repository) and COMMIT.match(commit) and set(commit) != {"0"}:
        return repository, commit
    return None


__all__ = ["COMMIT", "COMMIT_ANNOTATION", "REPOSITORY", "REPOSITORY_ANNOTATION"]
