"""The shipped WorkflowTemplates under the stack's containment defaults: the pods Argo would make pass the restricted
Pod Security Standard, and the clone script runs for real as a non-root user with event values that try to inject."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.chart import chart_values
from settings.config import parse_settings
from tests.harness import PROJECT_ROOT, dev_config
from tests.test_validation import kubernetes_problems

TEMPLATES = sorted((PROJECT_ROOT / "workflows").glob("*.yaml"))
EXECUTOR_IMAGE = "quay.io/argoproj/argoexec:v4.0.6"
INJECTION = "x$(touch${IFS}PWNED)`touch${IFS}PWNED2`;touch PWNED3"


def _merge(defaults: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """The controller's mainContainer defaults under the template's container (the template wins)."""
    merged = copy.deepcopy(defaults)
    for key, value in container.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def argo_pod(template_file: Path) -> dict[str, Any]:
    """The pod Argo makes for the entrypoint of a shipped template under the stack's defaults (the parts that
    matter for Pod Security): workflowDefaults' pod securityContext and token setting, mainContainer defaults for
    the main container, the executor's securityContext for Argo's own init and wait containers."""
    values = chart_values(parse_settings(dev_config(), PROJECT_ROOT))
    defaults = values["controller"]["workflowDefaults"]["spec"]
    spec = yaml.safe_load(template_file.read_text())["spec"]
    (template,) = [t for t in spec["templates"] if t["name"] == spec["entrypoint"]]
    executor = {"image": EXECUTOR_IMAGE, "securityContext": values["executor"]["securityContext"]}
    main = _merge({"securityContext": values["mainContainer"]["securityContext"]}, template["container"])
    strip = ("mirrorVolumeMounts",)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": template_file.stem},
        "spec": {
            "automountServiceAccountToken": defaults["automountServiceAccountToken"],
            "securityContext": defaults["securityContext"],
            "initContainers": [
                {"name": "init", **executor},
                *({k: v for k, v in c.items() if k not in strip} for c in template.get("initContainers", [])),
            ],
            "containers": [{"name": "wait", **executor}, {"name": "main", **main}],
            "volumes": spec.get("volumes", []),
        },
    }


def restricted_problems(pod: dict[str, Any]) -> list[str]:
    """The checks of the restricted Pod Security Standard that a template can break."""
    spec = pod["spec"]
    problems = []
    if spec["securityContext"].get("runAsNonRoot") is not True:
        problems.append("pod: runAsNonRoot must be true")
    if spec["securityContext"].get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
        problems.append("pod: seccompProfile must be RuntimeDefault")
    for volume in spec.get("volumes", []):
        if set(volume) - {"name", "emptyDir", "secret", "configMap", "projected", "persistentVolumeClaim"}:
            problems.append(f"volume {volume['name']}: type not allowed")
    for container in spec["initContainers"] + spec["containers"]:
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{container['name']}: allowPrivilegeEscalation must be false")
        if "ALL" not in (context.get("capabilities") or {}).get("drop", []):
            problems.append(f"{container['name']}: capabilities must drop ALL")
        if context.get("privileged") or context.get("runAsUser") == 0:
            problems.append(f"{container['name']}: must not be privileged or root")
    return problems


@pytest.mark.parametrize("template_file", TEMPLATES, ids=lambda path: path.stem)
def test_shipped_templates_make_restricted_pods(template_file: Path) -> None:
    pod = argo_pod(template_file)
    assert kubernetes_problems(pod) == []
    assert restricted_problems(pod) == []
    assert pod["spec"]["automountServiceAccountToken"] is False
    # The shipped templates' own containers also run with a read-only root filesystem.
    own = [c for c in pod["spec"]["initContainers"] + pod["spec"]["containers"] if c["name"] not in ("init", "wait")]
    assert own and all(c["securityContext"]["readOnlyRootFilesystem"] is True for c in own)


def test_the_restricted_check_can_fail() -> None:
    pod = argo_pod(PROJECT_ROOT / "workflows" / "secret-scan.yaml")
    (clone,) = [container for container in pod["spec"]["initContainers"] if container["name"] == "clone"]
    del clone["securityContext"]
    pod["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    assert restricted_problems(pod) == [
        "volume host: type not allowed",
        "clone: allowPrivilegeEscalation must be false",
        "clone: capabilities must drop ALL",
    ]


def _run_as_workflow_user(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As the workflow pods' user (8737) when the tests run as root, else as the (non-root) current user."""
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=8737", "--regid=8737", "--clear-groups", *argv]
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    """A temporary directory the workflow user can reach (pytest's own sit under a 0700 directory of root's)."""
    path = Path(tempfile.mkdtemp(prefix="clone-script-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_clone_script_runs_as_non_root_and_never_runs_event_values(world_readable_tmp: Path) -> None:
    """The init container's script, for real, with git: HOME on the tmp emptyDir, the checkout on its own one, and a
    ref and repository name full of shell syntax that stay plain text."""
    tmp_path = world_readable_tmp
    origin, source, home = tmp_path / "origin", tmp_path / "source", tmp_path / "home"
    for directory in (origin, source, home):
        directory.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    (origin / "README.md").write_text("hello\n")
    subprocess.run([*git, "-C", str(origin), "add", "."], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-qm", "one"], check=True)
    subprocess.run(["git", "-C", str(origin), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    commit = subprocess.run(
        ["git", "-C", str(origin), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if os.geteuid() == 0:  # like the emptyDirs (fsGroup), and git refuses repositories of another owner
        subprocess.run(["chown", "-R", "8737:8737", str(tmp_path)], check=True)
    clone = yaml.safe_load((PROJECT_ROOT / "workflows" / "secret-scan.yaml").read_text())["spec"]["templates"][0]
    (init,) = [container for container in clone["initContainers"] if container["name"] == "clone"]
    script = init["args"][0]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_URL": f"file://{origin}",
        "GIT_REF": f"refs/heads/{INJECTION}",
        "HEAD_COMMIT": commit,
        "REPOSITORY": f"acme/{INJECTION}",
        "BASE_COMMIT": "",
        "DEFAULT_BRANCH": "trunk",  # not in this repository: no base, the whole history
        "SOURCE_DIR": str(source),
        "GIT_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),  # none minted: an anonymous clone
        "CLONE_STATUS_FILE": str(tmp_path / "clone-status"),
    }
    assert [item["name"] for item in init["env"]][:5] == ["HOME", "GIT_URL", "GIT_REF", "HEAD_COMMIT", "REPOSITORY"]
    result = _run_as_workflow_user([*init["command"], script], env, tmp_path)
    assert result.returncode == 0, result.stderr
    # The default branch does not exist: no base, the whole history of the commit.
    assert result.stdout == f"no base to start from: scanning the whole history\nscanning acme/{INJECTION}: 1 commit(s), {commit}\n"
    assert (tmp_path / "clone-status").read_text() == "0\n"
    assert (source / "scan" / "log-opts").read_text() == commit
    assert not list(tmp_path.rglob("PWNED*"))
