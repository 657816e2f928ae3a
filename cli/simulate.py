"""Dry-run a GitHub delivery against a stack's pipelines: which fire, with which parameters, and why not.

    python -m cli simulate --stack dev --event push --payload payload.json [--delivery ID] [--json]

Offline: it reads `Pulumi.<stack>.yaml` like `pulumi up` does, compiles the same bindings, and evaluates their very
expression strings the way Argo Server does. Exit code: 0 something fired, 1 nothing fired, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cli.common import PROJECT_ROOT, BadInput, CommandParser, progress
from cli.common import run as run_command
from delivery.expr import Environment, ExprError, UnsupportedExpression, argo_parameter_value, environment, evaluate
from delivery.github_events import catalogue
from delivery.required import SKIP_PREFIX, skip_trigger
from delivery.superseded import CONCURRENCY_ANNOTATION, concurrency_annotation
from delivery.triggers import (
    Trigger,
    compile_parameters,
    compile_trigger,
    failure_reason,
    push_paths_unknown,
    well_known_expression,
    workflow_metadata,
)
from delivery.workflow_names import DELIVERY_GUID, RANDOM_SUFFIX_LENGTH
from settings.config import EVENTS_DISCRIMINATOR, ConfigError, Pipeline, StackSettings, parse_settings
from settings.messages import did_you_mean
from settings.required_checks import RequiredChecks
from settings.stack_files import StackFileError, esc_environments, read_stack_config

MAX_BODY_BYTES = 2 * 1024 * 1024  # Argo Server refuses larger request bodies

EXIT_FIRED, EXIT_NOTHING_FIRED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass
class PipelineResult:
    name: str
    fires: bool
    reason: str | None
    template: str | None = None
    workflow: str | None = None  # the run's name; None when Argo picks a random one (delivery id not a GUID)
    parameters: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: dict[str, str] | None = None  # what the run reports: {"context", "commit", "kind": check_run/status}
    # A required pipeline that does not fire for a pull request its ruleset targets: "skipped: <reason>" (or
    # "failure: ..." for a fork's), what its skip run concludes on the check run (delivery/required.py)
    reports: str | None = None


@dataclass
class Simulation:
    event: str
    delivery: str
    stack: str
    pipelines: list[PipelineResult]
    refused: str | None = None
    notes: list[str] = field(default_factory=list)  # about the delivery or the stack, not one pipeline

    @property
    def fired(self) -> bool:
        return any(result.fires for result in self.pipelines)


def delivery_environment(
    payload: Mapping[str, Any], event: str, delivery: str, discriminator: str, namespace: str
) -> Environment:
    """What Argo's expressions see for a delivery to `.../events/<namespace>/<discriminator>`."""
    return environment(
        {
            "payload": payload,
            "metadata": {"x-github-event": [event], "x-github-delivery": [delivery]},
            "discriminator": discriminator,
            "namespace": namespace,
        }
    )


def explain(trigger: Trigger, env: Environment) -> str | None:
    """None when the selector matches; else the first condition that fails, in words. Raises ExprError like Argo."""
    if evaluate(trigger.discriminator.expression, env) is not True:
        return failure_reason(trigger.discriminator, evaluate(trigger.discriminator.subject, env), trigger)
    for clause in trigger.clauses:
        event_condition, *filters = clause.conditions
        if evaluate(event_condition.expression, env) is not True:
            continue
        for condition in filters:
            if evaluate(condition.expression, env) is not True:
                return failure_reason(condition, evaluate(condition.subject, env), trigger)
        return None
    first_event = trigger.clauses[0].conditions[0]
    return failure_reason(first_event, evaluate(first_event.subject, env), trigger)


def skip_answer(pipeline: Pipeline, env: Environment, required: RequiredChecks) -> str | None:
    """What a required pipeline's skip binding makes of the delivery: "<conclusion>: <reason>", or None."""
    trigger = skip_trigger(pipeline, required)
    if evaluate(trigger.selector, env) is not True:
        return None
    conclusion = argo_parameter_value(evaluate(trigger.conclusion, env))
    return f"{conclusion}: {argo_parameter_value(evaluate(trigger.reason, env))}"


def simulate_pipeline(
    pipeline: Pipeline, env: Environment, check_runs: bool = False, required: RequiredChecks | None = None
) -> PipelineResult:
    """One pipeline's answer to a delivery sent to its own webhook URL; `check_runs`: its runs report check runs
    (a GitHub App with `checkRuns` on), else commit statuses; `required`: the rulesets' targets (a required pipeline
    answers every pull request they target)."""
    trigger = compile_trigger(pipeline)
    try:
        reason = explain(trigger, env)
        matched = evaluate(trigger.selector, env)
        if not isinstance(matched, bool):  # Argo's EvalBool refuses anything but a bool
            raise ExprError(f"unable to cast expression result {matched!r} to bool")
        fires = matched
    except ExprError as error:
        return PipelineResult(pipeline.name, False, f"Argo would answer HTTP 500: the selector fails: {error}")
    if fires != (reason is None):  # the words and the selector are two views of one model: they must agree
        raise AssertionError(f"{pipeline.name}: selector says {fires}, explanation says {reason!r}")
    if not fires:
        result = PipelineResult(pipeline.name, False, reason)
        if pipeline.required and required is not None:
            try:
                result.reports = skip_answer(pipeline, env, required)
            except ExprError as error:
                result.reason = f"Argo would answer HTTP 500: the skip binding fails: {error}"
        return result
    result = PipelineResult(pipeline.name, True, None, template=pipeline.name)
    result.workflow = evaluate(workflow_metadata(pipeline)["name"], env) or None
    if result.workflow is None:
        result.notes.append(
            f"the X-GitHub-Delivery header {delivery_header_problem(header_value(env))}: Argo names the run "
            f"{pipeline.name}-<{RANDOM_SUFFIX_LENGTH} random characters>, and a redelivery would start another run"
        )
    for name, expression in compile_parameters(pipeline).items():
        try:
            result.parameters[name] = argo_parameter_value(evaluate(expression, env))
        except UnsupportedExpression as error:
            result.parameters[name] = None
            result.notes.append(f"parameter {name}: not simulated: {error}; Argo evaluates it for real")
        except ExprError as error:
            result.parameters[name] = None
            result.fires = False
            result.reason = f"Argo would answer HTTP 500: parameter {name} fails: {error}"
    if result.fires:
        result.notes.extend(path_filter_notes(pipeline, env))
        group = evaluate(concurrency_annotation(pipeline).get(CONCURRENCY_ANNOTATION, '""'), env)
        if group:
            stops = f"its first step stops this pipeline's unfinished runs of {group} created before it"
            result.notes.append(f"cancelInProgress: {stops}")
    if result.fires and pipeline.status is not None:
        commit = argo_parameter_value(evaluate(well_known_expression("head_commit", pipeline.events), env))
        kind = "check_run" if check_runs else "status"
        result.status = {"context": pipeline.status.context, "commit": commit, "kind": kind}
    return result


def path_filter_notes(pipeline: Pipeline, env: Environment) -> list[str]:
    """Why a push with a path filter fired although the payload cannot tell its files (or nothing to say)."""
    if not (pipeline.paths or pipeline.paths_ignore):
        return []
    event = env.values["metadata"]["x-github-event"]
    if event != ["push"]:
        key = "paths" if pipeline.paths else "paths-ignore"
        return [
            f"{key}: decided in the run: its first step lists the pull request's files (GitHub's API, 100 a page, "
            "3,000 at most) and ends the run skipped when none concerns it"
        ]
    unknown = push_paths_unknown(env.values["payload"])
    return [f"path filter passed without looking at files: {unknown}"] if unknown else []


def header_value(env: Environment) -> str:
    """The X-GitHub-Delivery header as the expressions see it."""
    return str(evaluate('(metadata["x-github-delivery"] ?? [""])[0]', env))


def delivery_header_problem(delivery: str) -> str:
    """Why the bindings' expressions (delivery.workflow_names.DELIVERY_GUID) do not take this header as GitHub's
    GUID: they compare it as sent, and GitHub sends lower case."""
    if re.fullmatch(DELIVERY_GUID, delivery.lower()):
        return "is a GUID in upper case: GitHub sends lower case, and the bindings compare the header as it is sent"
    return "is not a GUID as GitHub sends it (lower-case hexadecimal, 8-4-4-4-12)"


def organization_note(settings: StackSettings, payload: Mapping[str, Any]) -> str | None:
    """What the bindings do with a payload none of the stack's organization webhooks sends. They never check where a
    delivery came from (Argo Server checks its signature, made with the stack's webhook secret); only a pipeline
    with an `organizations` filter tests `organization.login`, so every other pipeline answers as it would for the
    stack's own organizations."""
    organization = payload.get("organization")
    login = organization.get("login") if isinstance(organization, dict) else None
    if isinstance(login, str) and login.lower() in {name.lower() for name in settings.organizations}:
        return None
    if isinstance(login, str) and login:
        origin = (
            f"organization {login} is not one of the stack's ({', '.join(settings.organizations)}): "
            "none of its webhooks sends this delivery"
        )
    else:
        origin = (
            "the payload has no organization.login: every organization webhook's delivery carries one, so none of "
            "the stack's webhooks sends this one (a repository webhook's or a GitHub App's payload?)"
        )
    unfiltered = [pipeline.name for pipeline in settings.pipelines if not pipeline.organizations]
    filtered = [pipeline.name for pipeline in settings.pipelines if pipeline.organizations]
    effects = []
    if unfiltered:
        verb = "answers" if len(unfiltered) == 1 else "answer"
        effects.append(f"{', '.join(unfiltered)} (no `organizations` filter) {verb} it as shown")
    if filtered:
        verb = "does" if len(filtered) == 1 else "do"
        effects.append(f"{', '.join(filtered)} (an `organizations` filter) {verb} not fire")
    return (
        f"{origin}. If it reached Argo with a valid signature, the bindings would not check its origin: "
        f"{'; '.join(effects)}"
    )


def esc_note(environments: Sequence[str]) -> str | None:
    """The stack's Pulumi ESC imports: their config reaches `pulumi up`, never this offline tool."""
    if not environments:
        return None
    plural = "s" if len(environments) > 1 else ""
    return (
        f"the stack file imports the Pulumi ESC environment{plural} {', '.join(environments)} (`environment:`): "
        "its pulumiConfig values reach pulumi up but not this offline simulation, which uses the stack file's own "
        "values (they win over the environment's wherever both set a key)"
    )


def simulate(
    settings: StackSettings,
    stack: str,
    event: str,
    payload: Mapping[str, Any],
    delivery: str,
    environments: Sequence[str] = (),
) -> Simulation:
    """Each pipeline's answer to the delivery, posted to the stack's one events URL as every webhook does."""
    delivered = delivery_environment(payload, event, delivery, EVENTS_DISCRIMINATOR, settings.workflow_namespace)
    check_runs = settings.github_access is not None and settings.github_access.reports_check_runs
    results = [
        simulate_pipeline(pipeline, delivered, check_runs, settings.required_checks) for pipeline in settings.pipelines
    ]
    notes = [f"stack config warning (pulumi preview prints it too): {warning}" for warning in settings.warnings]
    notes += [note for note in (esc_note(environments), organization_note(settings, payload)) if note]
    return Simulation(event=event, delivery=delivery, stack=stack, pipelines=results, notes=notes)


def _refused(stack: str, event: str, delivery: str, why: str) -> Simulation:
    return Simulation(event=event, delivery=delivery, stack=stack, pipelines=[], refused=why)


def read_payload(source: str, stdin: TextIO) -> bytes:
    if source == "-":
        if stdin.isatty():  # a person at a terminal would otherwise face a silent wait
            progress("reading the payload from standard input: paste it, then Ctrl-D")
        return stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"payload file {source} not found") from None
    except OSError as error:
        raise BadInput(f"payload file {source} cannot be read: {error.strerror}") from None


def run(options: argparse.Namespace, project_root: Path, stdin: TextIO) -> Simulation:
    """Simulate what the command line asks; raises BadInput for anything that is not a delivery to simulate."""
    delivery = options.delivery or str(uuid.uuid4())
    environments: list[str] = []
    try:
        config = read_stack_config(project_root, options.stack)
        environments = esc_environments(project_root, options.stack)
        settings = parse_settings(config, project_root)
    except (StackFileError, ConfigError) as error:
        unseen = f"\n{esc_note(environments)}" if environments else ""
        raise BadInput(f"{error}{unseen}") from None
    event = options.event
    if event not in catalogue().github_events:
        raise BadInput(
            f"unknown event name: {catalogue().problem_with(event)}{did_you_mean(event, catalogue().github_events)}"
        )
    body = read_payload(options.payload, stdin)
    if len(body) > MAX_BODY_BYTES:
        why = f"the payload is {len(body)} bytes, over Argo Server's limit of {MAX_BODY_BYTES} bytes (2 MiB)"
        return _refused(options.stack, event, delivery, f"Argo Server would refuse this delivery: {why}")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadInput(f"payload is not JSON: {error}") from None
    except RecursionError:
        raise BadInput("payload nests too deeply to be read here (GitHub's payloads nest a few levels)") from None
    if not isinstance(payload, dict):
        raise BadInput(f"payload is not a JSON object (GitHub always sends one), it is a {type(payload).__name__}")
    refused = catalogue().delivery_refusal(event, payload)
    if refused:
        return _refused(options.stack, event, delivery, refused)
    return simulate(settings, options.stack, event, payload, delivery, environments)


def render_text(simulation: Simulation) -> str:
    lines = [f"{simulation.event} delivery {simulation.delivery} to stack {simulation.stack}"]
    lines.extend(f"  note: {note}" for note in simulation.notes)
    if simulation.refused:
        return "\n".join([*lines, f"  {simulation.refused}"])
    for result in simulation.pipelines:
        if not result.fires:
            lines.append(f"  {result.name}: does not fire: {result.reason}")
            if result.reports:
                lines.append(
                    f"      would report {result.reports} (run of {SKIP_PREFIX}{result.name}: a required check always "
                    "reports)"
                )
            continue
        lines.append(f"  {result.name}: fires, submits WorkflowTemplate {result.template}")
        lines.append(f"      Workflow {result.workflow or f'{result.name}-<random>'}")
        lines.extend(
            f"      {name} = {value if value is not None else '(unknown)'}" for name, value in result.parameters.items()
        )
        lines.extend(f"      note: {note}" for note in result.notes)
        if result.status and result.status.get("kind") == "check_run":
            lines.append(
                f"      creates check run {result.status['context']} on {result.status['commit']} "
                "(in_progress, then success, failure, cancelled, timed_out, skipped or neutral)"
            )
        elif result.status:
            lines.append(
                f"      reports commit status {result.status['context']} on {result.status['commit']} "
                "(pending, then success, failure or error)"
            )
    return "\n".join(lines)


def _result_json(result: PipelineResult) -> dict[str, Any]:
    """A pipeline's answer; `status` only when the run would report a commit status."""
    document = asdict(result)
    if document["status"] is None:
        del document["status"]
    if document["reports"] is None:
        del document["reports"]
    return document


def render_json(simulation: Simulation) -> str:
    document = {
        "event": simulation.event,
        "delivery": simulation.delivery,
        "stack": simulation.stack,
        "refused": simulation.refused,
        "notes": simulation.notes,
        "pipelines": [_result_json(result) for result in simulation.pipelines],
    }
    return json.dumps(document, indent=2)


def _parser() -> CommandParser:
    parser = CommandParser(
        "simulate",
        "Which pipelines of a stack a GitHub delivery would start, with which parameters, and why not.",
        exit_codes={
            EXIT_FIRED: "at least one pipeline fires",
            EXIT_NOTHING_FIRED: "no pipeline fires (or Argo Server would refuse the delivery)",
            EXIT_BAD_INPUT: "bad input: options, the stack file or its config, the event name, the payload",
        },
        examples=["python -m cli simulate --stack dev --event push --payload tests/fixtures/payloads/push-branch.json"],
    )
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--event", required=True, help="the X-GitHub-Event header, e.g. push or pull_request")
    parser.add_argument("--payload", required=True, help="the delivery's JSON body: a file, or - for standard input")
    parser.add_argument("--delivery", help="the X-GitHub-Delivery header (default: a new GUID)")
    return parser


def main(arguments: Sequence[str] | None = None, project_root: Path = PROJECT_ROOT) -> int:
    def body(options: argparse.Namespace) -> int:
        simulation = run(options, project_root, sys.stdin)
        print(render_json(simulation) if options.json else render_text(simulation))
        return EXIT_FIRED if simulation.fired else EXIT_NOTHING_FIRED

    return run_command(_parser(), body, arguments)


if __name__ == "__main__":
    sys.exit(main())
