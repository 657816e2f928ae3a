"""secret-scan's clone and scanner run for real, as their containers run them, on repositories built here: git (the
clone's `sh` script) and a real gitleaks binary (the scanner's `bash` script) with the rules the program deploys.

Needs `gitleaks` (8.19 or later: the `git` command, --ignore-gitleaks-allow, --gitleaks-ignore-path) on PATH; the
tests are skipped without it. No registry this project uses ships the image's 8.24.3: Debian's unstable suite ships
8.26.0 (same flags and ignore logic: cmd/root.go, cmd/git.go and sources/git.go are unchanged from 8.24.3), e.g.
`apt-get download gitleaks` from a sid source and `dpkg-deb -x gitleaks_*.deb /tmp/g && cp /tmp/g/usr/bin/gitleaks
/usr/local/bin/`; or gitleaks' own release binary, checked against its checksums file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from settings.secret_scan import DEFAULT_RULES
from tests.harness import PROJECT_ROOT

TEMPLATE = yaml.safe_load((PROJECT_ROOT / "workflows" / "secret-scan.yaml").read_text())
SCAN = TEMPLATE["spec"]["templates"][0]
CLONE = next(container for container in SCAN["initContainers"] if container["name"] == "clone")
SCANNER = SCAN["container"]
ZERO = "0" * 40
# Shaped like real credentials (gitleaks' github-pat and aws-access-token rules), random, valid for nothing.
GITHUB_TOKEN = "ghp_R8fZ2kLm9QwXy4TbN7vCj1HsD3gPa6UeK0Wt"
AWS_KEY = "AKIAZ7VRSQ5TJN2XMY6E"


def _gitleaks_problem() -> str | None:
    binary = shutil.which("gitleaks")
    if binary is None:
        return "no gitleaks on PATH"
    usage = subprocess.run([binary, "git", "--help"], capture_output=True, text=True, check=False).stdout
    if "--ignore-gitleaks-allow" not in usage or "--gitleaks-ignore-path" not in usage:
        return f"{binary} is older than 8.19 (no `git` command with --ignore-gitleaks-allow/--gitleaks-ignore-path)"
    return None


PROBLEM = _gitleaks_problem()
pytestmark = pytest.mark.skipif(
    PROBLEM is not None,
    reason=f"{PROBLEM}: install gitleaks >= 8.19 (see this module's docstring: Debian sid's package, or the release "
    "binary) to run the real scans",
)


# The images' shell utilities are BusyBox's (alpine): with busybox installed, the scripts run with its sh, sed, grep,
# awk, cut, wc, ... ahead of the host's (git, gitleaks and bash, which the images install, stay the host's).
BUSYBOX_APPLETS = ("sh", "sed", "grep", "awk", "cut", "wc", "cat", "mkdir", "cp", "rm", "printf", "echo", "mv")


@pytest.fixture(autouse=True)
def image_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH for the scripts: BusyBox applets first when busybox is installed (as in the images), then the host's."""
    busybox = shutil.which("busybox")
    if busybox is not None:
        applets = tmp_path_factory.mktemp("busybox")
        for applet in BUSYBOX_APPLETS:
            (applets / applet).symlink_to(busybox)
        monkeypatch.setenv("PATH", f"{applets}{os.pathsep}{os.environ['PATH']}")


def git(*arguments: str, cwd: Path) -> str:
    environment = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    return subprocess.run(
        ["git", *identity, *arguments], cwd=cwd, env=environment, check=True, capture_output=True, text=True
    ).stdout.strip()


class Repository:
    """A work repository and the bare `origin` the clone fetches from (file://), like GitHub's for a delivery."""

    def __init__(self, root: Path) -> None:
        self.work, self.origin = root / "work", root / "origin.git"
        self.work.mkdir()
        git("init", "-q", ".", cwd=self.work)
        git("init", "-q", "--bare", str(self.origin), cwd=root)
        # GitHub serves any commit reachable from a ref (and a pull request's refs) by its SHA.
        git("config", "uploadpack.allowReachableSHA1InWant", "true", cwd=self.origin)
        git("remote", "add", "origin", str(self.origin), cwd=self.work)

    @property
    def url(self) -> str:
        return f"file://{self.origin}"

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        git("add", "-A", ".", cwd=self.work)
        git("commit", "-qm", message, "--allow-empty", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)

    def push(self, branch: str, force: bool = False) -> None:
        git("push", "-q", *(["--force"] if force else []), "origin", f"HEAD:refs/heads/{branch}", cwd=self.work)


ANNOTATION = re.compile(
    r"^::(?P<level>error|warning) file=(?P<file>[^,]*),line=(?P<line>\d+),endLine=\d+,title=(?P<rule>[^:]*)::"
    r"(?P<description>.*) in commit (?P<commit>[0-9a-f]{40}) \((?P<fingerprint>[^)]*)\)(?P<suppressed> -- .*)?$"
)


@dataclass
class Scan:
    clone: subprocess.CompletedProcess[str]
    scanner: subprocess.CompletedProcess[str]

    @property
    def annotations(self) -> list[re.Match[str]]:
        """The check run annotations the scanner printed (docs/github-app.md: findings in the log)."""
        lines = [line for line in self.scanner.stdout.splitlines() if line.startswith(("::error ", "::warning "))]
        matches = [ANNOTATION.match(line) for line in lines]
        assert all(matches), lines
        return [match for match in matches if match]

    @property
    def log(self) -> str:
        return self.clone.stdout + self.scanner.stdout


def run_scan(
    tmp_path: Path,
    repository: Repository,
    *,
    git_ref: str,
    head: str,
    base: str = "",
    default_branch: str = "main",
    rules: str = DEFAULT_RULES,
    repository_ignore_file: bool = False,
    as_user: list[str] | None = None,
) -> Scan:
    """The clone's script with the environment its container gets, then the scanner's with its own (`as_user`: a
    command prefix that runs them as another user; the scanner then gets the repository read-only, as mounted)."""
    run = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
    source, home, scanner_tmp = run / "source", run / "home", run / "scanner-tmp"
    for directory in (source, home, scanner_tmp):
        directory.mkdir(parents=True)
    (run / "rules.toml").write_text(rules)
    prefix = as_user or []
    if as_user:
        subprocess.run(["chown", "-R", "8737:8737", str(run)], check=True)
    clone_environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_URL": repository.url,
        "GIT_REF": git_ref,
        "HEAD_COMMIT": head,
        "REPOSITORY": "acme/widgets",
        "BASE_COMMIT": base,
        "DEFAULT_BRANCH": default_branch,
        "SOURCE_DIR": str(source),
        "GIT_CREDENTIALS_FILE": str(run / "no-credentials"),
        "CLONE_STATUS_FILE": str(run / "clone-status"),
    }
    assert {variable["name"] for variable in CLONE["env"]} == set(clone_environment) - {"PATH", "GIT_CONFIG_NOSYSTEM"}
    clone = subprocess.run(
        [*prefix, *CLONE["command"], CLONE["args"][0]],
        env=clone_environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clone.returncode == 0 and (run / "clone-status").read_text() == "0\n", clone.stdout + clone.stderr
    if as_user:  # the scanner mounts the repository read-only
        subprocess.run(["chmod", "-R", "a-w", str(source)], check=True)
    scanner_environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(scanner_tmp),
        "SOURCE_DIR": str(source),
        "RULES_FILE": str(run / "rules.toml"),
        "REPOSITORY_IGNORE_FILE": "true" if repository_ignore_file else "false",
    }
    assert {variable["name"] for variable in SCANNER["env"]} == set(scanner_environment) - {"PATH"}
    scanner = subprocess.run(
        [*prefix, *SCANNER["command"], SCANNER["args"][0]],
        env=scanner_environment,
        cwd=run,  # gitleaks' default --gitleaks-ignore-path is the working directory: the script must not use it
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Scan(clone, scanner)


def fingerprints(scan: Scan, level: str = "error") -> list[tuple[str, str, str]]:
    """(commit, file, rule) of each finding the scanner reported at `level`."""
    found = [match for match in scan.annotations if match["level"] == level]
    for match in found:  # the fingerprint is gitleaks' own: commit:file:rule:line
        assert match["fingerprint"] == f"{match['commit']}:{match['file']}:{match['rule']}:{match['line']}"
    return sorted((match["commit"], match["file"], match["rule"]) for match in found)


def test_a_committed_secret_fails_the_scan(tmp_path: Path) -> None:
    repository = Repository(tmp_path)
    repository.commit({"README": "hello\n"})
    repository.push("main")
    secret = repository.commit({"settings.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})
    repository.push("main")
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=secret, base=repository_base(repository))
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(secret, "settings.py", "github-pat")]
    assert GITHUB_TOKEN not in scan.log + scan.scanner.stderr  # never printed
    assert "1 secret(s) found in" in scan.scanner.stdout
    assert "::title::1 secret(s) found in 1 commit(s)" in scan.scanner.stdout.splitlines()


def repository_base(repository: Repository) -> str:
    """The parent of the work repository's HEAD: a push's `before`."""
    return git("rev-parse", "HEAD~1", cwd=repository.work)


def test_the_repository_cannot_switch_the_scan_off(tmp_path: Path) -> None:
    """A .gitleaks.toml allowlisting every path, a .gitleaksignore naming the finding and gitleaks:allow on the line:
    each would make gitleaks pass if it scanned the repository's files as they are; the template's scan still fails."""
    repository = Repository(tmp_path)
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    secret = repository.commit({"app.py": f'AWS_KEY = "{AWS_KEY}"  # gitleaks:allow\nTOKEN = "{GITHUB_TOKEN}"\n'})
    head = repository.commit(
        {
            ".gitleaks.toml": "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''.*''']\n",
            ".gitleaksignore": f"{secret}:app.py:github-pat:2\n",
        },
        "silence the scanner",
    )
    repository.push("main")
    # The control: gitleaks on a checkout of the repository, as the previous template ran it, passes.
    naive = subprocess.run(
        ["gitleaks", "dir", str(repository.work), "--no-banner", "--exit-code", "1"], capture_output=True, check=False
    )
    assert naive.returncode == 0, naive.stdout
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=head, base=before)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(secret, "app.py", "aws-access-token"), (secret, "app.py", "github-pat")]
    assert "suppressed" not in scan.scanner.stdout


def test_the_stack_may_let_the_ignore_file_count_and_every_suppressed_finding_is_still_reported(tmp_path: Path) -> None:
    repository = Repository(tmp_path)
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    secret = repository.commit({"app.py": f'AWS_KEY = "{AWS_KEY}"  # gitleaks:allow\nTOKEN = "{GITHUB_TOKEN}"\n'})
    head = repository.commit({".gitleaksignore": f"# a test fixture\n{secret}:app.py:github-pat:2\n"})
    repository.push("main")
    common = {"git_ref": "refs/heads/main", "head": head, "base": before}
    scan = run_scan(tmp_path, repository, **common, repository_ignore_file=True)
    # gitleaks:allow still does not count: the AWS key fails the scan; the token is suppressed, and said so.
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(secret, "app.py", "aws-access-token")]
    suppressed = f"{secret}:app.py:github-pat:2"
    assert fingerprints(scan, "warning") == [(secret, "app.py", "github-pat")]  # still reported, as a warning
    assert "1 of 2 findings are suppressed by the repository's .gitleaksignore" in scan.scanner.stdout
    assert f"({suppressed}) -- suppressed by the repository's .gitleaksignore" in scan.scanner.stdout
    assert "1 secret(s) found in" in scan.scanner.stdout
    # Everything suppressed: the run passes, and every finding is still reported.
    head = repository.commit({".gitleaksignore": f"{secret}:app.py:github-pat:2\n{secret}:app.py:aws-access-token:1\n"})
    repository.push("main")
    scan = run_scan(tmp_path, repository, **{**common, "head": head}, repository_ignore_file=True)
    assert scan.scanner.returncode == 0, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == []
    assert fingerprints(scan, "warning") == [(secret, "app.py", "aws-access-token"), (secret, "app.py", "github-pat")]
    assert "::title::no secret found in 3 commit(s) but 2 the repository's .gitleaksignore suppresses" in (
        scan.scanner.stdout.splitlines()
    )
    # The same repository without the stack's opt-in: the ignore file counts for nothing.
    scan = run_scan(tmp_path, repository, **{**common, "head": head})
    assert scan.scanner.returncode == 1
    assert fingerprints(scan) == [(secret, "app.py", "aws-access-token"), (secret, "app.py", "github-pat")]
    assert "suppressed" not in scan.scanner.stdout


def test_a_secret_added_and_removed_in_one_push_is_found(tmp_path: Path) -> None:
    repository = Repository(tmp_path)
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    added = repository.commit({"deploy.sh": f"export GITHUB_TOKEN={GITHUB_TOKEN}\n"}, "deploy script")
    after = repository.commit({"deploy.sh": "export GITHUB_TOKEN=$TOKEN_FROM_VAULT\n"}, "oops")
    repository.push("main")
    assert GITHUB_TOKEN not in (repository.work / "deploy.sh").read_text()  # the tip's files are clean
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=after, base=before)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(added, "deploy.sh", "github-pat")]
    assert f"2 commit(s), {before}..{after}" in scan.clone.stdout


def test_a_push_scans_its_own_commits_only(tmp_path: Path) -> None:
    """An old secret on main is not reported again by the next push: the range is before..after."""
    repository = Repository(tmp_path)
    repository.commit({"old.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    after = repository.commit({"README": "hello again\n"})
    repository.push("main")
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=after, base=before)
    assert scan.scanner.returncode == 0, scan.log + scan.scanner.stderr
    assert scan.annotations == []
    assert f"no secret found in {before}..{after}" in scan.scanner.stdout
    assert "::title::no secret found in 1 commit(s)" in scan.scanner.stdout.splitlines()


def test_a_new_branch_scans_the_commits_not_on_the_default_branch(tmp_path: Path) -> None:
    repository = Repository(tmp_path)
    repository.commit({"old.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})  # on main: not this delivery's
    for number in range(3):
        repository.commit({"README": f"{number}\n"})
    repository.push("main")
    fork_point = git("rev-parse", "HEAD~2", cwd=repository.work)
    git("checkout", "-q", "-b", "feature", fork_point, cwd=repository.work)
    added = repository.commit({"feature.py": f'KEY = "{AWS_KEY}"\n'})
    head = repository.commit({"feature.py": "KEY = None\n"})
    repository.push("feature")
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/feature", head=head, base=ZERO)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(added, "feature.py", "aws-access-token")]
    assert "2 commit(s)" in scan.clone.stdout


def test_a_forced_push_whose_before_is_gone_scans_what_is_not_on_the_default_branch(tmp_path: Path) -> None:
    repository = Repository(tmp_path)
    repository.commit({"README": "hello\n"})
    repository.push("main")
    git("checkout", "-q", "-b", "feature", cwd=repository.work)
    gone = repository.commit({"a.py": "A = 1\n"})
    repository.push("feature")
    git("reset", "-q", "--hard", "HEAD~1", cwd=repository.work)
    added = repository.commit({"b.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})
    head = repository.commit({"b.py": "TOKEN = None\n"})
    repository.push("feature", force=True)
    git("gc", "-q", "--prune=now", cwd=repository.origin)  # `before` is unreachable now, and then gone
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/feature", head=head, base=gone)
    assert f"the base commit {gone} is gone (a forced push?): scanning what is not on main" in scan.clone.stdout
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(added, "b.py", "github-pat")]


def test_a_pull_request_scans_its_commits_even_when_its_base_is_far_behind(tmp_path: Path) -> None:
    """base.sha..head.sha: the pull request's commits, found although the branch starts over 64 commits (the first
    fetch depth) below the base's tip, and nothing of main's own history."""
    repository = Repository(tmp_path)
    repository.commit({"old.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})
    fork_point = repository.commit({"README": "start\n"})
    for number in range(70):
        repository.commit({"README": f"{number}\n"})
    repository.push("main")
    base = git("rev-parse", "HEAD", cwd=repository.work)
    git("checkout", "-q", "-b", "topic", fork_point, cwd=repository.work)
    added = repository.commit({"topic.py": f'KEY = "{AWS_KEY}"\n'})
    for number in range(70):
        repository.commit({"topic.txt": f"{number}\n"})
    head = git("rev-parse", "HEAD", cwd=repository.work)
    git("push", "-q", "origin", "HEAD:refs/pull/7/head", cwd=repository.work)
    scan = run_scan(tmp_path, repository, git_ref="refs/pull/7/head", head=head, base=base)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(added, "topic.py", "aws-access-token")]
    assert f"71 commit(s), {base}..{head}" in scan.clone.stdout


def test_the_stack_rules_decide(tmp_path: Path) -> None:
    """secretScan.rules: a config of the stack's own replaces gitleaks' defaults (here: one custom rule only)."""
    repository = Repository(tmp_path)
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    head = repository.commit({"a.txt": f"TOKEN = {GITHUB_TOKEN}\ninternal-secret-0123456789\n"})
    repository.push("main")
    rules = '[[rules]]\nid = "acme-internal"\nregex = \'\'\'internal-secret-[0-9]{10}\'\'\'\n'
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=head, base=before, rules=rules)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    assert fingerprints(scan) == [(head, "a.txt", "acme-internal")]


def test_annotations_escape_what_the_workflow_command_syntax_reads(tmp_path: Path) -> None:
    """A path with ',' and ':' (and '%') stays one `file` property: escaped as GitHub Actions does (%2C, %3A, %25)."""
    repository = Repository(tmp_path)
    before = repository.commit({"README": "hello\n"})
    repository.push("main")
    head = repository.commit({"conf,prod/db:main%1.env": f"TOKEN={GITHUB_TOKEN}\n"})
    repository.push("main")
    scan = run_scan(tmp_path, repository, git_ref="refs/heads/main", head=head, base=before)
    assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
    (line,) = [line for line in scan.scanner.stdout.splitlines() if line.startswith("::error ")]
    assert line.startswith("::error file=conf%2Cprod/db%3Amain%251.env,line=1,endLine=1,title=github-pat::")
    assert line.endswith(f" in commit {head} ({head}:conf,prod/db:main%251.env:github-pat:1)")
    assert GITHUB_TOKEN not in scan.scanner.stdout


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_the_scan_runs_as_the_workflow_user_on_a_read_only_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the pod: both steps as UID 8737 (the stack's workflow user), the scanner with the repository read-only
    and its own HOME."""
    root = Path(tempfile.mkdtemp(prefix="secret-scan-"))
    try:
        root.chmod(0o755)
        busybox = shutil.which("busybox")
        if busybox is not None:  # applets the workflow user can reach, as in image_path
            applets = root / "busybox"
            applets.mkdir()
            for applet in BUSYBOX_APPLETS:
                (applets / applet).symlink_to(busybox)
            monkeypatch.setenv("PATH", f"{applets}{os.pathsep}{os.environ['PATH'].split(os.pathsep, 1)[1]}")
        repository = Repository(root)
        before = repository.commit({"README": "hello\n"})
        repository.push("main")
        added = repository.commit({"k.txt": f"KEY={AWS_KEY}\n"})
        after = repository.commit({"k.txt": "KEY=\n"})
        repository.push("main")
        # Like the emptyDirs (fsGroup): git refuses repositories of another owner, GitHub's side included here.
        subprocess.run(["chown", "-R", "8737:8737", str(root)], check=True)
        as_user = ["setpriv", "--reuid=8737", "--regid=8737", "--clear-groups"]
        scan = run_scan(root, repository, git_ref="refs/heads/main", head=after, base=before, as_user=as_user)
        assert scan.scanner.returncode == 1, scan.log + scan.scanner.stderr
        assert fingerprints(scan) == [(added, "k.txt", "aws-access-token")]
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=False)
        shutil.rmtree(root)
