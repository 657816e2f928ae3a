"""A fake of the slice of GitHub's REST API the workflow scripts use, on 127.0.0.1 at a free port.

It checks what the real API would refuse (the App JWT's RS256 signature and claims, the scope asked for each token,
the token used for each call, the commit status body) and records every request so tests can assert on them.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

STATUS_STATES = {"pending", "success", "failure", "error"}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Minted:
    token: str
    installation: int
    repositories: list[str]
    permissions: dict[str, str]


@dataclass
class FakeGitHub:
    app_id: str
    public_key: rsa.RSAPublicKey
    installations: dict[str, int] = field(default_factory=dict)  # "owner/repo" -> installation id
    personal_tokens: set[str] = field(default_factory=set)  # fine-grained tokens accepted as they are
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers to give before any other
    requests: list[Recorded] = field(default_factory=list)
    minted: list[Minted] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    statuses: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (repository, sha, body)
    jwt_claims: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    # --- checks a real GitHub makes ---

    def check_jwt(self, authorization: str) -> str | None:
        """None when the header carries a valid App JWT; else why not (GitHub answers 401)."""
        if not authorization.startswith("Bearer "):
            return "a JWT is required"
        try:
            header_b64, claims_b64, signature_b64 = authorization.removeprefix("Bearer ").split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(signature_b64)
        except ValueError:
            return "A JSON web token could not be decoded"
        if header != {"alg": "RS256", "typ": "JWT"}:
            return f"unexpected JWT header {header}"
        try:
            self.public_key.verify(
                signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "JWT signature does not verify"
        now = time.time()
        if claims.get("iss") != self.app_id:
            return f"'Issuer' claim ('iss') must be the app ID, got {claims.get('iss')!r}"
        if not (claims["iat"] <= now and claims["exp"] > now and claims["exp"] - claims["iat"] <= 600):
            return "'Expiration time' claim ('exp') is too far in the future"
        self.jwt_claims.append(claims)
        return None

    def token_scope(self, authorization: str) -> Minted | None:
        token = authorization.removeprefix("Bearer ").removeprefix("token ")
        if token in self.revoked:
            return None
        if token in self.personal_tokens:
            return Minted(token, 0, ["*"], {"statuses": "write", "contents": "read"})
        return next((minted for minted in self.minted if minted.token == token), None)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        fake.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
        if fake.fail_next:
            status, headers = fake.fail_next.pop(0)
            self._answer(status, {"message": f"injected {status}"}, headers)
            return
        if self.headers.get("X-GitHub-Api-Version") != "2022-11-28" or not self.headers.get("User-Agent"):
            self._answer(400, {"message": "missing API version or User-Agent"})
            return
        authorization = self.headers.get("Authorization", "")
        parts = self.path.strip("/").split("/")
        if self.command == "GET" and len(parts) == 4 and parts[0] == "repos" and parts[3] == "installation":
            problem = fake.check_jwt(authorization)
            if problem:
                self._answer(401, {"message": problem})
            elif f"{parts[1]}/{parts[2]}" in fake.installations:
                self._answer(200, {"id": fake.installations[f"{parts[1]}/{parts[2]}"], "app_id": int(fake.app_id)})
            else:
                self._answer(404, {"message": "Not Found"})
        elif self.command == "POST" and parts[:2] == ["app", "installations"] and parts[3:] == ["access_tokens"]:
            problem = fake.check_jwt(authorization)
            if problem:
                self._answer(401, {"message": problem})
                return
            minted = Minted(
                "ghs_" + secrets.token_hex(18), int(parts[2]), list(body["repositories"]), dict(body["permissions"])
            )
            fake.minted.append(minted)
            self._answer(201, {"token": minted.token, "expires_at": "2099-01-01T00:00:00Z"})
        elif self.command == "POST" and len(parts) == 5 and parts[0] == "repos" and parts[3] == "statuses":
            scope = fake.token_scope(authorization)
            repository = f"{parts[1]}/{parts[2]}"
            if scope is None:
                self._answer(401, {"message": "Bad credentials"})
            elif scope.permissions.get("statuses") != "write" or (
                scope.repositories != ["*"] and scope.repositories != [parts[2]]
            ):
                self._answer(403, {"message": "Resource not accessible by integration"})
            elif set(body) != {"state", "target_url", "description", "context"} or body["state"] not in STATUS_STATES:
                self._answer(422, {"message": "Validation Failed"})
            elif len(body["description"]) > 140:
                self._answer(422, {"message": "description is too long (maximum is 140 characters)"})
            else:
                fake.statuses.append((repository, parts[4], body))
                self._answer(201, {"id": len(fake.statuses), **body})
        elif self.command == "DELETE" and self.path == "/installation/token":
            scope = fake.token_scope(authorization)
            if scope is None:
                self._answer(401, {"message": "Bad credentials"})
            else:
                fake.revoked.add(scope.token)
                self._answer(204)
        else:
            self._answer(404, {"message": "Not Found"})

    do_GET = do_POST = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    fake: FakeGitHub


class RunningFake:
    """Starts the fake on 127.0.0.1 (a free port) for the duration of a `with` block."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = fake
        fake.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
