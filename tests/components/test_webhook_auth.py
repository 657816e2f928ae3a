"""Secret rotation, run for real under mocks: the stack at webhookSecretVersion N and N+1, and every state between."""

from __future__ import annotations

import itertools

import pytest
import yaml

from delivery.webhook_clients import accepted_versions, password_versions, webhook_clients_data
from tests.harness import (
    WEBHOOK_TYPE,
    StackRun,
    diff_runs,
    mock_password,
    reveal,
    run_stack,
    stack_config,
    without_secrets,
)

PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "kubernetes:core/v1:Secret"
ORGANIZATIONS = ["acme", "acme-labs", "umbrella"]


def at_version(version: int) -> StackRun:
    return run_stack(stack_config(organizations=ORGANIZATIONS, webhookSecretVersion=version))


@pytest.fixture(scope="module")
def runs() -> dict[int, StackRun]:
    return {version: at_version(version) for version in (4, 5, 6)}


def secret_of(version: int) -> str:
    return mock_password(f"github-webhook-secret-v{version}")


def accepted(run: StackRun) -> dict[str, str]:
    """ServiceAccount -> the secret its entry of argo-workflows-webhook-clients accepts."""
    entries = reveal(run.named("github-webhook-clients").inputs)["stringData"]
    return {account: yaml.safe_load(entry)["secret"] for account, entry in entries.items()}


def hook_secrets(run: StackRun) -> dict[str, str]:
    return {hook.name: reveal(hook.inputs)["configuration"]["secret"] for hook in run.of_type(WEBHOOK_TYPE)}


def test_the_model_shifts_one_version_per_bump() -> None:
    assert accepted_versions(1) == {"github-webhook-previous": 0, "github-webhook-current": 1, "github-webhook-next": 2}
    assert password_versions(5) == (4, 5, 6)
    assert webhook_clients_data(2, {1: "a", 2: "b", 3: "c"}) == {
        "github-webhook-previous": "type: github\nsecret: a\n",
        "github-webhook-current": "type: github\nsecret: b\n",
        "github-webhook-next": "type: github\nsecret: c\n",
    }
    with pytest.raises(ValueError, match="skip the signature check"):
        webhook_clients_data(1, {0: "", 1: "b", 2: "c"})


def test_at_version_n_the_secret_accepts_n_minus_1_n_and_n_plus_1_and_the_hooks_sign_with_n(
    runs: dict[int, StackRun],
) -> None:
    run = runs[5]
    assert sorted(password.name for password in run.of_type(PASSWORD)) == [
        "github-webhook-secret-v4",
        "github-webhook-secret-v5",
        "github-webhook-secret-v6",
    ]
    assert accepted(run) == {
        "github-webhook-previous": secret_of(4),
        "github-webhook-current": secret_of(5),
        "github-webhook-next": secret_of(6),
    }
    assert set(hook_secrets(run).values()) == {secret_of(5)}
    assert len(hook_secrets(run)) == len(ORGANIZATIONS)
    assert run.outputs["webhookSecret"] == secret_of(5)
    assert "webhookSecret" in run.secret_outputs


def test_a_bump_creates_one_password_deletes_one_and_changes_only_the_secret_and_the_hooks(
    runs: dict[int, StackRun],
) -> None:
    diff = diff_runs(runs[4], runs[5])
    assert diff.created == {(PASSWORD, "github-webhook-secret-v6")}
    assert diff.deleted == {(PASSWORD, "github-webhook-secret-v3")}
    # The ServiceAccounts, tokens, Role and RoleBinding stay as they are: only the entries move.
    assert diff.updated == {(SECRET, "github-webhook-clients")} | {
        (WEBHOOK_TYPE, f"github-{organization}-webhook") for organization in ORGANIZATIONS
    }
    assert diff.of_type(WEBHOOK_TYPE).count == len(ORGANIZATIONS)  # one GitHub write per organization


def test_every_order_and_every_cut_off_point_of_a_rotation_accepts_every_hook(runs: dict[int, StackRun]) -> None:
    """During `pulumi up` from N to N+1 the Secret is the old or the new one, and each hook, independently, signs
    with the old or the new secret (in whatever order the provider updates them, wherever the run stops)."""
    before, after = runs[4], runs[5]
    hooks_before, hooks_after = hook_secrets(before), hook_secrets(after)
    for secret_state in (accepted(before), accepted(after)):
        for choice in itertools.product((hooks_before, hooks_after), repeat=len(ORGANIZATIONS)):
            signing = {name: hooks[name] for name, hooks in zip(sorted(hooks_before), choice, strict=True)}
            assert set(signing.values()) <= set(secret_state.values()), (secret_state, signing)


def test_the_old_secret_stops_being_accepted_at_the_second_bump(runs: dict[int, StackRun]) -> None:
    assert secret_of(4) in accepted(runs[4]).values()  # current
    assert secret_of(4) in accepted(runs[5]).values()  # previous: hooks not yet moved still get through
    assert secret_of(4) not in accepted(runs[6]).values()
    assert set(hook_secrets(runs[6]).values()) == {secret_of(6)}


def test_no_secret_reaches_a_plain_input(runs: dict[int, StackRun]) -> None:
    secrets = {secret_of(version) for version in range(3, 8)}
    for resource in runs[5].resources:
        plain = repr(without_secrets(resource.inputs))
        assert not any(secret in plain for secret in secrets), resource.name
