"""Where a WorkflowTemplate's event-derived values flow: which strings of the file carry which of them.

A value enters as a workflow parameter the pipeline fills from the payload, and moves on wherever a template passes
it: workflow arguments, the entrypoint's inputs, the arguments of steps, DAG tasks and lifecycle hooks (also through a
`templateRef` to this same file), inputs' defaults, `withItems`/`withParam` (then `{{item}}` carries it), and outputs:
a template that could read a value produces outputs that carry it (`{{steps.X.outputs...}}`, `workflow.outputs`),
since a program can compute them from it. Followed until nothing changes.

A tag carries what it reads. `{{workflow.parameters.title}}` reads one value; a `{{=...}}` expression is parsed with
delivery.expr and carries everything its name paths could reach: a path of literal names to a clean value is clean,
anything wider (`workflow.parameters` as a whole, `toJson(...)`, `get()`, `$env`, a `let` over it, a computed index)
carries every value under it, and an expression that cannot be parsed carries all that the names it mentions hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from delivery.expr import Chain, ExprError, Ident, Member, Str, UnsupportedExpression, parse
from settings.templates import WorkflowTemplateFile

Origins = frozenset[str]  # the workflow parameters (as the pipeline maps them) a value may hold text of
NONE: Origins = frozenset()
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_ROOTS = ("workflow", "inputs", "item", "steps", "tasks")
_MENTIONS = re.compile(r"(?<![A-Za-z0-9_$])(workflow|inputs|item|steps|tasks|\$env)(?![A-Za-z0-9_])")
# `workflow.X` that no delivery decides (labels and annotations are the binding's, each guarded to its shape).
_CLEAN_WORKFLOW_FIELDS = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "status",
        "serviceAccountName",
        "creationTimestamp",
        "duration",
        "priority",
        "mainEntrypoint",
        "scheduledTime",
        "labels",
        "annotations",
    }
)
# `steps.X.<field>` that no program of the step writes.
_CLEAN_NODE_FIELDS = frozenset({"status", "exitCode", "startedAt", "finishedAt", "id", "ip", "hostNodeName"})
_EXPANSION = re.compile(r"\$(\$|\(([A-Za-z_][A-Za-z0-9_.-]*)\))")


def kubernetes_references(text: str) -> list[str]:
    """The names Kubernetes expands as `$(NAME)` in `text` (`$$` is a literal `$`)."""
    return [match.group(2) for match in _EXPANSION.finditer(text) if match.group(2)]


def _union(items: Iterable[Origins]) -> Origins:
    return frozenset().union(*items)


@dataclass(frozen=True)
class Scope:
    """What each root of a tag holds at one place; only names that carry event-derived values are present."""

    workflow: Mapping[str, Origins]
    inputs: Mapping[str, Origins] = field(default_factory=dict)
    item: Origins = NONE
    nodes: Mapping[str, Origins] = field(default_factory=dict)  # the template's steps or tasks: their outputs
    global_outputs: Origins = NONE  # workflow.outputs, workflow.failures

    def everything(self, root: str) -> Origins:
        if root == "workflow":
            return _union(self.workflow.values()) | self.global_outputs
        if root == "inputs":
            return _union(self.inputs.values())
        if root == "item":
            return self.item
        if root in ("steps", "tasks"):
            return _union(self.nodes.values())
        if root == "$env":
            return _union(self.everything(name) for name in _ROOTS)
        return NONE

    def resolve(self, path: tuple[str, ...]) -> Origins:
        """What reading `path` carries; a path that stops early carries everything under it."""
        root, rest = path[0], path[1:]
        if root == "$env":  # expr's whole environment: `$env["workflow.parameters.x"]` or `$env.workflow...`
            return self.resolve((*rest[0].split("."), *rest[1:])) if rest else self.everything("$env")
        if root == "workflow":
            if rest[:1] == ("parameters",):
                if len(rest) == 1 or (rest[1] == "json" and "json" not in self.workflow):
                    return _union(self.workflow.values())
                return self.workflow.get(rest[1], NONE)
            return NONE if rest and rest[0] in _CLEAN_WORKFLOW_FIELDS else self.everything("workflow")
        if root == "inputs":
            if len(rest) >= 2 and rest[0] == "parameters":
                return self.inputs.get(rest[1], NONE)
            return NONE if rest[:1] == ("artifacts",) else self.everything("inputs")
        if root == "item":
            return self.item
        if root in ("steps", "tasks"):
            if not rest:
                return self.everything(root)
            return NONE if len(rest) >= 2 and rest[1] in _CLEAN_NODE_FIELDS else self.nodes.get(rest[0], NONE)
        return NONE  # pod.name, retries, sprig, builtins, a `let` variable: nothing of the delivery's

    def origins(self, text: str) -> tuple[Origins, list[str]]:
        """The event-derived parameters the `{{...}}` tags of `text` carry, and the tags that carry any."""
        origins: set[str] = set()
        tags: list[str] = []
        for tag in _TAG.finditer(text):
            inner = tag.group(1).strip()
            if inner.startswith("="):
                found = self._expression(inner[1:])
            else:
                path = tuple(inner.split("."))
                found = self.resolve(path) if path[0] in _ROOTS else NONE
            if found:
                origins |= found
                tags.append(tag.group(0))
        return frozenset(origins), tags

    def _expression(self, source: str) -> Origins:
        try:
            tree = parse(source)
        except (ExprError, UnsupportedExpression):  # what cannot be analysed carries all its names could hold
            return _union(self.everything(root) for root in _MENTIONS.findall(source))
        return _union(self.resolve(path) for path in read_paths(tree))


def read_paths(node: Any) -> Iterator[tuple[str, ...]]:
    """Every name path an expression reads: `a.b["c"]` as (a, b, c); a computed index ends the path before it."""
    if isinstance(node, (Member, Chain, Ident)):
        path: list[str] = []
        current: Any = node
        while isinstance(current, (Member, Chain)):
            if isinstance(current, Chain):
                current = current.node
                continue
            if isinstance(current.prop, Str):
                path.append(current.prop.value)
            else:
                path.clear()  # `a.b[x].c` reads all of a.b
                yield from read_paths(current.prop)
            current = current.obj
        if isinstance(current, Ident):
            yield (current.name, *reversed(path))
        else:
            yield from read_paths(current)
        return
    for value in vars(node).values() if hasattr(node, "__dataclass_fields__") else ():
        for child in value if isinstance(value, tuple) else (value,):
            if hasattr(child, "__dataclass_fields__"):
                yield from read_paths(child)


@dataclass(frozen=True)
class Call:
    """A step, DAG task or hook at `path` in its holder, running `callee` (None: a template of another file)."""

    path: tuple[Any, ...]
    callee: str | None
    target: str  # how the called template is named, for messages
    arguments: Mapping[str, Any]
    loop: Any  # withItems or withParam, if any
    node_name: str | None  # its name as `steps.<name>` / `tasks.<name>`; None for hooks


class TemplateFlow:
    """The event-derived values of one template file, followed to every template that can hold them."""

    def __init__(self, template: WorkflowTemplateFile, event_derived: Iterable[str]) -> None:
        self.file_name = str((template.document.get("metadata") or {}).get("name", ""))
        self.spec: Mapping[str, Any] = template.document.get("spec") or {}
        self.templates = {
            str(body.get("name")): body for body in self.spec.get("templates") or [] if isinstance(body, Mapping)
        }
        self.workflow: dict[str, Origins] = {name: frozenset({name}) for name in event_derived}
        self.inputs: dict[str, dict[str, Origins]] = {name: {} for name in self.templates}
        self.outputs: dict[str, Origins] = dict.fromkeys(self.templates, NONE)
        self.global_outputs: Origins = NONE
        if self.workflow:
            self._follow()

    def scope(self, template: str | None) -> Scope:
        """The scope of a template's own strings (None: the workflow spec's)."""
        if template is None:
            return Scope(self.workflow, global_outputs=self.global_outputs)
        # A template of another file may read the workflow's parameters itself: its outputs carry all of them.
        everything = _union(self.workflow.values())
        nodes = {
            call.node_name: self.outputs.get(call.callee, NONE) if call.callee else everything
            for call in self.calls(self.templates[template])
            if call.node_name
        }
        return Scope(self.workflow, self.inputs[template], NONE, nodes, self.global_outputs)

    def calls(self, holder: Mapping[str, Any]) -> Iterator[Call]:
        for group_index, group in enumerate(holder.get("steps") or []):
            for step_index, step in enumerate(group if isinstance(group, list) else [group]):
                if isinstance(step, Mapping):
                    yield from self._call(("steps", group_index, step_index), step, True)
        for task_index, task in enumerate((holder.get("dag") or {}).get("tasks") or []):
            if isinstance(task, Mapping):
                yield from self._call(("dag", "tasks", task_index), task, True)
        for hook_name, hook in (holder.get("hooks") or {}).items():
            if isinstance(hook, Mapping):
                yield from self._call(("hooks", hook_name), hook, False)

    def _call(self, path: tuple[Any, ...], step: Mapping[str, Any], is_node: bool) -> Iterator[Call]:
        loop = step.get("withItems", step.get("withParam"))
        arguments = step.get("arguments") if isinstance(step.get("arguments"), Mapping) else {}
        node_name = str(step["name"]) if is_node and step.get("name") else None
        if isinstance(step.get("template"), str):
            yield Call(path, step["template"], repr(step["template"]), arguments, loop, node_name)
        elif isinstance(step.get("templateRef"), Mapping):
            ref = step["templateRef"]
            local = ref.get("name") == self.file_name and not ref.get("clusterScope")
            callee = str(ref.get("template")) if local and ref.get("template") in self.templates else None
            target = f"templateRef {ref.get('name')}/{ref.get('template')}"
            yield Call(path, callee, target, arguments, loop, node_name)
        for hook_name, hook in (step.get("hooks") or {}).items():
            if isinstance(hook, Mapping):
                yield from self._call((*path, "hooks", hook_name), hook, False)

    def places(
        self, holder: Mapping[str, Any], template: str | None
    ) -> Iterator[tuple[tuple[Any, ...], Origins, list[str]]]:
        """(path, origins, tags) of every string of `holder` that carries an event-derived value."""
        scope = self.scope(template)
        loops = {call.path: self._loop(call, scope) for call in self.calls(holder)}
        for path, text in _strings(holder, ()):
            if template is None and path[:1] == ("templates",):
                continue  # each template is walked in its own scope
            item = _union(origins for prefix, origins in loops.items() if path[: len(prefix)] == prefix)
            origins, tags = replace(scope, item=item).origins(text)
            if origins:
                yield path, origins, tags

    def _loop(self, call: Call, scope: Scope) -> Origins:
        return scope.origins(json.dumps(call.loop))[0] if call.loop is not None else NONE

    def _state(self) -> tuple[Any, ...]:
        inputs = tuple(sorted((name, tuple(sorted(held.items()))) for name, held in self.inputs.items()))
        return tuple(sorted(self.workflow.items())), inputs, tuple(sorted(self.outputs.items())), self.global_outputs

    def _follow(self) -> None:
        """Workflow arguments, the entrypoint's inputs, call arguments, defaults, outputs: until nothing changes."""
        before = None
        while before != self._state():
            before = self._state()
            for parameter in _parameters(self.spec.get("arguments")):
                _taint(self.workflow, parameter, ("value",), self.scope(None))
            entry = str(self.spec.get("entrypoint"))
            for parameter in _parameters((self.templates.get(entry) or {}).get("inputs")):
                name = str(parameter.get("name"))
                if name in self.workflow:
                    self.inputs[entry][name] = self.inputs[entry].get(name, NONE) | self.workflow[name]
            self._pass_arguments(self.spec, None)
            for name, body in self.templates.items():
                for parameter in _parameters(body.get("inputs")):
                    _taint(self.inputs[name], parameter, ("value", "default"), self.scope(name))
                self._pass_arguments(body, name)
                self.outputs[name] |= self._output_origins(body, name)
            self.global_outputs = _union(self.outputs.values())

    def _output_origins(self, body: Mapping[str, Any], name: str) -> Origins:
        """What a template's outputs may carry: every value it can read, through tags anywhere in it, its inputs
        (a program or `valueFrom.expression` reads them without a tag) and what its output expressions name."""
        scope = self.scope(name)
        expressions = [
            ((parameter.get("valueFrom") or {}).get("expression"))
            for parameter in _parameters(body.get("outputs"))
        ]
        return _union(
            [
                *(origins for _, origins, _ in self.places(body, name)),
                *scope.inputs.values(),
                *(scope.origins("{{=" + text + "}}")[0] for text in expressions if isinstance(text, str)),
            ]
        )

    def _pass_arguments(self, holder: Mapping[str, Any], template: str | None) -> None:
        scope = self.scope(template)
        for call in self.calls(holder):
            if call.callee is None or call.callee not in self.inputs:
                continue
            with_item = replace(scope, item=self._loop(call, scope))
            for argument in _parameters(call.arguments):
                _taint(self.inputs[call.callee], argument, ("value",), with_item)


def _taint(into: dict[str, Origins], parameter: Mapping[str, Any], keys: tuple[str, ...], scope: Scope) -> None:
    for key in keys:
        if isinstance(parameter.get(key), str):
            origins = scope.origins(parameter[key])[0]
            if origins:
                name = str(parameter.get("name"))
                into[name] = into.get(name, NONE) | origins


def _parameters(holder: Any) -> list[Mapping[str, Any]]:
    if not isinstance(holder, Mapping):
        return []
    return [parameter for parameter in holder.get("parameters") or [] if isinstance(parameter, Mapping)]


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
