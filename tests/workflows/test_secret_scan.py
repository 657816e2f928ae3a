"""The shipped secret-scan template: its clone step run for real (sh + git), where the token goes and where it does not."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from delivery.podkit_artifact import PATH_IN_POD
from settings.images import PYTHON
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import GitHubAppRoutes
from tests.github_app_keys import APP_ID, app_key_pem
from tests.harness import PROJECT_ROOT
from tests.podkit.pod import run_pod

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
        "BASE_COMMIT": "",  # none: the whole history of the commit
        "DEFAULT_BRANCH": "",
        "REPOSITORY": "acme/widgets",
        "HOME": str(home),
        "SOURCE_DIR": str(source),
        "GIT_CREDENTIALS_FILE": str(credentials_file),
        "CLONE_STATUS_FILE": str(tmp_path / "clone-status"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["sh", "-euc", CLONE_SCRIPT], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def run_python_step(name: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A python init container of the template: `python3 /opt/podkit/podkit.pyz <command>`, the artifact the program
    builds from this checkout."""
    python, archive, *arguments = CONTAINERS[name]["command"]
    assert (python, archive, len(arguments)) == ("python3", PATH_IN_POD, 1)
    return run_pod(arguments[0], environment)


def test_clone_fetches_the_commit_and_deletes_the_credentials(tmp_path: Path, origin: tuple[str, str]) -> None:
    url, commit = origin
    credentials = f'[http "https://github.com/"]\n\textraHeader = {HEADER}\n'
    result = run_clone(tmp_path, url, commit, credentials)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clone-status").read_text() == "0\n"
    assert result.stdout.strip() == f"scanning acme/widgets: 1 commit(s), {commit}"
    repository = tmp_path / "source" / "repository.git"
    assert git("--git-dir", str(repository), "rev-parse", "refs/scan/head", cwd=tmp_path) == commit
    assert git("--git-dir", str(repository), "show", f"{commit}:README", cwd=tmp_path) == "hello"
    assert not (repository / "README").exists()  # a bare repository: nothing checked out, no work tree
    assert (tmp_path / "source" / "scan" / "log-opts").read_text() == commit
    assert not (tmp_path / "gitconfig").exists()  # gone before the scanner starts
    repository_files = "".join(p.read_text(errors="ignore") for p in (tmp_path / "source").rglob("*") if p.is_file())
    assert "eC1hY2Nlc3MtdG9rZW4" not in repository_files  # nothing of the token in .git/ or the work tree


def test_a_failed_clone_deletes_the_credentials_too_and_records_its_status(tmp_path: Path) -> None:
    result = run_clone(tmp_path, f"file://{tmp_path}/missing.git", "0" * 40, f"[http]\n\textraHeader = {HEADER}\n")
    assert result.returncode == 0  # so that the revoke step runs; that step fails the run (see below)
    assert (tmp_path / "clone-status").read_text().strip() not in ("", "0")
    assert not (tmp_path / "gitconfig").exists()


@pytest.fixture
def github() -> Iterator[GitHubAppRoutes]:
    key = serialization.load_pem_private_key(app_key_pem().encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, str(APP_ID), key.public_key(), installations={"acme/widgets": 77})


@pytest.mark.parametrize("clone_works", [True, False])
def test_the_clone_token_is_revoked_after_the_fetch(
    tmp_path: Path, origin: tuple[str, str], github: GitHubAppRoutes, clone_works: bool
) -> None:
    """credentials -> clone -> revoke, each run as its container runs it: the App's token is revoked at GitHub once
    the fetch is done, whether it worked or not, and the run fails at the revoke step when the clone failed."""
    secrets_dir = tmp_path / "github-app"
    secrets_dir.mkdir()
    (secrets_dir / "private-key.pem").write_text(app_key_pem())
    shared = {
        "GITHUB_API_URL": github.fake.base_url,
        "GIT_TOKEN_FILE": str(tmp_path / "token"),
        "CLONE_STATUS_FILE": str(tmp_path / "clone-status"),
    }
    credentials = run_python_step(
        "credentials",
        {
            **shared,
            "GITHUB_APP_ID": str(APP_ID),
            "GITHUB_CREDENTIALS_DIR": str(secrets_dir),
            "REPOSITORY": "acme/widgets",
            "GIT_CREDENTIALS_FILE": str(tmp_path / "gitconfig"),
        },
    )
    assert credentials.returncode == 0, credentials.stderr
    (minted,) = github.minted
    assert (tmp_path / "token").read_text() == minted.token
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o400
    url, commit = origin
    clone = run_clone(tmp_path, url if clone_works else f"file://{tmp_path}/missing.git", commit, credentials=None)
    assert clone.returncode == 0, clone.stderr
    assert github.revoked == set()  # the fetch is done before anything revokes the token
    revoke = run_python_step("revoke", shared)
    assert github.revoked == {minted.token}
    assert not (tmp_path / "token").exists() and not (tmp_path / "gitconfig").exists()
    if clone_works:
        assert (revoke.returncode, revoke.stdout.strip()) == (0, "the clone's token is revoked")
    else:
        assert revoke.returncode == 1
        assert "error: the clone failed (exit status 128): see the clone container's log" in revoke.stderr
    assert minted.token not in credentials.stdout + credentials.stderr + revoke.stdout + revoke.stderr


def test_a_fine_grained_token_is_neither_kept_for_the_revoke_step_nor_revoked(
    tmp_path: Path, github: GitHubAppRoutes
) -> None:
    secrets_dir = tmp_path / "github-app"
    secrets_dir.mkdir()
    (secrets_dir / "token").write_text("github_pat_stack")
    github.personal_tokens.add("github_pat_stack")
    environment = {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_CREDENTIALS_DIR": str(secrets_dir),
        "REPOSITORY": "acme/widgets",
        "GIT_CREDENTIALS_FILE": str(tmp_path / "gitconfig"),
        "GIT_TOKEN_FILE": str(tmp_path / "token"),
    }
    assert run_python_step("credentials", environment).returncode == 0
    assert (tmp_path / "gitconfig").exists() and not (tmp_path / "token").exists()
    (tmp_path / "clone-status").write_text("0\n")
    revoke = run_python_step("revoke", {**environment, "CLONE_STATUS_FILE": str(tmp_path / "clone-status")})
    assert (revoke.returncode, revoke.stdout, github.revoked) == (0, "", set())
    assert not [request for request in github.fake.requests if request.method == "DELETE"]


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

    assert mounts(CONTAINERS["credentials"]) == {"github-app", "podkit", "clone-credentials"}
    assert mounts(CONTAINERS["clone"]) == {"source", "tmp", "clone-credentials"}
    assert mounts(CONTAINERS["revoke"]) == {"podkit", "clone-credentials"}  # no key, no repository
    assert [container["name"] for container in SCAN["initContainers"]] == ["credentials", "clone", "revoke"]
    assert CONTAINERS["revoke"]["image"] == PYTHON
    assert CONTAINERS["revoke"]["command"] == ["python3", "/opt/podkit/podkit.pyz", "revoke-git-credentials"]
    # Its own /tmp, shared with no other container, and the stack's rules.
    assert mounts(SCAN["container"]) == {"source", "scanner-tmp", "scan-rules"}
    assert all("scanner-tmp" not in mounts(container) for container in SCAN["initContainers"])
    assert CONTAINERS["credentials"]["image"] == PYTHON  # the same pinned image as the status hooks
    assert CONTAINERS["credentials"]["command"] == ["python3", "/opt/podkit/podkit.pyz", "git-credentials"]
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
    from delivery.podkit_artifact import CONFIG_MAP, MOUNT_DIR, command
    from delivery.status_hooks import CREDENTIALS_SECRET

    volumes = {volume["name"]: volume for volume in TEMPLATE["spec"]["volumes"]}
    assert volumes["github-app"]["secret"] == {"secretName": CREDENTIALS_SECRET, "defaultMode": 0o440, "optional": True}
    assert volumes["podkit"]["configMap"] == {"name": CONFIG_MAP}
    assert volumes["clone-credentials"]["emptyDir"]["medium"] == "Memory"
    env = {variable["name"]: variable for variable in CONTAINERS["credentials"]["env"]}
    assert env["GITHUB_API_URL"]["valueFrom"]["configMapKeyRef"] == {"name": CONFIG_MAP, "key": "api-url"}
    assert env["GITHUB_APP_ID"]["valueFrom"]["configMapKeyRef"] == {
        "name": CONFIG_MAP,
        "key": "app-id",
        "optional": True,
    }
    assert CONTAINERS["credentials"]["command"] == command("git-credentials")
    (mount,) = [mount for mount in CONTAINERS["credentials"]["volumeMounts"] if mount["name"] == "podkit"]
    assert mount == {"name": "podkit", "mountPath": MOUNT_DIR, "readOnly": True}
    clone_env = {variable["name"]: variable["value"] for variable in CONTAINERS["clone"]["env"]}
    assert clone_env["GIT_CREDENTIALS_FILE"] == env["GIT_CREDENTIALS_FILE"]["value"]
