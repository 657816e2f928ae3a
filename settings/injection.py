"""Refuses WorkflowTemplates that put an event-derived value anywhere but where a program reads it as data.

An event-derived value is a template parameter the pipeline fills from the payload (its `parameters:`): a pull
request's title, a comment, a branch name mapped by hand. Argo substitutes `{{...}}` as plain text, so wherever such a
value lands, its author writes that text: code in `script.source` or `sh -c`, options of whatever program the
arguments go to (`git -c alias.x=!...`, `find -exec`, `python3 -W ignore -c`), a govaluate condition in `when`, a pod
spec, a manifest, a URL. A list of the dangerous places kept missing one, so this is the list of the safe ones, and
every other place is refused at `pulumi preview`, one problem per place with the fix that fits it:

- the `value` of an `env` entry of a container, unless the variable is one programs execute or load code from
  (EXECUTED_VARIABLES), or the container's `command`/`args`, another env value or a `subPathExpr` pastes it back in
  with Kubernetes' `$(NAME)` expansion (the kubelet substitutes it before any shell parses the argument);
- another template's input (settings/taint.py follows it there): a step's, DAG task's or hook's argument, an input's
  `value`/`default`, `withItems`/`withParam`, an output parameter's `value` or `valueFrom.parameter`.

The well-known parameters are not event-derived: their binding guarantees GitHub's shape (or gives ""), so they may
go anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from settings.taint import TemplateFlow, kubernetes_references
from settings.templates import WorkflowTemplateFile

# Environment variables whose value programs execute, source or load code from. An allow-list of safe names is not
# practical (a variable's name is whatever the template's program reads: GIT_REF, TITLE, PR_BODY, ...), so this is a
# deny-list, kept wide: shells and their startup files, git's commands and config-by-environment, the dynamic loader,
# interpreters' options and module paths, build tools' flags, package managers' configuration, proxies and CAs.
EXECUTED_VARIABLES = frozenset(
    {
        "BASH_ENV", "ENV", "ZDOTDIR", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS4", "IFS",
        "PATH", "SHELL", "CDPATH", "GLOBIGNORE", "HISTFILE", "INPUTRC", "TERMINFO",
        "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "EDITOR",
        "VISUAL", "GIT_PAGER", "PAGER", "MANPAGER", "LESSOPEN", "LESSCLOSE", "BROWSER", "GIT_EXTERNAL_DIFF",
        "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR", "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR",
        "GCONV_PATH", "HOSTALIASES", "CLASSPATH", "MAKEFLAGS", "MFLAGS", "MAKE", "RUSTFLAGS", "RUSTC_WRAPPER",
        "RUSTC", "CC", "CXX", "CPP", "LD", "CFLAGS", "CXXFLAGS", "LDFLAGS", "MAVEN_OPTS", "GRADLE_OPTS", "JAVA_OPTS",
        "SBT_OPTS", "ANT_OPTS", "KUBECONFIG", "DOCKER_HOST", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    }
)
EXECUTED_PREFIXES = (
    "LD_", "DYLD_", "BASH_FUNC_", "GIT_CONFIG", "PYTHON", "PERL", "RUBY", "GEM_", "BUNDLE_", "NODE_", "NPM_CONFIG_",
    "YARN_", "JAVA_", "_JAVA_", "JDK_JAVA_", "PIP_", "UV_", "CARGO_", "CGO_", "GO", "LUA_", "PHP_", "MALLOC_",
    "GLIBC_", "DOTNET_", "COMPLUS_",
)
_CONTAINERS = (("container",), ("script",))
_CONTAINER_LISTS = (("initContainers",), ("sidecars",), ("containerSet", "containers"))

_ENV_FIX = (
    "pass it through the environment: env: [{name: TITLE, value: '<the tag>'}] on the container, and let the program "
    "read the variable"
)
# The fix for a place, found by the first of its keys listed here (outermost first).
_FIXES = {
    "podSpecPatch": "a pod spec is no place for a delivery's text (and podSpecPatch is refused anyway): " + _ENV_FIX,
    "templateDefaults": "templateDefaults reach every template: " + _ENV_FIX + " in the template that needs it",
    "resource": "a resource manifest is applied as written: create the object from a container that reads the "
    "value from its environment, or use only well-known values",
    "http": "an http template sends the text as written: make the request from a container that reads the value "
    "from its environment",
    "data": "a data template's source and transformations are not values: use fixed text or well-known values",
    "artifacts": "artifact keys, URLs and paths choose what is read and written: use fixed names or well-known "
    "values (repository, head_commit, delivery_id)",
    "archiveLocation": "artifact keys, URLs and paths choose what is read and written: use fixed names or well-known "
    "values (repository, head_commit, delivery_id)",
    "synchronization": "a lock's name decides which runs exclude each other: use a fixed name or a well-known value "
    "(e.g. repository)",
    "metadata": "labels and annotations: use fixed text or well-known values",
    "podMetadata": "labels and annotations: use fixed text or well-known values",
    "workflowMetadata": "labels and annotations: use fixed text or well-known values",
    "volumes": "paths and volume sources must not come from a delivery: use fixed ones",
    "volumeMounts": "paths must not come from a delivery: use fixed ones",
    "workingDir": "paths must not come from a delivery: use a fixed workingDir",
    "when": "Argo evaluates the substituted condition (govaluate), so a quote in the value rewrites it: decide inside "
    "a step that reads the value from its environment and exits non-zero to say no, and test its "
    "{{steps.<name>.exitCode}} (outputs computed from the value carry it too)",
    "source": "read it from the script's environment: add env: [{name: TITLE, value: '<the tag>'}] to the script and "
    'use "$TITLE" (shell) or os.environ["TITLE"] (Python) in the source',
    "command": "an argument is parsed by the program it goes to (a shell's -c, an interpreter's -e, git's -c, any "
    "option): " + _ENV_FIX + ", e.g. \"$TITLE\" inside a shell script (never $(TITLE): Kubernetes pastes that into "
    "the argument)",
    "template": "which template runs must not come from a delivery: name it, and pass the value as an argument",
    "templateRef": "which template runs must not come from a delivery: name it, and pass the value as an argument",
    "env": "a variable's name and source must be fixed: put the value in the env entry's value",
    "envFrom": "a variable's name and source must be fixed: put the value in the env entry's value",
    "depends": "a task's dependencies must be fixed",
}
_FIXES["args"] = _FIXES["command"]
_GENERIC_FIX = "an event-derived value may reach a container only as the value of an env entry: " + _ENV_FIX


def executed_variable(name: str) -> bool:
    """Whether programs run or load code from the variable `name` (compared upper-case: npm reads npm_config_*)."""
    upper = name.upper()
    return upper in EXECUTED_VARIABLES or upper.startswith(EXECUTED_PREFIXES)


def injection_problems(template: WorkflowTemplateFile, event_derived: Iterable[str]) -> list[str]:
    """Every place in the file where an event-derived parameter may reach a container but as an env value."""
    flow = TemplateFlow(template, event_derived)
    if not flow.workflow:
        return []
    problems: list[str] = []
    holders: list[tuple[str, Mapping[str, Any], str | None]] = [("the workflow spec", flow.spec, None)]
    holders.extend((f"template {name!r}", body, name) for name, body in flow.templates.items())
    for where, holder, name in holders:
        containers = dict(_containers(holder)) if name is not None else {}
        for path, origins, tags in flow.places(holder, name):
            if path[-1] == "value" and path[-3:-2] == ("env",) and path[:-3] in containers:
                continue  # an env value: checked with its container below
            passes, unfollowed = _passes_on(flow, holder, name is not None, path)
            field = _rendered(holder, path)
            if unfollowed:
                problems.append(
                    f"{where}: {field} passes {_carried(origins, tags)} to {unfollowed}, which this check cannot "
                    "follow: copy that template into this file (a templateRef to the file's own name is followed), "
                    "or pass only well-known values"
                )
            elif not passes:
                problems.append(f"{where}: {field} carries {_carried(origins, tags)}; {_fix(path)}")
        for prefix, container in containers.items():
            problems.extend(_container_problems(flow, str(name), holder, prefix, container))
    return problems


def _passes_on(
    flow: TemplateFlow, holder: Mapping[str, Any], is_template: bool, path: tuple[Any, ...]
) -> tuple[bool, str | None]:
    """Whether `path` passes its value on to another template's input; with the callee's name when that callee is
    in another file (then it cannot be followed)."""
    for call in flow.calls(holder):
        rest = path[len(call.path) :] if path[: len(call.path)] == call.path else None
        if rest is None:
            continue
        if rest[:1] in (("withItems",), ("withParam",)):
            return True, None
        if len(rest) == 4 and rest[:2] == ("arguments", "parameters") and rest[3] == "value":
            return True, None if call.callee else call.target
    if len(path) == 4 and path[1] == "parameters" and isinstance(path[2], int):
        kind, key = path[0], path[3]
        if is_template:
            return (kind == "inputs" and key in ("value", "default")) or (kind == "outputs" and key == "value"), None
        return kind == "arguments" and key == "value", None
    output_from = len(path) == 5 and path[:2] == ("outputs", "parameters") and path[3:] == ("valueFrom", "parameter")
    if is_template and output_from:
        return True, None
    return False, None


def _containers(holder: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    for prefix in _CONTAINERS:
        if isinstance(holder.get(prefix[0]), Mapping):
            yield prefix, holder[prefix[0]]
    for prefix in _CONTAINER_LISTS:
        listing = holder
        for key in prefix:
            listing = listing.get(key) if isinstance(listing, Mapping) else None
        for index, container in enumerate(listing or []):
            if isinstance(container, Mapping):
                yield (*prefix, index), container


def _container_problems(
    flow: TemplateFlow, name: str, holder: Mapping[str, Any], prefix: tuple[Any, ...], container: Mapping[str, Any]
) -> Iterator[str]:
    """An env value may carry event values, unless its name is executed or `$(NAME)` pastes it into an argument."""
    where = f"template {name!r}"
    carried: dict[str, tuple[frozenset[str], list[str]]] = {}
    scope = flow.scope(name)
    for index, entry in enumerate(container.get("env") or []):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("value"), str):
            continue
        origins, tags = scope.origins(entry["value"])
        for reference in kubernetes_references(entry["value"]):
            if reference in carried:  # `$(TITLE)` in another variable: that one carries it too
                origins = origins | carried[reference][0]
                tags = [*tags, f"$({reference})"]
        if not origins:
            continue
        variable = str(entry.get("name"))
        carried[variable] = (origins, tags)
        if executed_variable(variable):
            field = _rendered(holder, (*prefix, "env", index, "value"))
            yield (
                f"{where}: {field} carries {_carried(origins, tags)} into {variable}, a variable programs execute or "
                "load code from (git runs GIT_SSH_COMMAND and reads GIT_CONFIG_*, shells source BASH_ENV and ENV, "
                "the loader LD_*, interpreters their *OPTIONS and module paths): give it a name no program acts on, "
                "and let the script use it as data"
            )
    if not carried:
        return
    argv_places = [
        (key, index, word) for key in ("command", "args") for index, word in enumerate(container.get(key) or [])
    ]
    mounts = [
        ("volumeMounts", index, "subPathExpr", mount.get("subPathExpr"))
        for index, mount in enumerate(container.get("volumeMounts") or [])
        if isinstance(mount, Mapping)
    ]
    for path, text in [((key, index), word) for key, index, word in argv_places] + [
        ((key, index, field), text) for key, index, field, text in mounts
    ]:
        if not isinstance(text, str):
            continue
        expanded = [reference for reference in kubernetes_references(text) if reference in carried]
        if not expanded:
            continue
        origins = frozenset().union(*(carried[reference][0] for reference in expanded))
        names = ", ".join(f"$({reference})" for reference in dict.fromkeys(expanded))
        field = _rendered(holder, (*prefix, *path))
        yield (
            f"{where}: {field} expands {names}, which carries {_carried(origins, [])}: Kubernetes pastes the value "
            "into the text before the program (or a shell) parses it; write \"$NAME\" inside the shell script "
            "instead (the shell reads a variable's value as data), or $$(NAME) for the literal text"
        )


def _carried(origins: frozenset[str], tags: list[str]) -> str:
    names = ", ".join(repr(origin) for origin in sorted(origins))
    noun = "parameter" if len(origins) == 1 else "parameters"
    shown = f" ({', '.join(dict.fromkeys(tags))})" if tags else ""
    return f"the event-derived {noun} {names}{shown}"


def _fix(path: tuple[Any, ...]) -> str:
    return next((_FIXES[key] for key in path if isinstance(key, str) and key in _FIXES), _GENERIC_FIX)


def _rendered(holder: Any, path: tuple[Any, ...]) -> str:
    """`container.env[TITLE].value`, `steps[0][deploy].when`: list items by their name where they have one."""
    text = ""
    current = holder
    for key in path:
        if isinstance(key, int):
            item = current[key] if isinstance(current, list) and key < len(current) else None
            named = isinstance(item, Mapping) and isinstance(item.get("name"), str) and "{{" not in item["name"]
            label = item["name"] if named else key  # type: ignore[index]
            text += f"[{label}]"
            current = item
        else:
            text += f".{key}" if text else str(key)
            current = current.get(key) if isinstance(current, Mapping) else None
    return text

