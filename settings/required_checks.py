"""`required: true` pipelines and the `requiredChecks` key: which organization ruleset the stack manages.

A required pipeline's check must pass before a pull request merges into a targeted branch. The stack makes one
organization ruleset per organization (components/required_checks.py) requiring the check of every required pipeline
of that organization, pinned to the stack's GitHub App (`integration_id`): only check runs that App creates satisfy
it. Statuses from a token cannot be pinned that way (anyone with write access can post a status of any name), so
`required` is refused without an App reporting check runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from settings.github_access import GitHubAccess
from settings.messages import did_you_mean, shown, unknown_key

AddProblem = Callable[[str, str], None]

DEFAULT_BRANCH = "~DEFAULT_BRANCH"
ALL = "~ALL"
ENFORCEMENTS = ("active", "evaluate")
# GitHub's ruleset actor types; these three have no id (GitHub ignores one).
ACTOR_TYPES = ("OrganizationAdmin", "RepositoryRole", "Team", "Integration", "DeployKey", "EnterpriseOwner")
ACTORS_WITHOUT_ID = ("OrganizationAdmin", "DeployKey", "EnterpriseOwner")
BYPASS_MODES = ("always", "pull_request", "exempt")
# The pull request actions that put a new head commit before a ruleset: each must get the required check's answer.
TARGETED_ACTIONS = ("opened", "synchronize", "reopened")
_KEYS = ("branches", "repositories", "enforcement", "bypassActors")
_REPOSITORY_KEYS = ("include", "exclude")
_ACTOR_KEYS = ("actorType", "actorId", "bypassMode")
# fnmatch patterns as rulesets take them: branch name characters with * ? and [...]; no ref prefix.
_BRANCH_PATTERN = re.compile(r"^[A-Za-z0-9._/*?\[\]+@=,%-]+$")
_BRANCH_FORBIDDEN = re.compile(r"\.\.|//|@\{")
_REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9._*?\[\]-]{1,100}$")


@dataclass(frozen=True)
class BypassActor:
    actor_type: str
    bypass_mode: str
    actor_id: int | None = None


@dataclass(frozen=True)
class RequiredChecks:
    """The ruleset's targets: branch patterns (`~DEFAULT_BRANCH`, `~ALL` or branch globs), repository name patterns
    to include and exclude, the enforcement, and who may bypass it."""

    branches: tuple[str, ...] = (DEFAULT_BRANCH,)
    include_repositories: tuple[str, ...] = (ALL,)
    exclude_repositories: tuple[str, ...] = ()
    enforcement: str = "active"
    bypass_actors: tuple[BypassActor, ...] = field(default_factory=tuple)

    @property
    def ref_patterns(self) -> tuple[str, ...]:
        """The branch patterns as the ruleset's `ref_name.include` takes them (`refs/heads/<glob>`)."""
        return tuple(branch if branch.startswith("~") else f"refs/heads/{branch}" for branch in self.branches)


def parse_required_checks(value: Any, key: str, add: AddProblem) -> RequiredChecks:
    """`requiredChecks: {branches, repositories: {include, exclude}, enforcement, bypassActors}`, all optional."""
    if value is None:
        return RequiredChecks()
    if not isinstance(value, dict):
        add(key, f"{shown(value)} must be an object with keys {', '.join(_KEYS)}")
        return RequiredChecks()
    for unknown in sorted(set(value) - set(_KEYS)):
        add(f"{key}.{unknown}", unknown_key(unknown, _KEYS))
    branches = _patterns(value.get("branches", [DEFAULT_BRANCH]), f"{key}.branches", _branch_problem, add)
    include, exclude = _repositories(value.get("repositories", {}), f"{key}.repositories", add)
    enforcement = value.get("enforcement", "active")
    if enforcement not in ENFORCEMENTS:
        add(
            f"{key}.enforcement",
            f"{shown(enforcement)} must be one of {', '.join(ENFORCEMENTS)} (evaluate: GitHub reports what the rule "
            "would block without blocking it, where the plan offers it)" + did_you_mean(enforcement, ENFORCEMENTS),
        )
        enforcement = "active"
    return RequiredChecks(
        branches=branches or (DEFAULT_BRANCH,),
        include_repositories=include or (ALL,),
        exclude_repositories=exclude,
        enforcement=enforcement,
        bypass_actors=_bypass_actors(value.get("bypassActors", []), f"{key}.bypassActors", add),
    )


def _patterns(value: Any, key: str, problem_of: Callable[[str], str | None], add: AddProblem) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        add(key, f"{shown(value)} must be a non-empty list of patterns")
        return ()
    found: list[str] = []
    for index, pattern in enumerate(value):
        problem = problem_of(pattern) if isinstance(pattern, str) and pattern else "is not a non-empty string"
        if problem:
            add(f"{key}[{index}]", f"{shown(pattern)} {problem}")
        elif pattern in found:
            add(f"{key}[{index}]", f"{shown(pattern)} is listed twice")
        else:
            found.append(pattern)
    return tuple(found)


def _branch_problem(pattern: str) -> str | None:
    if pattern.startswith("~"):
        return None if pattern in (DEFAULT_BRANCH, ALL) else f"is not {DEFAULT_BRANCH} or {ALL}" + did_you_mean(
            pattern, (DEFAULT_BRANCH, ALL)
        )
    if pattern.startswith("refs/"):
        return "names a ref: write the branch name or glob (e.g. 'main', 'release/*'); refs/heads/ is added"
    if not _BRANCH_PATTERN.match(pattern) or _BRANCH_FORBIDDEN.search(pattern) or pattern.strip("/") != pattern:
        return f"is not a branch pattern ({DEFAULT_BRANCH}, {ALL}, or a branch name with * ? [...] as fnmatch has them)"
    return None


def _repository_problem(pattern: str) -> str | None:
    if pattern == ALL or _REPOSITORY_PATTERN.match(pattern):
        return None
    if "/" in pattern:
        return "names an owner: the ruleset is the organization's, write the repository name or glob only"
    return f"is not a repository name pattern ({ALL}, or letters, digits, . _ - with * ? [...])"


def _repositories(value: Any, key: str, add: AddProblem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(value, dict):
        add(key, f"{shown(value)} must be an object {{include: [...], exclude: [...]}} of repository name patterns")
        return (ALL,), ()
    for unknown in sorted(set(value) - set(_REPOSITORY_KEYS)):
        add(f"{key}.{unknown}", unknown_key(unknown, _REPOSITORY_KEYS))
    include = _patterns(value.get("include", [ALL]), f"{key}.include", _repository_problem, add)
    exclude: tuple[str, ...] = ()
    if value.get("exclude", []) != []:
        exclude = _patterns(value["exclude"], f"{key}.exclude", _repository_problem, add)
    if ALL in exclude:
        add(f"{key}.exclude", f"{ALL} would exclude every repository: the ruleset would require nothing")
    return include, exclude


def _bypass_actors(value: Any, key: str, add: AddProblem) -> tuple[BypassActor, ...]:
    if not isinstance(value, list):
        add(key, f"{shown(value)} must be a list of {{actorType, actorId, bypassMode}}")
        return ()
    actors: list[BypassActor] = []
    for index, entry in enumerate(value):
        item = f"{key}[{index}]"
        if not isinstance(entry, dict):
            add(item, f"{shown(entry)} must be an object {{actorType, actorId, bypassMode}}")
            continue
        for unknown in sorted(set(entry) - set(_ACTOR_KEYS)):
            add(f"{item}.{unknown}", unknown_key(unknown, _ACTOR_KEYS))
        actor_type = entry.get("actorType")
        mode = entry.get("bypassMode", "always")
        actor_id = entry.get("actorId")
        valid = True
        if actor_type not in ACTOR_TYPES:
            add(f"{item}.actorType", f"{shown(actor_type)} must be one of {', '.join(ACTOR_TYPES)}"
                + did_you_mean(actor_type, ACTOR_TYPES))
            valid = False
        if mode not in BYPASS_MODES:
            add(f"{item}.bypassMode", f"{shown(mode)} must be one of {', '.join(BYPASS_MODES)}"
                + did_you_mean(mode, BYPASS_MODES))
            valid = False
        if actor_type in ACTORS_WITHOUT_ID:
            if actor_id is not None:
                add(f"{item}.actorId", f"{actor_type} has no id: leave actorId out (GitHub would ignore it)")
                valid = False
        elif actor_type in ACTOR_TYPES and (
            not isinstance(actor_id, int) or isinstance(actor_id, bool) or actor_id < 1
        ):
            what = {"RepositoryRole": "the role's id (e.g. 5 for admin)", "Team": "the team's id",
                    "Integration": "the GitHub App's id"}[actor_type]
            add(f"{item}.actorId", f"{shown(actor_id)} must be a positive number: {what}")
            valid = False
        if valid:
            actor = BypassActor(actor_type, mode, actor_id if actor_type not in ACTORS_WITHOUT_ID else None)
            if actor in actors:
                add(item, "is listed twice")
            else:
                actors.append(actor)
    return tuple(actors)


def parse_required(value: Any, key: str, add: AddProblem) -> bool:
    """A pipeline's `required`: true or false (the default)."""
    if isinstance(value, bool):
        return value
    add(key, f"{shown(value)} must be true or false (true: its check must pass before a pull request merges)")
    return False


def check_required_pipeline(
    entry: Mapping[str, Any], events: Sequence[str], access: GitHubAccess | None, key: str, add: AddProblem
) -> None:
    """What a required pipeline needs: the App's check runs (pinned to the App), pull requests, a check to require."""
    if access is None or not access.is_app:
        add(
            key,
            "needs githubApp (with check runs): a required check must be pinned to the stack's GitHub App, because "
            "commit statuses posted with a token can be forged by anyone who can push to the repository",
        )
    elif not access.reports_check_runs:
        add(
            key,
            "needs githubApp.checkRuns (not false): only check runs can be pinned to the App; a commit status of the "
            "same name can be posted by anyone who can push",
        )
    if "pull_request" not in events:
        add(key, "needs pull_request in events: the ruleset asks the check of every pull request")
    actions = entry.get("actions")
    if isinstance(actions, list) and actions and not set(actions) & set(TARGETED_ACTIONS):
        add(
            key,
            f"actions leaves out {', '.join(TARGETED_ACTIONS)} (the actions that bring a pull request's new commits): "
            "the required check would always be skipped; add them or drop required",
        )
    if entry.get("status") is False:
        add(key, "needs a check to require: remove status: false")


def required_checks_warnings(configured: bool, any_required: bool, key: str) -> list[tuple[str, str]]:
    """`requiredChecks` with no required pipeline makes no ruleset: deployable, but the user should know."""
    if configured and not any_required:
        return [(key, "no pipeline sets required: true, so no ruleset is made")]
    return []
