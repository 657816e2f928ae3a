"""What a finished run tells GitHub: the check run's conclusion, a one-line title, a summary of every step (phase,
duration, Argo's message for failed ones), the last lines of each failed step's log, and the findings the steps
handed over (podkit/findings.py) as annotations. Pure: the inputs are read elsewhere (podkit/checks.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from podkit.failures import Failure
from podkit.findings import Finding, StepCommands

MAX_OUTPUT = 65_535  # GitHub's limit for output.summary and output.text, each
ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit per create/update request
OWN_TEMPLATE_PREFIX = "argo-github-webhooks-"  # the program's report templates: not the run's steps
# ... but for the step that decides whether the run concerns the commit at all (a pull request's path filter): it is
# shown, and its `::skipped::<reason>` gives the check run its conclusion and title (delivery/paths_gate.py).
SHOWN_OWN_TEMPLATES = ("argo-github-webhooks-paths",)
DEADLINE_MESSAGES = ("exceeded its deadline", "Max duration limit exceeded", "DeadlineExceeded", "deadline exceeded")
_TOKEN = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_EXIT_CODE = re.compile(r"^Error \((exit code \d+)\)$")
WORDS = {
    "success": "succeeded",
    "failure": "failed",
    "cancelled": "was stopped",
    "timed_out": "exceeded its deadline",
    "skipped": "was skipped",
    "neutral": "ended neutral",
}
ICONS = {
    "Succeeded": "✅",
    "Failed": "❌",
    "Error": "❌",
    "Skipped": "⏭️",
    "Omitted": "⏭️",
    "Running": "⏳",
    "Pending": "⏳",
}
UNKNOWN = "n/a"  # a duration Argo did not record


@dataclass(frozen=True)
class Step:
    name: str  # the node's display name
    phase: str
    duration: float | None  # seconds; None while it runs or when unknown
    message: str  # Argo's message, for a failed step
    pod: str  # the pod that ran it ("" when it is not known)


@dataclass
class CheckOutput:
    conclusion: str
    title: str
    summary: str
    text: str
    annotations: list[dict[str, object]] = field(default_factory=list)  # at most the cap, in GitHub's form
    left_out: int = 0  # findings over the cap, not posted

    def batches(self) -> list[list[dict[str, object]]]:
        """The annotations as GitHub takes them: 50 per request."""
        return [
            self.annotations[start : start + ANNOTATIONS_PER_REQUEST]
            for start in range(0, len(self.annotations), ANNOTATIONS_PER_REQUEST)
        ]


def redact(text: str) -> str:
    """GitHub tokens never reach a check run, whatever a step printed."""
    return _TOKEN.sub("***", text)


def markdown(text: str) -> str:
    """Plain text inside a markdown table cell: nothing in it formats, links or breaks the table."""
    return _MARKDOWN.sub(r"\\\1", " ".join(redact(text).split()))


def fenced(text: str) -> str:
    """A code block no line of `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def steps_of(
    workflow: Mapping[str, Any] | None, failures: Sequence[Failure], pod_names: Mapping[str, str]
) -> list[Step]:
    """The run's steps (pod nodes, the report's own left out) in the order they started; from the failures alone
    when the Workflow could not be read. `pod_names`: node id -> pod name."""
    messages = {failure.display_name: failure.message for failure in failures}
    nodes = ((workflow or {}).get("status") or {}).get("nodes") or {}
    steps = []
    for node_id, node in nodes.items():
        if not isinstance(node, dict) or node.get("type") not in ("Pod", "Skipped"):
            continue
        template = node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
        if str(template).startswith(OWN_TEMPLATE_PREFIX) and template not in SHOWN_OWN_TEMPLATES:
            continue
        started, finished = _time(node.get("startedAt")), _time(node.get("finishedAt"))
        phase = str(node.get("phase") or "")
        name = str(node.get("displayName") or node.get("name") or node_id)
        message = messages.get(name, str(node.get("message") or "")) if phase in ("Failed", "Error") else ""
        steps.append(
            (
                started.timestamp() if started else float("inf"),
                Step(
                    name=name,
                    phase=phase,
                    duration=(finished - started).total_seconds() if started and finished else None,
                    message=message,
                    pod=pod_names.get(node_id, "") if node.get("type") == "Pod" else "",
                ),
            )
        )
    if steps:
        return [step for _, step in sorted(steps, key=lambda pair: pair[0])]
    return [
        Step(failure.display_name, failure.phase, None, failure.message, failure.pod_name)
        for failure in failures
        if not failure.template_name.startswith(OWN_TEMPLATE_PREFIX)
    ]


def conclusion_of(
    phase: str, workflow: Mapping[str, Any] | None, steps: Sequence[Step], decision: tuple[str, str] | None
) -> str:
    if phase == "Succeeded":
        if decision is not None:
            return decision[0]
        if steps and all(step.phase in ("Skipped", "Omitted") for step in steps):
            return "skipped"
        return "success"
    if ((workflow or {}).get("spec") or {}).get("shutdown"):
        return "cancelled"
    if any(any(text in step.message for text in DEADLINE_MESSAGES) for step in steps):
        return "timed_out"
    return "failure"


def _short(message: str) -> str:
    match = _EXIT_CODE.match(message.strip())
    return match.group(1) if match else " ".join(message.split())


def title_of(conclusion: str, steps: Sequence[Step], commands: StepCommands, run_seconds: float | None) -> str:
    if commands.title:
        return commands.title
    failed = [step for step in steps if step.phase in ("Failed", "Error")]
    if conclusion in ("skipped", "neutral"):
        reason = commands.decision[1] if commands.decision else "no step ran"
        return _one_line(f"{conclusion}: {reason}")
    if conclusion == "cancelled":
        return "stopped before it ended"
    if conclusion == "timed_out":
        late = next((step for step in failed if any(text in step.message for text in DEADLINE_MESSAGES)), None)
        return _one_line(f"step {late.name} exceeded its deadline" if late else "the run exceeded its deadline")
    if conclusion == "failure":
        errors = [finding for finding in commands.findings if finding.level == "failure"]
        if errors:
            files = len({finding.path for finding in errors})
            return f"{_count(len(errors), 'error')} in {_count(files, 'file')}"
        pod_failed = next((step for step in failed if step.pod), failed[0] if failed else None)
        if pod_failed is None:
            return "the run failed"
        reason = f": {_short(pod_failed.message)}" if pod_failed.message else ""
        return _one_line(f"step {pod_failed.name} failed{reason}")
    return f"succeeded in {duration_text(run_seconds)}" if run_seconds is not None else "succeeded"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _one_line(text: str) -> str:
    line = " ".join(redact(text).split())
    return line if len(line) <= 255 else line[:254] + "…"


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = "\n\n… (cut to GitHub's 65,535 characters)"
    return text[: limit - len(note)] + note


def build_output(
    *,
    run_name: str,
    phase: str,
    workflow: Mapping[str, Any] | None,
    steps: Sequence[Step],
    commands: StepCommands,
    logs: Mapping[str, str],
    log_lines: int,
    max_annotations: int,
    notes: Sequence[str] = (),
    details_url: str | None = None,
) -> CheckOutput:
    """The completed check run's output. `logs`: step name -> its log tail (failed steps only)."""
    status = (workflow or {}).get("status") or {}
    started, finished = _time(status.get("startedAt")), _time(status.get("finishedAt"))
    run_seconds = (finished - started).total_seconds() if started and finished else None
    conclusion = conclusion_of(phase, workflow, steps, commands.decision)
    title = title_of(conclusion, steps, commands, run_seconds)
    lines = [f"Argo Workflow `{markdown(run_name)}` {WORDS[conclusion]}"
             + (f" after {duration_text(run_seconds)}" if run_seconds is not None else "") + "."]
    if details_url:
        lines.append(f"\n[Open the run in Argo's UI]({details_url})")
    if steps:
        lines += ["", "| step | phase | duration | message |", "|---|---|---|---|"]
        for step in steps:
            icon = ICONS.get(step.phase, "")
            lines.append(
                f"| {markdown(step.name)} | {icon} {markdown(step.phase)} | {duration_text(step.duration)} | "
                f"{markdown(step.message) if step.message else ''} |"
            )
    findings: list[Finding] = commands.findings
    shown = findings[:max_annotations]
    left_out = len(findings) - len(shown)
    if findings:
        lines.append("")
        lines.append(f"{_count(len(findings), 'finding')} from the steps, shown as annotations on the files.")
        if left_out:
            verb = "was" if left_out == 1 else "were"
            lines.append(f"{left_out} more {verb} left out (at most {max_annotations} per run).")
    if commands.without_file:
        lines.append(f"{_count(commands.without_file, 'finding')} without a file (see the step's log).")
    for note in notes:
        lines.append(f"\n_{markdown(note)}_")
    summary = _bounded("\n".join(lines), MAX_OUTPUT)
    text = _log_text(logs, log_lines)
    annotations = [
        {**finding.annotation(), "message": redact(str(finding.annotation()["message"]))} for finding in shown
    ]
    return CheckOutput(conclusion, title, summary, text, annotations, left_out)


def _log_text(logs: Mapping[str, str], log_lines: int) -> str:
    if not logs:
        return ""
    header_room = 200 * len(logs)
    budget = max((MAX_OUTPUT - header_room) // len(logs), 200)
    parts = []
    for name, log in logs.items():
        tail = "\n".join(redact(log).rstrip("\n").splitlines()[-log_lines:])
        if len(tail) > budget:
            tail = "… (earlier lines left out)\n" + tail[len(tail) - budget + 40 :]
        parts.append(f"### {markdown(name)}: the last lines of its log\n\n{fenced(tail)}")
    return _bounded("\n\n".join(parts), MAX_OUTPUT)
