"""The report's pure parts: Argo's quoted failures, the findings convention, Argo's pod names, the output's bounds."""

from __future__ import annotations

import pytest

from podkit.failures import Failure, FailuresProblem, parse_failures, unquote_go
from podkit.findings import Finding, parse_commands
from podkit.kubernetes import _fnv32a, pod_name
from podkit.report import MAX_OUTPUT, Step, build_output, fenced, markdown, redact


def test_failures_as_argo_v4_0_6_hands_them_to_a_pod() -> None:
    """The value operator_test.go (v4.0.6) checks: strconv.Quote of the JSON list, escaped quotes and all."""
    value = (
        '"[{\\"displayName\\":\\"exit-handlers\\",\\"message\\":\\"Pod failed\\",\\"templateName\\":'
        '\\"intentional-fail\\",\\"phase\\":\\"Failed\\",\\"podName\\":\\"exit-handlers\\",'
        '\\"finishedAt\\":\\"2026-12-03T10:00:00Z\\"}]"'
    )
    assert parse_failures(value) == [
        Failure("exit-handlers", "Pod failed", "intentional-fail", "Failed", "exit-handlers", "2026-12-03T10:00:00Z")
    ]
    assert parse_failures('"null"') == [] and parse_failures("") == []


def test_go_escapes_are_decoded() -> None:
    assert unquote_go(r'"tab\there\nnew \"q\" \\ \x41 \u00e9 \U0001F600 \a\v"') == 'tab\there\nnew "q" \\ A é 😀 \x07\x0b'
    assert unquote_go('"caf\\xc3\\xa9"') == "café"  # \x escapes are bytes of UTF-8
    with pytest.raises(FailuresProblem):
        unquote_go("[not quoted]")
    with pytest.raises(FailuresProblem):
        unquote_go('"bad \\q"')


def test_the_findings_convention() -> None:
    log = [
        "compiling",
        "::error file=src/app.py,line=10,endLine=12,title=Hard-coded token::A GitHub token%0Ais committed here",
        "::warning file=./README.md,line=3,col=5,endColumn=9::Broken link",
        "::notice file=setup.cfg::Consider pinning",
        "::error::no file at all",
        "::error file=../etc/passwd,line=1::outside the repository",
        "::error file=a%2Cb.py,line=0::zero is not a line",
        "::title::2 secrets found in 2 files",
        "::skipped::no file matches paths",
        "   ::error file=x.py::indented: not a command",
    ]
    found = parse_commands(log)
    assert found.findings == [
        Finding("failure", "src/app.py", 10, 12, "Hard-coded token", "A GitHub token\nis committed here"),
        Finding("warning", "README.md", 3, 3, "", "Broken link", 5, 9),
        Finding("notice", "setup.cfg", 1, 1, "", "Consider pinning"),
        Finding("failure", "a,b.py", 1, 1, "", "zero is not a line"),
    ]
    assert found.without_file == 2
    assert found.title == "2 secrets found in 2 files"
    assert found.decision == ("skipped", "no file matches paths")
    assert found.findings[1].annotation() == {
        "path": "README.md",
        "start_line": 3,
        "end_line": 3,
        "annotation_level": "warning",
        "message": "Broken link",
        "start_column": 5,
        "end_column": 9,
    }


def test_fnv32a_and_argos_pod_names() -> None:
    """FNV-1a 32-bit test vectors, then GeneratePodName v2's shapes (workflow/util/pod_name.go, v4.0.6)."""
    assert (_fnv32a(b""), _fnv32a(b"a"), _fnv32a(b"foobar")) == (0x811C9DC5, 0xE40C292C, 0xBF9CF968)
    assert pod_name("wf", "wf", "main", "wf") == "wf"
    assert pod_name("wf", "wf.scan", "scan", "wf-1") == f"wf-scan-{_fnv32a(b'wf.scan')}"
    assert pod_name("wf", "wf.scan", "", "wf-1") == f"wf-{_fnv32a(b'wf.scan')}"
    assert pod_name("wf", "wf.scan", "scan", "wf-1", "v1") == "wf-1"
    long = pod_name("w" * 200, "n", "t" * 100, "id")
    assert long == f"{('w' * 200 + '-' + 't' * 100)[:242]}-{_fnv32a(b'n')}"


def test_untrusted_text_cannot_format_the_summary_or_leak_a_token() -> None:
    assert markdown("a|b [x](http://evil) **bold**\nnext") == r"a\|b \[x\]\(http://evil\) \*\*bold\*\* next"
    assert redact("token ghs_" + "a" * 36 + " and github_pat_" + "B" * 30) == "token *** and ***"
    assert fenced("```\ninside\n````") == "`````text\n```\ninside\n````\n`````"


def test_summary_and_text_stay_within_githubs_limit() -> None:
    steps = [Step(f"step-{n}", "Failed", 1.0, "x" * 2000, f"pod-{n}") for n in range(60)]
    output = build_output(
        run_name="wf",
        phase="Failed",
        workflow=None,
        steps=steps,
        commands=parse_commands([]),
        logs={step.name: "y" * 10_000 + "\n" for step in steps},
        log_lines=50,
        max_annotations=150,
    )
    assert len(output.summary) <= MAX_OUTPUT and len(output.text) <= MAX_OUTPUT
    assert output.summary.endswith("… (cut to GitHub's 65,535 characters)")
    assert output.conclusion == "failure"
