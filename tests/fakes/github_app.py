"""A GitHub App's endpoints as routes on `FakeGitHub`: installation lookup, access tokens, commit statuses, check runs
(create, update with annotations appended, list for a commit), revocation.

They check what the real API would refuse: the App JWT (RS256 signature with the App's public key, `iss`, `iat`,
`exp` at most 10 minutes) on `/app/*` and the installation lookup; an installation token (or a fine-grained token)
elsewhere, within the repositories and permissions it was minted for; the commit status body. What they accepted is
kept (`minted`, `statuses`, `check_runs`, `revoked`, `jwt_claims`) for exact assertions; the requests are in
`fake.requests`. Check runs are checked as GitHub documents them ("Create a check run", "Update a check run"): a
`checks: write` token for the repository, `conclusion` exactly when `completed`, its values, at most 50 annotations
per request, `summary`/`text` at most 65,535 characters, annotation fields and levels.
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
CHECK_STATUSES = {"queued", "in_progress", "completed"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
ANNOTATION_LEVELS = {"notice", "warning", "failure"}
MAX_OUTPUT = 65_535
MAX_ANNOTATIONS_PER_REQUEST = 50
ANY_REPOSITORY = "*"


@dataclass
class Minted:
    token: str
    installation: int  # 0 for a fine-grained token
    repositories: list[str]  # repository names (without the owner), or [ANY_REPOSITORY]
    permissions: dict[str, str]


MAX_LISTED_FILES = 3000  # "Responses include a maximum of 3000 files" (REST: list pull request files)


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
        self.check_runs: list[dict[str, Any]] = []  # as GitHub keeps them: owner/repo, id, fields, annotations
        self.pull_request_files: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (owner/repo, number) -> files
        fake.add_route("GET", "/repos/{owner}/{repo}/installation", self._installation, self.check_jwt)
        fake.add_route("POST", "/app/installations/{installation_id}/access_tokens", self._access_token, self.check_jwt)
        fake.add_route("POST", "/repos/{owner}/{repo}/statuses/{sha}", self._create_status, self.check_token)
        fake.add_route("DELETE", "/installation/token", self._revoke, self.check_token)
        fake.add_route("POST", "/repos/{owner}/{repo}/check-runs", self._create_check_run, self.check_token)
        fake.add_route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", self._update_check_run, self.check_token)
        fake.add_route("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", self._list_check_runs, self.check_token)
        fake.add_route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", self._list_files, self.check_token)

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

    def _in_scope(self, request: FakeRequest, permission: str, access: tuple[str, ...]) -> bool:
        scope: Minted = request.credential
        owner, name = request.params["owner"], request.params["repo"]
        in_scope = scope.repositories == [ANY_REPOSITORY] or (
            scope.repositories == [name] and self.installations.get(f"{owner}/{name}") == scope.installation
        )
        return in_scope and scope.permissions.get(permission) in access

    def _create_status(self, request: FakeRequest) -> FakeResponse:
        owner, name = request.params["owner"], request.params["repo"]
        if not self._in_scope(request, "statuses", ("write",)):
            return error(403, "Resource not accessible by integration")
        body = request.body
        if not isinstance(body, dict) or set(body) - {"target_url"} != STATUS_FIELDS or body["state"] not in STATUS_STATES:
            return error(422, "Validation Failed")
        if len(body["description"]) > MAX_DESCRIPTION:
            return error(422, f"description is too long (maximum is {MAX_DESCRIPTION} characters)")
        self.statuses.append((f"{owner}/{name}", request.params["sha"], body))
        return FakeResponse(201, {"id": len(self.statuses), **body})

    def _list_files(self, request: FakeRequest) -> FakeResponse:
        """A pull request's files, 30 a page by default, 100 at most; GitHub lists the first 3,000 files only."""
        owner, name = request.params["owner"], request.params["repo"]
        if not self._in_scope(request, "pull_requests", ("read", "write")):
            return error(403, "Resource not accessible by integration")
        number = int(request.params["pull_number"]) if request.params["pull_number"].isdigit() else -1
        files = self.pull_request_files.get((f"{owner}/{name}", number))
        if files is None:
            return error(404, "Not Found")
        return self.fake.paginate_pages(request, files[:MAX_LISTED_FILES])

    def _revoke(self, request: FakeRequest) -> FakeResponse:
        self.revoked.add(request.credential.token)
        return FakeResponse(204)

    # -- check runs ------------------------------------------------------------------------------------------

    @staticmethod
    def _check_run_problem(body: Any, creating: bool) -> str | None:
        """What GitHub would answer 422 for, or None."""
        if not isinstance(body, dict):
            return "Invalid request: a JSON object is required"
        allowed = {"name", "head_sha", "details_url", "external_id", "status", "started_at", "conclusion",
                   "completed_at", "output", "actions"}
        if unknown := set(body) - allowed:
            return f"Invalid request: unknown fields {sorted(unknown)}"
        if creating and not (isinstance(body.get("name"), str) and body["name"]):
            return "Invalid request: name is required"
        if creating and not (isinstance(body.get("head_sha"), str) and len(body["head_sha"]) == 40):
            return "Invalid request: head_sha is required"
        status = body.get("status", "queued" if creating else None)
        if status is not None and status not in CHECK_STATUSES:
            return f"Invalid request: status {status!r}"
        if "conclusion" in body and body["conclusion"] not in CONCLUSIONS:
            return f"Invalid request: conclusion {body['conclusion']!r}"
        if status == "completed" and "conclusion" not in body:
            return "Invalid request: conclusion is required when status is completed"
        if "conclusion" in body and status not in (None, "completed"):
            return "Invalid request: a conclusion completes the check run"
        output = body.get("output")
        if output is not None:
            if not isinstance(output, dict) or not output.get("title") or not output.get("summary"):
                return "Invalid request: output needs title and summary"
            for key in ("summary", "text"):
                if len(output.get(key) or "") > MAX_OUTPUT:
                    return f"Invalid request: output.{key} is longer than {MAX_OUTPUT} characters"
            annotations = output.get("annotations") or []
            if len(annotations) > MAX_ANNOTATIONS_PER_REQUEST:
                return f"Invalid request: at most {MAX_ANNOTATIONS_PER_REQUEST} annotations per request"
            for annotation in annotations:
                required = {"path", "start_line", "end_line", "annotation_level", "message"}
                if not isinstance(annotation, dict) or not required <= set(annotation):
                    return "Invalid request: an annotation needs path, start_line, end_line, annotation_level, message"
                if annotation["annotation_level"] not in ANNOTATION_LEVELS:
                    return f"Invalid request: annotation_level {annotation['annotation_level']!r}"
                if annotation["end_line"] < annotation["start_line"]:
                    return "Invalid request: end_line before start_line"
                if "start_column" in annotation and annotation["start_line"] != annotation["end_line"]:
                    return "Invalid request: columns only on a single line"
        return None

    def _store(self, check_run: dict[str, Any], body: dict[str, Any]) -> None:
        output = body.get("output")
        check_run.update({key: value for key, value in body.items() if key != "output"})
        if output is not None:
            check_run["output"] = {key: value for key, value in output.items() if key != "annotations"}
            if output.get("annotations"):  # each request's annotations are added to the check run's
                check_run["annotations"] += list(output["annotations"])
                check_run["annotation_requests"].append(len(output["annotations"]))

    def _create_check_run(self, request: FakeRequest) -> FakeResponse:
        if not self._in_scope(request, "checks", ("write",)):
            return error(403, "Resource not accessible by integration")
        if problem := self._check_run_problem(request.body, creating=True):
            return error(422, problem)
        check_run: dict[str, Any] = {
            "repository": f"{request.params['owner']}/{request.params['repo']}",
            "id": 5_000_000 + len(self.check_runs),
            "app": {"id": int(self.app_id)},
            "status": "queued",
            "annotations": [],
            "annotation_requests": [],
        }
        self._store(check_run, request.body)
        self.check_runs.append(check_run)
        return FakeResponse(201, self._public(check_run))

    def _update_check_run(self, request: FakeRequest) -> FakeResponse:
        if not self._in_scope(request, "checks", ("write",)):
            return error(403, "Resource not accessible by integration")
        repository = f"{request.params['owner']}/{request.params['repo']}"
        found = [
            run for run in self.check_runs
            if str(run["id"]) == request.params["check_run_id"] and run["repository"] == repository
        ]
        if not found:
            return error(404, "Not Found")
        if problem := self._check_run_problem(request.body, creating=False):
            return error(422, problem)
        self._store(found[0], request.body)
        return FakeResponse(200, self._public(found[0]))

    def _list_check_runs(self, request: FakeRequest) -> FakeResponse:
        if not self._in_scope(request, "checks", ("read", "write")):
            return error(403, "Resource not accessible by integration")
        repository = f"{request.params['owner']}/{request.params['repo']}"
        runs = [
            self._public(run) for run in self.check_runs
            if run["repository"] == repository and run.get("head_sha") == request.params["ref"]
            and run.get("name") == request.query.get("check_name", run.get("name"))
        ]
        page = self.fake.paginate_pages(request, list(reversed(runs)))
        return FakeResponse(200, {"total_count": len(runs), "check_runs": page.body}, page.headers)

    @staticmethod
    def _public(check_run: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in check_run.items() if key not in ("annotations", "annotation_requests")}
