"""The shipped secret-scan template: its clone step run for real (sh + git), where the token goes and where it does not."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.images import PYTHON
from tests.harness import PROJECT_ROOT

TEMPLATE = yaml.safe_load((PROJECT_ROOT / "workflows" / "secret-scan.yaml").read_text())
SCAN = TEMPLATE["spec"]["templates"][0]
CONTAINERS = {container["name"]: container for container in SCAN["initContainers"]}
CLONE_SCRIPT = CONTAINERS["clone"]["args"][0]
HEADER = "Authorization: Basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="  # x-access-token:ghs_secret


def git(*arguments: str, cwd: Path) -> str:
    environment = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(
        ["git", *identity, *arguments], cwd=cwd, env=environment, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> tuple[str, str]:
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", ".", cwd=work)
    (work / "README").write_text("hello\n")
    git("add", "README", cwd=work)
    git("commit", "-qm", "first", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", str(work), str(tmp_path / "origin.git"), cwd=tmp_path)
    git("config", "uploadpack.allowReachableSHA1InWant", "true", cwd=tmp_path / "origin.git")
    return f"file://{tmp_path / 'origin.git'}", commit


def run_clone(tmp_path: Path, git_url: str, commit: str, credentials: str | None) -> subprocess.CompletedProcess[str]:
    source, home = tmp_path / "source", tmp_path / "home"
    source.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    credentials_file = tmp_path / "gitconfig"
    if credentials is not None:
        credentials_file.write_text(credentials)
        credentials_file.chmod(0o400)
    environment = {
        "PATH": os.environ["PATH"],
        "GIT_URL": git_url,
        "GIT_REF": "refs/heads/master",
        "HEAD_COMMIT": commit,
        "REPOSITORY": "acme/widgets",
        "HOME": str(home),
        "SOURCE_DIR": str(source),
        "GIT_CREDENTIALS_FILE": str(credentials_file),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["sh", "-euc", CLONE_SCRIPT], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_clone_checks_out_the_commit_and_deletes_the_credentials(tmp_path: Path, origin: tuple[str, str]) -> None:
    url, commit = origin
    credentials = f'[http "https://github.com/"]\n\textraHeader = {HEADER}\n'
    result = run_clone(tmp_path, url, commit, credentials)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"scanning acme/widgets at {commit}"
    assert (tmp_path / "source" / "README").read_text() == "hello\n"
    assert not (tmp_path / "gitconfig").exists()  # gone before the scanner starts
    repository_files = "".join(p.read_text(errors="ignore") for p in (tmp_path / "source").rglob("*") if p.is_file())
    assert "eC1hY2Nlc3MtdG9rZW4" not in repository_files  # nothing of the token in .git/ or the work tree


def test_a_failed_clone_deletes_the_credentials_too(tmp_path: Path) -> None:
    result = run_clone(tmp_path, f"file://{tmp_path}/missing.git", "0" * 40, f"[http]\n\textraHeader = {HEADER}\n")
    assert result.returncode != 0
    assert not (tmp_path / "gitconfig").exists()


class _RecordingGit(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers.items()))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_RecordingGit,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_token_is_only_sent_to_the_github_host(
    tmp_path: Path, other_host: tuple[str, list[dict[str, str]]]
) -> None:
    """git applies the header only to URLs under the configured host: a delivery naming another host gets nothing."""
    url, seen = other_host
    scoped = f'[http "https://127.0.0.1/"]\n\textraHeader = {HEADER}\n[http]\n\tfollowRedirects = false\n'
    run_clone(tmp_path, f"{url}/acme/widgets.git", "a" * 40, scoped)
    assert seen and all("Authorization" not in headers for headers in seen)
    seen.clear()  # the control: scoped to this very host, git does send it (so the check above can fail)
    control = tmp_path / "control"
    control.mkdir()
    run_clone(control, f"{url}/acme/widgets.git", "a" * 40, f'[http "{url}/"]\n\textraHeader = {HEADER}\n')
    assert any(headers.get("Authorization") == HEADER.split(": ", 1)[1] for headers in seen)


def test_only_the_credentials_step_mounts_the_app_key_and_the_scanner_sees_no_token() -> None:
    def mounts(container: dict[str, Any]) -> set[str]:
        return {mount["name"] for mount in container.get("volumeMounts", [])}

    assert mounts(CONTAINERS["credentials"]) == {"github-app", "github-app-scripts", "clone-credentials"}
    assert mounts(CONTAINERS["clone"]) == {"source", "tmp", "clone-credentials"}
    assert mounts(SCAN["container"]) == {"source", "scanner-tmp"}  # its own /tmp, shared with no other container
    assert all("scanner-tmp" not in mounts(container) for container in SCAN["initContainers"])
    assert CONTAINERS["credentials"]["image"] == PYTHON  # the same pinned image as the status hooks
    assert CONTAINERS["credentials"]["command"] == ["python3", "/opt/github-app/github_app.py", "git-credentials"]
    for container in [*SCAN["initContainers"], SCAN["container"]]:
        assert "@sha256:" in container["image"], container["name"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # Non-root comes from the controller's workflowDefaults (settings/chart.py), as for users' templates: the
    # template sets no pod securityContext of its own (tests/workflows/test_shipped_templates.py checks the pod).
    assert "securityContext" not in SCAN
    assert "{{" not in CLONE_SCRIPT  # every value arrives in the environment


def test_every_shipped_image_is_pinned_by_digest() -> None:
    for path in (PROJECT_ROOT / "workflows").glob("*.yaml"):
        for line in path.read_text().splitlines():
            if line.strip().startswith("image:"):
                assert "@sha256:" in line and len(line.split("@sha256:")[1].split()[0]) == 64, (path.name, line)


def test_the_template_uses_the_names_the_program_deploys() -> None:
    from components.github_app import SCRIPTS_CONFIG_MAP
    from delivery.status_hooks import CREDENTIALS_SECRET, SCRIPT

    volumes = {volume["name"]: volume for volume in TEMPLATE["spec"]["volumes"]}
    assert volumes["github-app"]["secret"] == {"secretName": CREDENTIALS_SECRET, "defaultMode": 0o440, "optional": True}
    assert volumes["github-app-scripts"]["configMap"] == {"name": SCRIPTS_CONFIG_MAP}
    assert volumes["clone-credentials"]["emptyDir"]["medium"] == "Memory"
    env = {variable["name"]: variable for variable in CONTAINERS["credentials"]["env"]}
    assert env["GITHUB_API_URL"]["valueFrom"]["configMapKeyRef"] == {"name": SCRIPTS_CONFIG_MAP, "key": "api-url"}
    assert env["GITHUB_APP_ID"]["valueFrom"]["configMapKeyRef"] == {
        "name": SCRIPTS_CONFIG_MAP,
        "key": "app-id",
        "optional": True,
    }
    assert CONTAINERS["credentials"]["command"][1] == f"/opt/github-app/{SCRIPT.name}"
    clone_env = {variable["name"]: variable["value"] for variable in CONTAINERS["clone"]["env"]}
    assert clone_env["GIT_CREDENTIALS_FILE"] == env["GIT_CREDENTIALS_FILE"]["value"]
