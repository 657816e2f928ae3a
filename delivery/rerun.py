"""Re-run from GitHub: the bindings that accept "Re-run" and "Re-run all checks", and the Workflow that does it.

GitHub sends `check_run` / `check_suite` with action `rerequested` only to the GitHub App's own webhook (not to
organization webhooks). The App's webhook posts to the stack's events API under its own discriminator
(`.../events/<namespace>/github-app`), signed with a secret of its own, so Argo Server accepts those deliveries as
their own ServiceAccount (`github-app-webhook`), which may submit the re-run template and nothing else.

Two bindings, one per event, each firing only for a rerequest of *our* App's check run or suite (`app.id`), each
submitting the re-run template with the delivery's repository, commit and (for a check run) the check run's
`external_id`, which is the name of the Workflow that created it. The re-run Workflow is named
`rerun-<X-GitHub-Delivery>`: a redelivered click cannot start a second one. Its one step (podkit's `rerun` command)
reads the original Workflow and submits the same pipeline with the same arguments as `<pipeline>-<delivery>`:
exactly once per click, whatever retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from delivery.expr import quote
from delivery.status_hooks import container_security_context, pod_security_context
from delivery.triggers import DELIVERY_HEADER, EVENT_HEADER, LABEL_PREFIX, payload_path
from delivery.workflow_names import workflow_name_expression
from settings.config import APP_EVENTS_DISCRIMINATOR
from settings.images import PYTHON
from settings.labels import MANAGED_BY
from settings.templates import ARGO_API_VERSION

APP_DISCRIMINATOR = APP_EVENTS_DISCRIMINATOR  # the App webhook's URL ends .../events/<namespace>/github-app
APP_EVENTS = ("check_run", "check_suite")  # what to tick in the App's settings
RERUN = f"{LABEL_PREFIX}-rerun"  # the WorkflowTemplate, the pod's ServiceAccount and its Role
RERUN_WORKFLOW_PREFIX = "rerun"  # each re-run Workflow: rerun-<delivery GUID>
RERUN_DEADLINE_SECONDS = 120
PARAMETERS = ("event", "repository", "commit", "external_id", "delivery")

# What the App webhook's identity may do (Argo Server dispatches as it, server/event/dispatch/operation.go:99-151):
# read the bindings, read the re-run template and no other (a pipeline's template is refused), create Workflows.
APP_WEBHOOK_RULES = [
    {"apiGroups": ["argoproj.io"], "resources": ["workfloweventbindings"], "verbs": ["list"]},
    {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"], "resourceNames": [RERUN], "verbs": ["get"]},
    {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
]
# What the re-run step does with Kubernetes (podkit/rerun.py): read the run it repeats (get; list for a whole
# suite) and submit the pipeline again.
RERUN_RULES = [{"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list", "create"]}]


@dataclass(frozen=True)
class RerunBinding:
    """One of the two bindings: its name, the event it takes, and where that event's object is in the payload."""

    name: str
    event: str
    subject: str  # check_run or check_suite

    def selector(self, app_id: int) -> str:
        """Our App's rerequest of this event, delivered to the App's discriminator; nothing else."""
        return " && ".join(
            (
                f"discriminator == {quote(APP_DISCRIMINATOR)}",
                f"{EVENT_HEADER} == [{quote(self.event)}]",
                f'{payload_path(("action",))} == "rerequested"',
                f"{payload_path((self.subject, 'app', 'id'))} == {int(app_id)}",
            )
        )

    def parameters(self) -> dict[str, str]:
        external_id = f'({payload_path(("check_run", "external_id"))} ?? "")' if self.subject == "check_run" else '""'
        return {
            "event": quote(self.event),
            "repository": f'({payload_path(("repository", "full_name"))} ?? "")',
            "commit": f'({payload_path((self.subject, "head_sha"))} ?? "")',
            "external_id": external_id,
            "delivery": f'({DELIVERY_HEADER} ?? [""])[0]',
        }


BINDINGS = (RerunBinding(RERUN, "check_run", "check_run"), RerunBinding(f"{RERUN}-all", "check_suite", "check_suite"))


def rerun_binding_manifest(binding: RerunBinding, namespace: str, app_id: int) -> dict[str, Any]:
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowEventBinding",
        "metadata": {"name": binding.name, "namespace": namespace, "labels": MANAGED_BY},
        "spec": {
            "event": {"selector": binding.selector(app_id)},
            "submit": {
                "workflowTemplateRef": {"name": RERUN},
                "metadata": {
                    "name": workflow_name_expression(RERUN_WORKFLOW_PREFIX, f'({DELIVERY_HEADER} ?? [""])[0]'),
                    "labels": {f"{LABEL_PREFIX}/rerun": quote(binding.event)},
                },
                "arguments": {
                    "parameters": [
                        {"name": name, "valueFrom": {"event": expression}}
                        for name, expression in binding.parameters().items()
                    ]
                },
            },
        },
    }


def rerun_template_manifest(
    namespace: str, contexts: Mapping[str, str], runner: Mapping[str, Any]
) -> dict[str, Any]:
    """The re-run step: every value of the delivery reaches it through `env`; it needs no GitHub credentials."""
    env = [
        {"name": "WORKFLOW_NAMESPACE", "value": namespace},
        {"name": "RERUN_PIPELINES", "value": json.dumps(sorted(contexts), separators=(",", ":"))},
        *({"name": f"RERUN_{name.upper()}", "value": f"{{{{workflow.parameters.{name}}}}}"} for name in PARAMETERS),
    ]
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowTemplate",
        "metadata": {"name": RERUN, "namespace": namespace, "labels": MANAGED_BY},
        "spec": {
            "entrypoint": "rerun",
            "serviceAccountName": RERUN,
            "automountServiceAccountToken": True,
            "activeDeadlineSeconds": RERUN_DEADLINE_SECONDS,
            "arguments": {"parameters": [{"name": name, "value": ""} for name in PARAMETERS]},
            "templates": [
                {
                    "name": "rerun",
                    "securityContext": pod_security_context(),
                    "volumes": list(runner["volumes"]),
                    "container": {
                        "image": PYTHON,
                        "command": list(runner["command"]),
                        "env": env,
                        "volumeMounts": list(runner["volumeMounts"]),
                        "securityContext": container_security_context(),
                        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
                    },
                }
            ],
        },
    }
