"""How much of `pulumi preview` is the program's own: the real stack against a no-logic floor, under Pulumi's mocks.

    .venv/bin/python -m cli bench [--repeat 3] [--cells 50x20,10x5] [--json benchmarks/results/out.json]

For every cell (organizations x pipelines) of a synthetic stack config it runs, each repetition in a fresh process:

* the program: the real `__main__.py` through `tests.harness.run_stack`, exactly as the tests run it;
* the floor: a program that registers the same custom resources (and the Helm Chart, a remote component) with the
  same types, names and inputs as sent (secrets where the program put them, one secret Output per value), the same
  explicit GitHub providers, under the same mocks, and nothing else: no component resources, no config parsing or
  validation, no template files, no exports. It uses generic resource classes with a constructor of their own, so
  that the SDK sends a stack trace with each registration, as it does for the program's (see `_floor_classes`).

And, in a process of its own, the GitHub writes (hooks created, edited or deleted) each operation costs: creating
the stack, rotating the secret, adding a pipeline whose events the hooks already have or one with a new event, adding
an organization. "After" is measured on the program: its registrations under mocks before and after the operation,
diffed (`tests.harness.github_writes`). "Before" is the design it replaced, modelled: one hook per pipeline per
organization, each with the pipeline's events and URL (`per_pipeline_hooks`).

Both processes import the heavy modules (pulumi, the provider SDKs and the resource modules the program uses, Hera's
models, the harness) before the clock starts; the time is the run alone. Peak memory is the process's peak RSS, so it
includes those imports. This is a measurement, not a test: the exit code is 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GRID = [(orgs, pipelines) for orgs in (1, 10, 50) for pipelines in (1, 5, 20)]
TEMPLATES = ("hello-world", "secret-scan")  # the real files in workflows/, alternated
# Each pipeline listens to one of these (their union is the same from 4 pipelines on).
EVENT_SETS = (["push"], ["pull_request"], ["push", "pull_request"], ["release"])

# Targets of the issue.
MAX_RATIO = 1.5  # program / floor at the largest cell
MAX_GROWTH = 1.3  # ms per resource at the largest cell / at the reference cell
MAX_RSS_MB = 400  # peak RSS at the largest cell
LARGEST, REFERENCE = (50, 20), (10, 5)


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
OPERATIONS: dict[str, str] = {  # key -> column heading
    "create": "create",
    "rotate": "rotate",
    "add_pipeline_known_event": "+ pipeline (known event)",
    "add_pipeline_new_event": "+ pipeline (new event)",
    "add_organization": "+ organization",
}


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


def per_pipeline_hooks(config: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    """The design before issue 10: a hook per pipeline per organization, posting to the pipeline's own URL."""
    from settings.config import parse_settings

    settings = parse_settings(config, PROJECT_ROOT)
    return {
        f"github-{organization}-{pipeline.name}": (pipeline.events, pipeline.name, settings.webhook_secret_version)
        for organization in settings.organizations
        for pipeline in settings.pipelines
    }


def hook_writes(before: dict[str, Any], after: dict[str, Any]) -> int:
    """Hooks created, deleted or changed: one GitHub write each."""
    changed = sum(1 for name in before.keys() & after.keys() if before[name] != after[name])
    return len(after.keys() - before.keys()) + len(before.keys() - after.keys()) + changed


def worker_writes(organizations: int, pipelines: int) -> dict[str, dict[str, int]]:
    """Before: the per-pipeline model. After: the program itself, run under mocks before and after each operation."""
    _import_heavy_modules()
    from tests.harness import github_writes, run_stack

    runs: dict[str, Any] = {}

    def program(config: dict[str, str]) -> Any:
        key = json.dumps(config, sort_keys=True)
        if key not in runs:
            runs[key] = run_stack(config)
        return runs[key]

    writes = {}
    for operation, (old, new) in operation_configs(organizations, pipelines).items():
        before = hook_writes(per_pipeline_hooks(old) if old else {}, per_pipeline_hooks(new))
        after = github_writes(program(old) if old else None, program(new))
        writes[operation] = {"before": before, "after": after}
    return writes


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


@dataclass
class Cell:
    organizations: int
    pipelines: int
    program: list[dict[str, Any]]
    floor: list[dict[str, Any]]
    writes: dict[str, dict[str, int]] = field(default_factory=dict)  # operation -> before / after

    def median(self, runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    @property
    def resources(self) -> int:
        return self.program[0]["resources"]

    @property
    def floor_resources(self) -> int:
        return self.floor[0]["resources"]

    @property
    def program_seconds(self) -> float:
        return self.median(self.program, "seconds")

    @property
    def floor_seconds(self) -> float:
        return self.median(self.floor, "seconds")

    @property
    def ms_per_resource(self) -> float:
        return 1000 * self.program_seconds / self.resources

    @property
    def ratio(self) -> float:
        return self.program_seconds / self.floor_seconds

    @property
    def rss_mb(self) -> float:
        return self.median(self.program, "rss_mb")

    def as_json(self) -> dict[str, Any]:
        return {
            "organizations": self.organizations,
            "pipelines": self.pipelines,
            "resources": self.resources,
            "floor_resources": self.floor_resources,
            "program_seconds": self.program_seconds,
            "floor_seconds": self.floor_seconds,
            "ms_per_resource": self.ms_per_resource,
            "ratio": self.ratio,
            "peak_rss_mb": self.rss_mb,
            "floor_peak_rss_mb": self.median(self.floor, "rss_mb"),
            "import_seconds": self.median(self.program + self.floor, "import"),
            "program_runs": self.program,
            "floor_runs": self.floor,
            "github_writes": self.writes,
        }


def _worker(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"worker {' '.join(args)} failed:\n{completed.stderr}")
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
    cell.writes = _worker("writes", "--cell", size)  # its own process: no effect on the times above
    return cell


def table(cells: list[Cell]) -> str:
    lines = [
        "| orgs | pipelines | resources (program/floor) | program s | floor s | ms/resource | ratio | peak RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cell in cells:
        lines.append(
            f"| {cell.organizations} | {cell.pipelines} | {cell.resources}/{cell.floor_resources} "
            f"| {cell.program_seconds:.3f} | {cell.floor_seconds:.3f} | {cell.ms_per_resource:.2f} "
            f"| {cell.ratio:.2f} | {cell.rss_mb:.0f} |"
        )
    return "\n".join(lines)


def writes_table(cells: list[Cell]) -> str:
    """GitHub writes per operation, one hook per pipeline per organization (before) -> one per organization (after)."""
    lines = [
        "| orgs | pipelines | " + " | ".join(OPERATIONS.values()) + " |",
        "| ---: | ---: |" + " ---: |" * len(OPERATIONS),
    ]
    for cell in cells:
        counts = " | ".join(
            f"{cell.writes[operation]['before']} → {cell.writes[operation]['after']}" for operation in OPERATIONS
        )
        lines.append(f"| {cell.organizations} | {cell.pipelines} | {counts} |")
    return "\n".join(lines)


def targets(cells: list[Cell]) -> list[str]:
    by_size = {(cell.organizations, cell.pipelines): cell for cell in cells}
    largest, reference = by_size.get(LARGEST), by_size.get(REFERENCE)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    lines = []
    if largest is None:
        return ["targets: not checked (the 50x20 cell was not measured)"]
    ratio_ok = largest.ratio <= MAX_RATIO
    lines.append(f"{verdict(ratio_ok)} ratio to the floor at 50x20: {largest.ratio:.2f} (target <= {MAX_RATIO})")
    if reference is None:
        lines.append("---- linear growth: not checked (the 10x5 cell was not measured)")
    else:
        growth = largest.ms_per_resource / reference.ms_per_resource
        lines.append(
            f"{verdict(growth <= MAX_GROWTH)} ms/resource at 50x20 / at 10x5: {largest.ms_per_resource:.2f} / "
            f"{reference.ms_per_resource:.2f} = {growth:.2f} (target <= {MAX_GROWTH})"
        )
    lines.append(
        f"{verdict(largest.rss_mb < MAX_RSS_MB)} peak RSS at 50x20: {largest.rss_mb:.0f} MB (target < {MAX_RSS_MB} MB)"
    )
    return lines


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cell, program and floor (median; >= 1)")
    parser.add_argument("--cells", type=_parse_cells, default=GRID, help="e.g. 50x20,10x5 (default: the 3x3 grid)")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    parser.add_argument("--profile", type=_parse_cell, metavar="ORGSxPIPELINES", help="profile one program run")
    parser.add_argument("--worker", choices=("program", "floor", "writes"), help=argparse.SUPPRESS)
    parser.add_argument("--cell", type=_parse_cell, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--registrations", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "program":
        print(json.dumps(worker_program(*args.cell, args.record)))
        return 0
    if args.worker == "floor":
        print(json.dumps(worker_floor(args.registrations)))
        return 0
    if args.worker == "writes":
        print(json.dumps(worker_writes(*args.cell)))
        return 0
    if args.profile:
        worker_profile(*args.profile)
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    cells = []
    with tempfile.TemporaryDirectory(prefix="argo-bench-") as scratch:
        for organizations, pipelines in args.cells:
            started = time.perf_counter()
            cell = measure(organizations, pipelines, args.repeat, Path(scratch))
            cells.append(cell)
            print(
                f"{organizations}x{pipelines}: {cell.resources} resources, program {cell.program_seconds:.3f} s, "
                f"floor {cell.floor_seconds:.3f} s ({time.perf_counter() - started:.0f} s wall)",
                file=sys.stderr,
                flush=True,
            )
    imports = statistics.median(run["import"] for cell in cells for run in cell.program + cell.floor)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat} fresh processes per cell")
    print()
    print(table(cells))
    print()
    print(f"one-off imports before the clock (not in the figures): {imports:.2f} s per process (median)")
    print()
    print("GitHub writes per operation (one hook per pipeline per organization -> one per organization):")
    print()
    print(writes_table(cells))
    print()
    for line in targets(cells):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([cell.as_json() for cell in cells], indent=2) + "\n", encoding="utf-8")
    return 0  # a measurement, not a test: missed targets are printed, not failed


if __name__ == "__main__":
    sys.exit(main())
