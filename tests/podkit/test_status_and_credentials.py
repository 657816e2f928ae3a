"""podkit's `status` and `git-credentials` commands, run for real from the built artifact (a python process, as in
the Workflow) against the local fake of GitHub; and the App key's stdlib parser and signature."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from podkit.app_key import KeyProblem, app_jwt, parse_private_key
from podkit.credentials import git_host
from tests.fakes.github import FakeGitHub, error
from tests.fakes.github_app import GitHubAppRoutes, unb64
from tests.podkit.pod import run_pod

APP_ID = "424242"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
ANNOTATIONS = {
    "argo-github-webhooks/repository": "acme/widgets",
    "argo-github-webhooks/commit": SHA,
    "argo-github-webhooks/delivery": "d-1",
}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey, form: serialization.PrivateFormat = serialization.PrivateFormat.TraditionalOpenSSL) -> str:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()


INSTALLATION_LOOKUP = "/repos/{owner}/{repo}/installation"  # the first request of every App flow


@pytest.fixture
def github(key: rsa.RSAPrivateKey) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub() as fake:
        yield GitHubAppRoutes(fake, APP_ID, key.public_key(), installations={"acme/widgets": 77})


@pytest.fixture
def app_credentials(tmp_path: Path, key: rsa.RSAPrivateKey) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir()
    (directory / "private-key.pem").write_text(pem(key))
    return directory


def run(command: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_pod(command, environment)


def status_environment(api_url: str, credentials: Path, phase: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": api_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(credentials),
        "WORKFLOW_ANNOTATIONS": json.dumps(ANNOTATIONS),
        "WORKFLOW_STATUS": phase,
        "WORKFLOW_NAME": "secret-scan-3f2a",
        "WORKFLOW_NAMESPACE": "workflows",
        "ARGO_UI_URL": "https://argo-ui.example.com/",
        "STATUS_CONTEXT": "argo/secret-scan",
        **extra,
    }


def assert_no_secret(
    result: subprocess.CompletedProcess[str], github: GitHubAppRoutes, key: rsa.RSAPrivateKey
) -> None:
    output = result.stdout + result.stderr
    for minted in github.minted:
        assert minted.token not in output
    for request in github.fake.requests:
        authorization = request.headers.get("authorization", "")
        assert authorization.split(" ", 1)[-1] not in output
    body = "".join(pem(key).splitlines()[1:-1])
    assert body[:40] not in output


@pytest.mark.parametrize(
    ("phase", "state", "words"),
    [
        ("Running", "pending", "is running"),
        ("Pending", "pending", "is running"),
        ("Succeeded", "success", "succeeded"),
        ("Failed", "failure", "failed"),
        ("Error", "error", "ended in an error"),
    ],
)
def test_reports_each_phase_with_a_token_for_one_repository_and_one_permission(
    github: GitHubAppRoutes, app_credentials: Path, key: rsa.RSAPrivateKey, phase: str, state: str, words: str
) -> None:
    result = run("status", status_environment(github.fake.base_url, app_credentials, phase))
    assert result.returncode == 0, result.stderr
    assert github.statuses == [
        (
            "acme/widgets",
            SHA,
            {
                "state": state,
                "target_url": "https://argo-ui.example.com/workflows/workflows/secret-scan-3f2a",
                "description": f"Argo Workflow secret-scan-3f2a {words}",
                "context": "argo/secret-scan",
            },
        )
    ]
    (minted,) = github.minted
    assert (minted.installation, minted.repositories, minted.permissions) == (77, ["widgets"], {"statuses": "write"})
    assert github.revoked == {minted.token}  # revoked as soon as the status is posted
    assert [(r.method, r.path) for r in github.fake.requests] == [
        ("GET", "/repos/acme/widgets/installation"),
        ("POST", "/app/installations/77/access_tokens"),
        ("POST", f"/repos/acme/widgets/statuses/{SHA}"),
        ("DELETE", "/installation/token"),
    ]
    for claims in github.jwt_claims:  # backdated 60 s, valid at most 10 minutes, issued by the App
        assert claims["iss"] == APP_ID
        assert claims["exp"] - claims["iat"] == 600
    assert result.stdout.strip() == (
        f"reported argo/secret-scan={state} on acme/widgets@{SHA}: "
        "https://argo-ui.example.com/workflows/workflows/secret-scan-3f2a"
    )
    assert_no_secret(result, github, key)


def test_without_a_published_ui_the_status_has_no_link(
    github: GitHubAppRoutes, app_credentials: Path, key: rsa.RSAPrivateKey
) -> None:
    """The public host serves only the events API: a link there would not open the run, so there is none."""
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded", ARGO_UI_URL=""))
    assert result.returncode == 0, result.stderr
    assert github.statuses == [
        (
            "acme/widgets",
            SHA,
            {"state": "success", "description": "Argo Workflow secret-scan-3f2a succeeded", "context": "argo/secret-scan"},
        )
    ]
    assert result.stdout.strip() == f"reported argo/secret-scan=success on acme/widgets@{SHA}"
    assert_no_secret(result, github, key)


def test_pkcs8_keys_work_too(github: GitHubAppRoutes, tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    (tmp_path / "private-key.pem").write_text(pem(key, serialization.PrivateFormat.PKCS8))
    result = run("status", status_environment(github.fake.base_url, tmp_path, "Succeeded"))
    assert "reported argo/secret-scan=success" in result.stdout
    assert len(github.statuses) == 1


def test_description_stays_within_githubs_140_characters(github: GitHubAppRoutes, app_credentials: Path) -> None:
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Failed", WORKFLOW_NAME="w" * 253))
    assert result.returncode == 0
    (_, _, body) = github.statuses[0]
    assert len(body["description"]) == 140
    assert body["description"].endswith("…")


def test_app_not_installed_on_the_repository_is_a_clear_message(
    github: GitHubAppRoutes, app_credentials: Path, key: rsa.RSAPrivateKey
) -> None:
    github.installations.clear()
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded"))
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert result.stdout.strip() == (
        f"could not report commit status argo/secret-scan=success on acme/widgets@{SHA}: the GitHub App "
        f"(ID {APP_ID}) is not installed on acme/widgets: install it on the organization acme with access to this "
        "repository (GET /repos/acme/widgets/installation: HTTP 404: Not Found)"
    )
    assert github.statuses == [] and github.minted == []
    assert_no_secret(result, github, key)


def test_a_wrong_app_id_gets_401_and_is_not_retried(
    github: GitHubAppRoutes, app_credentials: Path, key: rsa.RSAPrivateKey
) -> None:
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded", GITHUB_APP_ID="1"))
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert (
        "GET /repos/acme/widgets/installation: HTTP 401: 'Issuer' claim ('iss') must be the app ID, got '1': "
        "GitHub refused the credentials; check githubApp.appId and the key"
    ) in result.stdout
    assert len(github.fake.requests) == 1
    assert_no_secret(result, github, key)


def test_a_key_github_does_not_know_gets_401(github: GitHubAppRoutes, tmp_path: Path) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "private-key.pem").write_text(pem(other))
    result = run("status", status_environment(github.fake.base_url, tmp_path, "Succeeded"))
    assert "HTTP 401: JWT signature does not verify: GitHub refused the credentials" in result.stdout
    assert github.statuses == []


def test_server_errors_are_retried_a_bounded_number_of_times(github: GitHubAppRoutes, app_credentials: Path) -> None:
    github.fake.answer_next("GET", INSTALLATION_LOOKUP, error(502, "injected 502"), error(503, "injected 503"))
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded"))
    assert "reported argo/secret-scan=success" in result.stdout
    assert result.stderr.splitlines() == [
        "GET /repos/acme/widgets/installation: HTTP 502 (injected 502); retrying in 0.01 s",
        "GET /repos/acme/widgets/installation: HTTP 503 (injected 503); retrying in 0.02 s",
    ]


def test_server_errors_give_up_after_three_attempts(github: GitHubAppRoutes, app_credentials: Path) -> None:
    github.fake.answer_next("GET", INSTALLATION_LOOKUP, *[error(500, "injected 500")] * 5)
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded"))
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert result.stdout.strip().endswith(
        "GET /repos/acme/widgets/installation: HTTP 500: injected 500"
    )
    assert len(github.fake.requests) == 3
    assert github.statuses == []


def test_rate_limits_are_waited_for(github: GitHubAppRoutes, app_credentials: Path) -> None:
    github.fake.answer_next(
        "GET",
        INSTALLATION_LOOKUP,
        error(403, "secondary rate limit", **{"Retry-After": "0"}),
        error(429, "rate limit", **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0"}),
    )
    result = run("status", status_environment(github.fake.base_url, app_credentials, "Succeeded"))
    assert "reported argo/secret-scan=success" in result.stdout
    assert len(github.statuses) == 1


def test_a_fine_grained_token_is_used_as_it_is_and_never_revoked(github: GitHubAppRoutes, tmp_path: Path) -> None:
    github.personal_tokens.add("github_pat_example")
    (tmp_path / "token").write_text("github_pat_example\n")
    result = run("status", status_environment(github.fake.base_url, tmp_path, "Failed", GITHUB_APP_ID=""))
    assert "reported argo/secret-scan=failure" in result.stdout
    assert [(r.method, r.path) for r in github.fake.requests] == [("POST", f"/repos/acme/widgets/statuses/{SHA}")]
    assert github.fake.requests[0].headers["authorization"] == "Bearer github_pat_example"
    assert "github_pat_example" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("annotations", "problem"),
    [
        ({}, "repository '' (annotation argo-github-webhooks/repository) is not owner/name"),
        ({**ANNOTATIONS, "argo-github-webhooks/commit": "0" * 40}, f"commit '{'0' * 40}' (annotation argo-github-webhooks/commit) is not a commit SHA"),
        ({**ANNOTATIONS, "argo-github-webhooks/repository": "acme/w; rm -rf /"}, "repository 'acme/w; rm -rf /' (annotation argo-github-webhooks/repository) is not owner/name"),
    ],
)
def test_no_report_without_a_repository_and_a_commit(
    github: GitHubAppRoutes, app_credentials: Path, annotations: dict[str, str], problem: str
) -> None:
    environment = status_environment(github.fake.base_url, app_credentials, "Succeeded", WORKFLOW_ANNOTATIONS=json.dumps(annotations))
    result = run("status", environment)
    assert (result.returncode, result.stdout.strip()) == (0, f"no commit status reported: {problem}")
    assert github.fake.requests == []


def test_unreachable_github_is_reported_not_raised(app_credentials: Path) -> None:
    environment = status_environment("http://127.0.0.1:9/", app_credentials, "Error")
    result = run("status", environment)
    assert result.returncode == 1  # GitHub was not told: the step fails, continueOn keeps the run's result, the sweep completes it
    assert result.stdout.startswith(f"could not report commit status argo/secret-scan=error on acme/widgets@{SHA}: ")
    assert "POST /app/installations" not in result.stdout  # the first request already found nobody listening
    assert "GET /repos/acme/widgets/installation: no answer: cannot reach http://127.0.0.1:9/" in result.stdout
    assert result.stderr.count("retrying in") == 2  # three attempts in all


def test_git_credentials_carry_a_contents_read_token_for_the_github_host_only(
    github: GitHubAppRoutes, app_credentials: Path, tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    target = tmp_path / "gitconfig"
    environment = {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(app_credentials),
        "REPOSITORY": "acme/widgets",
        "GIT_CREDENTIALS_FILE": str(target),
    }
    result = run("git-credentials", environment)
    assert result.returncode == 0, result.stderr
    (minted,) = github.minted
    assert (minted.repositories, minted.permissions) == (["widgets"], {"contents": "read"})
    assert github.revoked == set()  # git still needs it; it expires within the hour
    assert stat.S_IMODE(target.stat().st_mode) == 0o400
    basic = base64.b64encode(f"x-access-token:{minted.token}".encode()).decode()
    assert target.read_text() == (
        f'[http "https://127.0.0.1/"]\n\textraHeader = Authorization: Basic {basic}\n[http]\n\tfollowRedirects = false\n'
    )
    assert result.stdout.strip() == (
        "a contents:read token for acme/widgets is ready for git, sent only to https://127.0.0.1/"
    )
    assert_no_secret(result, github, key)


def test_git_credentials_without_credentials_leave_the_clone_anonymous(github: GitHubAppRoutes, tmp_path: Path) -> None:
    target = tmp_path / "gitconfig"
    environment = {"GITHUB_CREDENTIALS_DIR": str(tmp_path / "absent"), "REPOSITORY": "acme/widgets", "GIT_CREDENTIALS_FILE": str(target)}
    result = run("git-credentials", environment)
    assert (result.returncode, result.stdout.strip()) == (0, "no GitHub credentials mounted: the clone is anonymous (public repositories only)")
    assert not target.exists()


def test_git_credentials_fail_the_clone_when_github_refuses(github: GitHubAppRoutes, app_credentials: Path, tmp_path: Path) -> None:
    github.installations.clear()
    environment = {
        "GITHUB_API_URL": github.fake.base_url,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_CREDENTIALS_DIR": str(app_credentials),
        "REPOSITORY": "acme/widgets",
        "GIT_CREDENTIALS_FILE": str(tmp_path / "gitconfig"),
    }
    result = run("git-credentials", environment)
    assert result.returncode == 1
    assert "is not installed on acme/widgets" in result.stderr
    assert not (tmp_path / "gitconfig").exists()


def test_unknown_command_is_a_usage_error() -> None:
    result = run("deploy", {})
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "error: unknown command 'deploy' (one of: status, check-run, git-credentials, revoke-git-credentials, paths, cancel-superseded, sweep, rerun)"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("api_url", "host"),
    [
        ("https://api.github.com/", "github.com"),
        ("https://ghe.example.com/api/v3/", "ghe.example.com"),
        ("https://api.octo.ghe.com", "octo.ghe.com"),
    ],
)
def test_git_host_of_each_kind_of_github(api_url: str, host: str) -> None:
    assert git_host(api_url) == host


def test_the_stdlib_signature_is_the_one_cryptography_computes(key: rsa.RSAPrivateKey) -> None:
    token = app_jwt(APP_ID, parse_private_key(pem(key)), 1_700_000_000)
    header, claims, signature = token.split(".")
    expected = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert unb64(signature) == expected  # PKCS#1 v1.5 is deterministic: byte for byte the same
    assert json.loads(unb64(claims)) == {"iat": 1_699_999_940, "exp": 1_700_000_540, "iss": APP_ID}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not a key", "not a PEM RSA private key"),
        ("-----BEGIN RSA PRIVATE KEY-----\n%%%\n-----END RSA PRIVATE KEY-----\n", "the PEM body is not base64"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n", "not a two-prime RSAPrivateKey"),
    ],
)
def test_malformed_keys_are_refused(text: str, problem: str) -> None:
    with pytest.raises(KeyProblem, match=problem):
        parse_private_key(text)


def test_small_and_non_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(KeyProblem, match="the key has 1024 bits"):
        parse_private_key(pem(small))
    elliptic = ec.generate_private_key(ec.SECP256R1())
    text = elliptic.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(KeyProblem, match="a PKCS#8 key that is not RSA"):
        parse_private_key(text)
    encrypted = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    with pytest.raises(KeyProblem, match="not a PEM RSA private key"):
        parse_private_key(encrypted)


def test_what_a_status_run_costs_is_what_the_benchmark_reports(github: GitHubAppRoutes, app_credentials: Path) -> None:
    from podkit.costs import run_cost

    for phase in ("Running", "Succeeded"):
        assert run("status", status_environment(github.fake.base_url, app_credentials, phase)).returncode == 0
    expected = run_cost(check_runs=False)
    requests = github.fake.requests
    assert (len(requests), sum(r.method != "GET" for r in requests), len(github.statuses)) == (
        expected.requests,
        expected.writes,
        expected.content_writes,
    )
    assert (expected.burst_runs_per_minute, round(expected.sustained_runs_per_minute, 2)) == (40.0, 4.17)
