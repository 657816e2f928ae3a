"""The GitHub Actions workflows: valid against GitHub's schema, clean for zizmor, and least privilege by design."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS_DIR = PROJECT_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
BIN_DIR = Path(sys.executable).parent  # the tools are installed next to the interpreter (requirements-dev.txt)
TOOL_TIMEOUT = 60  # seconds; both tools take well under one here, offline
PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
STACKS = ["dev", "prod"]


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    tool = BIN_DIR / name
    assert tool.exists(), f"{tool} is missing: pip install -r requirements-dev.txt"
    return subprocess.run(
        [str(tool), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS_DIR / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean true.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in job["steps"] if step.get("uses", "").startswith("pulumi/actions@")]
    return step


@pytest.fixture(scope="module")
def preview() -> dict[str, Any]:
    return load("preview.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load("deploy.yml")


def test_both_workflows_exist_and_cover_the_same_stacks(preview: dict[str, Any], deploy: dict[str, Any]) -> None:
    assert {path.name for path in WORKFLOW_FILES} >= {"preview.yml", "deploy.yml"}
    # A new stack is added to all three workflows (docs/operations.md); the stack files are the team's to edit and
    # add, so the tests never read them: the workflows are checked against each other.
    redeliver = load("redeliver.yml")["jobs"]["redeliver"]["strategy"]["matrix"]["stack"]
    assert preview["jobs"]["preview"]["strategy"]["matrix"]["stack"] == list(deploy["jobs"]) == redeliver == STACKS


def test_preview_checks_the_stack_offline_before_any_credential(preview: dict[str, Any]) -> None:
    """`python -m cli check` fails the job on a config error before the kubeconfig is written or Pulumi runs."""
    names = [step.get("name") for step in preview["jobs"]["preview"]["steps"]]
    (check,) = [step for step in preview["jobs"]["preview"]["steps"] if "cli check" in step.get("run", "")]
    assert check["run"] == '.venv/bin/python -m cli check --stack "$STACK"'
    assert check["env"] == {"STACK": "${{ matrix.stack }}"}
    assert names.index(check["name"]) < names.index("Write kubeconfig") < names.index("Pulumi preview")


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_matches_github_schema(path: Path) -> None:
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = run_tool(
        "zizmor", "--offline", "--min-severity", "medium", "--no-progress", "--color", "never", str(WORKFLOWS_DIR)
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml", "redeliver.yml"])
def test_least_privilege_and_hardening(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {}
    for step in steps(workflow):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.match(uses), f"{uses} is not pinned to a full commit SHA"
        if uses and uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        # No expression in a script at all (stricter than zizmor's template-injection): values go through `env`.
        assert "${{" not in step.get("run", ""), step
    for step in steps(workflow):
        if step.get("uses", "").startswith("pulumi/actions@"):
            env = step["env"]
            assert env["GITHUB_TOKEN"] == "${{ secrets.ORG_WEBHOOK_TOKEN }}"
            assert env["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
            assert env["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
            assert step["with"]["cloud-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"


def test_preview_runs_on_pull_requests_with_a_comment_updated_in_place(preview: dict[str, Any]) -> None:
    assert preview["on"] == {"pull_request": {"branches": ["main"]}}  # never pull_request_target
    assert list(preview["jobs"]) == ["preview"]
    job = preview["jobs"]["preview"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert job["strategy"]["matrix"] == {"stack": STACKS}
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"  # no fork PRs
    assert job["environment"] == "preview-${{ matrix.stack }}"  # never the deploy environments
    step = pulumi_step(job)
    assert step["with"]["command"] == "preview"
    assert step["with"]["stack-name"] == "${{ matrix.stack }}"
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["edit-pr-comment"] is True
    assert step["with"]["github-token"] == "${{ github.token }}"


def test_deploy_runs_dev_then_prod_behind_its_environment(deploy: dict[str, Any]) -> None:
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert list(deploy["jobs"]) == STACKS
    dev, prod = deploy["jobs"]["dev"], deploy["jobs"]["prod"]
    assert "needs" not in dev
    assert prod["needs"] in ("dev", ["dev"])
    for stack, job in (("dev", dev), ("prod", prod)):
        assert job["permissions"] == {"contents": "read"}
        assert job["environment"] == stack
        assert job["concurrency"] == {"group": f"pulumi-up-{stack}", "cancel-in-progress": False}
        step = pulumi_step(job)
        assert step["with"]["command"] == "up"
        assert step["with"]["stack-name"] == stack
        assert "comment-on-pr" not in step["with"]


def test_pulumi_cli_matches_the_sdk(preview: dict[str, Any], deploy: dict[str, Any]) -> None:
    requirements = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8")
    (sdk,) = re.findall(r"^pulumi==(\S+)$", requirements, flags=re.MULTILINE)
    jobs = [preview["jobs"]["preview"], *deploy["jobs"].values()]
    assert {pulumi_step(job)["with"]["pulumi-version"] for job in jobs} == {sdk}


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A workflow with an unpinned action, persisted credentials and an injectable script fails both tools."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    found = run_tool("zizmor", "--offline", "--min-severity", "medium", "--color", "never", str(bad.parent))
    assert found.returncode != 0
    assert "template-injection" in found.stdout
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    step: []\n", encoding="utf-8")
    invalid = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(bad))
    assert invalid.returncode != 0


def test_redeliver_runs_every_30_minutes_for_every_stack(deploy: dict[str, Any]) -> None:
    """The scheduled recovery of failed deliveries: unattended, per stack, with the org-hook token only."""
    workflow = load("redeliver.yml")
    assert workflow["on"] == {"schedule": [{"cron": "7,37 * * * *"}], "workflow_dispatch": None}
    assert list(workflow["jobs"]) == ["redeliver"]
    job = workflow["jobs"]["redeliver"]
    assert job["permissions"] == {"contents": "read"}
    assert job["strategy"] == {"fail-fast": False, "matrix": {"stack": STACKS}}
    # Its own environments: prod's deploy environment has required reviewers, which would hold every run.
    assert job["environment"] == "redeliver-${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "redeliver-${{ matrix.stack }}", "cancel-in-progress": False}
    assert job["timeout-minutes"] == 25  # shorter than the 30 minutes between runs
    (step,) = [step for step in job["steps"] if "cli redeliver" in step.get("run", "")]
    assert step["run"] == '.venv/bin/python -m cli redeliver --stack "$STACK" --since 6h'
    assert step["env"] == {"STACK": "${{ matrix.stack }}", "GITHUB_TOKEN": "${{ secrets.ORG_WEBHOOK_TOKEN }}"}
    # The same pinned actions as the deploy workflow, and no Pulumi, cluster or backend secret.
    uses = {step["uses"] for step in job["steps"] if "uses" in step}
    assert uses == {step["uses"] for step in steps(deploy) if "uses" in step} - {
        pulumi_step(deploy["jobs"]["dev"])["uses"]
    }
    assert "secrets." not in yaml.safe_dump(workflow).replace("secrets.ORG_WEBHOOK_TOKEN", "")


SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")
CREDENTIALS = {
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "KUBECONFIG_DATA",
    "ORG_WEBHOOK_TOKEN",
}


def job_secrets(job: dict[str, Any]) -> set[str]:
    return set(SECRET.findall(yaml.safe_dump(job)))


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_every_job_that_reads_secrets_runs_in_an_environment(name: str) -> None:
    """A secret read outside an environment can only be a repository or organization secret, which every branch's
    workflow can read: none is used."""
    for job in load(name)["jobs"].values():
        assert job_secrets(job) <= CREDENTIALS
        if job_secrets(job):
            assert job.get("environment"), job.get("name")


def test_previews_never_use_the_deploy_environments(preview: dict[str, Any], deploy: dict[str, Any]) -> None:
    deploy_environments = {job["environment"] for job in deploy["jobs"].values()}
    assert deploy_environments == set(STACKS)
    template = preview["jobs"]["preview"]["environment"]
    preview_environments = {template.replace("${{ matrix.stack }}", stack) for stack in STACKS}
    assert preview_environments == {"preview-dev", "preview-prod"}
    assert not preview_environments & deploy_environments
    assert job_secrets(preview["jobs"]["preview"]) == CREDENTIALS


def test_protection_is_documented_where_it_is_configured() -> None:
    """Required reviewers and 'no repository-level fallbacks' are repository settings: the workflow files and docs/operations.md
    must say so next to the credentials they name."""
    def comments(name: str) -> str:
        lines = (WORKFLOWS_DIR / name).read_text(encoding="utf-8").splitlines()
        return " ".join(line.strip().lstrip("#").strip() for line in lines)

    preview_text, deploy_text = comments("preview.yml"), comments("deploy.yml")
    readme = " ".join((PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8").split())
    assert '"Required reviewers"' in preview_text
    assert "Never define repository or organization secrets named" in preview_text
    assert "Define none of these names as a repository or organization secret" in deploy_text
    assert "`preview-dev`, `preview-prod`: **Required reviewers**" in readme
    assert "Do not define repository or organization secrets of these names" in readme
    for secret in CREDENTIALS:
        assert secret in preview_text
