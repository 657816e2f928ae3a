"""What a report knows about its run, from the environment the program's hooks set (never pasted into code)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
REPOSITORY_ANNOTATION = "argo-github-webhooks/repository"
COMMIT_ANNOTATION = "argo-github-webhooks/commit"


def annotations(environ: Mapping[str, str]) -> Mapping[str, Any]:
    """`{{workflow.annotations.json}}` as the hook passes it in WORKFLOW_ANNOTATIONS; {} when unreadable."""
    try:
        value = json.loads(environ.get("WORKFLOW_ANNOTATIONS") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Run:
    """The Workflow a report is about, and the commit its delivery named."""

    repository: str
    commit: str
    name: str
    namespace: str
    phase: str  # {{workflow.status}}: Pending, Running, Succeeded, Failed, Error
    context: str  # the status context / check run name
    ui_url: str  # Argo's UI base URL, or "" when the stack publishes none

    @property
    def details_url(self) -> str | None:
        """The run in Argo's UI; None without a published UI (nothing a reader could open)."""
        if not self.ui_url:
            return None
        return f"{self.ui_url.rstrip('/')}/workflows/{self.namespace}/{self.name}"


def run_from_environment(environ: Mapping[str, str]) -> Run:
    """The run, or ValueError naming what is missing or malformed."""
    found = annotations(environ)
    repository = str(found.get(REPOSITORY_ANNOTATION, ""))
    commit = str(found.get(COMMIT_ANNOTATION, ""))
    if not REPOSITORY.match(repository):
        raise ValueError(f"repository {repository!r} (annotation {REPOSITORY_ANNOTATION}) is not owner/name")
    if not COMMIT.match(commit) or set(commit) == {"0"}:
        raise ValueError(f"commit {commit!r} (annotation {COMMIT_ANNOTATION}) is not a commit SHA")
    return Run(
        repository=repository,
        commit=commit,
        name=environ.get("WORKFLOW_NAME", ""),
        namespace=environ.get("WORKFLOW_NAMESPACE", ""),
        phase=environ.get("WORKFLOW_STATUS", ""),
        context=environ.get("STATUS_CONTEXT") or "argo",
        ui_url=environ.get("ARGO_UI_URL", ""),
    )
