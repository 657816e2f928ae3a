"""`check-run`: the run's check run on GitHub (a GitHub App with check runs on).

Started (the run is Pending/Running): one POST creates it `in_progress`, named by the pipeline's context, external_id
the Workflow's name, details_url the run in Argo's UI when one is published. Ended: the Workflow and its pods' logs
are read with the pod's own ServiceAccount (get workflows, get pods/log), the output is built (podkit/report.py), the
check run of this Workflow is found by name and external_id and completed with one PATCH carrying the first 50
annotations; more annotations follow 50 per PATCH, up to the cap. If the start never created it, the end creates it
completed. One installation token per pod (checks: write on this repository only), revoked at the end.
Exits 1 when GitHub could not be told (why is printed to the log), else 0: the step's `continueOn` keeps the run's
own result either way, and the sweep (podkit/sweep.py) completes a check run whose exit report failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from github.client import GitHubClient, GitHubError
from podkit.app_key import KeyProblem
from podkit.credentials import CredentialsProblem, PodSettings, explain, repository_token
from podkit.failures import Failure, parse_failures
from podkit.findings import StepCommands, parse_commands
from podkit.kubernetes import KubernetesApi, KubernetesProblem, pod_name
from podkit.report import CheckOutput, Step, build_output, markdown, redact, steps_of
from podkit.workflow import Run, run_from_environment

DEFAULT_LOG_LINES = 50
DEFAULT_MAX_ANNOTATIONS = 150  # three requests of 50: a bound on the content writes one run makes
MAX_LOG_BYTES = 1_048_576  # read of each step's log, for its findings
MAX_PODS_READ = 30
# A run that decided before doing anything (a required pipeline's skip template, delivery/required.py): the
# conclusion it may report. Anything else is refused: a decided run never reports success.
DECIDED_CONCLUSIONS = ("skipped", "failure")
MAX_TITLE = 255
POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"


def iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _integer(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "")
    return int(value) if value.isdigit() else default


def started_body(run: Run, now: float) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": run.context,
        "head_sha": run.commit,
        "external_id": run.name,
        "status": "in_progress",
        "started_at": iso(now),
        "output": {"title": "running", "summary": f"Argo Workflow `{run.name}` is running."},
    }
    if run.details_url:
        body["details_url"] = run.details_url
    return body


@dataclass
class RunRead:
    """What the report found out about its run; `notes` say what could not be read (the report goes on without)."""

    steps: list[Step]
    commands: StepCommands
    tails: dict[str, str]  # failed step -> its log (the report keeps the last lines)
    workflow: Mapping[str, Any] | None
    notes: list[str]


def _pod_names(run: Run, workflow: Mapping[str, Any]) -> dict[str, str]:
    """Node id -> pod name, for the pod nodes, as Argo names them (the Workflow's pod-name format, v2 by default)."""
    annotations = (workflow.get("metadata") or {}).get("annotations") or {}
    version = "v1" if annotations.get(POD_NAME_FORMAT) == "v1" else "v2"
    pods = {}
    for node_id, node in ((workflow.get("status") or {}).get("nodes") or {}).items():
        if isinstance(node, dict) and node.get("type") == "Pod":
            template = node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
            pods[node_id] = pod_name(run.name, str(node.get("name") or ""), str(template), node_id, version)
    return pods


def read_run(run: Run, environ: Mapping[str, str], log_lines: int) -> RunRead:
    """The steps, what their logs handed over, the failed steps' log tails, the Workflow."""
    notes: list[str] = []
    failures: list[Failure] = []
    try:
        failures = parse_failures(environ.get("WORKFLOW_FAILURES", ""))
    except ValueError as error:  # FailuresProblem, or JSON that is not
        notes.append(f"Argo's list of failed steps could not be read: {error}")
    workflow: Mapping[str, Any] | None = None
    api: KubernetesApi | None = None
    try:
        api = KubernetesApi.in_cluster(environ)
        workflow = api.workflow(run.namespace, run.name)
    except KubernetesProblem as error:
        notes.append(f"The run's steps and logs could not be read: {error}")
    steps = steps_of(workflow, failures, _pod_names(run, workflow) if workflow is not None else {})
    commands = StepCommands(findings=[])
    tails: dict[str, str] = {}
    pod_steps = [step for step in steps if step.pod]
    if api is not None and len(pod_steps) > MAX_PODS_READ:
        notes.append(f"Only the logs of the first {MAX_PODS_READ} of {len(pod_steps)} steps were read.")
    if api is not None:
        for step in pod_steps[:MAX_PODS_READ]:
            try:
                log = api.log(run.namespace, step.pod, MAX_LOG_BYTES)
                if step.phase in ("Failed", "Error"):  # a log cut at the limit: ask for its end
                    whole = len(log.encode()) < MAX_LOG_BYTES
                    tails[step.name] = log if whole else api.log(run.namespace, step.pod, MAX_LOG_BYTES, log_lines)
            except KubernetesProblem as error:
                notes.append(f"The log of step {step.name} could not be read: {error}")
                continue
            found = parse_commands(log.splitlines())
            commands.findings += found.findings
            commands.without_file += found.without_file
            commands.title = found.title or commands.title
            commands.decision = found.decision or commands.decision
    return RunRead(steps, commands, tails, workflow, notes)


def check_runs_of(client: GitHubClient, run: Run) -> list[dict[str, Any]]:
    """This Workflow's check runs on the commit (by name and external_id), oldest first: one, unless the start's pod
    was retried after it had created one (Argo retries a pod that failed to run)."""
    found = [
        check_run
        for check_run in client.paginate(
            f"repos/{run.repository}/commits/{run.commit}/check-runs",
            {"check_name": run.context, "filter": "all"},
            items_key="check_runs",
        )
        if isinstance(check_run, dict) and check_run.get("external_id") == run.name
    ]
    return sorted(found, key=lambda check_run: int(check_run["id"]))


def find_check_runs(client: GitHubClient, run: Run) -> list[int]:
    return [int(check_run["id"]) for check_run in check_runs_of(client, run)]


def complete(client: GitHubClient, run: Run, output: CheckOutput, now: float) -> None:
    batches = output.batches() or [[]]
    body_output: dict[str, Any] = {"title": output.title, "summary": output.summary}
    if output.text:
        body_output["text"] = output.text
    body: dict[str, Any] = {
        "status": "completed",
        "conclusion": output.conclusion,
        "completed_at": iso(now),
        "output": {**body_output, **({"annotations": batches[0]} if batches[0] else {})},
    }
    found = find_check_runs(client, run)
    if not found:
        extra = {"name": run.context, "head_sha": run.commit, "external_id": run.name}
        if run.details_url:
            extra["details_url"] = run.details_url
        check_run = int(client.post(f"repos/{run.repository}/check-runs", {**extra, **body}).body["id"])
    else:
        check_run = found[0]
        client.patch(f"repos/{run.repository}/check-runs/{check_run}", body)
        for duplicate in found[1:]:  # none left in progress: completed alike, the annotations only once
            client.patch(f"repos/{run.repository}/check-runs/{duplicate}", {**body, "output": body_output})
    for batch in batches[1:]:  # GitHub appends each request's annotations to the check run's
        more = {"output": {**body_output, "annotations": batch}}
        client.patch(f"repos/{run.repository}/check-runs/{check_run}", more)


def decided_output(run: Run, conclusion: str, reason: str) -> CheckOutput:
    """The check run of a run that decided from the delivery alone: the reason is the title (one line)."""
    line = " ".join(redact(reason).split()) or "the pipeline's filters do not take this pull request"
    title = line if len(line) <= MAX_TITLE else line[: MAX_TITLE - 1] + "…"
    summary = (
        f"Argo Workflow `{run.name}` concluded **{conclusion}** without running the pipeline: {markdown(line)}. "
        "A required check always reports, so that a pull request never waits for a check that will not come."
    )
    return CheckOutput(conclusion=conclusion, title=title, summary=summary, text="")


def report_decided(run: Run, environ: Mapping[str, str], now: float) -> int:
    """One POST: the check run, created completed with the decided conclusion and the reason."""
    conclusion = environ.get("CHECK_RUN_CONCLUSION", "")
    if conclusion not in DECIDED_CONCLUSIONS:
        print(f"no check run reported: conclusion {conclusion!r} is not one of {', '.join(DECIDED_CONCLUSIONS)}")
        return 0
    output = decided_output(run, conclusion, environ.get("CHECK_RUN_REASON", ""))
    body: dict[str, Any] = {
        "name": run.context,
        "head_sha": run.commit,
        "external_id": run.name,
        "status": "completed",
        "conclusion": conclusion,
        "started_at": iso(now),
        "completed_at": iso(now),
        "output": {"title": output.title, "summary": output.summary},
    }
    if run.details_url:
        body["details_url"] = run.details_url
    return send_report(
        run, environ, now, conclusion, lambda client: client.post(f"repos/{run.repository}/check-runs", body),
        f" ({output.title})",
    )


def send_report(
    run: Run, environ: Mapping[str, str], now: float, state: str, send: Callable[[GitHubClient], object], said: str,
    extra: str = "",
) -> int:
    """`send` with a token for this repository's check runs, revoked after it; the log says what it cost or why
    the report could not be made: then 1 (the step's continueOn keeps the run's result; the sweep completes it)."""
    where = f"{run.repository}@{run.commit}"
    try:
        token = repository_token(PodSettings.from_environment(environ), run.repository, {"checks": "write"}, now)
        try:
            send(token.client)
        finally:
            token.revoke()
    except (GitHubError, CredentialsProblem, KeyProblem, OSError, KeyError, ValueError, TypeError) as error:
        print(f"could not report check run {run.context}={state} on {where}: {explain(error)}")
        return 1
    usage = token.client.usage
    print(
        f"reported check run {run.context}={state} on {where}{said}: {usage.requests} requests to GitHub, "
        f"{usage.writes} writes{extra}"
    )
    return 0


def report_check_run(environ: Mapping[str, str], now: float) -> int:
    try:
        run = run_from_environment(environ)
    except ValueError as error:
        print(f"no check run reported: {error}")
        return 0
    if "CHECK_RUN_CONCLUSION" in environ:
        return report_decided(run, environ, now)
    starting = run.phase in ("Pending", "Running")
    if not starting and run.phase not in ("Succeeded", "Failed", "Error"):
        phases = "Pending, Running, Succeeded, Failed, Error"
        print(f"no check run reported: workflow status {run.phase!r} is not one of {phases}")
        return 0
    output = None
    if not starting:
        log_lines = _integer(environ, "CHECK_RUN_LOG_LINES", DEFAULT_LOG_LINES)
        read = read_run(run, environ, log_lines)
        for note in read.notes:
            print(f"note: {note}", file=sys.stderr)
        output = build_output(
            run_name=run.name,
            phase=run.phase,
            workflow=read.workflow,
            steps=read.steps,
            commands=read.commands,
            logs=read.tails if log_lines else {},
            log_lines=log_lines,
            max_annotations=_integer(environ, "CHECK_RUN_MAX_ANNOTATIONS", DEFAULT_MAX_ANNOTATIONS),
            notes=read.notes,
            details_url=run.details_url,
        )
    if output is None:
        return send_report(
            run, environ, now, "in_progress",
            lambda client: client.post(f"repos/{run.repository}/check-runs", started_body(run, now)), "",
        )
    left_out = f"; {output.left_out} findings left out" if output.left_out else ""
    return send_report(
        run, environ, now, output.conclusion, lambda client: complete(client, run, output, now),
        f" ({output.title})", left_out,
    )
