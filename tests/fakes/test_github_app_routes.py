"""The fake refuses what GitHub refuses: these are the checks the App flow tests rely on, each shown to bite.

The flow tests (tests/workflows/test_github_app.py) run the real script, which only ever sends good requests; here
each refusal is provoked directly, so a fake that stopped checking would fail a test.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.clock import FakeClock
from tests.fakes.github import API_VERSION, FakeGitHub, FakeResponse
from tests.fakes.github_app import GitHubAppRoutes

APP_ID = "424242"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
LOOKUP = "/repos/acme/widgets/installation"
ACCESS_TOKENS = "/app/installations/77/access_tokens"
STATUSES = f"/repos/acme/widgets/statuses/{SHA}"
OPENER = urllib.request.build_opener()
OPENER.addheaders = []  # no default User-Agent: a test decides every header
GOOD_STATUS = {"state": "success", "target_url": "https://argo.example.com/w", "description": "ok", "context": "argo/x"}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(key: rsa.RSAPrivateKey, clock: FakeClock) -> Iterator[GitHubAppRoutes]:
    with FakeGitHub(clock=clock) as fake:
        fake.add_route("GET", "/thing", lambda request: FakeResponse(200, {"ok": True}))  # the fake's own token
        yield GitHubAppRoutes(fake, APP_ID, key.public_key(), installations={"acme/widgets": 77, "acme/gadgets": 77})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(key: rsa.RSAPrivateKey, claims: dict[str, Any], header: dict[str, str] | None = None) -> str:
    signing_input = (
        f"{b64(json.dumps(header or {'alg': 'RS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    )
    return f"{signing_input}.{b64(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))}"


def good_jwt(key: rsa.RSAPrivateKey, clock: FakeClock) -> str:
    return jwt(key, {"iat": int(clock()) - 60, "exp": int(clock()) + 540, "iss": APP_ID})


def call(
    app: GitHubAppRoutes, method: str, path: str, authorization: str = "", body: Any = None, **headers: str
) -> tuple[int, Any]:
    """(status, decoded body) of one request, with the headers this project's clients send unless overridden."""
    sent = {"User-Agent": "test", "X-GitHub-Api-Version": API_VERSION, "Authorization": authorization, **headers}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(app.fake.url(path), data=data, method=method)
    for name, value in sent.items():
        if value:
            request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read())


def mint(app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock, **body: Any) -> str:
    request = {"repositories": ["widgets"], "permissions": {"statuses": "write"}, **body}
    status, answer = call(app, "POST", ACCESS_TOKENS, f"Bearer {good_jwt(key, clock)}", request)
    assert status == 201, answer
    return str(answer["token"])


def test_requests_without_the_project_headers_are_refused_before_anything_else(app: GitHubAppRoutes) -> None:
    assert call(app, "GET", "/thing", "Bearer fake-token", **{"User-Agent": ""})[0] == 403
    assert call(app, "GET", "/thing", "Bearer fake-token", **{"X-GitHub-Api-Version": "2026-03-10"}) == (
        400,
        {
            "message": f"X-GitHub-Api-Version must be {API_VERSION}",
            "documentation_url": "https://docs.github.com/rest",
            "status": "400",
        },
    )
    assert call(app, "GET", "/thing", "Bearer fake-token") == (200, {"ok": True})


def test_each_route_takes_only_its_own_kind_of_credential(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    token, app_jwt = mint(app, key, clock), good_jwt(key, clock)
    assert call(app, "GET", LOOKUP, f"Bearer {token}")[0] == 401  # not a JWT
    assert call(app, "GET", LOOKUP, "token fake-token")[1]["message"] == "a JWT is required"
    for credential in (app_jwt, "fake-token"):
        status, answer = call(app, "POST", STATUSES, f"Bearer {credential}", GOOD_STATUS)
        assert (status, answer["message"]) == (401, "Bad credentials")
    assert call(app, "GET", "/thing", f"Bearer {app_jwt}")[1]["message"] == "Bad credentials"  # the generic route
    assert call(app, "GET", LOOKUP, f"Bearer {app_jwt}") == (200, {"id": 77, "app_id": 424242})
    assert app.statuses == []


@pytest.mark.parametrize(
    ("claims", "header", "message"),
    [
        ({"iat": -60, "exp": 540, "iss": "1"}, None, "'Issuer' claim ('iss') must be the app ID, got '1'"),
        ({"iat": -700, "exp": -100, "iss": APP_ID}, None, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iat": -60, "exp": 600, "iss": APP_ID}, None, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iat": 30, "exp": 540, "iss": APP_ID}, None, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iss": APP_ID}, None, "'Issued at' ('iat') and 'Expiration time' ('exp') claims are required"),
        (
            {"iat": -60, "exp": 540, "iss": APP_ID},
            {"alg": "RS512", "typ": "JWT"},
            "unexpected JWT header {'alg': 'RS512', 'typ': 'JWT'}",
        ),
    ],
)
def test_jwt_claims_and_header_are_checked(
    app: GitHubAppRoutes,
    key: rsa.RSAPrivateKey,
    clock: FakeClock,
    claims: dict[str, Any],
    header: dict[str, str] | None,
    message: str,
) -> None:
    """Times are relative to the fake's clock: valid from `iat` to `exp`, for 10 minutes at most."""
    absolute = {name: int(clock()) + value if name in ("iat", "exp") else value for name, value in claims.items()}
    status, answer = call(app, "GET", LOOKUP, f"Bearer {jwt(key, absolute, header)}")
    assert (status, answer["message"]) == (401, message)
    assert app.jwt_claims == []


def test_a_jwt_signed_by_another_key_or_tampered_with_is_refused(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = good_jwt(other, clock)
    header, _, signature = good_jwt(key, clock).split(".")
    tampered = f"{header}.{b64(json.dumps({'iat': 0, 'exp': 10**10, 'iss': APP_ID}).encode())}.{signature}"
    for token in (forged, tampered):
        assert call(app, "GET", LOOKUP, f"Bearer {token}")[1]["message"] == "JWT signature does not verify"
    assert call(app, "GET", LOOKUP, "Bearer a.b")[1]["message"] == "A JSON web token could not be decoded"


def test_tokens_are_minted_only_within_the_installation(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    bearer = f"Bearer {good_jwt(key, clock)}"
    scope = {"repositories": ["widgets"], "permissions": {"statuses": "write"}}
    assert call(app, "POST", "/app/installations/78/access_tokens", bearer, scope)[0] == 404
    assert call(app, "POST", ACCESS_TOKENS, bearer, {**scope, "repositories": ["other"]})[0] == 422
    assert call(app, "POST", ACCESS_TOKENS, bearer, {"permissions": {"statuses": "write"}})[0] == 422
    assert app.minted == []
    status, answer = call(app, "POST", ACCESS_TOKENS, bearer, scope)
    assert (status, answer["expires_at"], answer["permissions"]) == (201, "2026-11-18T12:06:40Z", {"statuses": "write"})
    assert [(minted.installation, minted.repositories) for minted in app.minted] == [(77, ["widgets"])]


def test_a_status_needs_a_token_for_that_repository_with_statuses_write(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    other_repository = mint(app, key, clock, repositories=["gadgets"])
    read_only = mint(app, key, clock, permissions={"contents": "read"})
    for token in (other_repository, read_only):
        assert call(app, "POST", STATUSES, f"Bearer {token}", GOOD_STATUS) == (
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest",
                "status": "403",
            },
        )
    assert app.statuses == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD_STATUS, "state": "done"}, "Validation Failed"),
        ({**GOOD_STATUS, "extra": "x"}, "Validation Failed"),
        ({key: value for key, value in GOOD_STATUS.items() if key != "context"}, "Validation Failed"),
        ({**GOOD_STATUS, "description": "d" * 141}, "description is too long (maximum is 140 characters)"),
    ],
)
def test_the_status_body_is_validated(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock, body: dict[str, str], message: str
) -> None:
    status, answer = call(app, "POST", STATUSES, f"Bearer {mint(app, key, clock)}", body)
    assert (status, answer["message"]) == (422, message)
    assert app.statuses == []


def test_140_characters_are_accepted_and_a_revoked_token_is_refused(
    app: GitHubAppRoutes, key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    bearer = f"Bearer {mint(app, key, clock)}"
    body = {**GOOD_STATUS, "description": "d" * 140}
    assert call(app, "POST", STATUSES, bearer, body) == (201, {"id": 1, **body})
    assert call(app, "DELETE", "/installation/token", bearer) == (204, None)
    assert call(app, "POST", STATUSES, bearer, body)[1]["message"] == "Bad credentials"
    assert call(app, "DELETE", "/installation/token", bearer)[0] == 401
    assert app.statuses == [("acme/widgets", SHA, body)]
