"""The report (a check run, or a commit status) added to a pipeline's deployed WorkflowTemplate (the user's file
stays as written).

A lifecycle hook when the Workflow starts and the exit handler when it ends run `python3 /opt/podkit/podkit.pyz
<command>` (the artifact from the ConfigMap `podkit`): `check-run` for a GitHub App with check runs (in_progress,
then completed with Argo's conclusion and the reason), `status` otherwise (pending, then success / failure / error
from `{{workflow.status}}`). Argo turns a passed Workflow red when its exit handler fails, so the report runs as a
step with `continueOn` failed and error: even a pod that never starts cannot change the run's result. podkit exits 1
when GitHub could not be told (and says why in its log): the failed exit report is what the sweep (podkit/sweep.py)
completes later. Every value reaches it through its environment.

The repository and commit come from the Workflow's annotations (set by the pipeline's WorkflowEventBinding), read
through `{{workflow.annotations.json}}`: that variable always exists, so a Workflow submitted by hand still validates
(and reports nothing).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from delivery import podkit_artifact
from delivery.triggers import LABEL_PREFIX, well_known_expression
from settings.config import Pipeline
from settings.containment import WORKFLOW_SERVICE_ACCOUNT
from settings.images import PYTHON

CREDENTIALS_SECRET = "github-app"  # in the workflow namespace, made by components/github_app.py
CREDENTIALS_MOUNT = "/var/run/secrets/github-app"
COMMIT_ANNOTATION = f"{LABEL_PREFIX}/commit"
START_HOOK = f"{LABEL_PREFIX}-started"
STATUS_STEPS = f"{LABEL_PREFIX}-status"
REPORT_TEMPLATE = f"{LABEL_PREFIX}-status-report"
EXIT_STEPS = f"{LABEL_PREFIX}-exit"
# Fires once, as soon as the Workflow is seen pending or running (a very short run may already be over: then only
# the final status is posted).
START_EXPRESSION = 'workflow.status == "Pending" || workflow.status == "Running"'
NON_ROOT = 65534  # nobody
REPORT_DEADLINE_SECONDS = 300


# The check-run report's identity: it may get Workflows and pods/log in the workflow namespace, nothing else
# (components/github_app.py); only the program's report template runs as it (settings/containment.py refuses it).
REPORT_SERVICE_ACCOUNT = "argo-github-webhooks-report"
FAILURES_PARAMETER = "failures"


@dataclass(frozen=True)
class StatusReporting:
    """What the hooks need to know about the stack: where Argo's UI and GitHub's API are, which App, and whether runs
    report check runs (a GitHub App with `checkRuns` on) or commit statuses."""

    ui_url: str | None  # the UI's base URL the status links to; None: no link (the UI is not published)
    api_url: str
    app_id: int | None
    check_runs: bool = False
    log_lines: int = 50  # of each failed step's log, in its check run; 0: none
    installations: tuple[tuple[str, int], ...] = ()  # (organization, installation id): no lookup per report

    @property
    def command(self) -> str:
        return "check-run" if self.check_runs else "status"


def commit_annotation(pipeline: Pipeline) -> dict[str, str]:
    """The binding's extra Workflow annotation: the commit the delivery is about (the hooks report on it)."""
    return {COMMIT_ANNOTATION: well_known_expression("head_commit", pipeline.events)} if pipeline.status else {}


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": NON_ROOT,
        "runAsGroup": NON_ROOT,
        "fsGroup": NON_ROOT,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def credentials_volume(optional: bool = False) -> dict[str, Any]:
    secret: dict[str, Any] = {"secretName": CREDENTIALS_SECRET, "defaultMode": 0o440}
    if optional:
        secret["optional"] = True
    return {"name": "github-credentials", "secret": secret}


def github_environment(reporting: StatusReporting) -> list[dict[str, str]]:
    """What a podkit step that talks to GitHub needs to find it and the mounted credentials."""
    return [
        {"name": "GITHUB_API_URL", "value": reporting.api_url},
        *([{"name": "GITHUB_APP_ID", "value": str(reporting.app_id)}] if reporting.app_id is not None else []),
        {"name": "GITHUB_CREDENTIALS_DIR", "value": CREDENTIALS_MOUNT},
        *(
            [{"name": "GITHUB_INSTALLATIONS", "value": json.dumps(dict(reporting.installations), sort_keys=True)}]
            if reporting.installations
            else []
        ),
    ]


def _report_template(context: str, reporting: StatusReporting) -> dict[str, Any]:
    env = [
        *github_environment(reporting),
        {"name": "STATUS_CONTEXT", "value": context},
        {"name": "ARGO_UI_URL", "value": reporting.ui_url or ""},
        {"name": "WORKFLOW_NAME", "value": "{{workflow.name}}"},
        {"name": "WORKFLOW_NAMESPACE", "value": "{{workflow.namespace}}"},
        {"name": "WORKFLOW_STATUS", "value": "{{workflow.status}}"},
        {"name": "WORKFLOW_ANNOTATIONS", "value": "{{workflow.annotations.json}}"},
    ]
    identity = {  # the commit status needs no Kubernetes API: no token at all
        "serviceAccountName": WORKFLOW_SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
    }
    if reporting.check_runs:
        env += [
            {"name": "WORKFLOW_FAILURES", "value": f"{{{{inputs.parameters.{FAILURES_PARAMETER}}}}}"},
            {"name": "CHECK_RUN_LOG_LINES", "value": str(reporting.log_lines)},
        ]
        # Its own token, to read its run's Workflow and logs; Argo's init and wait containers keep the workflow
        # identity's (executor.serviceAccountName).
        identity = {"serviceAccountName": REPORT_SERVICE_ACCOUNT, "automountServiceAccountToken": True}
    return {
        "name": REPORT_TEMPLATE,
        "inputs": {"parameters": [{"name": FAILURES_PARAMETER}]},
        "activeDeadlineSeconds": REPORT_DEADLINE_SECONDS,
        "retryStrategy": {"limit": 2, "retryPolicy": "OnError"},  # a pod that could not run, not a failed report
        # The pod that holds the App's key says who it is and how it runs itself: nothing of the workflow spec's
        # (identity, token, executor, securityContext) reaches it. Templates may not patch pods or add containers
        # through templateDefaults (settings/containment.py), so nothing else of theirs does either.
        **identity,
        "executor": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT},
        "securityContext": pod_security_context(),
        "volumes": [credentials_volume(), podkit_artifact.volume()],
        "container": {
            "image": PYTHON,
            "command": podkit_artifact.command(reporting.command),
            "env": env,
            "volumeMounts": [
                {"name": "github-credentials", "mountPath": CREDENTIALS_MOUNT, "readOnly": True},
                podkit_artifact.volume_mount(),
            ],
            "securityContext": container_security_context(),
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        },
    }


def _report_step(failures: str) -> dict[str, Any]:
    return {
        "name": "report",
        "template": REPORT_TEMPLATE,
        "arguments": {"parameters": [{"name": FAILURES_PARAMETER, "value": failures}]},
        "continueOn": {"failed": True, "error": True},
    }


def _users_exit_step(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The template's own exit handler as a step (`onExit` wins over `hooks.exit` in Argo, as here)."""
    if spec.get("onExit"):
        return {"name": "exit", "template": spec["onExit"]}
    exit_hook = (spec.get("hooks") or {}).get("exit")
    if exit_hook:
        return {"name": "exit", **{key: value for key, value in exit_hook.items() if key != "expression"}}
    return None


def with_status_hooks(manifest: Mapping[str, Any], context: str, reporting: StatusReporting) -> dict[str, Any]:
    """The deployed WorkflowTemplate with the status hooks and their templates added."""
    document = copy.deepcopy(dict(manifest))
    spec = document["spec"]
    taken = {template.get("name") for template in spec.get("templates") or []}
    clash = taken & {STATUS_STEPS, REPORT_TEMPLATE, EXIT_STEPS}
    if clash:
        raise ValueError(f"template names {', '.join(sorted(clash))} are reserved for the status hooks")
    users_exit = _users_exit_step(spec)
    templates = [_report_template(context, reporting)]
    templates.append({"name": STATUS_STEPS, "steps": [[_report_step("")]]})
    # The exit handler is `onExit`, not `hooks.exit`: Argo v4.0.6 knows {{workflow.failures}} at validation only
    # for an onExit (workflow/validate/validate.go), and validates every template, the report's included. The
    # user's own handler runs beside the report and keeps its power to fail the run; the report does not.
    exit_steps = [users_exit] if users_exit is not None else []
    templates.append({"name": EXIT_STEPS, "steps": [[*exit_steps, _report_step("{{workflow.failures}}")]]})
    hooks = {key: value for key, value in (spec.get("hooks") or {}).items() if key != "exit"}
    hooks[START_HOOK] = {"expression": START_EXPRESSION, "template": STATUS_STEPS}
    spec["onExit"] = EXIT_STEPS
    spec["hooks"] = hooks
    spec["templates"] = [*(spec.get("templates") or []), *templates]
    return document
