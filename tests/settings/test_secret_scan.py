"""secretScan: the stack's gitleaks rules and whether a repository's .gitleaksignore counts; each bad value named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settings.config import parse_settings
from settings.secret_scan import DEFAULT_RULES, SecretScanSettings
from tests.harness import PROJECT_ROOT, reveal, run_stack, stack_config
from tests.settings.test_config import parse, problems
from tests.test_validation import kubernetes_problems

K = "argo-github-webhooks:secretScan"


def test_by_default_gitleaks_own_rules_and_no_repository_ignore_file() -> None:
    assert parse().secret_scan == SecretScanSettings(rules=DEFAULT_RULES, repository_ignore_file=False)
    assert "[extend]\nuseDefault = true\n" in DEFAULT_RULES
    assert SecretScanSettings().config_map_data == {"gitleaks.toml": DEFAULT_RULES, "repository-ignore-file": "false"}


def test_rules_from_a_file_of_the_project(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[extend]\nuseDefault = true\n[[rules]]\nid = "acme"\nregex = \'\'\'acme-[0-9]{8}\'\'\'\n')
    settings = parse_settings(
        stack_config(secretScan={"rules": str(rules), "repositoryIgnoreFile": True}), PROJECT_ROOT
    )
    assert settings.secret_scan == SecretScanSettings(rules=rules.read_text(), repository_ignore_file=True)


@pytest.mark.parametrize(
    ("value", "files", "expected"),
    [
        ("strict", {}, [f"{K}: must be an object with keys rules, repositoryIgnoreFile"]),
        (
            {"repositoryIgnorefile": True, "repositoryIgnoreFile": "yes"},
            {},
            [
                f"{K}.repositoryIgnorefile: unknown key; did you mean 'repositoryIgnoreFile'? (allowed: rules, "
                "repositoryIgnoreFile)",
                f"{K}.repositoryIgnoreFile: 'yes' must be true or false (true: a repository's .gitleaksignore may "
                "suppress findings, each still reported)",
            ],
        ),
        ({"rules": 3}, {}, [f"{K}.rules: must be the path of a gitleaks TOML file (relative to the project or absolute)"]),
        (
            {"repositoryIgnoreFile": None},
            {},
            [f"{K}.repositoryIgnoreFile: null must be true or false (true: a repository's .gitleaksignore may suppress "
             "findings, each still reported)"],
        ),
        ({"rules": "missing.toml"}, {}, [f"{K}.rules: 'missing.toml' cannot be read (No such file or directory)"]),
        (
            {"rules": "{dir}/bad.toml"},
            {"bad.toml": "[extend\n"},
            [f"{K}.rules: '{{dir}}/bad.toml' is not a gitleaks TOML file: Expected ']' at the end of a table "
             "declaration (at line 1, column 8)"],
        ),
        (
            {"rules": "{dir}/extends.toml"},
            {"extends.toml": "[extend]\npath = '/etc/other.toml'\n"},
            [f"{K}.rules: '{{dir}}/extends.toml': [extend] path is not allowed: the scanner has only this file (put "
             "the rules in it, or use [extend] useDefault = true for gitleaks' defaults)"],
        ),
        (
            {"rules": "{dir}/empty.toml"},
            {"empty.toml": "title = 'nothing'\n[allowlist]\npaths = ['''.*''']\n"},
            [f"{K}.rules: '{{dir}}/empty.toml' defines no rules: add [[rules]], or [extend] useDefault = true for "
             "gitleaks' default rules (an empty rule set would let every secret pass)"],
        ),
    ],
)
def test_every_bad_value_is_named(value: Any, files: dict[str, str], expected: list[str], tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    if isinstance(value, dict) and isinstance(value.get("rules"), str):
        value = {**value, "rules": value["rules"].replace("{dir}", str(tmp_path))}
    assert problems(secretScan=value) == [line.replace("{dir}", str(tmp_path)) for line in expected]


def test_the_rules_config_map_reaches_the_cluster(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nid = "acme"\nregex = \'\'\'acme-[0-9]{8}\'\'\'\n')
    run = run_stack(stack_config(secretScan={"rules": str(rules), "repositoryIgnoreFile": True}))
    config_map = reveal(run.named("secret-scan-rules-config-map").inputs)
    assert config_map == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "secret-scan-rules",
            "namespace": "workflows",
            "labels": {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "argo-github-webhooks"},
        },
        "data": {"gitleaks.toml": rules.read_text(), "repository-ignore-file": "true"},
    }
    assert kubernetes_problems(config_map) == []
    component = run.named("secret-scan-rules")
    assert run.named("secret-scan-rules-config-map").parent == component.urn
    hello = run.named("hello")  # every pipeline waits for the rules its template may mount
    assert run.named("secret-scan-rules-config-map").urn in hello.dependencies
