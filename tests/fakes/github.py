"""A local fake of GitHub's REST API: a real HTTP server on 127.0.0.1 that answers like api.github.com.

What every endpoint gets from `FakeGitHub` (the generic part):
- the headers every client of this project sends: a `User-Agent` (else 403, as GitHub) and the pinned
  `X-GitHub-Api-Version` (else 400; stricter than GitHub, which falls back to its default version: the project pins
  the version, so a request without it is a bug);
- authentication: by default `Authorization: Bearer <token>` or `token <token>`, else 401 `Bad credentials` /
  `Requires authentication`, with GitHub's error body; a route may bring its own authenticator instead (GitHub Apps
  use a JWT for `/app/*` and installation tokens elsewhere: different credentials for different endpoints);
- primary rate limit: `X-RateLimit-Limit/-Remaining/-Used/-Reset/-Resource` on every answer; once `remaining`
  reaches 0, 403 `API rate limit exceeded` until the reset time (read from the injectable clock);
- scripted answers: `answer_next(method, path, FakeResponse(...), ...)` queues one-shot answers (a 429 with
  `Retry-After`, a 502, a 403 secondary limit, …) that are served before the route's own handler;
- pagination helpers producing GitHub's `Link` header: page numbers (`paginate_pages`) and cursors
  (`paginate_cursor`);
- a record of every request (method, path, query, headers, JSON body) for exact assertions.

Add an endpoint with `fake.add_route("GET", "/repos/{owner}/{repo}/commits/{ref}/status", handler)`, where the
handler takes a `FakeRequest` (path parameters in `request.params`, what the authenticator accepted in
`request.credential`) and returns a `FakeResponse`. `OrganizationWebhooks` is one such set of routes: organization
hooks and their deliveries; `tests/fakes/github_app.py` is another: a GitHub App's JWT, installations and tokens.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DOCS = "https://docs.github.com/rest"
API_VERSION = "2022-11-28"  # what every client of this project pins


@dataclass
class FakeRequest:
    method: str
    path: str  # without the query string, e.g. /orgs/acme/hooks
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # decoded JSON, or None
    params: dict[str, str] = field(default_factory=dict)  # the route template's {placeholders}
    credential: Any = None  # what the route's authenticator accepted: the token, a JWT's claims, ...


@dataclass
class FakeResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[FakeRequest], FakeResponse]


class Refused(Exception):
    """Raised by an authenticator: GitHub answers 401 with this message."""


# Checks the request's credentials: returns what it accepted (kept in `request.credential`) or raises `Refused`.
Authenticator = Callable[[FakeRequest], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticate: Authenticator | None  # None: the fake's own token


def error(status: int, message: str, **headers: str) -> FakeResponse:
    """GitHub's error body: `message`, `documentation_url`, `status` (a string)."""
    return FakeResponse(status, {"message": message, "documentation_url": DOCS, "status": str(status)}, headers)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts))
    return re.compile(f"^{regex}$")


@dataclass
class RateLimit:
    limit: int = 5000
    remaining: int = 5000
    reset: float = 0.0  # epoch seconds; 0 = one hour after the first request


class FakeGitHub:
    """The server and its generic behaviour; endpoints are routes added by the test or a route set."""

    def __init__(
        self, token: str = "fake-token", clock: Callable[[], float] = time.time, api_version: str = API_VERSION
    ) -> None:
        self.token = token
        self.clock = clock
        self.api_version = api_version
        self.rate_limit = RateLimit()
        self.requests: list[FakeRequest] = []
        self._routes: list[Route] = []
        self._scripted: list[tuple[str, re.Pattern[str], FakeResponse]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def url(self, path: str, **query: Any) -> str:
        return self.base_url + path.lstrip("/") + (f"?{urllib.parse.urlencode(query)}" if query else "")

    # -- configuration -----------------------------------------------------------------------------------------

    def add_route(
        self, method: str, template: str, handler: Handler, authenticate: Authenticator | None = None
    ) -> None:
        """`authenticate` replaces the check of the fake's own token for this route."""
        self._routes.append(Route(method, _template_pattern(template), handler, authenticate))

    def route(
        self, method: str, template: str, authenticate: Authenticator | None = None
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add_route(method, template, handler, authenticate)
            return handler

        return register

    def answer_next(self, method: str, template: str, *responses: FakeResponse) -> None:
        """Serve these answers, in order, to the next requests matching `method template`, before the route."""
        pattern = _template_pattern(template)
        self._scripted.extend((method, pattern, response) for response in responses)

    # -- what was asked ----------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[str]:
        """`METHOD /path?query` of every request received, in order."""
        return [
            f"{request.method} {request.path}" + (f"?{urllib.parse.urlencode(request.query)}" if request.query else "")
            for request in self.requests
            if method is None or request.method == method
        ]

    @property
    def writes(self) -> int:
        return sum(request.method != "GET" for request in self.requests)

    # -- pagination helpers ------------------------------------------------------------------------------------

    def paginate_pages(self, request: FakeRequest, items: Sequence[Any], default_per_page: int = 30) -> FakeResponse:
        """A page-numbered list (`?page=2&per_page=30`) with `Link` rel next/last/first/prev, as GitHub sends it."""
        per_page = min(int(request.query.get("per_page", default_per_page)), 100)
        page = int(request.query.get("page", 1))
        pages = max(1, -(-len(items) // per_page))
        links = {}
        if page < pages:
            links["next"], links["last"] = page + 1, pages
        if page > 1:
            links["prev"], links["first"] = page - 1, 1
        headers = {"Link": self._link({rel: {**request.query, "page": str(n)} for rel, n in links.items()}, request)}
        return FakeResponse(200, list(items[(page - 1) * per_page : page * per_page]), headers if links else {})

    def paginate_cursor(
        self, request: FakeRequest, items: Sequence[dict[str, Any]], key: str = "id", default_per_page: int = 30
    ) -> FakeResponse:
        """A cursor list (`?cursor=v1_<id>`): the cursor names the first item of the page; `Link` next and prev."""
        per_page = min(int(request.query.get("per_page", default_per_page)), 100)
        start = 0
        if cursor := request.query.get("cursor"):
            positions = [index for index, item in enumerate(items) if f"v1_{item[key]}" == cursor]
            if not positions:
                return error(422, "Invalid cursor")
            start = positions[0]
        page = list(items[start : start + per_page])
        links = {}
        if start + per_page < len(items):
            links["next"] = {**request.query, "cursor": f"v1_{items[start + per_page][key]}"}
        if start > 0:
            links["prev"] = {**request.query, "cursor": f"v1_{items[max(0, start - per_page)][key]}"}
        return FakeResponse(200, page, {"Link": self._link(links, request)} if links else {})

    def _link(self, links: dict[str, dict[str, str]], request: FakeRequest) -> str:
        return ", ".join(f'<{self.url(request.path, **query)}>; rel="{rel}"' for rel, query in links.items())

    # -- serving -----------------------------------------------------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        with self._lock:
            self.requests.append(request)
            now = self.clock()
            if not self.rate_limit.reset or now >= self.rate_limit.reset:
                self.rate_limit.remaining = self.rate_limit.limit
                self.rate_limit.reset = float(int(now) + 3600)
            response = self._answer(request)
            if response.status != 401:  # every authenticated request counts, refused ones too
                self.rate_limit.remaining = max(0, self.rate_limit.remaining - 1)
            limit = self.rate_limit
            response.headers = {
                "X-RateLimit-Limit": str(limit.limit),
                "X-RateLimit-Remaining": str(limit.remaining),
                "X-RateLimit-Used": str(limit.limit - limit.remaining),
                "X-RateLimit-Reset": str(int(limit.reset)),
                "X-RateLimit-Resource": "core",
                **response.headers,
            }
            return response

    def check_token(self, request: FakeRequest) -> str:
        """The default authenticator: the fake's own token, as `Bearer` or `token`."""
        authorization = request.headers.get("authorization", "")
        if not authorization:
            raise Refused("Requires authentication")
        if authorization not in (f"Bearer {self.token}", f"token {self.token}"):
            raise Refused("Bad credentials")
        return self.token

    def _answer(self, request: FakeRequest) -> FakeResponse:
        if not request.headers.get("user-agent"):
            return error(
                403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent"
            )
        if request.headers.get("x-github-api-version") != self.api_version:
            return error(400, f"X-GitHub-Api-Version must be {self.api_version}")
        route, match = self._route(request)
        try:
            request.credential = (route.authenticate if route and route.authenticate else self.check_token)(request)
        except Refused as refusal:
            return error(401, str(refusal))
        if self.rate_limit.remaining <= 0:
            return error(403, "API rate limit exceeded for user ID 1.", **{"X-RateLimit-Remaining": "0"})
        for index, (method, pattern, response) in enumerate(self._scripted):
            if method == request.method and pattern.match(request.path):
                del self._scripted[index]
                return FakeResponse(response.status, response.body, dict(response.headers))
        if route is None or match is None:
            return error(404, "Not Found")
        request.params = match.groupdict()
        return route.handler(request)

    def _route(self, request: FakeRequest) -> tuple[Route | None, re.Match[str] | None]:
        for route in self._routes:
            if route.method == request.method and (match := route.pattern.match(request.path)):
                return route, match
        return None, None


def _handler_class(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            split = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = FakeRequest(
                method=self.command,
                path=split.path,
                query=dict(urllib.parse.parse_qsl(split.query)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=json.loads(raw) if raw else None,
            )
            response = fake.handle(request)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests assert on `fake.requests`
            pass

    return Handler


# -- organization webhooks and their deliveries -------------------------------------------------------------------


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery_status(status_code: int) -> str:
    """The `status` text GitHub shows next to a delivery's code."""
    if 200 <= status_code < 300:
        return "OK"
    return "timed out" if status_code == 0 else f"Invalid HTTP Response: {status_code}"


class OrganizationWebhooks:
    """`/orgs/{org}/hooks` (page pagination), its deliveries (cursor pagination, newest first), one delivery's
    detail, and redelivery (`POST …/attempts`: 202, and a new attempt with the same GUID and `redelivery: true`,
    answered with `redelivery_status(original)`)."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.hooks: dict[str, list[dict[str, Any]]] = {}  # organization (lower-case) -> hooks
        self.deliveries: dict[int, list[dict[str, Any]]] = {}  # hook id -> attempts, newest first
        self.redelivery_status: Callable[[dict[str, Any]], int] = lambda original: 200
        self._hook_ids: Iterator[int] = itertools.count(1000)
        self._delivery_ids: Iterator[int] = itertools.count(90_000_000)
        fake.add_route("GET", "/orgs/{org}/hooks", self._list_hooks)
        fake.add_route("GET", "/orgs/{org}/hooks/{hook_id}/deliveries", self._list_deliveries)
        fake.add_route("GET", "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}", self._get_delivery)
        fake.add_route("POST", "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts", self._redeliver)

    def add_organization(self, login: str) -> None:
        self.hooks.setdefault(login.lower(), [])

    def add_hook(self, organization: str, url: str, events: Sequence[str] = ("push",)) -> int:
        hook_id = next(self._hook_ids)
        self.add_organization(organization)
        self.hooks[organization.lower()].append(
            {
                "id": hook_id,
                "url": self.fake.url(f"/orgs/{organization}/hooks/{hook_id}"),
                "ping_url": self.fake.url(f"/orgs/{organization}/hooks/{hook_id}/pings"),
                "deliveries_url": self.fake.url(f"/orgs/{organization}/hooks/{hook_id}/deliveries"),
                "name": "web",
                "events": list(events),
                "active": True,
                "config": {"url": url, "content_type": "json", "insecure_ssl": "0", "secret": "********"},
                "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z",
                "type": "Organization",
            }
        )
        self.deliveries[hook_id] = []
        return hook_id

    def add_delivery(
        self,
        hook_id: int,
        guid: str,
        status_code: int,
        at: float,
        event: str = "push",
        action: str | None = None,
        repository: tuple[int, str] | None = (1296269, "example-org/hello-world"),
        redelivery: bool = False,
        response: str = "",
    ) -> dict[str, Any]:
        """One attempt; `repository` is (id, full_name) or None for events without one; `response` the body the
        hook's endpoint answered."""
        attempt = {
            "id": next(self._delivery_ids),
            "guid": guid,
            "delivered_at": iso(at),
            "redelivery": redelivery,
            "duration": 0.27,
            "status": delivery_status(status_code),
            "status_code": status_code,
            "event": event,
            "action": action,
            "installation_id": None,
            "repository_id": repository[0] if repository else None,
            "throttled_at": None,
            "_repository": repository,  # the payload's repository; not part of the list item
            "_response": response,
        }
        attempts = self.deliveries[hook_id]
        attempts.append(attempt)
        attempts.sort(key=lambda item: (item["delivered_at"], item["id"]), reverse=True)  # newest first, as GitHub
        return attempt

    def redeliveries(self) -> list[tuple[int, str]]:
        """(hook id, GUID) of every attempt created by `POST …/attempts`, oldest first."""
        made = [(hook, item) for hook, items in self.deliveries.items() for item in items if item.get("_made_by_post")]
        return [(hook, item["guid"]) for hook, item in sorted(made, key=lambda pair: pair[1]["id"])]

    @staticmethod
    def _list_item(attempt: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in attempt.items() if not key.startswith("_")}

    def _hook(self, request: FakeRequest) -> tuple[list[dict[str, Any]], int] | None:
        hooks = self.hooks.get(request.params["org"].lower())
        hook_id = int(request.params["hook_id"]) if request.params["hook_id"].isdigit() else -1
        if hooks is None or all(hook["id"] != hook_id for hook in hooks):
            return None
        return hooks, hook_id

    def _list_hooks(self, request: FakeRequest) -> FakeResponse:
        hooks = self.hooks.get(request.params["org"].lower())
        if hooks is None:
            return error(404, "Not Found")
        return self.fake.paginate_pages(request, hooks)

    def _list_deliveries(self, request: FakeRequest) -> FakeResponse:
        if not (found := self._hook(request)):
            return error(404, "Not Found")
        attempts = self.deliveries[found[1]]
        if "redelivery" in request.query:
            attempts = [item for item in attempts if item["redelivery"] == (request.query["redelivery"] == "true")]
        answer = self.fake.paginate_cursor(request, attempts)
        if isinstance(answer.body, list):
            answer.body = [self._list_item(item) for item in answer.body]
        return answer

    def _attempt(self, request: FakeRequest) -> dict[str, Any] | None:
        if not (found := self._hook(request)):
            return None
        wanted = request.params["delivery_id"]
        return next((item for item in self.deliveries[found[1]] if str(item["id"]) == wanted), None)

    def _get_delivery(self, request: FakeRequest) -> FakeResponse:
        if not (attempt := self._attempt(request)):
            return error(404, "Not Found")
        repository = attempt["_repository"]
        payload: dict[str, Any] = {"action": attempt["action"]} if attempt["action"] else {}
        if repository:
            payload["repository"] = {"id": repository[0], "full_name": repository[1]}
        detail = {
            **self._list_item(attempt),
            "url": "https://argo.example.com/api/v1/events/workflows/github",
            "request": {
                "headers": {"X-GitHub-Delivery": attempt["guid"], "X-GitHub-Event": attempt["event"]},
                "payload": payload,
            },
            "response": {"headers": {}, "payload": None if attempt["status_code"] == 0 else attempt["_response"]},
        }
        return FakeResponse(200, detail)

    def _redeliver(self, request: FakeRequest) -> FakeResponse:
        if not (original := self._attempt(request)):
            return error(404, "Not Found")
        attempt = self.add_delivery(
            int(request.params["hook_id"]),
            original["guid"],
            self.redelivery_status(original),
            self.fake.clock(),
            event=original["event"],
            action=original["action"],
            repository=original["_repository"],
            redelivery=True,
        )
        attempt["_made_by_post"] = True
        return FakeResponse(202, {})
