"""What GitHub sends and Argo Server accepts: the event catalogue the config and the triggers are checked against."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

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

# Events that can name a fork's code for a pipeline to check out: pull requests, workflow runs and check suites/runs
# on a fork's head, and comments on pull requests. `forks: false` (the default) skips the fork's deliveries.
FORK_EVENTS = (*PULL_REQUEST_EVENTS, "workflow_run", "check_suite", "check_run", "issue_comment")

# Events that are about a branch. Push names the pushed ref (`refs/heads/<branch>`, or `refs/tags/<tag>`, which no
# branch filter matches); pull request events name the target (base) branch.
BRANCH_SOURCES: dict[str, BranchSource] = {
    "push": BranchSource(("ref",), "refs/heads/"),
    **{event: BranchSource(("pull_request", "base", "ref")) for event in PULL_REQUEST_EVENTS},
}


@dataclass(frozen=True)
class PayloadRefusal:
    """Deliveries of an event that Argo Server's parser cannot decode: one action's, or those carrying a field."""

    event: str
    action: str | None
    field: tuple[str, ...]
    github_sends: tuple[str, ...]
    always: bool
    reason: str

    def applies_to(self, payload: Mapping[str, Any]) -> bool:
        """Whether Argo would fail to parse this payload: its action matches and, when GitHub sends the field only
        sometimes, the payload carries it with the failing type."""
        if self.action is not None and payload.get("action") != self.action:
            return False
        if self.always:
            return True
        value: Any = payload
        for segment in self.field:
            value = value.get(segment) if isinstance(value, dict) else None
        return _json_type(value) in self.github_sends

    def describe(self) -> str:
        """Which deliveries and why: "'repository' deliveries with action 'transferred' cannot be decoded ..."."""
        which = f"{self.event!r} deliveries" + (f" with action {self.action!r}" if self.action else "")
        if not self.always:
            which += f" whose {'.'.join(self.field)} is {with_article(' or '.join(self.github_sends))}"
        return f"{which} cannot be decoded by Argo's GitHub parser: {self.reason}"


def with_article(noun: str) -> str:
    """'an array', 'a string': the catalogue's messages name JSON and Go types."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if isinstance(value, float) else "integer"
    return "null"


@dataclass(frozen=True)
class EventCatalogue:
    """Event names by what happens to them: deliverable, refused by Argo (401), or not sendable by an org webhook.

    Generated from GitHub's webhook definitions and Argo's parser (`python -m cli catalog`).
    """

    deliverable: frozenset[str]
    rejected_by_argo: frozenset[str]
    not_org_webhook: frozenset[str]
    not_sent_by_github: frozenset[str] = frozenset()
    argo_refuses: Mapping[str, str] = field(default_factory=dict)  # event -> why Argo refuses every delivery of it
    sent_only_to: Mapping[str, str] = field(default_factory=dict)  # not_org_webhook event -> who GitHub sends it to
    payload_refusals: Mapping[str, tuple[PayloadRefusal, ...]] = field(default_factory=dict)
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # event -> the `action` values GitHub sends

    @property
    def github_events(self) -> frozenset[str]:
        """Every X-GitHub-Event name GitHub can send."""
        return self.deliverable | self.rejected_by_argo | self.not_org_webhook

    def problem_with(self, event: str) -> str | None:
        """Why `event` cannot be used by a pipeline, or None when it can."""
        if event in self.deliverable:
            return None
        if event in self.rejected_by_argo:
            return f"{event!r} can be sent by GitHub but Argo Server refuses it (HTTP 401: {self._why_refused(event)})"
        if event in self.not_org_webhook:
            return (
                f"{event!r} cannot be subscribed to by an organization webhook "
                f"(GitHub sends it only to {self.sent_only_to[event]})"
            )
        if event == "*":
            return "'*' (all events) is not allowed: Argo Server refuses several events, list the ones you need"
        if event in self.not_sent_by_github:
            return f"{event!r} is not a GitHub webhook event name (Argo still lists it; GitHub no longer sends it)"
        return f"{event!r} is not a GitHub webhook event name"

    def refusal(self, event: str, payload: Mapping[str, Any]) -> str | None:
        """Why Argo Server would answer a delivery of `event` with this payload HTTP 401, or None when it accepts it."""
        if event in self.argo_refuses:
            return f"HTTP 401: {self._why_refused(event)}"
        for refusal in self.payload_refusals.get(event, ()):
            if refusal.applies_to(payload):
                return f"HTTP 401: {refusal.describe()}"
        return None

    def delivery_refusal(self, event: str, payload: Mapping[str, Any]) -> str | None:
        """Why this delivery of a real GitHub event starts nothing whatever the pipelines say, or None."""
        refusal = self.refusal(event, payload)
        not_org = self.problem_with(event) if event in self.not_org_webhook else None
        if refusal:
            return f"Argo Server would refuse this delivery ({refusal})" + (f"; besides, {not_org}" if not_org else "")
        if not_org:
            return f"No organization webhook sends this delivery: {not_org}"
        return None

    def _why_refused(self, event: str) -> str:
        return f"{event!r} {self.argo_refuses[event]}"

    def warnings_for(self, event: str, actions: Sequence[str]) -> list[str]:
        """What a pipeline listening to `event` (with these action filters, empty = all) will never receive."""
        return [
            f"{refusal.describe()}; Argo Server answers them HTTP 401, so this pipeline never sees them"
            for refusal in self.payload_refusals.get(event, ())
            if not actions or refusal.action is None or refusal.action in actions
        ]


@cache
def catalogue() -> EventCatalogue:
    """The catalogue shipped with the program (read once)."""
    raw = json.loads(_CATALOGUE_FILE.read_text(encoding="utf-8"))
    events: Mapping[str, Mapping[str, Any]] = raw["events"]
    return EventCatalogue(
        deliverable=frozenset(raw["deliverable"]),
        rejected_by_argo=frozenset(raw["refused_by_argo"]),
        not_org_webhook=frozenset(raw["not_org_webhook"]),
        not_sent_by_github=frozenset(raw["not_sent_by_github"]),
        argo_refuses={name: entry["argo_refuses"] for name, entry in events.items() if entry["argo_refuses"]},
        sent_only_to={name: entry["sent_only_to"] for name, entry in events.items() if entry["sent_only_to"]},
        payload_refusals={
            name: tuple(
                PayloadRefusal(
                    event=name,
                    action=refusal["action"],
                    field=tuple(refusal["field"].split(".")),
                    github_sends=tuple(refusal["github_sends"]),
                    always=refusal["always"],
                    reason=refusal["reason"],
                )
                for refusal in entry["refused_payloads"]
            )
            for name, entry in events.items()
            if entry["refused_payloads"]
        },
        actions={name: tuple(entry["actions"]) for name, entry in events.items() if entry["actions"]},
    )
