"""A GitHub App's endpoints as routes on `FakeGitHub`: installation lookup, access tokens, commit statuses, revocation.

They check what the real API would refuse: the App JWT (RS256 signature with the App's public key, `iss`, `iat`,
`exp` at most 10 minutes) on `/app/*` and the installation lookup; an installation token (or a fine-grained token)
elsewhere, within the repositories and permissions it was minted for; the commit status body. What they accepted is
kept (`minted`, `statuses`, `revoked`, `jwt_claims`) for exact assertions; the requests are in `fake.requests`.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.github import FakeGitHub, FakeRequest, FakeResponse, Refused, error, iso

STATUS_STATES = {"pending", "success", "failure", "error"}
STATUS_FIELDS = {"state", "description", "context"}  # and `target_url`, optional
MAX_DESCRIPTION = 140  # GitHub's limit for a commit status description
MAX_JWT_LIFETIME = 600  # GitHub refuses a JWT valid for longer than 10 minutes
TOKEN_LIFETIME = 3600  # installation tokens expire after an hour
ANY_REPOSITORY = "*"


@dataclass
class Minted:
    token: str
    installation: int  # 0 for a fine-grained token
    repositories: list[str]  # repository names (without the owner), or [ANY_REPOSITORY]
    permissions: dict[str, str]


def unb64(text: str) -> bytes:
    """base64url without padding, as in a JWT."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class GitHubAppRoutes:
    """One GitHub App (`app_id`, its public key) installed on the repositories of `installations`."""

    def __init__(
        self,
        fake: FakeGitHub,
        app_id: str,
        public_key: rsa.RSAPublicKey,
        installations: dict[str, int] | None = None,  # "owner/repo" -> installation id
    ) -> None:
        self.fake = fake
        self.app_id = app_id
        self.public_key = public_key
        self.installations: dict[str, int] = dict(installations or {})
        self.personal_tokens: set[str] = set()  # fine-grained tokens, accepted as they are
        self.minted: list[Minted] = []
        self.revoked: set[str] = set()
        self.statuses: list[tuple[str, str, dict[str, Any]]] = []  # (owner/repo, sha, body)
        self.jwt_claims: list[dict[str, Any]] = []  # of every JWT accepted
        fake.add_route("GET", "/repos/{owner}/{repo}/installation", self._installation, self.check_jwt)
        fake.add_route("POST", "/app/installations/{installation_id}/access_tokens", self._access_token, self.check_jwt)
        fake.add_route("POST", "/repos/{owner}/{repo}/statuses/{sha}", self._create_status, self.check_token)
        fake.add_route("DELETE", "/installation/token", self._revoke, self.check_token)

    # -- authenticators ------------------------------------------------------------------------------------------

    def check_jwt(self, request: FakeRequest) -> dict[str, Any]:
        """The claims of a valid App JWT in `Authorization: Bearer`; else `Refused` with the reason."""
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            raise Refused("a JWT is required")
        try:
            header_b64, claims_b64, signature_b64 = authorization.removeprefix("Bearer ").split(".")
            header = json.loads(unb64(header_b64))
            claims = json.loads(unb64(claims_b64))
            signature = unb64(signature_b64)
        except ValueError:
            raise Refused("A JSON web token could not be decoded") from None
        if header != {"alg": "RS256", "typ": "JWT"}:
            raise Refused(f"unexpected JWT header {header}")
        try:
            self.public_key.verify(
                signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise Refused("JWT signature does not verify") from None
        if not isinstance(claims, dict) or claims.get("iss") != self.app_id:
            issuer = claims.get("iss") if isinstance(claims, dict) else None
            raise Refused(f"'Issuer' claim ('iss') must be the app ID, got {issuer!r}")
        issued, expires, now = claims.get("iat"), claims.get("exp"), self.fake.clock()
        if not (isinstance(issued, int) and isinstance(expires, int)):
            raise Refused("'Issued at' ('iat') and 'Expiration time' ('exp') claims are required")
        if not (issued <= now < expires and expires - issued <= MAX_JWT_LIFETIME):
            raise Refused("'Expiration time' claim ('exp') is too far in the future")
        self.jwt_claims.append(claims)
        return claims

    def check_token(self, request: FakeRequest) -> Minted:
        """The scope of an unrevoked installation token or a fine-grained token; else `Refused`."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ").removeprefix("token ")
        if token in self.revoked:
            raise Refused("Bad credentials")
        if token in self.personal_tokens:
            return Minted(token, 0, [ANY_REPOSITORY], {"statuses": "write", "contents": "read"})
        scope = next((minted for minted in self.minted if minted.token == token), None)
        if scope is None:
            raise Refused("Bad credentials")
        return scope

    # -- endpoints -----------------------------------------------------------------------------------------------

    def _installation(self, request: FakeRequest) -> FakeResponse:
        repository = f"{request.params['owner']}/{request.params['repo']}"
        if repository not in self.installations:
            return error(404, "Not Found")
        return FakeResponse(200, {"id": self.installations[repository], "app_id": int(self.app_id)})

    def _access_token(self, request: FakeRequest) -> FakeResponse:
        installation = int(request.params["installation_id"]) if request.params["installation_id"].isdigit() else -1
        installed = [name.split("/")[1] for name, number in self.installations.items() if number == installation]
        if not installed:
            return error(404, "Not Found")
        body = request.body if isinstance(request.body, dict) else {}
        repositories, permissions = body.get("repositories"), body.get("permissions")
        if not (isinstance(repositories, list) and isinstance(permissions, dict)):
            return error(422, "Validation Failed")
        if not set(repositories) <= set(installed):
            return error(
                422,
                "There is at least one repository that does not exist or is not accessible to the parent installation.",
            )
        minted = Minted("ghs_" + secrets.token_hex(18), installation, list(repositories), dict(permissions))
        self.minted.append(minted)
        expires_at = iso(self.fake.clock() + TOKEN_LIFETIME)
        return FakeResponse(201, {"token": minted.token, "expires_at": expires_at, "permissions": minted.permissions})

    def _create_status(self, request: FakeRequest) -> FakeResponse:
        scope: Minted = request.credential
        owner, name = request.params["owner"], request.params["repo"]
        in_scope = scope.repositories == [ANY_REPOSITORY] or (
            scope.repositories == [name] and self.installations.get(f"{owner}/{name}") == scope.installation
        )
        if scope.permissions.get("statuses") != "write" or not in_scope:
            return error(403, "Resource not accessible by integration")
        body = request.body
        if not isinstance(body, dict) or set(body) - {"target_url"} != STATUS_FIELDS or body["state"] not in STATUS_STATES:
            return error(422, "Validation Failed")
        if len(body["description"]) > MAX_DESCRIPTION:
            return error(422, f"description is too long (maximum is {MAX_DESCRIPTION} characters)")
        self.statuses.append((f"{owner}/{name}", request.params["sha"], body))
        return FakeResponse(201, {"id": len(self.statuses), **body})

    def _revoke(self, request: FakeRequest) -> FakeResponse:
        self.revoked.add(request.credential.token)
        return FakeResponse(204)
