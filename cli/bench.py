"""What grows with a stack, against what cannot be avoided: time and memory per resource against a no-logic floor
under Pulumi's mocks, and GitHub requests and writes per operation and per run.

    python -m cli bench [--repeat 3] [--cells 10x5,50x20] [--json] [--output FILE]

For every cell (organizations x pipelines) of a synthetic stack config it runs, each repetition in a fresh process:

* the program: the real `__main__.py` through `tests.harness.run_stack`, exactly as the tests run it;
* the floor: a program that registers the same custom resources (and the Helm Chart, a remote component) with the
  same types, names and inputs as sent (secrets where the program put them, one secret Output per value), the same
  explicit GitHub providers, under the same mocks, and nothing else: no component resources, no config parsing or
  validation, no template files, no exports. It uses generic resource classes with a constructor of their own, so
  that the SDK sends a stack trace with each registration, as it does for the program's (see `_floor_classes`).

The figure that matters is the marginal cost: the slope of time over the resources the stack deploys (the floor's
count), fitted over the measured cells, for the program and for the floor. A whole run's ratio to the floor mostly
measures fixed costs (Python, the SDK, the first template validated) and says little about a stack ten times larger.

In a process of its own, each operation's GitHub cost (cli/bench_github.py): creating the stack, rotating the
secret, adding a pipeline whose events the hooks already have or one with a new event, adding an organization, from
the program's registrations before and after it. And what one pipeline run sends from inside its Workflow.

Both processes import the heavy modules (pulumi, the provider SDKs and the resource modules the program uses, Hera's
models, the harness) before the clock starts; the time is the run alone. Peak memory is the process's peak RSS, so it
includes those imports. The targets are ones the program meets (docs/development.md has the latest run): missing one
exits 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cli.bench_github import (
    OperationCost,
    operation_cost,
)
from cli.bench_report import EXIT_MET, EXIT_MISSED, Cell, render_text, report
from cli.common import EXIT_BAD_INPUT, PROJECT_ROOT, CommandParser, print_json, progress, report_error, run

GRID = [(orgs, pipelines) for orgs in (1, 10, 50) for pipelines in (1, 5, 20)]
TEMPLATES = ("hello-world", "secret-scan")  # the real files in workflows/, alternated
# Each pipeline listens to one of these (their union is the same from 4 pipelines on).
EVENT_SETS = (["push"], ["pull_request"], ["push", "pull_request"], ["release"])


# --- synthetic stack configs -------------------------------------------------------------------------------------


def synthetic_pipelines(count: int) -> list[dict[str, Any]]:
    """`count` valid pipelines alternating the two templates, with branch, action, repository and parameter filters."""
    pipelines = []
    for index in range(1, count + 1):
        template = TEMPLATES[(index - 1) % len(TEMPLATES)]
        events = EVENT_SETS[(index - 1) % len(EVENT_SETS)]
        pipeline: dict[str, Any] = {
            "name": f"{template}-{index}",
            "template": f"workflows/{template}.yaml",
            "events": list(events),
        }
        if "release" in events:
            pipeline["actions"] = ["published"]
        else:
            pipeline["branches"] = ["main", "release/*", "feature/**"]
        if "pull_request" in events:
            pipeline["actions"] = ["opened", "synchronize", "reopened"]
        if index % 3 == 0:
            pipeline["repositories"] = ["api", "acme/web"]
        if index % 4 == 0:
            pipeline["parameters"] = {"repository": "repository.full_name"}
        pipelines.append(pipeline)
    return pipelines


def synthetic_config(
    organizations: int,
    pipelines: int,
    extra_pipelines: tuple[dict[str, Any], ...] = (),
    secret_version: int = 1,
) -> dict[str, str]:
    """The flat `project:key` config Pulumi would hand the program (built with the tests' `stack_config`)."""
    from tests.harness import stack_config

    return stack_config(
        organizations=[f"org-{index}" for index in range(1, organizations + 1)],
        pipelines=[*synthetic_pipelines(pipelines), *extra_pipelines],
        webhookSecretVersion=secret_version,
        ingress={
            "className": "nginx",
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt-prod"},
            "tlsSecretName": "argo-tls",
        },
    )


# --- GitHub writes per operation ----------------------------------------------------------------------------------

ADDED = {"name": "added", "template": "workflows/hello-world.yaml"}


def operation_configs(organizations: int, pipelines: int) -> dict[str, tuple[dict[str, str] | None, dict[str, str]]]:
    """Each operation as the config before and after it (None: the stack does not exist yet)."""
    base = synthetic_config(organizations, pipelines)
    return {
        "create": (None, base),
        "rotate": (base, synthetic_config(organizations, pipelines, secret_version=2)),
        "add_pipeline_known_event": (
            base,
            synthetic_config(organizations, pipelines, ({**ADDED, "events": ["push"]},)),
        ),
        "add_pipeline_new_event": (
            base,
            synthetic_config(organizations, pipelines, ({**ADDED, "events": ["issues"]},)),
        ),
        "add_organization": (base, synthetic_config(organizations + 1, pipelines)),
    }


def operation_costs(organizations: int, pipelines: int) -> dict[str, OperationCost]:
    """Each operation's GitHub cost: the program run under mocks before and after it, its GitHub resources diffed."""
    from tests.harness import run_stack

    runs: dict[str, Any] = {}

    def program(config: dict[str, str]) -> Any:
        key = json.dumps(config, sort_keys=True)
        if key not in runs:
            runs[key] = run_stack(config)
        return runs[key]

    return {
        operation: operation_cost(program(old) if old else None, program(new))
        for operation, (old, new) in operation_configs(organizations, pipelines).items()
    }


def worker_github(organizations: int, pipelines: int) -> dict[str, dict[str, int]]:
    _import_heavy_modules()
    return {operation: cost.as_json() for operation, cost in operation_costs(organizations, pipelines).items()}


# --- the worker processes ------------------------------------------------------------------------------------------


def _import_heavy_modules() -> float:
    """Import what both the program and the floor would otherwise pay for on their first use; returns the seconds."""
    start = time.perf_counter()
    sys.path.insert(0, str(PROJECT_ROOT))
    import hera.workflows.models
    import pulumi
    import pulumi_github
    import pulumi_kubernetes
    import pulumi_random

    import tests.harness

    # The provider SDKs load their resource modules lazily, on first attribute access.
    _ = (
        pulumi.CustomResource,
        pulumi_kubernetes.meta.v1.outputs.ObjectMeta,  # the type of every `.metadata` output the program reads
        pulumi_kubernetes.core.v1.Namespace,
        pulumi_kubernetes.core.v1.Secret,
        pulumi_kubernetes.core.v1.ConfigMap,
        pulumi_kubernetes.core.v1.ServiceAccount,
        pulumi_kubernetes.networking.v1.NetworkPolicy,
        pulumi_kubernetes.networking.v1.Ingress,
        pulumi_kubernetes.discovery.v1.EndpointSlice,  # read for the API server's addresses (egress rules)
        pulumi_kubernetes.rbac.v1.Role,
        pulumi_kubernetes.rbac.v1.RoleBinding,
        pulumi_kubernetes.helm.v4.Chart,
        pulumi_kubernetes.apiextensions.CustomResource,
        pulumi_github.Provider,
        pulumi_github.OrganizationWebhook,
        pulumi_random.RandomPassword,
        hera.workflows.models.WorkflowTemplate,
        tests.harness.run_stack,
    )
    return time.perf_counter() - start


# Packages `_import_heavy_modules` stands for: none of their modules may first load inside the clock.
PREIMPORTED_PACKAGES = ("pulumi", "pulumi_kubernetes", "pulumi_github", "pulumi_random", "hera", "pydantic", "re2")


def _late_imports(before: set[str]) -> list[str]:
    """Modules of the pre-imported packages that loaded after `before` was taken: a resource module the program
    started to use (a merge adds a NetworkPolicy) and `_import_heavy_modules` does not list yet."""
    return sorted(name for name in set(sys.modules) - before if name.partition(".")[0] in PREIMPORTED_PACKAGES)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _run_under_mocks(body: Any, monitor: Any, config: dict[str, str]) -> None:
    """What `tests.harness.run_stack` does, with any program body and monitor."""
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from settings.config import PROJECT

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack="dev", preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config), [])
    runtime_settings.get_root_resource()
    _sync_await(run_pulumi_func(body))


def _record(config: dict[str, str], path: Path) -> None:
    """Run the program once more and write every registration.

    Besides what the harness keeps, it keeps `remote` and the inputs as sent (`wire`): secrets where the program put
    them, not pushed up to the top-level property as the harness's deserialized `inputs` have them.
    """
    import runpy

    from google.protobuf import json_format

    from tests.harness import PROJECT_ROOT as HARNESS_ROOT
    from tests.harness import RecordingMocks, RecordingMonitor

    remote: dict[str, bool] = {}
    wire: dict[str, Any] = {}

    class Monitor(RecordingMonitor):
        def RegisterResource(self, request):  # type: ignore[no-untyped-def]
            remote[f"{request.type}::{request.name}"] = bool(request.remote)
            wire[f"{request.type}::{request.name}"] = json_format.MessageToDict(request.object)
            return super().RegisterResource(request)

    monitor = Monitor(RecordingMocks())
    _run_under_mocks(lambda: runpy.run_path(str(HARNESS_ROOT / "__main__.py"), run_name="__pulumi__"), monitor, config)
    registrations = [
        {
            "type": resource.type,
            "name": resource.name,
            "urn": resource.urn,
            "custom": resource.custom,
            "remote": remote[f"{resource.type}::{resource.name}"],
            "provider": resource.provider,
            "inputs": resource.inputs,
            "wire": wire[f"{resource.type}::{resource.name}"],
        }
        for resource in monitor.registered
    ]
    path.write_text(json.dumps(registrations), encoding="utf-8")


def worker_program(organizations: int, pipelines: int, record: Path | None) -> dict[str, Any]:
    import_seconds = _import_heavy_modules()
    from tests.harness import run_stack

    config = synthetic_config(organizations, pipelines)
    loaded = set(sys.modules)
    start, cpu_start = time.perf_counter(), time.process_time()
    run = run_stack(config)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    late = _late_imports(loaded)
    if late:  # the floor never pays for these: the ratio would charge the program an import, not its work
        sys.exit(f"the program imported inside the clock (add them to _import_heavy_modules): {', '.join(late)}")
    result = {"resources": len(run.resources), "seconds": seconds, "cpu_seconds": cpu, "rss_mb": _peak_rss_mb()}
    result["import"] = import_seconds
    if record is not None:  # after the measurement, so it adds neither time nor peak memory to it
        _record(config, record)
    return result


def _floor_inputs(value: Any, secrets: dict[str, Any]) -> Any:
    """Inputs as sent, as program inputs: each secret becomes a secret Output, one per value as in the program."""
    import pulumi

    from tests.harness import is_secret

    if is_secret(value):
        key = json.dumps(value["value"], sort_keys=True)
        if key not in secrets:
            secrets[key] = pulumi.Output.secret(_floor_inputs(value["value"], secrets))
        return secrets[key]
    if isinstance(value, dict):
        return {key: _floor_inputs(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_floor_inputs(item, secrets) for item in value]
    return value


def _floor_classes() -> tuple[type, type]:
    """Generic resources with a constructor of their own, as every provider SDK class has one.

    The SDK sends each resource's stack trace, from the caller of the first constructor below its own: with
    `pulumi.CustomResource` called directly it finds none and sends none, which would spare the floor a per-resource
    cost that every real program pays. `pulumi.ProviderResource` has that constructor already.
    """
    import pulumi

    class FloorResource(pulumi.CustomResource):
        def __init__(self, t: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
            super().__init__(t, name, props, opts)

    class FloorRemoteComponent(pulumi.ComponentResource):
        def __init__(self, t: str, name: str, props: dict[str, Any]) -> None:
            super().__init__(t, name, props, remote=True)

    return FloorResource, FloorRemoteComponent


def floor_program(registrations: list[dict[str, Any]]) -> int:
    """Register the recorded resources flat, in order: providers, custom resources, remote components. No logic."""
    import pulumi

    resource_class, remote_component_class = _floor_classes()
    secrets: dict[str, Any] = {}
    providers: dict[str, pulumi.ProviderResource] = {}
    count = 0
    for entry in registrations:
        if entry["custom"] and entry["type"].startswith("pulumi:providers:"):
            package = entry["type"].removeprefix("pulumi:providers:")
            providers[entry["urn"]] = pulumi.ProviderResource(
                package, entry["name"], _floor_inputs(entry["wire"], secrets)
            )
            count += 1
    for entry in registrations:
        if entry["custom"] and not entry["type"].startswith("pulumi:providers:"):
            provider_urn = entry["provider"].rpartition("::")[0] if entry["provider"] else ""
            opts = pulumi.ResourceOptions(provider=providers[provider_urn]) if provider_urn in providers else None
            resource_class(entry["type"], entry["name"], _floor_inputs(entry["wire"], secrets), opts)
            count += 1
        elif entry["remote"]:
            remote_component_class(entry["type"], entry["name"], _floor_inputs(entry["wire"], secrets))
            count += 1
    return count


def worker_floor(registrations_path: Path) -> dict[str, Any]:
    import_seconds = _import_heavy_modules()
    from tests.harness import RecordingMocks, RecordingMonitor

    registrations = json.loads(registrations_path.read_text(encoding="utf-8"))
    monitor = RecordingMonitor(RecordingMocks())
    loaded = set(sys.modules)
    start, cpu_start = time.perf_counter(), time.process_time()
    _run_under_mocks(lambda: floor_program(registrations), monitor, {})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    late = _late_imports(loaded)
    if late:
        sys.exit(f"the floor imported inside the clock (add them to _import_heavy_modules): {', '.join(late)}")
    result = {"resources": len(monitor.registered), "seconds": seconds, "cpu_seconds": cpu, "rss_mb": _peak_rss_mb()}
    # The floor must ask for exactly what the program asked for, component resources aside.
    expected = sorted(
        json.dumps([entry["type"], entry["name"], entry["custom"], entry["inputs"]], sort_keys=True)
        for entry in registrations
        if entry["custom"] or entry["remote"]
    )
    registered = sorted(
        json.dumps([resource.type, resource.name, resource.custom, resource.inputs], sort_keys=True)
        for resource in monitor.registered
    )
    if registered != expected:
        sys.exit(f"the floor did not register what the program did ({len(registered)} vs {len(expected)})")
    return {**result, "import": import_seconds}


def worker_profile(organizations: int, pipelines: int) -> None:
    """One program run under pyinstrument if it is installed, else under the stdlib's cProfile, printed as text."""
    _import_heavy_modules()
    from tests.harness import run_stack

    config = synthetic_config(organizations, pipelines)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        run = profile.runcall(run_stack, config)
        print(f"{len(run.resources)} resources registered (cProfile; pip install pyinstrument for a call tree)")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(60)
        return
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    run = run_stack(config)
    profiler.stop()
    print(f"{len(run.resources)} resources registered")
    print(profiler.output_text(unicode=False, color=False))


# --- the driver ----------------------------------------------------------------------------------------------------


class MeasurementFailed(RuntimeError):
    """A worker process failed: nothing to report (exit code 2)."""


def _worker(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "cli.bench", "--worker", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise MeasurementFailed(f"worker {' '.join(args)} failed:\n{completed.stderr.strip()}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(organizations: int, pipelines: int, repeat: int, scratch: Path) -> Cell:
    """`repeat` program and floor runs, alternated; the first program run also records what the floor registers."""
    recording = scratch / f"registrations-{organizations}x{pipelines}.json"
    cell = Cell(organizations, pipelines, [], [])
    size = f"{organizations}x{pipelines}"
    for repetition in range(repeat):
        record = ["--record", str(recording)] if repetition == 0 else []
        cell.program.append(_worker("program", "--cell", size, *record))
        cell.floor.append(_worker("floor", "--registrations", str(recording)))
    cell.github = _worker("github", "--cell", size)  # its own process: no effect on the times above
    return cell


def _parse_cell(text: str) -> tuple[int, int]:
    organizations, _, pipelines = text.strip().partition("x")
    try:
        size = int(organizations), int(pipelines)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not ORGSxPIPELINES, e.g. 50x20") from None
    if min(size) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1 organization and 1 pipeline")
    return size


def _parse_cells(text: str) -> list[tuple[int, int]]:
    return [_parse_cell(item) for item in text.split(",") if item.strip()]


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _parser() -> CommandParser:
    parser = CommandParser(
        "bench",
        "Measure what grows with a stack: time and memory per resource against the Pulumi SDK floor, GitHub "
        "requests and writes per operation and per run.",
        exit_codes={
            EXIT_MET: "every target that the measured cells allow checking is met",
            EXIT_MISSED: "a target is missed (the report says which)",
            EXIT_BAD_INPUT: "bad input, or a measurement failed",
        },
        examples=["python -m cli bench --cells 10x5,50x20 --output bench.json"],
    )
    parser.add_argument("--repeat", type=_positive, default=3, help="runs of each cell, program and floor (median)")
    parser.add_argument("--cells", type=_parse_cells, default=GRID, help="e.g. 10x5,50x20 (default: the 3x3 grid)")
    parser.add_argument("--output", type=Path, help="also write the JSON report to this file")
    parser.add_argument("--profile", type=_parse_cell, metavar="ORGSxPIPELINES", help="profile one program run")
    parser.add_argument("--worker", choices=("program", "floor", "github"), help=argparse.SUPPRESS)
    parser.add_argument("--cell", type=_parse_cell, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--registrations", type=Path, help=argparse.SUPPRESS)
    return parser


def _body(args: argparse.Namespace) -> int:
    if args.worker == "program":
        print(json.dumps(worker_program(*args.cell, args.record)))
        return 0
    if args.worker == "floor":
        print(json.dumps(worker_floor(args.registrations)))
        return 0
    if args.worker == "github":
        print(json.dumps(worker_github(*args.cell)))
        return 0
    if args.profile:
        worker_profile(*args.profile)
        return 0
    cells = []
    with tempfile.TemporaryDirectory(prefix="argo-bench-") as scratch:
        for organizations, pipelines in args.cells:
            started = time.perf_counter()
            cell = measure(organizations, pipelines, args.repeat, Path(scratch))
            cells.append(cell)
            progress(
                f"{organizations}x{pipelines}: {cell.resources} resources, program {cell.program_seconds:.3f} s, "
                f"floor {cell.floor_seconds:.3f} s ({time.perf_counter() - started:.0f} s wall)"
            )
    document = report(cells, args.repeat)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print_json(document)
    else:
        print(render_text(cells, document))
    return int(document["exit_code"])


def main(arguments: list[str] | None = None) -> int:
    def body(args: argparse.Namespace) -> int:
        try:
            return _body(args)
        except MeasurementFailed as error:
            return report_error(str(error), EXIT_BAD_INPUT, args.json)

    return run(_parser(), body, arguments)


if __name__ == "__main__":
    sys.exit(main())
