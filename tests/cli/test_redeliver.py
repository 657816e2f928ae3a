"""`python -m cli redeliver` against the local fake of GitHub's REST API: what it redelivers, what it leaves,
what it prints, its exit codes, and how it copes with rate limits, 5xx answers and refused credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.redeliver import already_ran, main
from settings.config import parse_settings
from settings.stack_files import read_stack_config
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub, FakeResponse, OrganizationWebhooks, error
from tests.harness import checkout_copy, fixture_project, project_with_stack

TOKEN = "ghp_redeliver_test"
PROD_URL = "https://argo.example.com/api/v1/events/workflows/github"
DEV_URL = "https://argo.dev.example.com/api/v1/events/workflows/github"
MINUTE = 60.0


def guid(name: str) -> str:
    """A GUID that says which case it is: `a` -> 0000000a-…"""
    return f"{name:0>8}-c5a1-11f0-8a3e-0242ac120002"


class GitHub:
    """The fake API, its organization-webhook routes and the clock both the fake and the tool read."""

    def __init__(self, fake: FakeGitHub, clock: FakeClock) -> None:
        self.fake = fake
        self.clock = clock
        self.api = OrganizationWebhooks(fake)

    def ago(self, minutes: float) -> float:
        return self.clock.now - minutes * MINUTE

    def run(
        self,
        capsys: pytest.CaptureFixture[str],
        *arguments: str,
        environ: dict[str, str] | None = None,
        project_root: Path | None = None,
    ) -> tuple[int, str, str]:
        if environ is None:
            environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_BASE_URL": self.fake.base_url}
        code = main(list(arguments), project_root or fixture_project(), environ, clock=self.clock, sleep=self.clock.sleep)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, captured.out, captured.err


@pytest.fixture
def github() -> Iterator[GitHub]:
    clock = FakeClock()
    with FakeGitHub(token=TOKEN, clock=clock) as fake:
        yield GitHub(fake, clock)


def prod_scenario(github: GitHub) -> tuple[int, int]:
    """The prod stack's two organizations, with every kind of delivery history; returns their hook ids."""
    api = github.api
    for number in range(120):  # the stack's hook is on the second page of the organization's hooks
        api.add_hook("example-org", f"https://ci.example.com/hooks/{number}")
    org_hook = api.add_hook("example-org", PROD_URL, ["push", "pull_request", "release"])
    api.add_hook("example-org", DEV_URL)  # another stack's hook: never touched
    labs_hook = api.add_hook("example-org-labs", PROD_URL)
    # e: failed, and already redelivered three times: left alone.
    api.add_delivery(org_hook, guid("e"), 500, github.ago(300), "release", "published")
    for minutes in (270, 240, 210):
        api.add_delivery(org_hook, guid("e"), 500, github.ago(minutes), "release", "published", redelivery=True)
    # c: timed out, redelivered once, failed again: redelivered a second time.
    api.add_delivery(org_hook, guid("c"), 0, github.ago(200), "pull_request", "opened")
    api.add_delivery(org_hook, guid("c"), 500, github.ago(170), "pull_request", "opened", redelivery=True)
    # d: failed, then a redelivery succeeded: done.
    api.add_delivery(org_hook, guid("d"), 500, github.ago(150))
    api.add_delivery(org_hook, guid("d"), 200, github.ago(120), redelivery=True)
    # a: failed once.
    api.add_delivery(org_hook, guid("a"), 502, github.ago(90))
    # h: an organization event (no repository) that failed.
    api.add_delivery(org_hook, guid("h"), 500, github.ago(60), "organization", "member_added", repository=None)
    # 150 successful deliveries: two pages of deliveries.
    for number in range(150):
        api.add_delivery(org_hook, guid(f"b{number}"), 200, github.ago(5 + number))
    # f: failed, but before the window: not looked at (and the listing stops there).
    api.add_delivery(org_hook, guid("f"), 500, github.ago(400))
    api.add_delivery(org_hook, guid("f0"), 200, github.ago(500))
    # o: delivered before the window; only its redeliveries are in it: left alone.
    api.add_delivery(org_hook, guid("o"), 500, github.ago(420))
    for minutes in (350, 320):
        api.add_delivery(org_hook, guid("o"), 500, github.ago(minutes), redelivery=True)
    # g: failed in the second organization.
    api.add_delivery(labs_hook, guid("g"), 503, github.ago(30), repository=(42, "example-org-labs/site"))
    return org_hook, labs_hook


def attempts_path(organization: str, hook_id: int, github: GitHub, name: str) -> str:
    """The POST path for redelivering the latest attempt of GUID `name`."""
    latest = next(item for item in github.api.deliveries[hook_id] if item["guid"] == guid(name))
    return f"POST /orgs/{organization}/hooks/{hook_id}/deliveries/{latest['id']}/attempts"


def test_the_stacks_events_url_is_what_the_tool_looks_for() -> None:
    for stack, url in (("prod", PROD_URL), ("dev", DEV_URL)):
        assert parse_settings(read_stack_config(fixture_project(), stack), fixture_project()).events_url == url


def test_redelivers_each_guid_whose_every_attempt_failed(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    org_hook, labs_hook = prod_scenario(github)
    expected_posts = [
        attempts_path("example-org", org_hook, github, "c"),
        attempts_path("example-org", org_hook, github, "a"),
        attempts_path("example-org", org_hook, github, "h"),
        attempts_path("example-org-labs", labs_hook, github, "g"),
    ]
    code, out, err = github.run(capsys, "--stack", "prod")
    assert code == 1  # e reached the redelivery limit
    assert out.splitlines() == [
        f"stack prod: webhook {PROD_URL}, deliveries since 2026-11-18T05:06:40Z",
        f"  example-org: hook {org_hook}",
        f"  example-org-labs: hook {labs_hook}",
        "GUID                                  ORGANIZATION      EVENT                      REPOSITORY               LAST STATUS                       ACTION",
        "0000000e-c5a1-11f0-8a3e-0242ac120002  example-org       release.published          example-org/hello-world  500 (Invalid HTTP Response: 500)  limit reached: already redelivered 3 times (--max-redeliveries 3)",
        "0000000c-c5a1-11f0-8a3e-0242ac120002  example-org       pull_request.opened        example-org/hello-world  500 (Invalid HTTP Response: 500)  redelivered: redelivery 2 of 3",
        "0000000a-c5a1-11f0-8a3e-0242ac120002  example-org       push                       example-org/hello-world  502 (Invalid HTTP Response: 502)  redelivered: redelivery 1 of 3",
        "0000000h-c5a1-11f0-8a3e-0242ac120002  example-org       organization.member_added  -                        500 (Invalid HTTP Response: 500)  redelivered: redelivery 1 of 3",
        "0000000g-c5a1-11f0-8a3e-0242ac120002  example-org-labs  push                       example-org-labs/site    503 (Invalid HTTP Response: 503)  redelivered: redelivery 1 of 3",
        "156 deliveries (163 attempts) since 2026-11-18T05:06:40Z in 2 organizations: 151 succeeded, 4 redelivered, "
        "1 at the redelivery limit, 1 older (delivered before the window, only redeliveries in it: left alone). "
        "GitHub writes: 4 (requests: 15, waited 3 s).",
    ]
    assert err == ""
    assert github.fake.calls("POST") == expected_posts  # oldest first
    assert github.fake.writes == 4
    assert github.clock.sleeps == [1, 1, 1]  # writes one second apart
    hooks_pages = [call for call in github.fake.calls() if call.startswith("GET /orgs/example-org/hooks?")]
    assert hooks_pages == [
        "GET /orgs/example-org/hooks?per_page=100",
        "GET /orgs/example-org/hooks?per_page=100&page=2",
    ]
    delivery_pages = [
        call for call in github.fake.calls() if call.startswith(f"GET /orgs/example-org/hooks/{org_hook}/deliveries?")
    ]
    assert len(delivery_pages) == 2  # 161 attempts in the window, and the listing stops at the first older one
    # the repository names come from each delivery's payload; an event without a repository needs no lookup
    details = [call for call in github.fake.calls("GET") if "/deliveries/" in call]
    # e, c, a, g for their repository; h (no repository) because its HTTP 500 body is read too (already ran?)
    assert len(details) == 5


def test_the_next_run_finds_only_what_is_still_failing(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    prod_scenario(github)
    github.api.redelivery_status = lambda original: 503 if original["guid"] == guid("c") else 200
    github.run(capsys, "--stack", "prod")
    github.clock.now += 30 * MINUTE
    code, out, _ = github.run(capsys, "--stack", "prod", "--json")
    document = json.loads(out)
    assert code == 1
    assert [(item["guid"], item["outcome"], item["detail"]) for item in document["deliveries"]] == [
        (guid("e"), "limit reached", "already redelivered 3 times (--max-redeliveries 3)"),
        (guid("c"), "redelivered", "redelivery 3 of 3"),
    ]
    assert document["summary"]["succeeded"] == 151 + 3  # a, h and g came through


def test_a_delivery_argo_keeps_refusing_is_redelivered_3_times_in_all(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """As scheduled: a run every 30 minutes for 12 hours. The limit holds although the 6-hour window slides past
    the original delivery and the first redeliveries."""
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(10))
    github.api.redelivery_status = lambda original: 500
    codes = []
    for _ in range(24):
        github.clock.now += 30 * MINUTE
        codes.append(github.run(capsys, "--stack", "dev")[0])
    assert len(github.api.redeliveries()) == 3
    # the original is 40, 70, … minutes old: in the 6-hour window for 11 runs, at the limit from the 4th
    assert codes == [0] * 3 + [1] * 8 + [0] * 13


def test_everything_recovered_exits_0(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(20))
    assert github.run(capsys, "--stack", "dev")[0] == 0  # redelivered: nothing left failed
    github.clock.now += MINUTE
    code, out, _ = github.run(capsys, "--stack", "dev")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "no failed deliveries",
        "1 deliveries (2 attempts) since 2026-11-18T05:07:40Z in 1 organization: 1 succeeded. GitHub writes: 0 "
        "(requests: 2).",
    ]


def test_json_output(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 502, github.ago(20), "pull_request", "synchronize")
    github.api.add_delivery(hook, guid("b"), 204, github.ago(10))
    code, out, err = github.run(capsys, "--stack", "dev", "--since", "30m", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "stack": "dev",
        "events_url": DEV_URL,
        "since": "2026-11-18T10:36:40Z",
        "dry_run": False,
        "max_redeliveries": 3,
        "hooks": {"example-org": [hook]},
        "read": ["example-org"],
        "deliveries": [
            {
                "organization": "example-org",
                "hook_id": hook,
                "guid": guid("a"),
                "event": "pull_request",
                "action": "synchronize",
                "repository": "example-org/hello-world",
                "last_status_code": 502,
                "last_status": "Invalid HTTP Response: 502",
                "last_attempt_at": "2026-11-18T10:46:40Z",
                "first_attempt_at": "2026-11-18T10:46:40Z",
                "attempts": 1,
                "redeliveries": 0,
                "outcome": "redelivered",
                "detail": "redelivery 1 of 3",
            }
        ],
        "summary": {
            "deliveries": 2,
            "older": 0,
            "attempts": 2,
            "succeeded": 1,
            "redelivered": 1,
            "would_redeliver": 0,
            "limit_reached": 0,
            "redelivery_failed": 0,
            "deferred": 0,
            "not_reached": 0,
            "already_ran": 0,
        },
        "github": {"requests": 4, "writes": 1, "waited_seconds": 0.0},
        "problems": [],
        "error": None,
        "exit_code": 0,
    }


def test_dry_run_writes_nothing(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    prod_scenario(github)
    code, out, _ = github.run(capsys, "--stack", "prod", "--dry-run")
    assert code == 1  # e is at the limit, dry run or not
    assert github.fake.writes == 0
    assert out.splitlines()[0].endswith("(dry run: nothing redelivered)")
    assert "would redeliver: redelivery 2 of 3" in out
    assert out.splitlines()[-1].endswith(
        "4 would be redelivered, 1 at the redelivery limit, 1 older (delivered before the window, only "
        "redeliveries in it: left alone). GitHub writes: 0 (requests: 11)."
    )


def test_the_redelivery_limit_is_an_option(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    prod_scenario(github)
    code, out, _ = github.run(capsys, "--stack", "prod", "--max-redeliveries", "1", "--json")
    outcomes = {item["guid"]: item["outcome"] for item in json.loads(out)["deliveries"]}
    assert outcomes == {
        guid("e"): "limit reached",
        guid("c"): "limit reached",
        guid("a"): "redelivered",
        guid("h"): "redelivered",
        guid("g"): "redelivered",
    }
    assert code == 1 and github.fake.writes == 3


def test_a_refused_redelivery_is_reported_and_the_rest_go_on(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(30))
    github.api.add_delivery(hook, guid("b"), 500, github.ago(20))
    template = "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
    github.fake.answer_next("POST", template, error(422, "Validation Failed"))
    code, out, _ = github.run(capsys, "--stack", "dev", "--json")
    assert code == 1
    assert [(item["outcome"], item["detail"]) for item in json.loads(out)["deliveries"]] == [
        ("redelivery failed", "GitHub answered HTTP 422: Validation Failed"),
        ("redelivered", "redelivery 1 of 3"),
    ]


def test_the_write_budget_defers_the_rest_to_the_next_run(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    prod_scenario(github)
    code, out, _ = github.run(capsys, "--stack", "prod", "--max-writes", "2")
    assert code == 1
    assert github.fake.writes == 2
    assert "deferred: this run made its 2 GitHub writes (--max-writes); the next run goes on" in out
    assert "2 redelivered, 1 at the redelivery limit, 2 deferred to the next run, 1 older" in out


def test_rate_limits_and_5xx_are_waited_out(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(30))
    github.api.add_delivery(hook, guid("b"), 500, github.ago(20))
    fake = github.fake
    fake.answer_next("GET", "/orgs/{org}/hooks", error(502, "Server Error"))
    fake.answer_next("GET", "/orgs/{org}/hooks/{hook_id}/deliveries", error(429, "slow down", **{"Retry-After": "30"}))
    fake.answer_next(
        "POST",
        "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
        error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."),
    )
    reset = int(github.clock.now) + 120
    fake.answer_next(
        "GET",
        "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}",
        error(403, "API rate limit exceeded", **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
    )
    code, out, err = github.run(capsys, "--stack", "dev")
    assert code == 0
    # 5xx backoff, Retry-After, until the reset (+1 s), a secondary limit's minute, then one second between writes
    assert github.clock.sleeps == [1, 30, 90, 60, 1]
    # the waits a person notices are announced on standard error (not the 1 s ones: a first retry, write spacing)
    assert err.splitlines() == [
        f"waiting {seconds} s for GitHub (rate limited, or not answering), then trying again"
        for seconds in (30, 90, 60)
    ]
    assert github.fake.writes == 3 and len(github.api.redeliveries()) == 2  # the refused POST was sent again
    assert out.splitlines()[-1].endswith("2 redelivered. GitHub writes: 3 (requests: 10, waited 182 s).")


def test_github_unavailable_stops_with_exit_1(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    org_hook, _ = prod_scenario(github)
    github.fake.answer_next("GET", "/orgs/{org}/hooks/{hook_id}/deliveries", *[error(503, "Service Unavailable")] * 4)
    code, _, err = github.run(capsys, "--stack", "prod")
    assert code == 1
    assert github.fake.writes == 0
    assert err == (
        "waiting 2 s for GitHub (rate limited, or not answering), then trying again\n"
        "waiting 4 s for GitHub (rate limited, or not answering), then trying again\n"
        f"error: stopped early: GET /orgs/example-org/hooks/{org_hook}/deliveries?per_page=100: HTTP 503: Service "
        "Unavailable\n"
    )
    assert github.clock.sleeps == [1, 2, 4]


def test_a_rate_limit_beyond_the_bound_leaves_the_rest_not_reached(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    prod_scenario(github)
    template = "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
    github.fake.answer_next("POST", template, error(429, "slow down", **{"Retry-After": "7200"}))
    code, out, err = github.run(capsys, "--stack", "prod", "--json")
    document = json.loads(out)
    assert code == 1
    assert [item["outcome"] for item in document["deliveries"]] == ["limit reached"] + ["not reached"] * 4
    assert document["error"].startswith("stopped early: POST /orgs/example-org/hooks/1120/deliveries/")
    assert document["error"].endswith("HTTP 429: slow down; GitHub asks to wait 7200 s, over the limit of 900 s")
    assert err == ""  # with --json the error is in the document, and only there


def test_refused_credentials_exit_2(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    github.api.add_hook("example-org", DEV_URL)
    environ = {"GITHUB_TOKEN": "ghp_revoked", "GITHUB_BASE_URL": github.fake.base_url}
    code, _, err = github.run(capsys, "--stack", "dev", environ=environ)
    assert code == 2
    assert err == (
        "error: GitHub refused the credentials (HTTP 401: Bad credentials): use a token of an organization owner with "
        "admin:org_hook (fine-grained: organization Webhooks: write)\n"
    )
    assert len(github.fake.requests) == 1


def test_an_organization_refusing_the_token_or_without_the_hook_exits_2(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each organization is its own problem: the others are still recovered."""
    org_hook = github.api.add_hook("example-org", PROD_URL)
    github.api.add_delivery(org_hook, guid("a"), 500, github.ago(30))
    github.api.add_hook("example-org-labs", DEV_URL)  # only another stack's hook
    code, _, err = github.run(capsys, "--stack", "prod")
    assert code == 2
    assert github.fake.writes == 1
    assert err == (
        f"error: organization example-org-labs: no webhook posts to {PROD_URL} (has `pulumi up` run for this stack?)\n"
    )
    github.fake.answer_next("GET", "/orgs/{org}/hooks", error(403, "Must have admin rights to Organization."))
    code, _, err = github.run(capsys, "--stack", "prod", "--dry-run")
    assert code == 2
    assert err.splitlines()[0] == (
        "error: organization example-org: GitHub answered HTTP 403 (Must have admin rights to Organization.) listing "
        "its webhooks: the organization does not exist or the token is not a token of an organization owner with "
        "admin:org_hook (fine-grained: organization Webhooks: write)"
    )


def test_an_unknown_organization_exits_2(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = github.run(capsys, "--stack", "dev")
    assert code == 2
    assert err.startswith("error: organization example-org: GitHub answered HTTP 404 (Not Found) listing its webhooks")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--since", "4d"],
            "argument --since: '4d' is beyond GitHub's 3-day redelivery window: at most 3d (72h, 4320m)",
        ),
        (["--since", "73h"], "argument --since: '73h' is beyond GitHub's 3-day redelivery window"),
        (
            ["--since", "0h"],
            "argument --since: '0h' is not a positive duration: a whole number of minutes, hours or days, e.g. 30m, 6h, 2d",
        ),
        (["--since", "6 hours"], "argument --since: '6 hours' is not a positive duration"),
        (["--since", "-1h"], "argument --since: expected one argument"),
        (["--since", "1.5h"], "argument --since: '1.5h' is not a positive duration"),
        (["--max-redeliveries", "0"], "argument --max-redeliveries: '0' is not a positive whole number"),
        (["--max-writes", "many"], "argument --max-writes: 'many' is not a positive whole number"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    github: GitHub, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code, out, err = github.run(capsys, "--stack", "dev", *arguments)
    assert code == 2
    assert message in err
    assert out == ""
    assert github.fake.requests == []


def test_3d_is_the_longest_window(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    github.api.add_hook("example-org", DEV_URL)
    code, out, _ = github.run(capsys, "--stack", "dev", "--since", "4320m")
    assert code == 0
    assert "since 2026-11-15T11:06:40Z" in out


def test_no_stack_or_an_unknown_one_exits_2(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = github.run(capsys)
    assert code == 2 and "the following arguments are required: --stack" in err
    code, _, err = github.run(capsys, "--stack", "staging")
    assert code == 2
    assert err == "error: unknown stack 'staging': no Pulumi.staging.yaml (stacks: dev, prod)\n"
    assert github.fake.requests == []


def test_no_token_exits_2(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = github.run(capsys, "--stack", "dev", environ={"GITHUB_BASE_URL": github.fake.base_url})
    assert code == 2
    assert err == (
        "error: no GitHub token: set GITHUB_TOKEN (or github:token in Pulumi.dev.yaml) to a token of an organization "
        "owner with admin:org_hook (fine-grained: organization Webhooks: write)\n"
    )


def write_project(tmp_path: Path, github_config: dict[str, Any]) -> Path:
    """A project with one stack `ci` (one organization, one pipeline) and the given `github:*` values."""
    config = {
        "argo-github-webhooks:host": "argo.ci.example.com",
        "argo-github-webhooks:organizations": ["example-org"],
        "argo-github-webhooks:pipelines": [
            {"name": "hello-world", "template": "workflows/hello-world.yaml", "events": ["push"]}
        ],
        **github_config,
    }
    return project_with_stack(tmp_path, "ci", config)


CI_URL = "https://argo.ci.example.com/api/v1/events/workflows/github"


def test_plain_text_token_and_base_url_from_the_stack_file(
    github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = write_project(tmp_path, {"github:token": TOKEN, "github:baseUrl": github.fake.base_url.rstrip("/")})
    hook = github.api.add_hook("example-org", CI_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(30))
    code, out, _ = github.run(capsys, "--stack", "ci", environ={}, project_root=project)
    assert code == 0
    assert "redelivered: redelivery 1 of 3" in out
    # GITHUB_TOKEN wins over the file's token; github:baseUrl over GITHUB_BASE_URL (as the provider reads them)
    environ = {"GITHUB_TOKEN": "ghp_other", "GITHUB_BASE_URL": "https://ghe.invalid/api/v3/"}
    code, _, err = github.run(capsys, "--stack", "ci", environ=environ, project_root=project)
    assert code == 2 and "HTTP 401: Bad credentials" in err


def test_an_encrypted_token_needs_github_token(
    github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = write_project(tmp_path, {"github:token": {"secure": "v1:AAAABBBBCCCC"}})
    environ = {"GITHUB_BASE_URL": github.fake.base_url}
    code, _, err = github.run(capsys, "--stack", "ci", environ=environ, project_root=project)
    assert code == 2
    assert err == (
        "error: github:token in Pulumi.ci.yaml is encrypted (secure:) and this offline tool cannot decrypt it: set "
        "GITHUB_TOKEN to a token of an organization owner with admin:org_hook (fine-grained: organization Webhooks: "
        "write)\n"
    )
    github.api.add_hook("example-org", CI_URL)
    code, _, _ = github.run(capsys, "--stack", "ci", environ={**environ, "GITHUB_TOKEN": TOKEN}, project_root=project)
    assert code == 0


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("http://ghe.example.com/api/v3/", "error: github:baseUrl: 'http://ghe.example.com/api/v3/' uses plain http"),
        ("ghe.example.com", "error: github:baseUrl: 'ghe.example.com' is not an http(s) URL"),
        ({"secure": "v1:AAAA"}, "error: github:baseUrl in Pulumi.ci.yaml is encrypted (secure:)"),
    ],
)
def test_bad_base_urls_exit_2(
    github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path, base_url: Any, message: str
) -> None:
    project = write_project(tmp_path, {"github:baseUrl": base_url})
    code, _, err = github.run(capsys, "--stack", "ci", environ={"GITHUB_TOKEN": TOKEN}, project_root=project)
    assert code == 2
    assert err.startswith(message)


def test_a_config_error_exits_2(github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = write_project(tmp_path, {"argo-github-webhooks:host": "https://argo.ci.example.com"})
    code, _, err = github.run(capsys, "--stack", "ci", project_root=project)
    assert code == 2
    assert err.startswith("error: invalid stack configuration (1 problem):\n  - argo-github-webhooks:host: ")


def test_the_documented_command_runs(tmp_path: Path) -> None:
    """`python -m cli redeliver` for real, in its own process, against the fake on the real clock."""
    with FakeGitHub(token=TOKEN) as fake:
        api = OrganizationWebhooks(fake)
        hook = api.add_hook("example-org", DEV_URL)
        api.add_delivery(hook, guid("a"), 500, time.time() - 10 * MINUTE)
        api.add_delivery(hook, guid("b"), 200, time.time() - 5 * MINUTE)
        environ = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_BASE_URL": fake.base_url}
        completed = subprocess.run(
            [sys.executable, "-m", "cli", "redeliver", "--stack", "dev", "--since", "1h"],
            cwd=checkout_copy(tmp_path),  # the checkout, with the tests' own stack files
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stderr == ""
        assert "0000000a-c5a1-11f0-8a3e-0242ac120002  example-org   push   example-org/hello-world" in completed.stdout
        assert completed.stdout.splitlines()[-1].endswith("1 succeeded, 1 redelivered. GitHub writes: 1 (requests: 4).")
        assert api.redeliveries() == [(hook, guid("a"))]


def test_a_token_that_may_read_but_not_redeliver_exits_2(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    """A fine-grained token with Webhooks: read only lists the deliveries, and GitHub answers 403 to the POST."""
    hook = github.api.add_hook("example-org", DEV_URL)
    github.api.add_delivery(hook, guid("a"), 500, github.ago(20))
    template = "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
    github.fake.answer_next("POST", template, error(403, "Resource not accessible by personal access token"))
    code, out, err = github.run(capsys, "--stack", "dev")
    assert code == 2
    assert "redelivery failed: GitHub answered HTTP 403: Resource not accessible by personal access token" in out
    assert err == (
        "error: organization example-org: GitHub refused a redelivery (HTTP 403): use a token of an organization "
        "owner with admin:org_hook (fine-grained: organization Webhooks: write)\n"
    )


ARGO_EXISTS = 'failed to create workflow: workflows.argoproj.io "{}" already exists'


def argo_500(*errors: str) -> str:
    """Argo v4.0.6's answer when bindings fail: gRPC Internal (code 13), its errors joined as Go prints a slice."""
    return json.dumps({"code": 13, "message": f"failed to dispatch event: [{' '.join(errors)}]"})


def test_a_delivery_argo_refused_only_for_runs_that_exist_already_ran() -> None:
    name = f"secret-scan-{guid('a')}"
    assert already_ran(argo_500(ARGO_EXISTS.format(name)))
    assert already_ran(argo_500(ARGO_EXISTS.format(name), ARGO_EXISTS.format(f"hello-world-{guid('a')}")))
    other = 'failed to evaluate workflow template expression: cannot fetch base from <nil>'
    assert not already_ran(argo_500(ARGO_EXISTS.format(name), other))  # one pipeline still failed: redeliver
    assert not already_ran(argo_500(other))
    assert not already_ran(argo_500())
    assert not already_ran(json.dumps({"message": ARGO_EXISTS.format(name)}))  # not Argo's dispatch answer
    assert not already_ran("<html>502 Bad Gateway</html>")
    assert not already_ran("")
    assert not already_ran(None)


def test_already_ran_deliveries_are_left_alone(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    """A redelivery whose pipelines had all run is answered 500 (AlreadyExists): done, not redelivered again."""
    hook = github.api.add_hook("example-org", DEV_URL)
    exists = argo_500(ARGO_EXISTS.format(f"hello-world-{guid('a')}"))
    github.api.add_delivery(hook, guid("a"), 500, github.ago(60))  # a pipeline failed, the others ran
    github.api.add_delivery(hook, guid("a"), 500, github.ago(30), redelivery=True, response=exists)
    mixed = argo_500(ARGO_EXISTS.format(f"hello-world-{guid('b')}"), "failed to create workflow: etcdserver: timeout")
    github.api.add_delivery(hook, guid("b"), 500, github.ago(20), response=mixed)
    code, out, _ = github.run(capsys, "--stack", "dev", "--json")
    document = json.loads(out)
    assert [(item["guid"], item["outcome"]) for item in document["deliveries"]] == [
        (guid("a"), "already ran"),
        (guid("b"), "redelivered"),
    ]
    assert github.api.redeliveries() == [(hook, guid("b"))]
    assert document["summary"]["already_ran"] == 1
    assert code == 0  # nothing is left failed


def closed_port() -> int:
    """A loopback port nothing listens on: what a run without network sees."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_network_it_says_it_read_nothing_and_the_error_once(
    github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Before: "no failed deliveries" although none was read, and the error on stdout and again on stderr."""
    project = write_project(tmp_path, {})
    base_url = f"http://127.0.0.1:{closed_port()}/"
    environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_BASE_URL": base_url}
    code, out, err = github.run(capsys, "--stack", "ci", environ=environ, project_root=project)
    assert code == 1
    assert out.splitlines()[1:] == [
        "deliveries not read (see the error below): nothing is known about failed deliveries",
        "0 deliveries (0 attempts) since 2026-11-18T05:06:40Z in 0 organizations: 0 succeeded. GitHub writes: 0 "
        "(requests: 4, waited 7 s).",
    ]
    assert "no failed deliveries" not in out and "error:" not in out
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: stopped early: GET /orgs/example-org/hooks?per_page=100: no answer: cannot reach {base_url}: "
        "[Errno 111] Connection refused"
    ]
    assert err.splitlines()[:2] == [
        f"waiting {seconds} s for GitHub (rate limited, or not answering), then trying again" for seconds in (2, 4)
    ]
    code, out, err = github.run(capsys, "--stack", "ci", "--json", environ=environ, project_root=project)
    document = json.loads(out)
    assert (code, document["exit_code"], document["read"], document["deliveries"]) == (1, 1, [], [])
    assert f"error: {document['error']}" == errors[0]
    assert "error" not in err


def test_no_failed_deliveries_only_where_they_were_read(
    github: GitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = write_project(tmp_path, {"argo-github-webhooks:organizations": ["example-org", "example-org-labs"]})
    hook = github.api.add_hook("example-org", CI_URL)
    github.api.add_delivery(hook, guid("a"), 200, github.ago(20))
    github.api.add_hook("example-org-labs", DEV_URL)  # only another stack's hook
    code, out, err = github.run(capsys, "--stack", "ci", project_root=project)
    assert code == 2
    assert out.splitlines()[1:4] == [
        f"  example-org: hook {hook}",
        "  example-org-labs: -",
        "no failed deliveries in example-org; not read: example-org-labs",
    ]
    assert err == (
        f"error: organization example-org-labs: no webhook posts to {CI_URL} (has `pulumi up` run for this stack?)\n"
    )


def test_a_deliveries_page_linking_back_stops_with_exit_1_instead_of_looping(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: redeliver followed rel="next" without a cap; a page linking to itself looped until CI's timeout."""
    org_hook, _ = prod_scenario(github)
    listing = f"/orgs/example-org/hooks/{org_hook}/deliveries"
    page = [github.api._list_item(github.api.deliveries[org_hook][0])]
    looping = FakeResponse(200, page, {"Link": f'<{github.fake.url(listing, per_page=100, cursor="v1_1")}>; rel="next"'})
    github.fake.answer_next("GET", "/orgs/{org}/hooks/{hook_id}/deliveries", looping, looping, looping)
    code, _, err = github.run(capsys, "--stack", "prod")
    assert code == 1
    assert github.fake.writes == 0
    assert err.splitlines()[-1] == (
        f"error: stopped early: GET orgs/example-org/hooks/{org_hook}/deliveries: HTTP 200: page 2 links to a page "
        f"already fetched ({listing}?per_page=100&cursor=v1_1)"
    )
    assert sum(request.path == listing for request in github.fake.requests) == 2  # never a third time
