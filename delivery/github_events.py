"""What GitHub sends and Argo Server accepts: the event catalogue the config and the triggers are checked against."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_CATALOGUE_FILE = Path(__file__).with_name("github_events.json")

# Events whose payload has no `action` field (GitHub's webhook events reference).
EVENTS_WITHOUT_ACTION = frozenset(
    {"create", "delete", "fork", "gollum", "page_build", "ping", "public", "push", "status", "team_add"}
)

# Events that an organization webhook sends without a `repository` object.
EVENTS_WITHOUT_REPOSITORY = frozenset({"membership", "meta", "organization", "org_block", "ping"})


@dataclass(frozen=True)
class BranchSource:
    """Where an event names the branch it is about: a payload path, and the prefix the value carries."""

    path: tuple[str, ...]
    prefix: str = ""


# Events whose payload carries the whole `pull_request` object (number, base and head).
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_comment")

# Events that are about a branch. Push names the pushed ref (`refs/heads/<branch>`, or `refs/tags/<tag>`, which no
# branch filter matches); pull request events name the target (base) branch.
BRANCH_SOURCES: dict[str, BranchSource] = {
    "push": BranchSource(("ref",), "refs/heads/"),
    **{event: BranchSource(("pull_request", "base", "ref")) for event in PULL_REQUEST_EVENTS},
}


@dataclass(frozen=True)
class EventCatalogue:
    """Event names by what happens to them: deliverable, refused by Argo (401), or not sendable by an org webhook."""

    deliverable: frozenset[str]
    rejected_by_argo: frozenset[str]
    not_org_webhook: frozenset[str]

    def problem_with(self, event: str) -> str | None:
        """Why `event` cannot be used by a pipeline, or None when it can."""
        if event in self.deliverable:
            return None
        if event in self.rejected_by_argo:
            return (
                f"{event!r} can be sent by GitHub but Argo Server refuses it "
                "(HTTP 401: its GitHub parser does not know it)"
            )
        if event in self.not_org_webhook:
            return f"{event!r} cannot be subscribed to by an organization webhook"
        if event == "*":
            return "'*' (all events) is not allowed: Argo Server refuses several events, list the ones you need"
        return f"{event!r} is not a GitHub webhook event name"


@cache
def catalogue() -> EventCatalogue:
    """The catalogue shipped with the program (read once)."""
    raw = json.loads(_CATALOGUE_FILE.read_text(encoding="utf-8"))
    return EventCatalogue(
        deliverable=frozenset(raw["deliverable"]),
        rejected_by_argo=frozenset(raw["rejected_by_argo"]),
        not_org_webhook=frozenset(raw["not_org_webhook"]),
    )
