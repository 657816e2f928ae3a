"""`status`: the commit status of a run (githubToken, or a GitHub App with check runs turned off).

Exits 0 when it reported, or when there is nothing to report on; 1 when GitHub could not be told (why is printed
to the log). The step's `continueOn` keeps the run's own result either way, and the failed step is what the sweep
(podkit/sweep.py) looks for to complete the report later."""

from __future__ import annotations

from collections.abc import Mapping

from github.client import GitHubError
from podkit.app_key import KeyProblem
from podkit.credentials import CredentialsProblem, PodSettings, explain, repository_token
from podkit.superseded import SUPERSEDED_BY_ANNOTATION
from podkit.workflow import annotations, run_from_environment

STATES = {"Pending": "pending", "Running": "pending", "Succeeded": "success", "Failed": "failure", "Error": "error"}
WORDS = {"pending": "is running", "success": "succeeded", "failure": "failed", "error": "ended in an error"}
MAX_DESCRIPTION = 140  # GitHub's limit for a commit status description


def status_body(
    phase: str, name: str, context: str, details_url: str | None, superseded_by: str = ""
) -> dict[str, str]:
    """The commit status; a run stopped for a newer one (cancelInProgress) is `error`, said to be cancelled: a commit
    status has no cancelled state, and `failure` would blame the commit."""
    if phase not in STATES:
        raise ValueError(f"workflow status {phase!r} is not one of {', '.join(STATES)}")
    state = STATES[phase]
    description = f"Argo Workflow {name} {WORDS[state]}"
    if superseded_by and phase in ("Failed", "Error"):
        state, description = "error", f"Argo Workflow {name} was cancelled: superseded by {superseded_by}"
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1] + "…"
    body = {"state": state, "description": description, "context": context}
    if details_url:
        body["target_url"] = details_url
    return body


def report_status(environ: Mapping[str, str], now: float) -> int:
    try:
        run = run_from_environment(environ)
        superseded_by = str(annotations(environ).get(SUPERSEDED_BY_ANNOTATION, ""))
        body = status_body(run.phase, run.name, run.context, run.details_url, superseded_by)
    except ValueError as error:
        print(f"no commit status reported: {error}")
        return 0
    settings = PodSettings.from_environment(environ)
    where = f"{run.repository}@{run.commit}"
    try:
        token = repository_token(settings, run.repository, {"statuses": "write"}, now)
        try:
            token.client.post(f"repos/{run.repository}/statuses/{run.commit}", body)
        finally:
            token.revoke()
    except (GitHubError, CredentialsProblem, KeyProblem, OSError, KeyError, ValueError, TypeError) as error:
        print(f"could not report commit status {body['context']}={body['state']} on {where}: {explain(error)}")
        return 1
    link = f": {body['target_url']}" if "target_url" in body else ""
    print(f"reported {body['context']}={body['state']} on {where}{link}")
    return 0
