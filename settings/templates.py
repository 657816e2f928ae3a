"""WorkflowTemplate files: read, checked against Argo's schema, and what parameters they declare."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from settings.messages import yaml_error

ARGO_API_VERSION = "argoproj.io/v1alpha1"


class TemplateError(ValueError):
    """A template file that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TemplateParameter:
    """A parameter the template accepts; `required` when neither the template nor Argo gives it a value."""

    name: str
    required: bool


@dataclass(frozen=True)
class WorkflowTemplateFile:
    """A validated WorkflowTemplate document; the program sets its name and namespace when it deploys it."""

    path: Path
    document: Mapping[str, Any]
    parameters: tuple[TemplateParameter, ...]

    @property
    def parameter_names(self) -> frozenset[str]:
        return frozenset(parameter.name for parameter in self.parameters)

    def manifest(self, name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
        """The document as deployed: named and namespaced by the program, our labels added to the file's."""
        document = copy.deepcopy(dict(self.document))
        metadata = {
            key: value
            for key, value in dict(document.get("metadata") or {}).items()
            if key in ("labels", "annotations")
        }
        metadata["name"] = name
        metadata["namespace"] = namespace
        metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
        document["metadata"] = metadata
        return document


def schema_problems(model: type[BaseModel], document: Mapping[str, Any]) -> list[str]:
    """Problems of `document` against an Argo schema model (Hera's generated models), unknown keys included.

    Hera's models ignore unknown keys, while a typo in a template is silently dropped by Kubernetes too: so we diff
    the input against what the model kept, and report every key it did not know.
    """
    try:
        parsed = model.model_validate(document)
    except ValidationError as error:
        return [f"{_dotted(tuple(entry['loc']))}: {entry['msg']}" for entry in error.errors(include_url=False)]
    kept = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"{path}: unknown field" for path in _unknown_keys(document, kept, ())]


def _unknown_keys(given: Any, kept: Any, path: tuple[str | int, ...]) -> list[str]:
    if isinstance(given, Mapping) and isinstance(kept, Mapping):
        unknown = []
        for key, value in given.items():
            if key not in kept:
                unknown.append(_dotted((*path, key)))
            else:
                unknown.extend(_unknown_keys(value, kept[key], (*path, key)))
        return unknown
    if isinstance(given, list) and isinstance(kept, list) and len(given) == len(kept):
        pairs = enumerate(zip(given, kept, strict=True))
        return [item for index, (one, other) in pairs for item in _unknown_keys(one, other, (*path, index))]
    return []


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def load_template(path: Path) -> WorkflowTemplateFile:
    """Read and validate one WorkflowTemplate file; raises TemplateError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(["file not found"]) from None
    except OSError as error:
        raise TemplateError([f"cannot be read: {error.strerror}"]) from None
    try:
        documents = [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.YAMLError as error:
        raise TemplateError([f"is not valid YAML: {yaml_error(error)}"]) from None
    if len(documents) != 1:
        raise TemplateError([f"must hold exactly one YAML document, found {len(documents)}"])
    document = documents[0]
    if not isinstance(document, dict):
        raise TemplateError(["is not a YAML mapping (expected a WorkflowTemplate object)"])
    if document.get("kind") != "WorkflowTemplate" or document.get("apiVersion") != ARGO_API_VERSION:
        raise TemplateError(
            [
                f"is not a WorkflowTemplate: expected apiVersion {ARGO_API_VERSION!r} and kind 'WorkflowTemplate', "
                f"found {document.get('apiVersion')!r} and {document.get('kind')!r}"
            ]
        )
    problems = _workflow_template_schema_problems(document)
    if problems:
        raise TemplateError([f"does not match Argo's WorkflowTemplate schema: {problem}" for problem in problems])
    spec = document["spec"]
    entrypoint = spec.get("entrypoint")
    template_names = [template.get("name") for template in spec.get("templates") or []]
    if not entrypoint:
        raise TemplateError(["spec.entrypoint is not set (the event-submitted Workflow needs one)"])
    if entrypoint not in template_names:
        defined = ", ".join(map(str, template_names)) or "none"
        raise TemplateError([f"spec.entrypoint {entrypoint!r} is not defined in spec.templates (defined: {defined})"])
    return WorkflowTemplateFile(path=path, document=document, parameters=_declared_parameters(spec, entrypoint))


def _workflow_template_schema_problems(document: Mapping[str, Any]) -> list[str]:
    from hera.workflows.models import WorkflowTemplate  # heavy import: only when a template is checked

    named = {**document, "metadata": {**(document.get("metadata") or {}), "name": "schema-check"}}
    return schema_problems(WorkflowTemplate, named)


def _declared_parameters(spec: Mapping[str, Any], entrypoint: str) -> tuple[TemplateParameter, ...]:
    """Workflow-level arguments and the entrypoint's inputs: both are filled from the submitted arguments."""
    declared: dict[str, bool] = {}
    for parameter in (spec.get("arguments") or {}).get("parameters") or []:
        declared[parameter["name"]] = not _has_value(parameter)
    entry = next(template for template in spec["templates"] if template.get("name") == entrypoint)
    for parameter in (entry.get("inputs") or {}).get("parameters") or []:
        name = parameter["name"]
        declared[name] = declared.get(name, True) and not _has_value(parameter)
    return tuple(TemplateParameter(name, required) for name, required in declared.items())


def _has_value(parameter: Mapping[str, Any]) -> bool:
    return any(parameter.get(key) is not None for key in ("value", "default", "valueFrom"))
