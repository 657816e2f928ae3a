"""githubApp / githubToken and pipeline `status`: every config error, and what a good config gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settings.config import ConfigError, StackSettings, parse_settings
from settings.github_access import GitHubAccess, StatusReport
from settings.stack_files import read_stack_config
from tests.github_app_keys import APP_ID, GITHUB_APP_KEY, GITHUB_TOKEN_KEY, app_key_pem
from tests.harness import PROJECT_ROOT, project_with_stack, stack_config

SECRET = (GITHUB_APP_KEY, GITHUB_TOKEN_KEY)
HELLO = "workflows/hello-world.yaml"
SCAN = "workflows/secret-scan.yaml"


def app(**fields: Any) -> dict[str, Any]:
    return {"appId": APP_ID, "privateKey": app_key_pem(), **fields}


def parse(secret_keys: tuple[str, ...] = SECRET, **overrides: Any) -> StackSettings:
    return parse_settings(stack_config(**overrides), PROJECT_ROOT, secret_keys)


def problems(secret_keys: tuple[str, ...] = SECRET, **overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse(secret_keys, **overrides)
    return raised.value.problems


PIPELINES = [
    {"name": "scan", "template": SCAN, "events": ["push", "pull_request"]},
    {"name": "hello", "template": HELLO, "events": ["push"], "status": False},
    {"name": "audit", "template": HELLO, "events": ["release"]},
    {"name": "named", "template": HELLO, "events": ["pull_request_review"], "status": {"context": "ci/argo"}},
]


def test_an_app_turns_status_on_where_every_event_carries_a_commit() -> None:
    settings = parse(githubApp=app(), pipelines=PIPELINES)
    assert settings.github_access == GitHubAccess(app_id=APP_ID, private_key=app_key_pem())
    assert app_key_pem() not in repr(settings)  # settings may be printed: the key never is
    assert {pipeline.name: pipeline.status for pipeline in settings.pipelines} == {
        "scan": StatusReport("argo/scan"),
        "hello": None,
        "audit": None,
        "named": StatusReport("ci/argo"),
    }


def test_app_id_may_be_a_string_of_digits() -> None:
    assert parse(githubApp=app(appId="77")).github_access.app_id == 77  # type: ignore[union-attr]


def test_a_token_stands_in_for_the_app() -> None:
    settings = parse(githubToken="github_pat_11ABC", pipelines=PIPELINES[:1])
    assert settings.github_access == GitHubAccess(token="github_pat_11ABC")
    assert settings.github_access.secret_data == {"token": "github_pat_11ABC"}  # type: ignore[union-attr]
    assert settings.pipelines[0].status == StatusReport("argo/scan")


def test_without_credentials_nothing_reports() -> None:
    settings = parse(pipelines=PIPELINES[:3])
    assert settings.github_access is None
    assert [pipeline.status for pipeline in settings.pipelines] == [None, None, None]


def test_every_credentials_error() -> None:
    assert problems(githubApp=app(), githubToken="x") == [
        "argo-github-webhooks:githubToken: set githubApp or githubToken, not both (the App is preferred: per-run tokens)"
    ]
    assert problems(githubApp="123") == [
        "argo-github-webhooks:githubApp: must be an object {appId, privateKey}; set the key with: "
        "pulumi config set --secret --path githubApp.privateKey < app.pem"
    ]
    assert problems(githubApp={"privateKey": app_key_pem(), "appID": 1}) == [
        "argo-github-webhooks:githubApp.appID: unknown key (allowed: appId, privateKey, checkRuns, installations)",
        "argo-github-webhooks:githubApp.appId: is required: the App's numeric ID (the App's settings page, 'App ID')",
    ]
    assert problems(githubApp=app(appId="my-app")) == [
        "argo-github-webhooks:githubApp.appId: 'my-app' is not an App ID (a positive number, e.g. 123456)"
    ]
    assert problems(githubApp={"appId": 1}) == [
        "argo-github-webhooks:githubApp.privateKey: is required: the App's private key, set as a secret with: "
        "pulumi config set --secret --path githubApp.privateKey < app.pem"
    ]
    assert problems(githubApp=app(privateKey="ssh-rsa AAAA")) == [
        "argo-github-webhooks:githubApp.privateKey: not a PEM RSA private key (expected '-----BEGIN RSA PRIVATE "
        "KEY-----' or an unencrypted '-----BEGIN PRIVATE KEY-----'); download a new key from the App's settings "
        "page (a .pem file)"
    ]
    truncated = "\n".join([*app_key_pem().splitlines()[:5], "-----END RSA PRIVATE KEY-----"])
    assert problems(githubApp=app(privateKey=truncated))[0].startswith(
        "argo-github-webhooks:githubApp.privateKey: truncated DER"
    )
    assert problems(secret_keys=(), githubApp=app()) == [
        "argo-github-webhooks:githubApp.privateKey: is in plain text: set it as a secret with: "
        "pulumi config set --secret --path githubApp.privateKey < app.pem"
    ]
    assert problems(secret_keys=(), githubToken="github_pat_1") == [
        "argo-github-webhooks:githubToken: is in plain text: set it as a secret with: "
        "pulumi config set --secret githubToken <fine-grained token>"
    ]
    assert problems(githubToken="two words") == [
        "argo-github-webhooks:githubToken: must be a fine-grained token (one word), set with: "
        "pulumi config set --secret githubToken <fine-grained token>"
    ]


def test_every_status_error() -> None:
    pipelines = [
        {"name": "audit", "template": HELLO, "events": ["release"], "status": True},
        {"name": "mixed", "template": HELLO, "events": ["push", "issues"], "status": {"context": "ci"}},
        {"name": "odd", "template": HELLO, "events": ["push"], "status": "yes"},
        {"name": "typo", "template": HELLO, "events": ["push"], "status": {"contxt": "x"}},
        {"name": "blank", "template": HELLO, "events": ["push"], "status": {"context": " "}},
        {"name": "one", "template": HELLO, "events": ["push"], "status": {"context": "ci/same"}},
        {"name": "two", "template": HELLO, "events": ["pull_request"], "status": {"context": "ci/same"}},
    ]
    assert problems(githubApp=app(), pipelines=pipelines) == [
        "argo-github-webhooks:pipelines[0] (audit).status: release carries no commit to report on (statuses work with "
        "push, pull_request, pull_request_review, pull_request_review_comment); set status: false or split the "
        "pipeline",
        "argo-github-webhooks:pipelines[1] (mixed).status: issues carries no commit to report on (statuses work with "
        "push, pull_request, pull_request_review, pull_request_review_comment); set status: false or split the "
        "pipeline",
        "argo-github-webhooks:pipelines[2] (odd).status: 'yes' must be true, false or {context: <name>}",
        "argo-github-webhooks:pipelines[3] (typo).status.contxt: unknown key; did you mean 'context'? (allowed: context)",
        "argo-github-webhooks:pipelines[4] (blank).status.context: ' ' must be a non-empty name without surrounding spaces",
        "argo-github-webhooks:pipelines: pipelines one and two both report status 'ci/same'",
    ]


def test_status_without_credentials_is_an_error() -> None:
    pipelines = [{"name": "scan", "template": SCAN, "events": ["push"], "status": {"context": "argo/scan"}}]
    assert problems(pipelines=pipelines) == [
        "argo-github-webhooks:pipelines[0] (scan).status: needs GitHub credentials for the workflows: set githubApp "
        "(or githubToken)"
    ]


def test_encrypted_values_in_a_stack_file_count_as_present(tmp_path: Path) -> None:
    """What the simulator reads: `secure:` values it cannot decrypt, a plain key refused."""
    config = {
        "argo-github-webhooks:host": "argo.example.com",
        "argo-github-webhooks:organizations": ["acme"],
        "argo-github-webhooks:githubApp": {"appId": 123, "privateKey": {"secure": "v1:AAAA"}},
        "argo-github-webhooks:pipelines": [{"name": "scan", "template": SCAN, "events": ["push"]}],
    }
    project_with_stack(tmp_path, "enc", config)
    settings = parse_settings(read_stack_config(tmp_path, "enc"), tmp_path)
    assert settings.github_access == GitHubAccess(app_id=123, private_key=None)
    assert settings.pipelines[0].status == StatusReport("argo/scan")

    del config["argo-github-webhooks:githubApp"]
    config["argo-github-webhooks:githubToken"] = {"secure": "v1:BBBB"}
    project_with_stack(tmp_path, "enc", config)
    settings = parse_settings(read_stack_config(tmp_path, "enc"), tmp_path)
    assert settings.github_access == GitHubAccess(token=None)
    assert settings.pipelines[0].status == StatusReport("argo/scan")

    config["argo-github-webhooks:githubToken"] = "github_pat_in_plain_text"
    project_with_stack(tmp_path, "enc", config)
    with pytest.raises(ConfigError, match="githubToken: is in plain text"):
        parse_settings(read_stack_config(tmp_path, "enc"), tmp_path)


def test_template_names_of_the_status_hooks_are_reserved(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / HELLO).read_text().replace("- name: hello\n", "- name: argo-github-webhooks-status\n")
    text = text.replace("entrypoint: hello", "entrypoint: argo-github-webhooks-status")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    pipelines = [{"name": "p", "template": str(path), "events": ["push"]}]
    assert problems(githubApp=app(), pipelines=pipelines) == [
        "argo-github-webhooks:pipelines[0] (p).status: the template defines argo-github-webhooks-status: names starting "
        "'argo-github-webhooks-' are reserved for the status hooks (rename them, or set status: false)"
    ]
    assert parse(githubApp=app(), pipelines=[{**pipelines[0], "status": False}]).pipelines[0].status is None
