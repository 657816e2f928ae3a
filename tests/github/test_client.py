"""The GitHub REST client against the local fake: pagination, rate limits, retries, typed errors, write spacing."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from github.client import (
    ClientError,
    Forbidden,
    GitHubClient,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    PaginationRefused,
    RateLimitExceeded,
    Unauthorized,
    normalize_base_url,
    parse_links,
)
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub, FakeRequest, FakeResponse, error

TOKEN = "ghp_client_test"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, clock=clock) as server:
        items = [{"n": n} for n in range(1, 8)]
        server.add_route("GET", "/items", lambda request: server.paginate_pages(request, items, default_per_page=3))
        server.add_route(
            "GET", "/cursor", lambda request: server.paginate_cursor(request, [{"id": n} for n in range(5)])
        )
        server.add_route("GET", "/thing", lambda request: FakeResponse(200, {"ok": True}))
        server.add_route("POST", "/things", lambda request: FakeResponse(201, {"got": request.body}))
        yield server


def client_for(fake: FakeGitHub, clock: FakeClock, **options: float) -> GitHubClient:
    return GitHubClient(fake.base_url, TOKEN, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def test_requests_carry_githubs_headers(fake: FakeGitHub, clock: FakeClock) -> None:
    assert client_for(fake, clock).get("thing") == {"ok": True}
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"] == "argo-github-webhooks"


def test_page_pagination_follows_link_next(fake: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(fake, clock)
    fake.add_route("GET", "/small", lambda request: fake.paginate_pages(request, [{"n": n} for n in range(7)], 3))
    assert [item["n"] for item in client.paginate("small", {"per_page": 3})] == list(range(7))
    assert fake.calls() == ["GET /small?per_page=3", "GET /small?per_page=3&page=2", "GET /small?per_page=3&page=3"]
    assert client.requests == 3 and client.writes == 0


def test_cursor_pagination_and_stopping_early(fake: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(fake, clock)
    fake.add_route("GET", "/few", lambda request: fake.paginate_cursor(request, [{"id": n} for n in range(5)], "id", 2))
    items = client.paginate("few", {"per_page": 2})
    assert [next(items)["id"] for _ in range(3)] == [0, 1, 2]  # two pages fetched, the third never
    assert fake.calls() == ["GET /few?per_page=2", "GET /few?per_page=2&cursor=v1_2"]


def test_links_off_the_api_origin_are_refused(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.add_route(
        "GET", "/evil", lambda request: FakeResponse(200, [1], {"Link": '<https://attacker.example/x>; rel="next"'})
    )
    with pytest.raises(GitHubError, match="refusing to follow a link off the API origin"):
        list(client_for(fake, clock).paginate("evil"))
    assert len(fake.requests) == 1


def test_parse_links() -> None:
    header = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"'
    assert parse_links(header) == {"next": "https://api.github.com/x?page=2", "last": "https://api.github.com/x?page=5"}
    assert parse_links(None) == {}


def test_429_with_retry_after_waits_that_long(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.answer_next("GET", "/thing", error(429, "You have exceeded a secondary rate limit.", **{"Retry-After": "42"}))
    client = client_for(fake, clock)
    assert client.get("thing") == {"ok": True}
    assert clock.sleeps == [42]
    assert len(fake.requests) == 2


def test_403_secondary_limit_without_headers_waits_a_minute_then_doubles(fake: FakeGitHub, clock: FakeClock) -> None:
    secondary = error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
    fake.answer_next("GET", "/thing", secondary, secondary)
    assert client_for(fake, clock).get("thing") == {"ok": True}
    assert clock.sleeps == [60, 120]


def test_403_primary_limit_waits_until_the_reset(fake: FakeGitHub, clock: FakeClock) -> None:
    reset = int(clock.now) + 300
    fake.answer_next(
        "GET",
        "/thing",
        error(403, "API rate limit exceeded", **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
    )
    assert client_for(fake, clock).get("thing") == {"ok": True}
    assert clock.sleeps == [301]


def test_an_exhausted_primary_limit_is_waited_out_before_the_next_request(fake: FakeGitHub, clock: FakeClock) -> None:
    """The fake's own limit: the answer that uses the last request says Remaining 0; the client waits for Reset."""
    client = client_for(fake, clock, max_wait=4000)
    client.get("thing")  # the fake opens a one-hour window now
    fake.rate_limit.remaining = 1
    client.get("thing")  # answered with X-RateLimit-Remaining: 0
    assert clock.sleeps == []
    client.get("thing")
    assert clock.sleeps == [3601]  # until the window's reset, plus a second
    assert [request.path for request in fake.requests] == ["/thing"] * 3  # never refused


def test_a_wait_over_the_bound_stops_with_a_clear_error(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.answer_next("GET", "/thing", error(429, "slow down", **{"Retry-After": "3600"}))
    with pytest.raises(
        RateLimitExceeded, match=r"GET /thing: HTTP 429: slow down; GitHub asks to wait 3600 s, over the limit of 900 s"
    ):
        client_for(fake, clock).get("thing")
    assert clock.sleeps == []


def test_rate_limit_retries_are_bounded(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.answer_next("GET", "/thing", *[error(429, "slow down", **{"Retry-After": "1"})] * 4)
    with pytest.raises(RateLimitExceeded, match="HTTP 429"):
        client_for(fake, clock).get("thing")
    assert clock.sleeps == [1, 1, 1]


def test_5xx_is_retried_with_backoff(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.answer_next("GET", "/thing", error(502, "Server Error"), error(503, "Unavailable"))
    assert client_for(fake, clock).get("thing") == {"ok": True}
    assert clock.sleeps == [1, 2]


def test_5xx_retries_are_bounded(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.answer_next("GET", "/thing", *[error(500, "Server Error")] * 4)
    with pytest.raises(GitHubUnavailable, match=r"GET /thing: HTTP 500: Server Error"):
        client_for(fake, clock).get("thing")
    assert clock.sleeps == [1, 2, 4]
    assert len(fake.requests) == 4


def test_an_unreachable_api_is_retried_then_reported(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GitHubClient(f"http://127.0.0.1:{port}/", TOKEN, clock=clock, sleep=clock.sleep, max_retries=1)
    with pytest.raises(GitHubUnavailable, match=rf"GET /thing: no answer: cannot reach http://127.0.0.1:{port}/"):
        client.get("thing")
    assert clock.sleeps == [1]


@pytest.mark.parametrize(
    ("answer", "raised", "text"),
    [
        (error(401, "Bad credentials"), Unauthorized, "GET /thing: HTTP 401: Bad credentials"),
        (error(403, "Must have admin rights to Repository."), Forbidden, "HTTP 403: Must have admin rights"),
        (error(404, "Not Found"), NotFound, "GET /thing: HTTP 404: Not Found"),
        (error(422, "Validation Failed"), ClientError, "GET /thing: HTTP 422: Validation Failed"),
    ],
)
def test_refusals_are_typed_and_not_retried(
    fake: FakeGitHub, clock: FakeClock, answer: FakeResponse, raised: type[GitHubError], text: str
) -> None:
    fake.answer_next("GET", "/thing", answer)
    with pytest.raises(raised, match=text) as caught:
        client_for(fake, clock).get("thing")
    assert caught.value.status == answer.status
    assert len(fake.requests) == 1 and clock.sleeps == []


def test_a_wrong_token_gets_the_fakes_401(fake: FakeGitHub, clock: FakeClock) -> None:
    client = GitHubClient(fake.base_url, "wrong", clock=clock, sleep=clock.sleep)
    with pytest.raises(Unauthorized, match="Bad credentials"):
        client.get("thing")


def test_writes_are_spaced_and_counted(fake: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(fake, clock)
    assert client.post("things", {"a": 1}).body == {"got": {"a": 1}}
    client.post("things")
    clock.now += 5
    client.post("things")
    assert clock.sleeps == [1]  # the second write came at once after the first; the third 5 s later
    assert client.writes == 3 and fake.writes == 3
    assert fake.requests[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
    ],
)
def test_base_urls_are_normalized(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("api.github.com", "is not an http(s) URL"),
        ("http://ghe.example.com/api/v3/", "uses plain http: the token would cross the network unencrypted"),
        ("https://ghe.example.com/api/v3/?x=1", "has a query or fragment"),
    ],
)
def test_bad_base_urls_are_refused(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalize_base_url(given)


def test_a_route_sees_path_parameters_and_query(fake: FakeGitHub, clock: FakeClock) -> None:
    seen: list[FakeRequest] = []

    @fake.route("GET", "/repos/{owner}/{repo}/commits/{ref}/status")
    def status(request: FakeRequest) -> FakeResponse:
        seen.append(request)
        return FakeResponse(200, {"state": "success"})

    assert client_for(fake, clock).get("repos/acme/app/commits/abc/status", {"x": True}) == {"state": "success"}
    assert seen[0].params == {"owner": "acme", "repo": "app", "ref": "abc"}
    assert seen[0].query == {"x": "true"}


def test_no_redirect_is_followed_not_even_on_the_api_origin(fake: FakeGitHub, clock: FakeClock) -> None:
    """The token would travel with a redirect: a renamed organization's 301 is an error naming where it points."""
    fake.add_route("GET", "/orgs/old", lambda request: FakeResponse(301, None, {"Location": fake.url("/thing")}))
    fake.add_route("GET", "/away", lambda request: FakeResponse(302, None, {"Location": "http://127.0.0.2:9/steal"}))
    client = client_for(fake, clock)
    with pytest.raises(ClientError, match=rf"GET /orgs/old: HTTP 301: redirect to {fake.url('/thing')} not followed"):
        client.get("orgs/old")
    with pytest.raises(ClientError, match=r"GET /away: HTTP 302: redirect to http://127.0.0.2:9/steal not followed"):
        client.get("away")
    assert fake.calls() == ["GET /orgs/old", "GET /away"]  # nothing was sent where they point


def test_a_next_link_already_followed_is_refused(fake: FakeGitHub, clock: FakeClock) -> None:
    """A page linking to itself (or back to an earlier one) would loop forever: refused at the first repeat."""
    fake.add_route("GET", "/loop", lambda request: FakeResponse(200, [1], {"Link": f'<{fake.url("/loop", page=2)}>; rel="next"'}))
    client = client_for(fake, clock)
    with pytest.raises(PaginationRefused, match=r"GET loop: HTTP 200: page 2 links to a page already fetched \(/loop\?page=2\)"):
        list(client.paginate("loop"))
    assert fake.calls() == ["GET /loop?per_page=100", "GET /loop?page=2"]
    fake.add_route(
        "GET", "/first", lambda request: FakeResponse(200, [1], {"Link": f'<{fake.url("/first", per_page=100)}>; rel="next"'})
    )
    with pytest.raises(PaginationRefused, match="page 1 links to a page already fetched"):
        list(client.paginate("first"))


def test_pages_are_capped(fake: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(fake, clock, max_pages=2)
    with pytest.raises(PaginationRefused, match=r"GET items: HTTP 200: more than 2 pages: stopped rather than page on"):
        list(client.paginate("items", {"per_page": 3}))
    assert len(fake.requests) == 2
    assert [item["n"] for item in client_for(fake, clock, max_pages=3).paginate("items", {"per_page": 3})] == list(range(1, 8))


def test_a_list_inside_an_object_pages_too(fake: FakeGitHub, clock: FakeClock) -> None:
    runs = [{"id": n} for n in range(5)]
    fake.add_route(
        "GET",
        "/runs",
        lambda request: (lambda page: FakeResponse(200, {"total_count": 5, "check_runs": page.body}, page.headers))(
            fake.paginate_pages(request, runs, 2)
        ),
    )
    assert [run["id"] for run in client_for(fake, clock).paginate("runs", {"per_page": 2}, items_key="check_runs")] == [0, 1, 2, 3, 4]


def test_clients_made_with_another_token_share_the_counts_and_the_write_spacing(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.add_route("POST", "/other", lambda request: FakeResponse(201, {}), authenticate=lambda request: "other")
    first = client_for(fake, clock)
    first.post("things")
    second = first.with_token("other-token")
    second.post("other")
    assert fake.requests[1].headers["authorization"] == "Bearer other-token"
    assert (first.requests, first.writes, second.writes) == (2, 2, 2)
    assert clock.sleeps == [1]  # the second client's write waited for the first client's


def test_every_wait_is_told_with_its_reason(fake: FakeGitHub, clock: FakeClock) -> None:
    told: list[str] = []
    fake.answer_next("GET", "/thing", error(502, "Server Error"), error(429, "slow down", **{"Retry-After": "7"}))
    client = GitHubClient(fake.base_url, TOKEN, clock=clock, sleep=clock.sleep, notify=told.append)
    assert client.get("thing") == {"ok": True}
    assert told == ["GET /thing: HTTP 502 (Server Error); retrying in 1 s", "GET /thing: HTTP 429 (slow down); retrying in 7 s"]
