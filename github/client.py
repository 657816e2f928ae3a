"""A small GitHub REST client on the standard library, for tools that run in CI without extra dependencies.

It does what every caller of GitHub's API must do and nothing specific to one endpoint:
- authenticates with a token (`Authorization: Bearer`), sends the documented `Accept` and API version headers;
- follows `Link: <…>; rel="next"` pagination (page numbers and cursors alike), only ever on the API's own origin,
  so the token is never sent anywhere else; at most `max_pages` pages, and never a next link it has already
  followed (a page that links to itself or back would otherwise loop until something else stops it);
- follows no redirect: the token would travel with it (a renamed organization answers 301: the error says where);
- honours the rate limits as GitHub's docs ask ("Rate limits for the REST API"): it waits out
  `X-RateLimit-Remaining: 0` until `X-RateLimit-Reset`; on 403/429 it waits `Retry-After` seconds, or until the
  reset, or a minute doubling on each retry for a secondary limit without headers; every wait is bounded;
- spaces its writes (POST/PATCH/PUT/DELETE) at least `write_interval` apart (GitHub: "at least one second between
  each request" for mutative requests; 1 s keeps under 80 content-creating requests a minute) and counts them;
- retries 5xx answers and network failures a bounded number of times with exponential backoff;
- turns each failure into a typed error carrying the HTTP status and GitHub's `message`, never a credential;
- counts what it sent (`usage`: requests, writes, seconds waited), shared by every client made with `with_token`
  (a GitHub App's pod talks with its JWT, then with the installation token it bought: one count per pod).

The clock and sleep are injectable so tests never wait; `notify` hears every wait (the pods print it to their log).
Standard library only: it also runs inside the Workflow pods (podkit's artifact carries this package).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BASE_URL = "https://api.github.com/"
API_VERSION = "2022-11-28"
USER_AGENT = "argo-github-webhooks"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class GitHubError(Exception):
    """A request GitHub did not answer with success; `status` is 0 when no HTTP answer came at all."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        answer = f"HTTP {status}" if status else "no answer"
        super().__init__(f"{method} {path}: {answer}: {message}" if message else f"{method} {path}: {answer}")


class Unauthorized(GitHubError):
    """401: the token is missing, wrong, expired or revoked."""


class Forbidden(GitHubError):
    """403 that is not a rate limit: the token lacks a scope or permission (or the resource forbids it)."""


class NotFound(GitHubError):
    """404: the resource does not exist, or the token may not see it (GitHub hides what it will not show)."""


class ClientError(GitHubError):
    """Any other 4xx (400, 409, 422, …): GitHub refused this request as made."""


class RateLimitExceeded(GitHubError):
    """A rate limit would need a longer wait than allowed, or kept refusing after the allowed retries."""


class GitHubUnavailable(GitHubError):
    """5xx answers or network failures persisted through every retry."""


class PaginationRefused(GitHubError):
    """A list did not end within `max_pages` pages, or a next link pointed at a page already fetched."""


@dataclass
class Usage:
    """What a client (and every client made from it with `with_token`) sent: GitHub's limits count these."""

    requests: int = 0  # HTTP requests sent, retries included
    writes: int = 0  # of which POST/PATCH/PUT/DELETE: what GitHub's content-creation limits count
    waited: float = 0.0  # seconds spent waiting for rate limits, backoff and write spacing
    last_write: float | None = None  # when the last write was sent (writes are spaced `write_interval` apart)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: Any  # decoded JSON, or None for an empty body
    links: Mapping[str, str] = field(default_factory=dict)  # rel -> absolute URL, from the Link header


def parse_links(header: str | None) -> dict[str, str]:
    """`<url>; rel="next", <url>; rel="last"` -> {"next": url, "last": url}."""
    return {rel: url for url, rel in _LINK.findall(header or "")}


def normalize_base_url(url: str) -> str:
    """The API root with a trailing slash; https only, except plain http to a loopback address (a local fake)."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL, e.g. https://api.github.com/ or https://HOST/api/v3/")
    if parsed.scheme == "http" and parsed.hostname not in _LOOPBACK_HOSTS:
        raise ValueError(f"{url!r} uses plain http: the token would cross the network unencrypted; use https")
    if parsed.query or parsed.fragment:
        raise ValueError(f"{url!r} has a query or fragment: give only the API root, e.g. https://HOST/api/v3/")
    path = parsed.path if parsed.path.endswith("/") else f"{parsed.path}/"
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds (GitHub sends delta-seconds; an HTTP date is accepted too)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(text).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


class GitHubClient:
    """One token on one GitHub API (github.com or an Enterprise Server's `https://HOST/api/v3/`)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 900.0,
        rate_limit_retries: int = 3,
        write_interval: float = 1.0,
        timeout: float = 30.0,
        user_agent: str = USER_AGENT,
        max_pages: int = 100,
        notify: Callable[[str], None] | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._origin = urllib.parse.urlsplit(self.base_url)[:2]
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._token = token
        self._clock = clock
        self._sleep = sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.rate_limit_retries = rate_limit_retries
        self.write_interval = write_interval
        self.timeout = timeout
        self.user_agent = user_agent
        self.max_pages = max_pages
        self.notify = notify
        self.usage = usage if usage is not None else Usage()
        self._exhausted_until: float | None = None  # X-RateLimit-Reset of the last `Remaining: 0` answer

    def with_token(self, token: str) -> GitHubClient:
        """The same API, limits and counts, another credential (e.g. the installation token a JWT bought)."""
        return GitHubClient(
            self.base_url,
            token,
            clock=self._clock,
            sleep=self._sleep,
            max_retries=self.max_retries,
            backoff=self.backoff,
            max_wait=self.max_wait,
            rate_limit_retries=self.rate_limit_retries,
            write_interval=self.write_interval,
            timeout=self.timeout,
            user_agent=self.user_agent,
            max_pages=self.max_pages,
            notify=self.notify,
            usage=self.usage,
        )

    @property
    def requests(self) -> int:
        return self.usage.requests

    @property
    def writes(self) -> int:
        return self.usage.writes

    @property
    def waited(self) -> float:
        return self.usage.waited

    # -- public API -------------------------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).body

    def post(self, path: str, body: Any = None) -> Response:
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: Any = None) -> Response:
        return self.request("PATCH", path, body=body)

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, items_key: str | None = None
    ) -> Iterator[Any]:
        """Every item of a list endpoint, page after page through `rel="next"`; stop iterating to stop fetching.

        `items_key`: the list is that member of each page's object (`check_runs` of a check-runs page). At most
        `max_pages` pages; a next link already followed is refused rather than fetched again."""
        response = self.request("GET", path, params={"per_page": 100, **(params or {})})
        seen = {self._url("GET", path, {"per_page": 100, **(params or {})})}
        pages = 1
        while True:
            items = response.body.get(items_key) if items_key and isinstance(response.body, dict) else response.body
            if not isinstance(items, list):
                where = f" in {items_key!r}" if items_key else ""
                raise GitHubError("GET", path, response.status, f"expected a JSON list{where}")
            yield from items
            next_url = response.links.get("next")
            if not next_url:
                return
            if next_url in seen:
                again = f"page {pages} links to a page already fetched ({self._shown(next_url)})"
                raise PaginationRefused("GET", path, response.status, again)
            if pages >= self.max_pages:
                raise PaginationRefused(
                    "GET", path, response.status, f"more than {self.max_pages} pages: stopped rather than page on"
                )
            seen.add(next_url)
            pages += 1
            response = self.request("GET", next_url)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None) -> Response:
        """Send one request, waiting and retrying as the limits and 5xx answers require; raise a typed error."""
        url = self._url(method, path, params)
        shown = self._shown(url)
        server_failures = 0
        rate_limited = 0
        while True:
            self._wait_for_primary_limit(method, shown)
            if method in WRITE_METHODS:
                self._space_write()
            status, headers, raw = self._send(method, url, body)
            if status == 0 or status >= 500:
                server_failures += 1
                if server_failures > self.max_retries:
                    raise GitHubUnavailable(method, shown, status, _message(raw) or "the server kept failing")
                self._pause(self.backoff * 2 ** (server_failures - 1), method, shown, status, raw)
                continue
            self._note_rate_limit(headers)
            if status in (403, 429) and (wait := self._rate_limit_wait(status, headers, raw, rate_limited)) is not None:
                rate_limited += 1
                if rate_limited > self.rate_limit_retries:
                    raise RateLimitExceeded(method, shown, status, _message(raw) or "rate limited")
                self._pause(wait, method, shown, status, raw)
                continue
            decoded = _decode(raw)
            if status >= 300:
                raise _error_for(status)(method, shown, status, _message(raw))
            return Response(status, headers, decoded, parse_links(headers.get("link")))

    # -- internals ----------------------------------------------------------------------------------------------

    def _url(self, method: str, path: str, params: Mapping[str, Any] | None) -> str:
        if "://" in path:
            if urllib.parse.urlsplit(path)[:2] != self._origin:
                raise GitHubError(method, path, 0, f"refusing to follow a link off the API origin {self.base_url}")
            url = path
        else:
            url = urllib.parse.urljoin(self.base_url, path.lstrip("/"))
        if params:
            query = urllib.parse.urlencode({key: _param(value) for key, value in params.items() if value is not None})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return url

    def _shown(self, url: str) -> str:
        """The URL as errors show it: relative to the API root."""
        return "/" + url[len(self.base_url) :] if url.startswith(self.base_url) else url

    def _send(self, method: str, url: str, body: Any) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", self.user_agent)
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        self.usage.requests += 1
        if method in WRITE_METHODS:
            self.usage.writes += 1
            self.usage.last_write = self._clock()
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return answer.status, _lower(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            with error:
                raw = error.read()
            if 300 <= error.code < 400:  # never followed: the Authorization header would travel with it
                location = error.headers.get("Location", "") if error.headers else ""
                raw = json.dumps({"message": f"redirect to {location or '?'} not followed ({error.msg})"}).encode()
            return error.code, _lower(error.headers), raw
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            return 0, {}, json.dumps({"message": f"cannot reach {self.base_url}: {reason}"}).encode()

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        remaining, reset = _int_header(headers, "x-ratelimit-remaining"), _int_header(headers, "x-ratelimit-reset")
        self._exhausted_until = float(reset) if remaining == 0 and reset is not None else None

    def _wait_for_primary_limit(self, method: str, shown: str) -> None:
        """The last answer said no requests remain: wait until the window resets rather than be refused."""
        if self._exhausted_until is not None:
            wait = self._exhausted_until - self._clock() + 1
            self._exhausted_until = None
            if wait > 0:
                self._pause(wait, method, shown, 403, b'{"message": "primary rate limit exhausted"}')

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], raw: bytes, earlier: int) -> float | None:
        """Seconds to wait before retrying a 403/429 that is a rate limit; None when a 403 is a plain refusal."""
        retry_after = _retry_after_seconds(headers.get("retry-after"), self._clock())
        if retry_after is not None:
            return retry_after
        reset = _int_header(headers, "x-ratelimit-reset")
        if _int_header(headers, "x-ratelimit-remaining") == 0 and reset is not None:
            self._exhausted_until = None
            return max(0.0, reset - self._clock()) + 1
        if status == 429 or "rate limit" in _message(raw).lower():
            return 60.0 * 2**earlier  # a secondary limit without headers: a minute, doubling
        return None

    def _pause(self, seconds: float, method: str, shown: str, status: int = 0, raw: bytes = b"") -> None:
        if seconds > self.max_wait:
            why = _message(raw) or "rate limited"
            limit = f"GitHub asks to wait {seconds:.0f} s, over the limit of {self.max_wait:.0f} s"
            raise RateLimitExceeded(method, shown, status, f"{why}; {limit}")
        if self.notify is not None:
            answer = f"HTTP {status}" if status else "no answer"
            why = _message(raw)
            self.notify(f"{method} {shown}: {answer}{f' ({why})' if why else ''}; retrying in {seconds:g} s")
        if seconds > 0:
            self.usage.waited += seconds
            self._sleep(seconds)

    def _space_write(self) -> None:
        if self.usage.last_write is not None:
            wait = self.usage.last_write + self.write_interval - self._clock()
            if wait > 0:
                self.usage.waited += wait
                self._sleep(wait)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points: follow none, answer the 3xx."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()} if headers else {}


def _param(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _message(raw: bytes) -> str:
    """GitHub's `message` from an error body (or the body's first line when it is not GitHub's JSON)."""
    decoded = _decode(raw)
    if isinstance(decoded, dict):
        return str(decoded.get("message") or "")
    return str(decoded or "").strip().splitlines()[0][:200] if decoded else ""


def _error_for(status: int) -> type[GitHubError]:
    return {401: Unauthorized, 403: Forbidden, 404: NotFound}.get(status, ClientError)
