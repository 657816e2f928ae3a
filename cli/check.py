"""Check a stack's config and templates offline: every check `pulumi preview` runs on them, errors and warnings.

    python -m cli check --stack dev [--strict] [--json]

It reads `Pulumi.<stack>.yaml` with `Pulumi.yaml`'s defaults, as Pulumi hands them to the program, and runs the very
`parse_settings` that `__main__.py` runs before it registers anything, so it prints the messages a preview would
fail (errors) or log (warnings) with. It also names what it cannot see: `secure:` values (only the Pulumi CLI can
decrypt them: their presence is checked, their content at preview) and Pulumi ESC environments the stack imports
(their `pulumiConfig` values reach `pulumi up` only; a key only they supply is listed, not reported missing).

Exit code: 0 deployable (warnings printed, they do not count unless --strict), 1 errors (or warnings with
--strict), 2 cannot check (no such stack, an unreadable stack file, bad options).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cli.common import PROJECT_ROOT, BadInput, CommandParser, print_json
from cli.common import run as run_command
from settings.config import ConfigError, StackSettings, parse_settings
from settings.stack_files import StackFileError, encrypted_paths, esc_environments, read_stack_config

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2

# "<key>: is required ..." / "<key>: must be true (it is missing) ...": a key the stack file does not set.
_MISSING_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_-]+:[A-Za-z0-9_]+): (?:is required\b|must be \w+ \(it is missing\))")


@dataclass
class CheckReport:
    stack: str
    strict: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # what this offline check cannot see, and why
    pipelines: list[str] = field(default_factory=list)  # when deployable: the pipelines, in order
    webhooks: dict[str, list[str]] = field(default_factory=dict)  # when deployable: organization -> hook events

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.errors or (self.strict and self.warnings) else EXIT_CLEAN


def check_stack(project_root: Path, stack: str, strict: bool = False) -> CheckReport:
    """The checks `pulumi preview` runs on the stack's config and templates; BadInput when there is nothing to check."""
    try:
        config = read_stack_config(project_root, stack)
        encrypted = encrypted_paths(project_root, stack)
        environments = esc_environments(project_root, stack)
    except StackFileError as error:
        raise BadInput(str(error)) from None
    report = CheckReport(stack=stack, strict=strict)
    report.not_checked += [
        f"{path}: encrypted (secure:); only the Pulumi CLI can decrypt it: checked as present and secret, its "
        "content at pulumi preview"
        for path in encrypted
    ]
    if environments:
        report.not_checked.append(
            f"Pulumi ESC environment{'s' if len(environments) > 1 else ''} {', '.join(environments)} (the stack "
            "file's `environment:`): its pulumiConfig values reach pulumi up only; the stack file's own values win "
            "over them and are checked here"
        )
    # Pulumi holds a key with a secure value anywhere inside it as a secret: so does the check.
    secret_keys = {re.split(r"[.\[]", path, maxsplit=1)[0] for path in encrypted}
    try:
        settings: StackSettings | None = parse_settings(config, project_root, secret_keys)
        errors, warnings = [], list(settings.warnings)
    except ConfigError as error:
        settings, errors, warnings = None, error.problems, error.warnings
    for problem in errors:
        missing = _MISSING_KEY.match(problem)
        if any(re.match(rf"{re.escape(path)}[:.\[]", problem) for path in encrypted):
            continue  # a value only the Pulumi CLI can read: listed under not_checked, its content checked at preview
        if environments and missing:  # an ESC environment may supply it: say so instead of failing
            report.not_checked.append(
                f"{missing['key']}: not in the stack file; the ESC environment(s) {', '.join(environments)} must "
                "supply it, or pulumi preview fails"
            )
        else:
            report.errors.append(problem)
    report.warnings = warnings
    if settings is not None:
        report.pipelines = [pipeline.name for pipeline in settings.pipelines]
        report.webhooks = {
            organization: list(settings.webhook_events(organization)) for organization in settings.organizations
        }
    return report


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render_text(report: CheckReport) -> str:
    if report.errors:
        verdict = f"{_count(len(report.errors), 'error')}, pulumi preview would fail"
    elif report.warnings and report.strict:
        verdict = "warnings count as problems (--strict)"
    else:
        verdict = "deployable"
    lines = [f"stack {report.stack}: {verdict}; {_count(len(report.warnings), 'warning')}"]
    lines += [f"error: {problem}" for problem in report.errors]
    lines += [f"warning: {warning}" for warning in report.warnings]
    lines += [f"not checked: {what}" for what in report.not_checked]
    if report.pipelines:
        lines.append(f"pipelines: {', '.join(report.pipelines)}")
        lines += [f"webhook of {org}: {', '.join(events)}" for org, events in report.webhooks.items()]
    return "\n".join(lines)


def render_json(report: CheckReport) -> dict[str, object]:
    return {**asdict(report), "ok": report.exit_code == EXIT_CLEAN, "exit_code": report.exit_code}


def _parser() -> CommandParser:
    parser = CommandParser(
        "check",
        "Check a stack's config and templates offline: every check pulumi preview runs, errors and warnings.",
        exit_codes={
            EXIT_CLEAN: "deployable (warnings, if any, are printed)",
            EXIT_PROBLEMS: "errors, which pulumi preview would fail with (or warnings, with --strict)",
            EXIT_BAD_INPUT: "cannot check: no such stack, an unreadable stack file, bad options",
        },
        examples=["python -m cli check --stack dev", "python -m cli check --stack prod --strict --json"],
    )
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--strict", action="store_true", help="warnings count as problems (exit code 1)")
    return parser


def main(arguments: Sequence[str] | None = None, project_root: Path = PROJECT_ROOT) -> int:
    def body(options: argparse.Namespace) -> int:
        report = check_stack(project_root, options.stack, options.strict)
        if options.json:
            print_json(render_json(report))
        else:
            print(render_text(report))
        return report.exit_code

    return run_command(_parser(), body, arguments)


if __name__ == "__main__":
    sys.exit(main())
