"""A required check always reports: the skip binding and template of a required pipeline.

A ruleset that requires a check waits for it on every pull request to a targeted branch. When the pipeline's own
filters (actions, repositories, its branch filters, forks) leave a pull request out, its binding submits nothing and
the check would stay pending forever. So each required pipeline gets a second WorkflowEventBinding,
`argo-github-webhooks-skip-<pipeline>`, whose selector is exactly "a pull request the ruleset targets (opened,
synchronize, reopened; the ruleset's branches and repositories; the pipeline's organizations) that the pipeline's own
pull_request clause refuses": for such a delivery exactly one of the two bindings fires. It submits the one-step
template of the same name, which completes the pipeline's check run at once (podkit `check-run` with
CHECK_RUN_CONCLUSION and CHECK_RUN_REASON): `skipped` with the reason (GitHub counts skipped as passing), except for
a fork's pull request to a pipeline without `forks: true`, which concludes `failure` (fail closed: a required check
must not pass on code it never looked at). The run is named `<pipeline>-<delivery GUID>` like the pipeline's own
runs, so a redelivery never reports twice.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from delivery.expr import quote
from delivery.globs import literal_regexp
from delivery.status_hooks import REPORT_TEMPLATE, StatusReporting, _report_template, commit_annotation
from delivery.triggers import (
    LABEL_PREFIX,
    Condition,
    ConditionKind,
    compile_trigger,
    payload_path,
    workflow_metadata,
)
from settings.config import EVENTS_DISCRIMINATOR, Pipeline
from settings.labels import MANAGED_BY
from settings.required_checks import ALL, DEFAULT_BRANCH, TARGETED_ACTIONS, RequiredChecks
from settings.templates import ARGO_API_VERSION

SKIP_PREFIX = f"{LABEL_PREFIX}-skip-"
CONCLUSION_PARAMETER = "conclusion"
REASON_PARAMETER = "reason"
EVENT = "pull_request"
# The filters of a pipeline's pull_request clause that can leave a targeted pull request out. The organization is
# not one: the skip binding only serves the organizations whose ruleset requires the check.
_NOT_OURS = (ConditionKind.EVENT, ConditionKind.ORGANIZATION)


def skip_name(pipeline: Pipeline) -> str:
    return f"{SKIP_PREFIX}{pipeline.name}"


def _text(path: Sequence[str]) -> str:
    """A payload field as a string whatever a forged payload holds there (`+` on a number would fail the binding)."""
    return f'string({payload_path(path)} ?? "")'


def _fnmatch_regexp(pattern: str) -> str:
    """A ruleset's fnmatch pattern (File::FNM_PATHNAME) as RE2: `*` not `/`, `**` anything, `?` one non-`/`,
    `[...]` a class (`[!...]` negated); every other character literal."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        elif pattern[index] == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            body = pattern[index + 1 : end]
            negated = body.startswith("!")
            body = body[1:] if negated else body
            parts.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\") + "]")
            index = end + 1
        else:
            parts.append(literal_regexp(pattern[index]))
            index += 1
    return "".join(parts)


def _matches_any(subject: str, patterns: Sequence[str], flags: str = "") -> str:
    return f"{subject} matches {quote(flags + '^(?:' + '|'.join(_fnmatch_regexp(p) for p in patterns) + ')$')}"


def targeted_expression(required: RequiredChecks) -> str:
    """The ruleset's own targets, as the payload of a pull request names them: its base branch and repository."""
    base = _text((EVENT, "base", "ref"))
    branch_tests = []
    if ALL in required.branches:
        branch_tests.append("true")
    else:
        if DEFAULT_BRANCH in required.branches:
            branch_tests.append(f'({base} != "" && {base} == {_text(("repository", "default_branch"))})')
        globs = [branch for branch in required.branches if not branch.startswith("~")]
        if globs:
            branch_tests.append(_matches_any(base, globs))
    tests = [branch_tests[0] if len(branch_tests) == 1 else f"({' || '.join(branch_tests)})"]
    name = _text(("repository", "name"))
    if ALL not in required.include_repositories:
        tests.append(_matches_any(name, required.include_repositories, "(?i)"))  # GitHub names: case-insensitive
    if required.exclude_repositories:
        tests.append(f"!({_matches_any(name, required.exclude_repositories, '(?i)')})")
    return " && ".join(tests)


def _reason(condition: Condition) -> str:
    """Why `condition` left the pull request out, as an expression of the payload (the run's reason)."""
    filters = ", ".join(condition.allowed)
    if condition.kind is ConditionKind.ACTION:
        return f'"action " + {_text(("action",))} + {quote(f" is not one of the pipeline actions ({filters})")}'
    if condition.kind is ConditionKind.REPOSITORY:
        text = f" is not one of the pipeline repositories ({filters})"
        return f'"repository " + {_text(("repository", "full_name"))} + {quote(text)}'
    if condition.kind is ConditionKind.BRANCH:
        described = "; ".join(f"{key}: {', '.join(patterns)}" for key, patterns in condition.filters) or filters
        text = f" is not taken by the pipeline branch filters ({described})"
        return f'"base branch " + {_text((EVENT, "base", "ref"))} + {quote(text)}'
    if condition.kind is ConditionKind.SAME_REPOSITORY:
        text = (
            ": the pipeline does not run a fork's code (forks: false), so its required check fails; a maintainer "
            "can merge through a bypass, or the pipeline can set forks: true"
        )
        return f'"pull request from the fork " + {_text((EVENT, "head", "repo", "full_name"))} + {quote(text)}'
    return quote(f"the pipeline's {condition.kind.value} filter does not take this pull request")


@dataclass(frozen=True)
class SkipTrigger:
    """The skip binding's selector and the expressions of its run's conclusion and reason."""

    selector: str
    conclusion: str
    reason: str


def skip_trigger(pipeline: Pipeline, required: RequiredChecks) -> SkipTrigger:
    clause = next(clause for clause in compile_trigger(pipeline).clauses if clause.event == EVENT)
    own = [condition for condition in clause.conditions if condition.kind not in _NOT_OURS]
    organization = [condition for condition in clause.conditions if condition.kind is ConditionKind.ORGANIZATION]
    actions = ", ".join(quote(action) for action in TARGETED_ACTIONS)
    targeted = [
        f"discriminator == {quote(EVENTS_DISCRIMINATOR)}",
        f'metadata["x-github-event"] == [{quote(EVENT)}]',
        f"{_text(('action',))} in [{actions}]",
        *(condition.expression for condition in organization),
        targeted_expression(required),
    ]
    refused = " && ".join(condition.expression for condition in own) if own else "true"
    selector = " && ".join(targeted) + f" && !({refused})"
    reason = '""'
    for condition in reversed(own):
        reason = f"(!({condition.expression}) ? {_reason(condition)} : {reason})"
    fork = [condition for condition in own if condition.kind is ConditionKind.SAME_REPOSITORY]
    conclusion = f'({fork[0].expression} ? "skipped" : "failure")' if fork else '"skipped"'
    return SkipTrigger(selector=selector, conclusion=conclusion, reason=reason)


def _labels(pipeline: Pipeline) -> dict[str, str]:
    return {**MANAGED_BY, f"{LABEL_PREFIX}/pipeline": pipeline.name}


def skip_template_manifest(pipeline: Pipeline, namespace: str, reporting: StatusReporting) -> dict[str, Any]:
    """One step: podkit's check-run completes the pipeline's check run with the decided conclusion and reason."""
    if pipeline.status is None:
        raise ValueError(f"{pipeline.name}: a required pipeline reports a check run")
    report = copy.deepcopy(_report_template(pipeline.status.context, reporting))
    report.pop("inputs")
    env = [item for item in report["container"]["env"] if item["name"] != "WORKFLOW_FAILURES"]
    env += [
        {"name": "CHECK_RUN_CONCLUSION", "value": f"{{{{workflow.parameters.{CONCLUSION_PARAMETER}}}}}"},
        {"name": "CHECK_RUN_REASON", "value": f"{{{{workflow.parameters.{REASON_PARAMETER}}}}}"},
    ]
    report["container"]["env"] = env
    # Nothing to read in the cluster: no Kubernetes token (the decided report reads neither Workflow nor logs).
    report["automountServiceAccountToken"] = False
    report["serviceAccountName"] = report["executor"]["serviceAccountName"]
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowTemplate",
        "metadata": {"name": skip_name(pipeline), "namespace": namespace, "labels": _labels(pipeline)},
        "spec": {
            "entrypoint": REPORT_TEMPLATE,
            "arguments": {"parameters": [{"name": CONCLUSION_PARAMETER}, {"name": REASON_PARAMETER}]},
            "activeDeadlineSeconds": report["activeDeadlineSeconds"] + 60,
            "templates": [report],
        },
    }


def skip_binding_manifest(pipeline: Pipeline, namespace: str, required: RequiredChecks) -> dict[str, Any]:
    trigger = skip_trigger(pipeline, required)
    metadata = workflow_metadata(pipeline)
    metadata["annotations"].update(commit_annotation(pipeline))
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "WorkflowEventBinding",
        "metadata": {"name": skip_name(pipeline), "namespace": namespace, "labels": _labels(pipeline)},
        "spec": {
            "event": {"selector": trigger.selector},
            "submit": {
                "workflowTemplateRef": {"name": skip_name(pipeline)},
                "metadata": metadata,
                "arguments": {
                    "parameters": [
                        {"name": CONCLUSION_PARAMETER, "valueFrom": {"event": trigger.conclusion}},
                        {"name": REASON_PARAMETER, "valueFrom": {"event": trigger.reason}},
                    ]
                },
            },
        },
    }
