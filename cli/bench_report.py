"""The benchmark's figures from its measurements: the marginal cost per resource, GitHub's cost per operation and
per run, the targets and whether they are met, as text and as JSON (cli/bench.py measures)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

from cli.bench_github import (
    CONTENT_WRITES_PER_HOUR,
    CONTENT_WRITES_PER_MINUTE,
    OPERATIONS,
    counts,
    reporting_run_calls,
)

# Targets the program meets, checked when the reference and largest cells were measured; missing one exits 1.
LARGEST, REFERENCE = (50, 20), (10, 5)
MAX_MARGINAL_RATIO = 3.0  # program ms per deployed resource / the floor's (fitted slopes); measured 2.3
MAX_GROWTH = 1.3  # program ms per resource at the largest cell / at the reference cell: linear, not worse
MAX_RSS_MB = 400  # peak RSS at the largest cell
MAX_OPERATION_WRITES = CONTENT_WRITES_PER_MINUTE  # pulumi up sends an operation's writes without spacing them
EXIT_MET, EXIT_MISSED = 0, 1
MIN_SPAN = 50  # deployed resources between the smallest and the largest cell, for a slope to be fitted


@dataclass
class Cell:
    organizations: int
    pipelines: int
    program: list[dict[str, Any]]
    floor: list[dict[str, Any]]
    github: dict[str, dict[str, int]] = field(default_factory=dict)  # operation -> its GitHub cost

    def median(self, runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    @property
    def resources(self) -> int:
        return self.program[0]["resources"]

    @property
    def floor_resources(self) -> int:
        """What the stack deploys: custom resources and the remote Chart, the floor's registrations."""
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
            "peak_rss_mb": self.rss_mb,
            "floor_peak_rss_mb": self.median(self.floor, "rss_mb"),
            "import_seconds": self.median(self.program + self.floor, "import"),
            "program_runs": self.program,
            "floor_runs": self.floor,
            "github": self.github,
        }


# --- what grows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marginal:
    """Seconds = fixed + slope x deployed resources, least squares over the measured cells, program and floor."""

    program_ms: float  # per deployed resource
    floor_ms: float
    program_fixed_s: float
    floor_fixed_s: float

    @property
    def ratio(self) -> float:
        return self.program_ms / self.floor_ms

    def as_json(self) -> dict[str, float]:
        return {
            "program_ms_per_resource": self.program_ms,
            "floor_ms_per_resource": self.floor_ms,
            "program_fixed_seconds": self.program_fixed_s,
            "floor_fixed_seconds": self.floor_fixed_s,
            "ratio": self.ratio,
        }


def marginal(cells: list[Cell]) -> Marginal | None:
    """None unless the cells' sizes span enough resources for a slope above the timing noise."""
    sizes = [cell.floor_resources for cell in cells]
    if not sizes or max(sizes) - min(sizes) < MIN_SPAN:
        return None
    program = statistics.linear_regression(sizes, [cell.program_seconds for cell in cells])
    floor = statistics.linear_regression(sizes, [cell.floor_seconds for cell in cells])
    return Marginal(1000 * program.slope, 1000 * floor.slope, program.intercept, floor.intercept)


PER_RUN = {  # what a pipeline run is made of -> reporting_run_calls arguments
    "check run, GitHub App": {"app": True, "status": True, "clone": False, "check_runs": True},
    "check run + clone (secret-scan), GitHub App": {"app": True, "status": True, "clone": True, "check_runs": True},
    "check run with 150 findings, GitHub App": {"app": True, "status": True, "check_runs": True, "findings": 150},
    "commit status, GitHub App": {"app": True, "status": True, "clone": False},
    "commit status + clone (secret-scan), GitHub App": {"app": True, "status": True, "clone": True},
    "commit status, fine-grained token": {"app": False, "status": True, "clone": False},
}


def per_run() -> dict[str, dict[str, int]]:
    """Requests and writes of each kind of run, and how many such runs fit in GitHub's hourly content limit."""
    costs = {}
    for kind, arguments in PER_RUN.items():
        cost = counts(reporting_run_calls(**arguments))  # type: ignore[arg-type]
        cost["runs_per_hour_within_limit"] = CONTENT_WRITES_PER_HOUR // cost["writes"] if cost["writes"] else 0
        costs[kind] = cost
    return costs


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    limit: float
    met: bool
    shown: str  # the value and the limit, in words

    def line(self) -> str:
        return f"{'PASS' if self.met else 'FAIL'} {self.name}: {self.shown}"


def targets(cells: list[Cell]) -> list[Target]:
    """The targets the measured cells allow checking (the reference and largest cells; GitHub's for any cell)."""
    by_size = {(cell.organizations, cell.pipelines): cell for cell in cells}
    checked = []
    largest, reference = by_size.get(LARGEST), by_size.get(REFERENCE)
    fitted = marginal(cells)
    if largest and reference and fitted:
        checked.append(
            Target(
                "marginal cost per deployed resource, program / floor",
                fitted.ratio,
                MAX_MARGINAL_RATIO,
                fitted.ratio <= MAX_MARGINAL_RATIO,
                f"{fitted.program_ms:.2f} ms / {fitted.floor_ms:.2f} ms = {fitted.ratio:.2f} "
                f"(target <= {MAX_MARGINAL_RATIO})",
            )
        )
        growth = largest.ms_per_resource / reference.ms_per_resource
        checked.append(
            Target(
                "ms per resource at 50x20 / at 10x5",
                growth,
                MAX_GROWTH,
                growth <= MAX_GROWTH,
                f"{largest.ms_per_resource:.2f} / {reference.ms_per_resource:.2f} = {growth:.2f} "
                f"(target <= {MAX_GROWTH})",
            )
        )
    if largest:
        checked.append(
            Target(
                "peak RSS at 50x20",
                largest.rss_mb,
                MAX_RSS_MB,
                largest.rss_mb < MAX_RSS_MB,
                f"{largest.rss_mb:.0f} MB (target < {MAX_RSS_MB} MB)",
            )
        )
    if cells:
        heaviest = max(cells, key=lambda cell: max(cost["writes"] for cost in cell.github.values()))
        most = max(heaviest.github.values(), key=lambda cost: cost["writes"])["writes"]
        checked.append(
            Target(
                "GitHub writes of one operation",
                most,
                MAX_OPERATION_WRITES,
                most <= MAX_OPERATION_WRITES,
                f"{most} at most, at {heaviest.organizations}x{heaviest.pipelines} "
                f"(target <= {MAX_OPERATION_WRITES}, GitHub's content-creating requests a minute)",
            )
        )
    known = [cell.github["add_pipeline_known_event"]["writes"] for cell in cells]
    checked.append(
        Target(
            "GitHub writes of a pipeline whose events the hooks have",
            max(known),
            0,
            max(known) == 0,
            f"{max(known)} at most over the cells (target 0)",
        )
    )
    by_organizations: dict[int, set[str]] = {}
    for cell in cells:
        writes = {operation: cost["writes"] for operation, cost in cell.github.items()}
        by_organizations.setdefault(cell.organizations, set()).add(json.dumps(writes, sort_keys=True))
    pipeline_counts: dict[int, set[int]] = {}
    for cell in cells:
        pipeline_counts.setdefault(cell.organizations, set()).add(cell.pipelines)
    if all(len(counted) < 2 for counted in pipeline_counts.values()):
        return checked  # no two cells differ in pipelines alone
    varying = sorted(organizations for organizations, seen in by_organizations.items() if len(seen) > 1)
    checked.append(
        Target(
            "GitHub writes independent of the number of pipelines",
            len(varying),
            0,
            not varying,
            "the same for every pipeline count" if not varying else f"they vary at {varying} organizations",
        )
    )
    return checked


# --- output --------------------------------------------------------------------------------------------------------


def table(cells: list[Cell]) -> str:
    lines = [
        "| orgs | pipelines | resources (program/deployed) | program s | floor s | program ms/resource | peak RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cell in cells:
        lines.append(
            f"| {cell.organizations} | {cell.pipelines} | {cell.resources}/{cell.floor_resources} "
            f"| {cell.program_seconds:.3f} | {cell.floor_seconds:.3f} | {cell.ms_per_resource:.2f} "
            f"| {cell.rss_mb:.0f} |"
        )
    return "\n".join(lines)


def marginal_lines(fitted: Marginal | None) -> list[str]:
    if fitted is None:
        return [
            f"marginal cost: not fitted (the cells' sizes must span {MIN_SPAN} deployed resources, e.g. 10x5,50x20)"
        ]
    return [
        "Marginal cost, least squares over the cells (seconds = fixed + ms x deployed resources):",
        f"  program: {fitted.program_fixed_s:.3f} s + {fitted.program_ms:.2f} ms per resource",
        f"  floor:   {fitted.floor_fixed_s:.3f} s + {fitted.floor_ms:.2f} ms per resource",
        f"  the program pays {fitted.ratio:.2f} times the floor's cost for each resource it adds",
    ]


def github_table(cells: list[Cell]) -> str:
    """Writes / requests per operation (`pulumi up` after the change)."""
    lines = [
        "| orgs | pipelines | " + " | ".join(OPERATIONS.values()) + " |",
        "| ---: | ---: |" + " ---: |" * len(OPERATIONS),
    ]
    for cell in cells:
        costs = " | ".join(
            f"{cell.github[operation]['writes']} / {cell.github[operation]['requests']}" for operation in OPERATIONS
        )
        lines.append(f"| {cell.organizations} | {cell.pipelines} | {costs} |")
    return "\n".join(lines)


def per_run_table(costs: dict[str, dict[str, int]]) -> str:
    lines = ["| run | requests | writes | runs an hour within 500 writes |", "| --- | ---: | ---: | ---: |"]
    for kind, cost in costs.items():
        lines.append(f"| {kind} | {cost['requests']} | {cost['writes']} | {cost['runs_per_hour_within_limit']} |")
    return "\n".join(lines)


def report(cells: list[Cell], repeat: int) -> dict[str, Any]:
    checked = targets(cells)
    fitted = marginal(cells)
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "repeat": repeat,
        "cells": [cell.as_json() for cell in cells],
        "marginal": fitted.as_json() if fitted else None,
        "import_seconds": statistics.median(run["import"] for cell in cells for run in cell.program + cell.floor),
        "github_per_run": per_run(),
        "targets": [
            {"name": target.name, "value": target.value, "limit": target.limit, "met": target.met} for target in checked
        ],
        "exit_code": EXIT_MET if all(target.met for target in checked) else EXIT_MISSED,
    }


def render_text(cells: list[Cell], document: dict[str, Any]) -> str:
    lines = [
        f"Python {document['python']}, {document['cpus']} CPUs, "
        f"median of {document['repeat']} fresh processes per cell",
        "",
        table(cells),
        "",
        f"one-off imports before the clock (not in the figures): {document['import_seconds']:.2f} s per process "
        "(median)",
        "",
        *marginal_lines(marginal(cells)),
        "",
        "GitHub writes / requests per operation (pulumi up after the change):",
        "",
        github_table(cells),
        "",
        "GitHub requests per pipeline run, from inside its Workflow:",
        "",
        per_run_table(document["github_per_run"]),
        "",
        *(target.line() for target in targets(cells)),
    ]
    return "\n".join(lines)
