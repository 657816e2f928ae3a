"""Issue 15 item 2: an event-derived value (a parameter the pipeline maps from the payload) may reach a container
only as an env value, or pass on to another template's input; every other place is refused at preview, one problem
per place, naming the file, template, field and parameters, with the fix of that place. Each finding of the issue is
a case here, through parse_settings on a template written in tmp (and the whole program under mocks); the shipped
templates, the documentation's examples, an env-only template and well-known values in command/args pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.config import WELL_KNOWN_PARAMETERS, ConfigError, parse_settings
from settings.injection import executed_variable, injection_problems
from settings.taint import kubernetes_references
from settings.templates import load_template
from tests.harness import PROJECT_ROOT, run_stack, stack_config

K = "argo-github-webhooks"
IMAGE = "alpine:3.20"
BODY = "{{workflow.parameters.body}}"
TITLE = "{{workflow.parameters.title}}"
MAPPED = {"body": "head_commit.message", "title": "head_commit.id"}
ENV_FIX = (
    "pass it through the environment: env: [{name: TITLE, value: '<the tag>'}] on the container, and let the program "
    "read the variable"
)
ARGV_FIX = (
    "an argument is parsed by the program it goes to (a shell's -c, an interpreter's -e, git's -c, any option): "
    f"{ENV_FIX}, e.g. \"$TITLE\" inside a shell script (never $(TITLE): Kubernetes pastes that into the argument)"
)
WHEN_FIX = (
    "Argo evaluates the substituted condition (govaluate), so a quote in the value rewrites it: decide inside a step "
    "that reads the value from its environment and exits non-zero to say no, and test its "
    "{{steps.<name>.exitCode}} (outputs computed from the value carry it too)"
)
SOURCE_FIX = (
    "read it from the script's environment: add env: [{name: TITLE, value: '<the tag>'}] to the script and use "
    '"$TITLE" (shell) or os.environ["TITLE"] (Python) in the source'
)


def write(tmp_path: Path, templates: list[dict[str, Any]], **spec: Any) -> Path:
    document = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t"},
        "spec": {
            "entrypoint": templates[0]["name"],
            "arguments": {"parameters": [{"name": name} for name in ("body", "title", "git_ref", "repository")]},
            "templates": templates,
            **spec,
        },
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def config(path: Path, parameters: dict[str, str] | None = None) -> dict[str, str]:
    pipeline = {"name": "p", "template": str(path), "events": ["push"], "parameters": MAPPED if parameters is None
                else parameters}
    return stack_config(pipelines=[pipeline])


def refused(tmp_path: Path, templates: list[dict[str, Any]], **spec: Any) -> list[str]:
    path = write(tmp_path, templates, **spec)
    with pytest.raises(ConfigError) as raised:
        parse_settings(config(path), PROJECT_ROOT)
    prefix = f"{K}:pipelines[0] (p).template ({path}): "
    assert all(problem.startswith(prefix) for problem in raised.value.problems), raised.value.problems
    return [problem.removeprefix(prefix) for problem in raised.value.problems]


def accepted(tmp_path: Path, templates: list[dict[str, Any]], **spec: Any) -> None:
    parse_settings(config(write(tmp_path, templates, **spec)), PROJECT_ROOT)


def container(command: list[str] | None = None, args: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"image": IMAGE, **extra}
    if command is not None:
        body["command"] = command
    if args is not None:
        body["args"] = args
    return body


def leaf(name: str = "leaf", source: str = "{{inputs.parameters.text}}") -> dict[str, Any]:
    """A template that runs `sh -c` with its input `text` pasted into the script."""
    return {"name": name, "inputs": {"parameters": [{"name": "text"}]}, "container": container(["sh", "-c", f"echo {source}"])}


def call(template: str, value: str, **step: Any) -> dict[str, Any]:
    return {"name": "call", "template": template, "arguments": {"parameters": [{"name": "text", "value": value}]},
            **step}


# --- The findings of issue 15, each refused -------------------------------------------------------------------------


def test_kubernetes_expansion_of_an_env_value_in_args_is_refused(tmp_path: Path) -> None:
    templates = [
        {"name": "main", "container": container(["sh", "-c"], ['echo "$(COMMENT)"'], env=[{"name": "COMMENT", "value": BODY}])}
    ]
    assert refused(tmp_path, templates) == [
        "template 'main': container.args[0] expands $(COMMENT), which carries the event-derived parameter 'body': "
        "Kubernetes pastes the value into the text before the program (or a shell) parses it; write \"$NAME\" inside "
        "the shell script instead (the shell reads a variable's value as data), or $$(NAME) for the literal text"
    ]
    # Through another variable, and into a subPathExpr, too; $$(COMMENT) is literal text.
    templates = [
        {
            "name": "main",
            "container": container(
                ["sh", "-c", "echo $$(COMMENT)", "$(SECOND)"],
                env=[{"name": "COMMENT", "value": BODY}, {"name": "SECOND", "value": "x $(COMMENT)"}],
                volumeMounts=[{"name": "w", "mountPath": "/w", "subPathExpr": "$(COMMENT)"}],
            ),
            "volumes": [{"name": "w", "emptyDir": {}}],
        }
    ]
    found = refused(tmp_path, templates)
    assert [problem.split(" expands ")[0] for problem in found] == [
        "template 'main': container.command[3]",
        "template 'main': container.volumeMounts[w].subPathExpr",
    ]
    assert kubernetes_references("$(A) $$(B) $$$(C) $(D.E)") == ["A", "C", "D.E"]


def test_a_workflow_level_hook_passing_an_event_value_is_followed(tmp_path: Path) -> None:
    templates = [{"name": "main", "container": container(["true"])}, leaf("notify")]
    hooks = {"running": {"expression": 'workflow.status == "Running"', "template": "notify",
                         "arguments": {"parameters": [{"name": "text", "value": TITLE}]}}}
    assert refused(tmp_path, templates, hooks=hooks) == [
        "template 'notify': container.command[2] carries the event-derived parameter 'title' "
        f"({{{{inputs.parameters.text}}}}); {ARGV_FIX}"
    ]


def test_step_level_hooks_and_dag_tasks_are_followed(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "dag": {"tasks": [
                {"name": "a", "template": "quiet", "hooks": {"exit": {"template": "loud", "arguments": {"parameters": [
                    {"name": "text", "value": f"x-{BODY}"}]}}}},
            ]},
        },
        {"name": "quiet", "container": container(["true"])},
        leaf("loud"),
    ]
    (problem,) = refused(tmp_path, templates)
    assert problem.startswith("template 'loud': container.command[2] carries the event-derived parameter 'body' ")


def test_with_items_feeding_item_is_followed_and_item_elsewhere_refused(tmp_path: Path) -> None:
    templates = [
        {"name": "main", "steps": [[call("leaf", "{{item}}", withItems=[BODY, "fixed"], when="'{{item}}' != ''")]]},
        leaf(),
    ]
    assert refused(tmp_path, templates) == [
        f"template 'main': steps[0][call].when carries the event-derived parameter 'body' ({{{{item}}}}); {WHEN_FIX}",
        "template 'leaf': container.command[2] carries the event-derived parameter 'body' "
        f"({{{{inputs.parameters.text}}}}); {ARGV_FIX}",
    ]


def test_with_param_over_an_event_value_is_followed(tmp_path: Path) -> None:
    templates = [{"name": "main", "steps": [[call("leaf", "{{item.path}}", withParam=BODY)]]}, leaf()]
    (problem,) = refused(tmp_path, templates)
    assert problem.startswith("template 'leaf': container.command[2] carries the event-derived parameter 'body' ")


def test_pod_spec_patch_and_template_defaults_carrying_event_values_are_refused(tmp_path: Path) -> None:
    templates = [{"name": "main", "container": container(["true"]), "podSpecPatch": '{"hostname": "' + TITLE + '"}'}]
    found = refused(tmp_path, templates, templateDefaults={"metadata": {"labels": {"t": TITLE}}})
    assert (
        "the workflow spec: templateDefaults.metadata.labels.t carries the event-derived parameter 'title' "
        f"({TITLE}); templateDefaults reach every template: {ENV_FIX} in the template that needs it"
    ) in found
    assert (
        f"template 'main': podSpecPatch carries the event-derived parameter 'title' ({TITLE}); a pod spec is no place "
        f"for a delivery's text (and podSpecPatch is refused anyway): {ENV_FIX}"
    ) in found
    assert any(problem.startswith("template 'main': podSpecPatch is not allowed") for problem in found)


def test_when_conditions_are_refused(tmp_path: Path) -> None:
    templates = [
        {"name": "main", "steps": [[{"name": "a", "template": "b", "when": f"'{TITLE}' == 'release'"}]]},
        {"name": "b", "container": container(["true"])},
    ]
    assert refused(tmp_path, templates) == [
        f"template 'main': steps[0][a].when carries the event-derived parameter 'title' ({TITLE}); {WHEN_FIX}"
    ]


def test_step_outputs_computed_from_event_values_carry_them(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "steps": [
                [{"name": "compute", "template": "compute"}],
                [call("leaf", "{{steps.compute.outputs.result}}"),
                 {"name": "gate", "template": "compute", "when": "{{steps.compute.exitCode}} == 0"}],
            ],
        },
        {
            "name": "compute",
            "script": {"image": IMAGE, "command": ["sh"], "source": 'echo "$TITLE" | tr a-z A-Z',
                       "env": [{"name": "TITLE", "value": TITLE}]},
        },
        leaf(),
    ]
    # Passing the outputs on is allowed; the leaf pasting them into sh -c is not; the exit code is clean.
    assert refused(tmp_path, templates) == [
        "template 'leaf': container.command[2] carries the event-derived parameter 'title' "
        f"({{{{inputs.parameters.text}}}}); {ARGV_FIX}"
    ]


def test_outputs_an_expression_computes_from_inputs_or_parameters_carry_them(tmp_path: Path) -> None:
    """No tag in the producing template: `valueFrom.expression` reads the input (or the parameter) by name."""
    for expression in ("inputs.parameters.text", "workflow.parameters.title"):
        templates = [
            {"name": "main", "steps": [[call("produce", TITLE, name="make")],
                                       [call("leaf", "{{steps.make.outputs.parameters.out}}")]]},
            {
                "name": "produce",
                "inputs": {"parameters": [{"name": "text"}]},
                "outputs": {"parameters": [{"name": "out", "valueFrom": {"expression": expression}}]},
                "steps": [[{"name": "nothing", "template": "noop"}]],
            },
            {"name": "noop", "container": container(["true"])},
            leaf(),
        ]
        (problem,) = refused(tmp_path, templates)
        assert problem.startswith("template 'leaf': container.command[2] carries the event-derived parameter 'title' ")


@pytest.mark.parametrize(
    "tag",
    [
        "{{=workflow.parameters['title']}}",
        "{{=get(workflow.parameters, 'title')}}",
        "{{=toJson(workflow.parameters)}}",
        "{{=let p = workflow.parameters; p.title}}",
        "{{=workflow?.parameters?.title}}",
        "{{= workflow.parameters.title }}",
        "{{ workflow.parameters.title }}",
        "{{=$env['workflow.parameters.title']}}",
        "{{=sprig.trim(workflow.parameters.title)}}",
        "{{=workflow.parameters[lower('TITLE')]}}",
        "{{=workflow.parameters.title[0:3]}}",
        "{{=unparseable workflow ((}}",
        "{{workflow.parameters.json}}",
    ],
)
def test_every_way_of_reading_an_event_value_in_a_tag_is_found(tmp_path: Path, tag: str) -> None:
    (problem,) = refused(tmp_path, [{"name": "main", "container": container(["sh", "-c", f"echo {tag}"])}])
    assert problem.startswith("template 'main': container.command[2] carries the event-derived parameter")
    assert "'title'" in problem and f"({tag})" in problem


@pytest.mark.parametrize(
    "argv",
    [
        ["python3", "-W", "ignore", "-c", f"print('{BODY}')"],
        ["env", "-S", f"sh -c 'echo {BODY}'"],
        ["find", ".", "-exec", "sh", "-c", f"echo {BODY}", ";"],
        ["flock", "/tmp/l", "sh", "-c", f"echo {BODY}"],
        ["script", "-qc", f"echo {BODY}", "/dev/null"],
        ["git", "-c", f"alias.x=!{BODY}", "x"],
        ["echo", BODY],
        ["git", "checkout", BODY],
    ],
)
def test_any_argument_is_refused_whatever_the_program(tmp_path: Path, argv: list[str]) -> None:
    index = next(index for index, word in enumerate(argv) if BODY in word)
    for templates, field in (
        ([{"name": "main", "container": container(argv)}], f"container.command[{index}]"),
        ([{"name": "main", "container": container(None, argv)}], f"container.args[{index}]"),  # image entrypoint
    ):
        assert refused(tmp_path, templates) == [
            f"template 'main': {field} carries the event-derived parameter 'body' ({BODY}); {ARGV_FIX}"
        ]


def test_an_image_whose_entrypoint_is_a_shell_given_dash_c(tmp_path: Path) -> None:
    templates = [{"name": "main", "container": container(None, ["-c", f"echo {TITLE}"])}]
    assert refused(tmp_path, templates) == [
        f"template 'main': container.args[1] carries the event-derived parameter 'title' ({TITLE}); {ARGV_FIX}"
    ]


def test_a_script_source_is_told_about_its_environment_not_sh_c(tmp_path: Path) -> None:
    templates = [{"name": "main", "script": {"image": IMAGE, "command": ["python3"], "source": f"print('{TITLE}')"}}]
    assert refused(tmp_path, templates) == [
        f"template 'main': script.source carries the event-derived parameter 'title' ({TITLE}); {SOURCE_FIX}"
    ]


def test_one_problem_per_place_with_every_parameter_it_carries(tmp_path: Path) -> None:
    templates = [{"name": "main", "container": container(["sh", "-c", f"echo {TITLE} {BODY}"], workingDir=f"/w/{BODY}")}]
    assert refused(tmp_path, templates) == [
        f"template 'main': container.command[2] carries the event-derived parameters 'body', 'title' ({TITLE}, "
        f"{BODY}); {ARGV_FIX}",
        f"template 'main': container.workingDir carries the event-derived parameter 'body' ({BODY}); paths must not "
        "come from a delivery: use a fixed workingDir",
    ]


@pytest.mark.parametrize(
    ("body", "field", "fix"),
    [
        ({"resource": {"action": "create", "manifest": f"kind: ConfigMap\ndata: {{t: '{TITLE}'}}"}},
         "resource.manifest", "a resource manifest is applied as written"),
        ({"http": {"url": f"https://example.com/{TITLE}"}}, "http.url", "an http template sends the text as written"),
        ({"data": {"source": {"artifactPaths": {"name": "a", "s3": {"key": TITLE}}}, "transformation": []}},
         "data.source.artifactPaths.s3.key", "a data template's source"),
        ({"container": container(["true"]), "outputs": {"artifacts": [{"name": "a", "path": "/a", "s3": {"key": TITLE}}]}},
         "outputs.artifacts[a].s3.key", "artifact keys, URLs and paths"),
        ({"container": container(["true"]), "synchronization": {"mutexes": [{"name": TITLE}]}},
         "synchronization.mutexes[0].name", "a lock's name"),
        ({"container": container(["true"]), "metadata": {"annotations": {"t": TITLE}}},
         "metadata.annotations.t", "labels and annotations"),
        ({"container": container(["true"], volumeMounts=[{"name": "v", "mountPath": f"/v/{TITLE}"}]),
          "volumes": [{"name": "v", "emptyDir": {}}]}, "container.volumeMounts[v].mountPath", "paths must not come"),
        ({"container": container(["true"], env=[{"name": TITLE, "value": "x"}])}, "container.env[0].name",
         "a variable's name and source must be fixed"),
    ],
)
def test_every_other_place_is_refused_with_its_fix(tmp_path: Path, body: dict[str, Any], field: str, fix: str) -> None:
    (problem,) = refused(tmp_path, [{"name": "main", **body}])
    assert problem.startswith(f"template 'main': {field} carries the event-derived parameter 'title' ({TITLE}); {fix}")


@pytest.mark.parametrize("name", ["GIT_SSH_COMMAND", "GIT_CONFIG_VALUE_0", "BASH_ENV", "ENV", "LD_PRELOAD",
                                  "PYTHONSTARTUP", "NODE_OPTIONS", "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS",
                                  "PROMPT_COMMAND", "npm_config_script_shell"])
def test_an_env_entry_programs_execute_is_refused(tmp_path: Path, name: str) -> None:
    templates = [{"name": "main", "container": container(["git", "fetch"], env=[{"name": name, "value": BODY}])}]
    assert refused(tmp_path, templates) == [
        f"template 'main': container.env[{name}].value carries the event-derived parameter 'body' ({BODY}) into "
        f"{name}, a variable programs execute or load code from (git runs GIT_SSH_COMMAND and reads GIT_CONFIG_*, "
        "shells source BASH_ENV and ENV, the loader LD_*, interpreters their *OPTIONS and module paths): give it a "
        "name no program acts on, and let the script use it as data"
    ]


def test_executed_variables() -> None:
    assert all(executed_variable(name) for name in ("GIT_SSH_COMMAND", "LD_LIBRARY_PATH", "PYTHONPATH", "GOFLAGS"))
    assert not any(executed_variable(name) for name in ("TITLE", "COMMENT", "GIT_REF", "PR_BODY", "REPOSITORY"))


def test_a_template_ref_to_another_file_cannot_be_followed_and_one_to_this_file_is(tmp_path: Path) -> None:
    other = [{"name": "main", "steps": [[{"name": "s", "templateRef": {"name": "shared", "template": "build"},
                                          "arguments": {"parameters": [{"name": "text", "value": TITLE}]}}]]}]
    assert refused(tmp_path, other) == [
        f"template 'main': steps[0][s].arguments.parameters[text].value passes the event-derived parameter 'title' "
        f"({TITLE}) to templateRef shared/build, which this check cannot follow: copy that template into this file "
        "(a templateRef to the file's own name is followed), or pass only well-known values"
    ]
    # Its outputs may hold anything the workflow's parameters hold: passing them on is followed.
    outputs = [{"name": "main", "steps": [[{"name": "s", "templateRef": {"name": "shared", "template": "build"}}],
                                          [call("leaf", "{{steps.s.outputs.result}}")]]}, leaf()]
    (problem,) = refused(tmp_path, outputs)
    assert problem.startswith("template 'leaf': container.command[2] carries the event-derived parameters 'body', "
                              "'title' ")
    own = [{"name": "main", "steps": [[{"name": "s", "templateRef": {"name": "t", "template": "leaf"},
                                        "arguments": {"parameters": [{"name": "text", "value": TITLE}]}}]]}, leaf()]
    (problem,) = refused(tmp_path, own)
    assert problem.startswith("template 'leaf': container.command[2] carries the event-derived parameter 'title' ")


def test_the_whole_program_refuses_before_registering_anything(tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "main", "container": container(["sh", "-c", f"echo {TITLE}"])}])
    with pytest.raises(ConfigError) as raised:
        run_stack(config(path))
    assert raised.value.problems == [
        f"{K}:pipelines[0] (p).template ({path}): template 'main': container.command[2] carries the event-derived "
        f"parameter 'title' ({TITLE}); {ARGV_FIX}"
    ]


# --- What keeps passing ---------------------------------------------------------------------------------------------


def test_an_env_only_template_passes(tmp_path: Path) -> None:
    templates = [
        {"name": "main", "steps": [[call("build", TITLE)]]},
        {
            "name": "build",
            "inputs": {"parameters": [{"name": "text"}]},
            "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}]},
            "container": container(["sh", "-euc", 'echo "$TEXT $BODY" > /tmp/out'], env=[
                {"name": "TEXT", "value": "{{inputs.parameters.text}}"},
                {"name": "BODY", "value": BODY},
                {"name": "BOTH", "value": "{{=workflow.parameters.title + workflow.parameters.body}}"},
            ]),
            "initContainers": [{"name": "i", **container(["true"], env=[{"name": "T", "value": TITLE}])}],
        },
    ]
    accepted(tmp_path, templates)


def test_well_known_values_and_clean_tags_may_go_anywhere(tmp_path: Path) -> None:
    templates = [
        {
            "name": "main",
            "container": container(
                ["sh", "-c", "git fetch origin {{workflow.parameters.git_ref}} && echo {{workflow.name}}"],
                ["{{=sprig.trim(workflow.parameters.git_ref)}}", "{{=workflow.parameters['repository']}}",
                 "{{pod.name}} {{workflow.uid}} {{=workflow.annotations}}"],
                workingDir="/src/{{workflow.parameters.repository}}",
            ),
            "synchronization": {"mutexes": [{"name": "{{workflow.parameters.repository}}"}]},
        }
    ]
    accepted(tmp_path, templates)
    # A well-known name the pipeline maps itself is the pipeline's text, not GitHub's shape: event-derived.
    path = write(tmp_path, templates)
    with pytest.raises(ConfigError) as raised:
        parse_settings(config(path, {**MAPPED, "git_ref": "head_commit.message"}), PROJECT_ROOT)
    fields = [problem.split("): template 'main': ")[1].split(" carries")[0] for problem in raised.value.problems]
    assert sorted(fields) == ["container.args[0]", "container.command[2]"]


@pytest.mark.parametrize("template", sorted(p.name for p in (PROJECT_ROOT / "workflows").glob("*.yaml")))
def test_every_shipped_template_passes(template: str) -> None:
    loaded = load_template(PROJECT_ROOT / "workflows" / template)
    parse_settings(stack_config(pipelines=[{"name": "p", "template": f"workflows/{template}", "events": ["push"]}]),
                   PROJECT_ROOT)
    assert injection_problems(loaded, loaded.parameter_names - set(WELL_KNOWN_PARAMETERS)) == []


def test_secret_scan_passes_even_with_every_parameter_event_derived() -> None:
    """Stricter than any pipeline: its values reach the clone through env only, so even the delivery's own text
    could stand in for the well-known values."""
    loaded = load_template(PROJECT_ROOT / "workflows" / "secret-scan.yaml")
    assert loaded.parameter_names >= {"git_url", "git_ref", "head_commit", "repository"}
    assert injection_problems(loaded, loaded.parameter_names) == []


def test_the_docs_examples_pass(tmp_path: Path) -> None:
    """Every WorkflowTemplate in docs/security.md's YAML blocks passes with all its parameters event-derived."""
    text = (PROJECT_ROOT / "docs" / "security.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]
    documents = [yaml.safe_load(block) for block in blocks if "kind: WorkflowTemplate" in block]
    assert documents, "docs/security.md shows a WorkflowTemplate"
    for index, document in enumerate(documents):
        path = tmp_path / f"doc-{index}.yaml"
        path.write_text(yaml.safe_dump(document))
        loaded = load_template(path)
        assert injection_problems(loaded, loaded.parameter_names) == []


def test_a_parameter_no_pipeline_maps_is_not_event_derived(tmp_path: Path) -> None:
    accepted(tmp_path, [{"name": "main", "container": container(["sh", "-c", "echo {{workflow.parameters.mode}}"])}],
             arguments={"parameters": [{"name": "mode", "value": "fast"}, {"name": "body"}, {"name": "title"}]})
