"""A pipeline's GitHub Actions filters: branches, branches-ignore, tags, tags-ignore, paths, paths-ignore.

Each is a list of the cheat sheet's patterns (delivery.globs). As in Actions: a list and its `-ignore` list not both
(negate in the list instead, `!`), `!` only in the list, not in the `-ignore` one, and a list of only negated patterns
includes nothing, so it is refused. Tags filter pushes only; branches filter pushes (the pushed branch) and pull
request events (the base branch); paths filter pushes (the payload's changed files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from delivery.github_events import BRANCH_SOURCES, PULL_REQUEST_EVENTS
from delivery.globs import GlobError, parse_glob
from settings.messages import shown

# What git refuses in a ref name (git check-ref-format), which no branch or tag pattern could then match.
_REF_FORBIDDEN = re.compile(r"[\s~^:]|\.\.|@\{|//")

FILTER_KEYS = ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore")
# The events each kind of filter applies to.
_APPLIES_TO: Mapping[str, tuple[str, ...]] = {
    "branches": tuple(BRANCH_SOURCES),
    "tags": ("push",),
    "paths": ("push", *PULL_REQUEST_EVENTS),
}
_KIND_WORDS = {"branches": "branch", "tags": "tag", "paths": "path"}


@dataclass(frozen=True)
class Filters:
    branches: tuple[str, ...] = ()
    branches_ignore: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tags_ignore: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    paths_ignore: tuple[str, ...] = ()


def parse_filters(
    entry: Mapping[str, Any],
    events: Sequence[str],
    item: str,
    add: Callable[[str, str], None],
    has_access: bool = False,
) -> Filters:
    """The pipeline's filter lists, or () for each one with a problem (every problem reported through `add`).

    `has_access`: the stack has GitHub credentials (an App or a token), which a pull request's path filter needs."""
    lists: dict[str, tuple[str, ...]] = {}
    for key in FILTER_KEYS:
        lists[key] = _pattern_list(entry.get(key, []), key, f"{item}.{key}", add)
    for kind in ("branches", "tags", "paths"):
        ignore = f"{kind}-ignore"
        if kind in entry and ignore in entry:
            add(
                f"{item}.{ignore}",
                f"cannot be used together with {kind} (as in GitHub Actions): to both include and exclude, list the "
                f"exclusions in {kind} after what they narrow, prefixed with '!' (e.g. ['**', '!docs/**'])",
            )
        for key in (kind, ignore):
            if lists[key] and events:
                _check_applies(key, kind, events, f"{item}.{key}", add)
    pull_requests = [event for event in events if event in PULL_REQUEST_EVENTS]
    for key in ("paths", "paths-ignore"):
        if lists[key] and pull_requests and not has_access:
            add(
                f"{item}.{key}",
                f"needs githubApp or githubToken for {', '.join(pull_requests)}: a pull request's payload does not "
                "list its files, so the run's first step asks GitHub for them",
            )
    return Filters(
        branches=lists["branches"],
        branches_ignore=lists["branches-ignore"],
        tags=lists["tags"],
        tags_ignore=lists["tags-ignore"],
        paths=lists["paths"],
        paths_ignore=lists["paths-ignore"],
    )


def _check_applies(key: str, kind: str, events: Sequence[str], name: str, add: Callable[[str, str], None]) -> None:
    elsewhere = [event for event in events if event not in _APPLIES_TO[kind]]
    if elsewhere:
        add(
            name,
            f"does not apply to {', '.join(elsewhere)} ({_KIND_WORDS[kind]} filters work with "
            f"{', '.join(_APPLIES_TO[kind])}); split the pipeline or drop the filter",
        )


def _pattern_list(value: Any, key: str, name: str, add: Callable[[str, str], None]) -> tuple[str, ...]:
    if not isinstance(value, list):
        add(name, "must be a list of strings")
        return ()
    patterns: list[str] = []
    failed = False
    for index, pattern in enumerate(value):
        problem = _pattern_problem(pattern, key) if isinstance(pattern, str) and pattern else None
        if not isinstance(pattern, str) or not pattern:
            problem = f"{shown(pattern)} is not a non-empty string"
        if problem:
            add(f"{name}[{index}]", problem)
            failed = True
        else:
            patterns.append(pattern)
    if failed:
        return ()
    if patterns and all(pattern.startswith("!") for pattern in patterns):
        kind = key.removesuffix("-ignore")
        add(
            name,
            f"every pattern is negated ('!'), so nothing is included and the pipeline would never run: put a "
            f"pattern without '!' first (e.g. '**'), or list the exclusions without '!' in {kind}-ignore",
        )
        return ()
    return tuple(patterns)


def _pattern_problem(pattern: str, key: str) -> str | None:
    kind = key.removesuffix("-ignore")
    if pattern.startswith("!") and key.endswith("-ignore"):
        return (
            f"{pattern!r}: '!' does not apply in {key}; to both include and exclude, use {kind} with "
            "'!' patterns in order"
        )
    body = pattern.removeprefix("!")
    if kind == "paths":
        if body.startswith(("/", "./")):
            return f"{pattern!r}: path patterns start at the repository's root: write {body.lstrip('./')!r}"
    else:
        word = _KIND_WORDS[kind]
        if body.startswith("refs/"):
            return f"{pattern!r}: write the {word} name or glob (e.g. 'main', 'release/*'), not the full ref"
        if _REF_FORBIDDEN.search(body) or body.startswith("/") or body.endswith("/"):
            return (
                f"{pattern!r} can never match: git refuses {word} names with spaces, '~', '^', ':', '..', '@{{', "
                "'//' or a leading or trailing '/'"
            )
    try:
        parse_glob(pattern)
    except GlobError as error:
        return f"{pattern!r}: {error}"
    return None
