"""`paths`: the first step of a pipeline whose path filter a pull request decides: does the pull request change a file
the filter wants?

A pull request's payload does not list its files, so this step asks GitHub: `GET /repos/{r}/pulls/{n}/files`, 100
files a page, at most 3,000 files (GitHub lists no more), stopping at the first file that decides. It prints `run` or
`skip` alone on standard output (the step's result, which the pipeline's own steps wait on) and says why on standard
error; a skip also prints `::skipped::<reason>`, which the check-run report turns into the conclusion `skipped`.

When it cannot tell, it runs, as GitHub Actions does when it cannot compute a diff: a delivery that is not about a
pull request (a push was decided by the selector), no credentials, an error from GitHub, 3,000 files listed without a
match (there may be more). Calls to GitHub per run: 1 token (plus 1 lookup when the installation is not configured),
1 to 30 pages of files, 1 revoke; no writes.

PATH_FILTER (set by the program, never by a delivery): {"key": "paths" | "paths-ignore", "patterns": [[pattern,
negated, regexp], ...]}, the regexps compiled by delivery/globs.py, the very ones the selector uses for pushes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from github.client import GitHubError
from podkit.app_key import KeyProblem
from podkit.credentials import CredentialsProblem, PodSettings, explain, repository_token
from podkit.workflow import REPOSITORY, REPOSITORY_ANNOTATION, annotations

EVENT_ANNOTATION = "argo-github-webhooks/event"
PULL_REQUEST_ANNOTATION = "argo-github-webhooks/pull-request"
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_comment")
MAX_LISTED_FILES = 3000  # "Responses include a maximum of 3000 files" (REST: list pull request files)
RUN, SKIP = "run", "skip"


@dataclass(frozen=True)
class PathFilter:
    key: str  # "paths": run when a file is included; "paths-ignore": run when a file is not ignored
    patterns: tuple[tuple[str, bool, re.Pattern[str]], ...]

    @classmethod
    def from_json(cls, text: str) -> PathFilter:
        document = json.loads(text)
        key = document["key"]
        if key not in ("paths", "paths-ignore"):
            raise ValueError(f"unknown filter {key!r}")
        patterns = tuple((str(p), bool(n), re.compile(str(r))) for p, n, r in document["patterns"])
        return cls(key, patterns)

    def wants(self, path: str) -> bool:
        """Whether this changed file makes the pipeline run (the last matching pattern decides; none: excluded)."""
        included = False
        for _, negated, regexp in self.patterns:
            if regexp.fullmatch(path):
                included = not negated
        return included if self.key == "paths" else not included

    @property
    def described(self) -> str:
        return f"{self.key}: {', '.join(pattern for pattern, _, _ in self.patterns)}"


def decide(path_filter: PathFilter, files: Iterable[Mapping[str, object]]) -> tuple[str, str]:
    """`run` at the first file the filter wants (a renamed file counts under both names), else `skip`; the reason."""
    count = 0
    for changed in files:
        count += 1
        names = [str(changed.get(name)) for name in ("filename", "previous_filename") if changed.get(name)]
        wanted = next((name for name in names if path_filter.wants(name)), None)
        if wanted is not None:
            return RUN, f"{wanted} is a changed file that {path_filter.described} wants"
    if count >= MAX_LISTED_FILES:
        return RUN, f"GitHub lists {count} files, its most: there may be more, so it runs"
    return SKIP, f"none of the {count} changed files matches {path_filter.described}"


def _answer(decision: str, reason: str) -> int:
    if decision == SKIP:
        print(f"::skipped::{reason}", file=sys.stderr)
    else:
        print(f"runs: {reason}", file=sys.stderr)
    print(decision)
    return 0


def decide_paths(environ: Mapping[str, str], now: float) -> int:
    try:
        path_filter = PathFilter.from_json(environ.get("PATH_FILTER", ""))
    except (ValueError, KeyError, TypeError) as error:
        return _answer(RUN, f"the path filter could not be read ({error})")
    found = annotations(environ)
    event = str(found.get(EVENT_ANNOTATION, ""))
    if event not in PULL_REQUEST_EVENTS:
        return _answer(RUN, f"a {event or 'delivery'} without a pull request: its filters were the selector's")
    repository = str(found.get(REPOSITORY_ANNOTATION, ""))
    number = str(found.get(PULL_REQUEST_ANNOTATION, ""))
    if not REPOSITORY.match(repository) or not number.isdigit():
        return _answer(RUN, f"repository {repository!r} or pull request {number!r} is not readable")
    settings = PodSettings.from_environment(environ)
    try:
        token = repository_token(settings, repository, {"pull_requests": "read"}, now)
        try:
            files = token.client.paginate(f"repos/{repository}/pulls/{number}/files")
            decision, reason = decide(path_filter, files)
        finally:
            token.revoke()
    except (GitHubError, CredentialsProblem, KeyProblem, OSError, KeyError, ValueError, TypeError) as error:
        return _answer(RUN, f"the files of {repository}#{number} could not be listed: {explain(error)}")
    usage = token.client.usage
    print(f"{repository}#{number}: {usage.requests} requests to GitHub", file=sys.stderr)
    return _answer(decision, reason)
