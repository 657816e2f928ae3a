"""What one pipeline run costs on GitHub, by how it reports: the figures the benchmark (cli/bench.py) prints and the
docs quote. The tests measure the same runs against the fake (tests/podkit/test_costs.py), so these cannot drift.

GitHub's secondary limits count content-creating requests: 80 a minute and 500 an hour (guide: "Scale is GitHub's
limits"); a report's content writes are its check run's create/update requests (or its commit statuses). Token mints
and revocations are writes too (POST/DELETE) but create no content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONTENT_WRITES_PER_MINUTE = 80
CONTENT_WRITES_PER_HOUR = 500
ANNOTATIONS_PER_REQUEST = 50
DEFAULT_MAX_ANNOTATIONS = 150


@dataclass(frozen=True)
class RunCost:
    requests: int  # every HTTP request to GitHub, both reports of the run
    writes: int  # of which POST/PATCH/PUT/DELETE
    content_writes: int  # of which create or update a check run / post a commit status

    @property
    def burst_runs_per_minute(self) -> float:
        """Runs an installation can report in one minute before GitHub throttles (80 content writes a minute)."""
        return CONTENT_WRITES_PER_MINUTE / self.content_writes

    @property
    def sustained_runs_per_minute(self) -> float:
        """Runs a minute an installation can report hour after hour (500 content writes an hour)."""
        return CONTENT_WRITES_PER_HOUR / 60 / self.content_writes


def run_cost(
    *,
    check_runs: bool = True,
    app: bool = True,
    findings: int = 0,
    max_annotations: int = DEFAULT_MAX_ANNOTATIONS,
    started: bool = True,
    installation_known: bool = False,
) -> RunCost:
    """One run's cost: `started` when the start hook reported too (a run over before Argo saw it running has only
    its end report); `findings` handed over by its steps (annotations beyond the first 50 cost a request each 50);
    `installation_known`: githubApp.installations names the organization's installation (no lookup)."""
    if check_runs and not app:
        raise ValueError("only GitHub Apps may write check runs")
    reports = 2 if started else 1
    # Each report pod: with an App, the installation lookup (GET), the token (POST), its one content write, the
    # revocation (DELETE); with a fine-grained token, the content write alone.
    requests = reports * ((3 if installation_known else 4) if app else 1)
    writes = reports * (3 if app else 1)
    content = reports
    if check_runs:
        batches = math.ceil(min(findings, max_annotations) / ANNOTATIONS_PER_REQUEST)
        extra = max(0, batches - 1)
        requests += 1 + extra  # the end finds the check run the start created (a GET), then the extra batches
        writes += extra
        content += extra
    return RunCost(requests=requests, writes=writes, content_writes=content)
