"""The sweep: completes on GitHub the reports of runs that ended without their own. Standard library only.

A run reports twice through its own hooks (started, then its result from the exit hook). Some runs never get the
second report: `argo terminate` skips exit handlers, a deleted Workflow runs nothing more, and an exit report can
fail (its pod never starts, or GitHub throttles it past its retries: it then exits 1, and `continueOn` keeps the
run's own result). Their commit status would stay `pending` for ever, and a required check would block the pull
request. A CronWorkflow of the stack runs this every few minutes, as its own ServiceAccount, which may list the
namespace's Workflows and read and replace one ConfigMap (the record), nothing else:

1. list the reporting pipelines' Workflows (one request per 250 Workflows, label `argo-github-webhooks/pipeline`);
2. a finished Workflow whose exit report node did not succeed, and that the sweep has not completed before, gets
   its result posted with the reason (terminated, deadline exceeded, failed, report gave up);
3. a Workflow recorded as in flight by the previous sweep that is gone now was deleted before it reported: it is
   completed as cancelled;
4. the record (ConfigMap `RECORD`) keeps the Workflows in flight and those already completed by the sweep.

GitHub requests: none when every run reported itself. Otherwise, per repository with runs to complete, one
installation lookup, one token, one status per run (the only content writes) and one revocation. Kubernetes
requests: the list, the record's read, and its replacement when it changed.

Environment: WORKFLOW_NAMESPACE, SWEEP_PIPELINES (JSON: reporting pipeline -> status context), SWEEP_RECORD (the
ConfigMap's name), ARGO_UI_URL, and the GitHub variables of podkit.github_app (GITHUB_API_URL, GITHUB_APP_ID,
GITHUB_CREDENTIALS_DIR). Exit code: 0 everything due was completed, 1 something could not be (said on stderr; the
next sweep tries again), 2 bad environment.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from github.client import GitHubClient, GitHubError
from podkit.app_key import KeyProblem
from podkit.checks import check_runs_of, iso
from podkit.credentials import CredentialsProblem, PodSettings, explain, repository_token
from podkit.kubernetes import KubernetesApi, KubernetesProblem
from podkit.runs import COMMIT, PIPELINE_LABEL, REPOSITORY, pipeline_of, report_target
from podkit.status import MAX_DESCRIPTION
from podkit.workflow import Run

REPORT_TEMPLATE = "argo-github-webhooks-status-report"  # delivery/status_hooks.py: the hooks' report step
RECORD_KEY = "record.json"
FINISHED = ("Succeeded", "Failed", "Error")
DEADLINE_MESSAGES = ("exceeded its deadline", "longer than the specified deadline", "DeadlineExceeded")


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as a commit status state, a check run conclusion and the reason in words."""

    state: str
    conclusion: str
    reason: str


DELETED = Outcome("error", "cancelled", "cancelled: the Workflow was deleted before it reported")


@dataclass(frozen=True)
class Completion:
    """One report the sweep posts."""

    workflow: str
    pipeline: str
    repository: str
    commit: str
    outcome: Outcome


@dataclass(frozen=True)
class Record:
    """What the previous sweep saw: the Workflows in flight (name -> pipeline, repository, commit), and the finished
    ones it completed itself."""

    in_flight: Mapping[str, Mapping[str, str]]
    completed: frozenset[str]

    @classmethod
    def parse(cls, text: str | None) -> Record:
        try:
            document = json.loads(text or "{}")
        except ValueError:
            document = {}
        document = document if isinstance(document, dict) else {}
        in_flight = document.get("inFlight") if isinstance(document.get("inFlight"), dict) else {}
        completed = document.get("completed") if isinstance(document.get("completed"), list) else []
        return cls(
            {str(name): entry for name, entry in in_flight.items() if isinstance(entry, dict)},
            frozenset(str(name) for name in completed),
        )

    def text(self) -> str:
        document = {"inFlight": dict(sorted(self.in_flight.items())), "completed": sorted(self.completed)}
        return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _nodes(workflow: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    return [node for node in nodes.values() if isinstance(node, dict)] if isinstance(nodes, dict) else []


def _exit_reports(workflow: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The report nodes that ran once the run was over: the exit handler's (Argo names its nodes
    `<workflow>.onExit...`), or the run's own root when the run is nothing but a report (a required pipeline's skip
    run, delivery/required.py)."""
    name = workflow["metadata"]["name"]
    return [
        node
        for node in _nodes(workflow)
        if node.get("templateName") == REPORT_TEMPLATE
        and (str(node.get("name", "")).startswith(f"{name}.onExit") or node.get("name") == name)
    ]


def exit_report_succeeded(workflow: Mapping[str, Any]) -> bool:
    return any(node.get("phase") == "Succeeded" for node in _exit_reports(workflow))


def _exit_report_failure(workflow: Mapping[str, Any]) -> str | None:
    for node in _exit_reports(workflow):
        if node.get("phase") in ("Failed", "Error"):
            return str(node.get("message") or node.get("phase"))
    return None


def outcome_of(workflow: Mapping[str, Any]) -> Outcome:
    """How a finished run ended, and why its own report is missing."""
    status = workflow.get("status") or {}
    phase = status.get("phase")
    message = str(status.get("message") or "")
    messages = [message, *(str(node.get("message") or "") for node in _nodes(workflow))]
    gave_up = _exit_report_failure(workflow)
    missing = f"; its report gave up ({gave_up})" if gave_up else ""
    shutdown = (workflow.get("spec") or {}).get("shutdown")
    if shutdown == "Terminate" or "strategy 'Terminate'" in message:
        return Outcome("error", "cancelled", "cancelled: the run was terminated (argo terminate skips its exit hooks)")
    if shutdown == "Stop" or "strategy 'Stop'" in message:  # argo stop, or a newer push (cancelInProgress)
        return Outcome("error", "cancelled", f"cancelled: the run was stopped{missing}")
    if phase != "Succeeded" and any(text in found for found in messages for text in DEADLINE_MESSAGES):
        return Outcome("failure", "timed_out", f"timed out: the run exceeded its deadline{missing}")
    if phase == "Succeeded":
        return Outcome("success", "success", f"succeeded{missing or '; its own report was not made'}")
    if phase == "Failed":
        return Outcome("failure", "failure", f"failed: {message or 'a step failed'}{missing}")
    return Outcome("error", "failure", f"ended in an error: {message or 'Argo gave no message'}{missing}")


def plan(
    workflows: Iterable[Mapping[str, Any]], record: Record, pipelines: Mapping[str, str]
) -> tuple[list[Completion], Record]:
    """What to complete now, and the record to keep (assuming every completion succeeds)."""
    listed: set[str] = set()
    in_flight: dict[str, dict[str, str]] = {}
    completed: set[str] = set()
    due: list[Completion] = []
    for workflow in workflows:
        metadata = workflow.get("metadata") or {}
        name = str(metadata.get("name", ""))
        pipeline = pipeline_of(workflow)
        target = report_target(workflow)
        listed.add(name)
        if pipeline not in pipelines or target is None:
            continue
        repository, commit = target
        if (workflow.get("status") or {}).get("phase") not in FINISHED:
            in_flight[name] = {"pipeline": pipeline, "repository": repository, "commit": commit}
        elif name in record.completed:
            completed.add(name)
        elif not exit_report_succeeded(workflow):
            due.append(Completion(name, pipeline, repository, commit, outcome_of(workflow)))
            completed.add(name)
    for name, entry in record.in_flight.items():
        if name in listed or entry.get("pipeline") not in pipelines:
            continue
        repository, commit = str(entry.get("repository", "")), str(entry.get("commit", ""))
        if REPOSITORY.match(repository) and COMMIT.match(commit):
            due.append(Completion(name, str(entry["pipeline"]), repository, commit, DELETED))
    return due, Record(in_flight, frozenset(completed))


def description(completion: Completion) -> str:
    """The commit status description, within GitHub's 140 characters."""
    text = f"Argo Workflow {completion.workflow} {completion.outcome.reason}"
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def details_url(completion: Completion, ui_url: str, namespace: str) -> str | None:
    if not ui_url or completion.outcome is DELETED:  # a deleted run has nothing left to show
        return None
    return f"{ui_url.rstrip('/')}/workflows/{namespace}/{completion.workflow}"


def post_status(client: GitHubClient, completion: Completion, context: str, link: str | None) -> str:
    body = {"state": completion.outcome.state, "description": description(completion), "context": context}
    if link:
        body["target_url"] = link
    client.post(f"repos/{completion.repository}/statuses/{completion.commit}", body)
    return body["state"]


def complete_check_run(
    client: GitHubClient, completion: Completion, context: str, link: str | None, now: float
) -> str:
    """The run's check run completed with the conclusion and the reason: the one it left in progress (found by name
    and external_id), or a new one when it never made one. One it completed itself is left as it is."""
    run = Run(completion.repository, completion.commit, completion.workflow, "", "", context, "")
    outcome = completion.outcome
    body: dict[str, Any] = {
        "status": "completed",
        "conclusion": outcome.conclusion,
        "completed_at": iso(now),
        "output": {
            "title": outcome.reason.split(":")[0].split(";")[0],
            "summary": f"Argo Workflow `{completion.workflow}` {outcome.reason}. Its own report was not made, so the "
            "stack's sweep completed this check run.",
        },
    }
    found = check_runs_of(client, run)
    done = [check_run for check_run in found if check_run.get("status") == "completed"]
    if done:
        return f"{done[-1].get('conclusion')} (already completed)"
    if not found:
        created = {"name": context, "head_sha": completion.commit, "external_id": completion.workflow, **body}
        if link:
            created["details_url"] = link
        client.post(f"repos/{completion.repository}/check-runs", created)
    for check_run in found:  # one, unless the start's pod was retried after creating one
        client.patch(f"repos/{completion.repository}/check-runs/{int(check_run['id'])}", body)
    return outcome.conclusion


def complete(
    due: list[Completion], pipelines: Mapping[str, str], environ: Mapping[str, str], now: float
) -> list[Completion]:
    """Report each due completion, one token per repository; the completions that could not be reported."""
    settings = PodSettings.from_environment(environ)
    check_runs = environ.get("SWEEP_REPORT") == "check-run"
    permissions = {"checks": "write"} if check_runs else {"statuses": "write"}
    namespace = environ.get("WORKFLOW_NAMESPACE", "")
    failed: list[Completion] = []
    by_repository: dict[str, list[Completion]] = {}
    for completion in due:
        by_repository.setdefault(completion.repository, []).append(completion)
    for repository, completions in sorted(by_repository.items()):
        try:
            token = repository_token(settings, repository, permissions, now)
        except (GitHubError, CredentialsProblem, KeyProblem, OSError, KeyError, ValueError) as error:
            print(f"could not complete {len(completions)} run(s) on {repository}: {explain(error)}", file=sys.stderr)
            failed.extend(completions)
            continue
        try:
            for completion in completions:
                context = pipelines[completion.pipeline]
                link = details_url(completion, environ.get("ARGO_UI_URL", ""), namespace)
                try:
                    if check_runs:
                        result = complete_check_run(token.client, completion, context, link, now)
                    else:
                        result = post_status(token.client, completion, context, link)
                except (GitHubError, KeyError, ValueError, TypeError) as error:
                    print(f"could not complete {completion.workflow} on {repository}: {explain(error)}",
                          file=sys.stderr)
                    failed.append(completion)
                    continue
                print(f"completed {completion.workflow}: {context}={result} on {repository}@{completion.commit} "
                      f"({completion.outcome.reason})")
        finally:
            token.revoke()
    return failed


def _pipelines(environ: Mapping[str, str]) -> dict[str, str]:
    try:
        pipelines = json.loads(environ.get("SWEEP_PIPELINES") or "")
    except ValueError:
        pipelines = None
    if not isinstance(pipelines, dict) or not all(isinstance(v, str) for v in pipelines.values()):
        raise ValueError("SWEEP_PIPELINES must be a JSON object of pipeline name -> status context")
    return pipelines


def run(environ: Mapping[str, str], now: float) -> int:
    namespace = environ.get("WORKFLOW_NAMESPACE", "")
    record_name = environ.get("SWEEP_RECORD", "")
    try:
        pipelines = _pipelines(environ)
        if not namespace or not record_name:
            raise ValueError("WORKFLOW_NAMESPACE and SWEEP_RECORD must be set")
        kubernetes = KubernetesApi.in_cluster(environ)
    except (ValueError, KubernetesProblem) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        config_map = kubernetes.config_map(namespace, record_name)
        record = Record.parse((config_map.get("data") or {}).get(RECORD_KEY))
        workflows = list(kubernetes.workflows(namespace, PIPELINE_LABEL))
    except (KubernetesProblem, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    due, kept = plan(workflows, record, pipelines)
    failed = complete(due, pipelines, environ, now) if due else []
    # What could not be posted is tried again next time: a finished run by not counting it completed, a deleted one
    # by keeping it in flight.
    retry_deleted = {c.workflow: {"pipeline": c.pipeline, "repository": c.repository, "commit": c.commit}
                     for c in failed if c.outcome is DELETED}
    kept = Record({**kept.in_flight, **retry_deleted}, kept.completed - {c.workflow for c in failed})
    print(f"swept {len(workflows)} Workflow(s): {len(due) - len(failed)} completed, {len(failed)} left for the next "
          f"sweep, {len(kept.in_flight)} in flight")
    if kept.text() != (config_map.get("data") or {}).get(RECORD_KEY):
        config_map["data"] = {**(config_map.get("data") or {}), RECORD_KEY: kept.text()}
        try:
            kubernetes.replace_config_map(config_map)
        except (KubernetesProblem, OSError) as error:
            print(f"error: the record was not saved: {error}", file=sys.stderr)
            return 1
    return 1 if failed else 0
