"""GitHub Actions' filter patterns: every row of the cheat sheet's example tables, through the compiled selector,
evaluated as Argo would (delivery.expr) on real push and pull request payloads.

Source of the tables: github/docs, content/actions/reference/workflows-and-actions/workflow-syntax.md, "Filter pattern
cheat sheet" ("Patterns to match branches and tags", "Patterns to match file paths").
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from delivery.expr import evaluate
from delivery.globs import GlobError, glob_to_regexp, list_expression, parse_glob
from tests.delivery.test_triggers import fires, one, payload

# Patterns to match branches and tags: (patterns, names that match, names that do not).
REF_ROWS = [
    (["feature/*"], ["feature/my-branch", "feature/your-branch"], ["feature/beta-a/my-branch", "feature"]),
    (["feature/**"], ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"], ["feature"]),
    (["main", "releases/mona-the-octocat"], ["main", "releases/mona-the-octocat"], ["main2", "releases"]),
    (["*"], ["main", "releases"], ["releases/mona-the-octocat"]),
    (["**"], ["all/the/branches", "every/tag"], []),
    (["*feature"], ["mona-feature", "feature", "ver-10-feature"], ["feature/x", "features"]),
    (["v2*"], ["v2", "v2.0", "v2.9"], ["v1", "v2/x"]),
    (["v[12].[0-9]+.[0-9]+"], ["v1.10.1", "v2.0.0"], ["v3.0.0", "v1.x.1", "v1..1", "v1.10"]),
]

# Patterns to match file paths: (patterns, paths that match, paths that do not).
PATH_ROWS = [
    (["*"], ["README.md", "server.rb"], ["docs/README.md"]),
    (["*.jsx?"], ["page.js", "page.jsx"], ["page.jsxx", "src/page.js"]),
    (["**"], ["all/the/files.md"], []),
    (["*.js"], ["app.js", "index.js"], ["js/index.js"]),
    (["**.js"], ["index.js", "js/index.js", "src/js/app.js"], ["index.jsx"]),
    (["docs/*"], ["docs/README.md", "docs/file.txt"], ["docs/mona/octocat.txt", "README.md"]),
    (["docs/**"], ["docs/README.md", "docs/mona/octocat.txt"], ["src/docs.md"]),
    (["docs/**/*.md"], ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"], ["docs/a.txt"]),
    (["**/docs/**"], ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"], ["mydocs/x"]),
    (["**/README.md"], ["README.md", "js/README.md"], ["README.mdx", "js/NOT-README.md"]),
    (["**/*src/**"], ["a/src/app.js", "my-src/code/js/app.js"], ["a/source/app.js"]),
    (["**/*-post.md"], ["my-post.md", "path/their-post.md"], ["post.md"]),
    (["**/migrate-*.sql"], ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"], ["migrate.sql"]),
    (["*.md", "!README.md"], ["hello.md"], ["README.md", "docs/hello.md"]),
    (["*.md", "!README.md", "README*"], ["hello.md", "README.md", "README.doc"], ["docs/hello.md"]),
]


def push_changing(*files: str) -> dict[str, Any]:
    """The real branch push, its one commit changing `files` (added) instead of README.md."""
    body = copy.deepcopy(payload("push-branch"))
    body["commits"][0]["added"] = list(files)
    return body


@pytest.mark.parametrize(("patterns", "matching", "other"), REF_ROWS)
def test_branch_and_tag_rows(patterns: list[str], matching: list[str], other: list[str]) -> None:
    branch_pipeline = one(events=["push", "pull_request"], branches=patterns)
    tag_pipeline = one(events=["push"], tags=patterns)
    for name, expected in [(name, True) for name in matching] + [(name, False) for name in other]:
        branch_push = {**payload("push-branch"), "ref": f"refs/heads/{name}"}
        tag_push = {**payload("push-tag"), "ref": f"refs/tags/{name}"}
        pull_request = copy.deepcopy(payload("pull_request-opened"))
        pull_request["pull_request"]["base"]["ref"] = name
        assert fires(branch_pipeline, branch_push, "push") is expected, (patterns, name)
        assert fires(branch_pipeline, pull_request, "pull_request") is expected, (patterns, name)
        assert fires(tag_pipeline, tag_push, "push") is expected, (patterns, name)
        assert fires(tag_pipeline, branch_push, "push") is False  # only tag filters: never a branch push
        assert fires(branch_pipeline, tag_push, "push") is False  # only branch filters: never a tag push


@pytest.mark.parametrize(("patterns", "matching", "other"), PATH_ROWS)
def test_path_rows(patterns: list[str], matching: list[str], other: list[str]) -> None:
    pipeline = one(events=["push"], paths=patterns)
    for path in matching:
        assert fires(pipeline, push_changing(path), "push") is True, (patterns, path)
    for path in other:
        assert fires(pipeline, push_changing(path), "push") is False, (patterns, path)


@pytest.mark.parametrize(("patterns", "matching", "other"), PATH_ROWS)
def test_path_rows_as_paths_ignore(patterns: list[str], matching: list[str], other: list[str]) -> None:
    """paths-ignore takes no '!': the rows without negation, reversed (an ignored file alone does not run)."""
    if any(pattern.startswith("!") for pattern in patterns):
        return
    pipeline = one(events=["push"], **{"paths-ignore": patterns})
    for path in matching:
        assert fires(pipeline, push_changing(path), "push") is False, (patterns, path)
        assert fires(pipeline, push_changing(path, "other/file.c"), "push") is (
            "other/file.c" not in matching and patterns != ["**"]
        )
    for path in other:
        assert fires(pipeline, push_changing(path), "push") is True, (patterns, path)


def test_character_classes_and_repetition() -> None:
    """The cheat sheet's words: `[CB]at` matches Cat or Bat, `[1-2]00` 100 and 200, `Octo*` Octocat."""
    cases = [
        ("[CB]at", {"Cat": True, "Bat": True, "cat": False, "Hat": False}),
        ("[1-2]00", {"100": True, "200": True, "300": False}),
        ("[0-9a-z]", {"7": True, "q": True, "Q": False, "-": False}),
        ("Octo*", {"Octocat": True, "Octo": True, "Octo/cat": False}),
        ("colou?r", {"color": True, "colour": True, "colouur": False}),
        ("go+gle", {"gogle": True, "google": True, "ggle": False}),
        ("a.b", {"a.b": True, "axb": False}),
        ("\\*", {"*": True, "x": False}),
    ]
    for pattern, expectations in cases:
        expression = list_expression("subject", [parse_glob(pattern)])
        for text, expected in expectations.items():
            assert evaluate(expression, {"subject": text}) is expected, (pattern, text)


def test_order_decides_with_negation() -> None:
    """releases/**, then !releases/**-alpha (the docs' example): the last matching pattern wins."""
    pipeline = one(events=["push"], branches=["releases/**", "!releases/**-alpha"])
    for branch, expected in [
        ("releases/10", True),
        ("releases/beta/mona", True),
        ("releases/10-alpha", False),
        ("releases/beta/3-alpha", False),
    ]:
        assert fires(pipeline, {**payload("push-branch"), "ref": f"refs/heads/{branch}"}, "push") is expected


def test_list_expression_folds_runs_of_one_sign() -> None:
    globs = [parse_glob(pattern) for pattern in ["!x", "a", "b", "!c*", "d"]]
    assert list_expression("s", globs) == (
        '((s matches "^(?:a|b)$" && !(s matches "^(?:c[^/]*)$")) || s matches "^(?:d)$")'
    )
    assert list_expression("s", [parse_glob("!x")]) == "false"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("?a", "'?' at position 1 has no preceding character to repeat"),
        ("a*+", "'+' at position 3 has no preceding character to repeat"),
        ("a??", "'?' at position 3 has no preceding character to repeat"),
        ("[abc", "'[' at position 1 has no closing ']'"),
        ("x[]", "'[]' at position 2 is empty"),
        ("[a-Z]", "the range a-Z is not within a-z, A-Z or 0-9"),
        ("[^a]", "'^' cannot be in a class"),
        ("a\\", "ends with '\\', which escapes nothing"),
    ],
)
def test_glob_errors(pattern: str, message: str) -> None:
    with pytest.raises(GlobError) as raised:
        glob_to_regexp(pattern)
    assert message in str(raised.value)
