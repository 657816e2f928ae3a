"""A pipeline's deadline: how long one of its runs may take before Argo stops it (`activeDeadlineSeconds`).

Every run ends: a step that hangs (a stuck clone, a test waiting on a network that never answers) is stopped at the
deadline, Argo marks the run Failed ("Step exceeded its deadline"), and the exit hooks still report it (Argo v4.0.6
gives exit handler pods no workflow deadline: workflow/controller/workflowpod.go:177).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from settings.messages import shown

AddProblem = Callable[[str, str], None]

DEFAULT_DEADLINE_SECONDS = 3600  # one hour, when neither the pipeline nor its template sets one
MIN_DEADLINE_SECONDS = 60
MAX_DEADLINE_SECONDS = 72 * 3600  # GitHub Actions' own ceiling for a job on a self-hosted runner
_UNITS = {"h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_EXAMPLES = "a duration such as 30m, 1h or 1h30m, or a number of seconds"


def duration_text(seconds: int) -> str:
    """`5400` -> `1h30m`: how the docs and messages write a deadline."""
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (rest, "s")) if value]
    return "".join(parts) or "0s"


def parse_deadline(value: Any, key: str, add: AddProblem) -> int | None:
    """Seconds from `30m` / `1h30m` / `90s` / `3600`; None (after adding a problem) when it is not a valid deadline."""
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())) and value.strip():
        amounts = zip(match.groups(), _UNITS.values(), strict=True)
        seconds = sum(int(amount) * factor for amount, factor in amounts if amount)
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    if seconds is None:
        add(key, f"{shown(value)} is not a deadline: write {_EXAMPLES}")
        return None
    if not MIN_DEADLINE_SECONDS <= seconds <= MAX_DEADLINE_SECONDS:
        add(
            key,
            f"{value!r} is {duration_text(seconds)}: a deadline must be at least "
            f"{duration_text(MIN_DEADLINE_SECONDS)} and at most {duration_text(MAX_DEADLINE_SECONDS)}",
        )
        return None
    return seconds


def pipeline_deadline(
    entry: Mapping[str, Any], template_spec: Mapping[str, Any], key: str, add: AddProblem
) -> int | None:
    """The deadline the deployed template gets: the pipeline's `deadline`, else None when the template sets its own
    `activeDeadlineSeconds` (kept as written), else the default hour."""
    if "deadline" in entry:
        return parse_deadline(entry["deadline"], key, add)
    if template_spec.get("activeDeadlineSeconds") is not None:
        return None
    return DEFAULT_DEADLINE_SECONDS
