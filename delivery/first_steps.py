"""The program's first steps, run before a pipeline's own entrypoint in the deployed WorkflowTemplate.

`paths` (delivery/paths_gate.py) decides a pull request's path filter; `cancel-superseded` (delivery/superseded.py)
stops the pipeline's older runs of the same branch or pull request. Both run side by side as the first step group
of a new entrypoint; the template's own entrypoint follows as a step, `when` the path filter said `run` (the cancel
step never decides: `continueOn` failed and error, a run is not failed because an older one could not be stopped).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from delivery.paths_gate import GATE_STEP, GATE_TEMPLATE, gate_template, needs_gate
from delivery.status_hooks import StatusReporting
from delivery.superseded import CANCEL_STEP, CANCEL_TEMPLATE, cancel_template
from delivery.triggers import LABEL_PREFIX
from settings.config import Pipeline

ENTRYPOINT = f"{LABEL_PREFIX}-first-steps"
RUN_STEP = "run"


def needs_first_steps(pipeline: Pipeline) -> bool:
    return needs_gate(pipeline) or pipeline.cancel_in_progress


def _entrypoint_arguments(spec: Mapping[str, Any], passed: Iterable[str]) -> list[dict[str, str]]:
    """The template's entrypoint, called as a step, gets the Workflow's arguments its inputs took as the entrypoint:
    each input the Workflow has a parameter for (declared in the spec or passed by the binding); the others keep
    their defaults."""
    entry = next(template for template in spec["templates"] if template.get("name") == spec["entrypoint"])
    declared = {str(parameter.get("name")) for parameter in (spec.get("arguments") or {}).get("parameters") or []}
    available = declared | set(passed)
    inputs = [str(parameter.get("name")) for parameter in (entry.get("inputs") or {}).get("parameters") or []]
    return [{"name": name, "value": f"{{{{workflow.parameters.{name}}}}}"} for name in inputs if name in available]


def with_first_steps(
    manifest: Mapping[str, Any], pipeline: Pipeline, reporting: StatusReporting | None, passed: Iterable[str]
) -> dict[str, Any]:
    """The deployed WorkflowTemplate whose entrypoint runs the program's first steps, then the template's own."""
    document = copy.deepcopy(dict(manifest))
    spec = document["spec"]
    taken = {template.get("name") for template in spec.get("templates") or []}
    clash = taken & {ENTRYPOINT, GATE_TEMPLATE, CANCEL_TEMPLATE}
    if clash:
        raise ValueError(f"template names {', '.join(sorted(clash))} are reserved for the program's first steps")
    first: list[dict[str, Any]] = []
    templates: list[dict[str, Any]] = []
    run_step: dict[str, Any] = {"name": RUN_STEP, "template": spec["entrypoint"]}
    if pipeline.cancel_in_progress:
        first.append({"name": CANCEL_STEP, "template": CANCEL_TEMPLATE, "continueOn": {"failed": True, "error": True}})
        templates.append(cancel_template(pipeline))
    if needs_gate(pipeline):
        if reporting is None:
            raise ValueError("a pull request's path filter needs the stack's GitHub settings")
        first.append({"name": GATE_STEP, "template": GATE_TEMPLATE})
        templates.append(gate_template(pipeline, reporting))
        run_step["when"] = f"{{{{steps.{GATE_STEP}.outputs.result}}}} == run"
    arguments = _entrypoint_arguments(spec, passed)
    if arguments:
        run_step["arguments"] = {"parameters": arguments}
    entry = {"name": ENTRYPOINT, "steps": [first, [run_step]]}
    spec["templates"] = [*(spec.get("templates") or []), entry, *templates]
    spec["entrypoint"] = ENTRYPOINT
    return document
