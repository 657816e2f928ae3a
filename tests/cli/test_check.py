"""`python -m cli check`: the checks `pulumi preview` runs, offline: exit codes, text, JSON, what it cannot see."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from cli.__main__ import main as cli_main
from cli.check import main
from settings.config import ConfigError
from settings.stack_files import read_stack_config, stack_names
from tests.harness import PROJECT_ROOT, project_with_stack, run_stack

K = "argo-github-webhooks"
HELLO = "workflows/hello-world.yaml"
GOOD = {
    f"{K}:host": "argo.example.com",
    f"{K}:organizations": ["acme", "acme-labs"],
    f"{K}:pipelines": [
        {"name": "hello", "template": HELLO, "events": ["push"]},
        {"name": "audit", "template": HELLO, "events": ["release"], "organizations": ["acme"]},
    ],
}
TYPO = {
    **GOOD,
    f"{K}:pipelines": [
        {"name": "hello", "template": HELLO, "events": ["push"]},
        {"name": "secret-scan", "template": HELLO, "events": ["push", "pull_requests"], "actions": ["opened"]},
    ],
}
TYPO_PROBLEM = (
    f"{K}:pipelines[1] (secret-scan).events[1]: 'pull_requests' is not a GitHub webhook event name; did you mean "
    "'pull_request'?"
)
REPOSITORY = {**GOOD, f"{K}:pipelines": [{"name": "repos", "template": HELLO, "events": ["repository"]}]}
PARSER = "the parser's Go types (github.com/go-playground/webhooks/v6 v6.4.0)"
REPOSITORY_WARNINGS = [
    f"{K}:pipelines[0] (repos).events: 'repository' deliveries with action 'transferred' cannot be decoded by Argo's "
    f"GitHub parser: changes.owner.from is an object in GitHub's payloads but a string in {PARSER}; Argo Server "
    "answers them HTTP 401, so this pipeline never sees them",
    f"{K}:pipelines[0] (repos).events: 'repository' deliveries with action 'edited' whose changes.topics.from is an "
    f"array cannot be decoded by Argo's GitHub parser: changes.topics.from is an array in GitHub's payloads but a "
    f"string in {PARSER}; Argo Server answers them HTTP 401, so this pipeline never sees them",
]


def check(capsys: pytest.CaptureFixture[str], project: Path, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments), project_root=project)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def project(tmp_path: Path, config: dict[str, Any], stack: str = "t") -> Path:
    return project_with_stack(tmp_path, stack, config)


@pytest.mark.shipped_stack_files
def test_the_shipped_stack_files_pass_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    """The one test that reads the repository's own Pulumi.<stack>.yaml: whatever a team has made of them (the Quick
    start edits them, adds stacks), each must pass the check `pulumi preview` runs, with no warning either."""
    stacks = stack_names(PROJECT_ROOT)
    assert stacks, "no Pulumi.<stack>.yaml beside Pulumi.yaml"
    for stack in stacks:
        code, out, err = check(capsys, PROJECT_ROOT, "--stack", stack, "--strict")
        assert (code, err) == (0, ""), out
        assert out.startswith(f"stack {stack}: deployable; 0 warnings\n")


def test_a_good_stack_exits_0_and_says_what_it_deploys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, project(tmp_path, GOOD), "--stack", "t")
    assert (code, err) == (0, "")
    assert out == (
        "stack t: deployable; 0 warnings\n"
        "pipelines: hello, audit\n"
        "webhook of acme: push, release\n"
        "webhook of acme-labs: push\n"
    )
    code, out, _ = check(capsys, tmp_path, "--stack", "t", "--json")
    assert code == 0
    assert json.loads(out) == {
        "stack": "t",
        "strict": False,
        "errors": [],
        "warnings": [],
        "not_checked": [],
        "pipelines": ["hello", "audit"],
        "webhooks": {"acme": ["push", "release"], "acme-labs": ["push"]},
        "ok": True,
        "exit_code": 0,
    }


def test_a_misspelt_event_exits_1_naming_the_pipeline_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(capsys, project(tmp_path, TYPO), "--stack", "t")
    assert (code, err) == (1, "")
    assert out == f"stack t: 1 error, pulumi preview would fail; 0 warnings\nerror: {TYPO_PROBLEM}\n"
    code, out, _ = check(capsys, tmp_path, "--stack", "t", "--json")
    assert code == 1
    assert json.loads(out) == {
        "stack": "t",
        "strict": False,
        "errors": [TYPO_PROBLEM],
        "warnings": [],
        "not_checked": [],
        "pipelines": [],
        "webhooks": {},
        "ok": False,
        "exit_code": 1,
    }


def test_the_check_and_pulumi_preview_say_the_same(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One path: what the program raises (errors) and logs (warnings) under Pulumi is what the check prints."""
    for config, name in ((TYPO, "typo"), (REPOSITORY, "repos")):
        project(tmp_path, config, stack=name)
    report_typo = _json(tmp_path, "typo")
    with pytest.raises(ConfigError) as raised:
        run_stack(read_stack_config(tmp_path, "typo"))
    assert report_typo["errors"] == raised.value.problems == [TYPO_PROBLEM]
    with caplog.at_level(logging.WARNING):
        run_stack(read_stack_config(tmp_path, "repos"))
    logged = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert _json(tmp_path, "repos")["warnings"] == logged == REPOSITORY_WARNINGS


def _json(project_root: Path, stack: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["--stack", stack, "--json"], project_root=project_root)
    return json.loads(out.getvalue())


def test_warnings_alone_exit_0_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, project(tmp_path, REPOSITORY), "--stack", "t")
    assert code == 0
    assert out == (
        "stack t: deployable; 2 warnings\n"
        + "".join(f"warning: {warning}\n" for warning in REPOSITORY_WARNINGS)
        + "pipelines: repos\nwebhook of acme: repository\nwebhook of acme-labs: repository\n"
    )
    code, out, _ = check(capsys, tmp_path, "--stack", "t", "--strict")
    assert code == 1
    assert out.startswith("stack t: warnings count as problems (--strict); 2 warnings\n")
    code, out, _ = check(capsys, tmp_path, "--stack", "t", "--strict", "--json")
    document = json.loads(out)
    assert (code, document["ok"], document["exit_code"], document["strict"]) == (1, False, 1, True)
    assert document["warnings"] == REPOSITORY_WARNINGS


def test_errors_come_with_the_warnings_found_on_the_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {**REPOSITORY, f"{K}:host": "https://argo.example.com"}
    code, out, _ = check(capsys, project(tmp_path, config), "--stack", "t", "--json")
    document = json.loads(out)
    assert code == 1
    assert document["errors"] == [
        f"{K}:host: 'https://argo.example.com' must not include a scheme: write the host name only, e.g. "
        "argo.example.com"
    ]
    assert document["warnings"] == REPOSITORY_WARNINGS


def test_no_such_stack_exits_2_in_words_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, GOOD)
    code, out, err = check(capsys, tmp_path, "--stack", "staging")
    assert (code, out) == (2, "")
    assert err == "error: unknown stack 'staging': no Pulumi.staging.yaml (stacks: t)\n"
    code, out, err = check(capsys, tmp_path, "--stack", "staging", "--json")
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "error": "unknown stack 'staging': no Pulumi.staging.yaml (stacks: t)",
        "exit_code": 2,
    }
    code, out, err = check(capsys, tmp_path, "--json")
    assert (code, err) == (2, "")
    assert json.loads(out) == {"error": "the following arguments are required: --stack", "exit_code": 2}


def test_an_unreadable_stack_file_exits_2_saying_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, GOOD)
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n  argo-github-webhooks:host: [argo.example.com\n")
    code, out, err = check(capsys, tmp_path, "--stack", "t")
    assert (code, out) == (2, "")
    assert err == (
        "error: Pulumi.t.yaml is not valid YAML: line 3, column 1: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 2, column 30)\n"
    )


def test_encrypted_values_are_named_as_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        **GOOD,
        f"{K}:githubApp": {"appId": 123, "privateKey": {"secure": "v1:AAAA"}},
        "github:token": {"secure": "v1:BBBB"},
    }
    code, out, _ = check(capsys, project(tmp_path, config), "--stack", "t", "--json")
    document = json.loads(out)
    assert (code, document["errors"]) == (0, [])
    assert document["not_checked"] == [
        f"{K}:githubApp.privateKey: encrypted (secure:); only the Pulumi CLI can decrypt it: checked as present and "
        "secret, its content at pulumi preview",
        "github:token: encrypted (secure:); only the Pulumi CLI can decrypt it: checked as present and secret, its "
        "content at pulumi preview",
    ]


def test_an_esc_environment_is_named_and_may_supply_missing_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {key: value for key, value in GOOD.items() if key != f"{K}:host"}
    project(tmp_path, config)
    document = json.loads((tmp_path / "Pulumi.t.yaml").read_text())
    (tmp_path / "Pulumi.t.yaml").write_text(json.dumps({"environment": ["acme/common", "acme/dev"], **document}))
    code, out, _ = check(capsys, tmp_path, "--stack", "t")
    assert code == 0
    assert out == (
        "stack t: deployable; 0 warnings\n"
        "not checked: Pulumi ESC environments acme/common, acme/dev (the stack file's `environment:`): its "
        "pulumiConfig values reach pulumi up only; the stack file's own values win over them and are checked here\n"
        f"not checked: {K}:host: not in the stack file; the ESC environment(s) acme/common, acme/dev must supply it, "
        "or pulumi preview fails\n"
    )
    # Without the environment, the same file is an error: nothing else could supply the host.
    (tmp_path / "Pulumi.t.yaml").write_text(json.dumps(document))
    code, out, _ = check(capsys, tmp_path, "--stack", "t")
    assert code == 1
    assert f"error: {K}:host: is required: the public host name of the Argo Server ingress" in out


def test_check_is_a_command_of_the_entry_point(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # --help wraps at the terminal's width (at most 120 columns)
    assert cli_main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m cli check [-h] [--json] --stack STACK [--strict]\n")
    assert "  1    errors, which pulumi preview would fail with (or warnings, with --strict)\n" in out
    assert cli_main([]) == 2
    assert "  check      check a stack's config and templates offline, as pulumi preview would\n" in (
        capsys.readouterr().err
    )


def test_an_encrypted_value_of_any_key_is_not_reported_as_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pulumi config set --secret host ...` is deployable: the check cannot read the value, so it does not judge it."""
    code, out, _ = check(capsys, project(tmp_path, {**GOOD, f"{K}:host": {"secure": "v1:CCCC"}}), "--stack", "t")
    assert code == 0
    assert out.splitlines()[:2] == [
        "stack t: deployable; 0 warnings",
        f"not checked: {K}:host: encrypted (secure:); only the Pulumi CLI can decrypt it: checked as present and "
        "secret, its content at pulumi preview",
    ]


def test_a_stack_file_whose_config_is_not_a_mapping_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, GOOD)
    (tmp_path / "Pulumi.t.yaml").write_text("config: [host]\n")
    code, out, err = check(capsys, tmp_path, "--stack", "t", "--json")
    assert (code, err) == (2, "")
    assert json.loads(out) == {"error": "Pulumi.t.yaml: config must be a mapping of keys to values", "exit_code": 2}
