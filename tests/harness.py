"""Runs the real `__main__.py` under Pulumi's mocks and records every resource it registers."""

from __future__ import annotations

import atexit
import hashlib
import json
import runpy
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from settings.config import PROJECT, SECRET_MUTABLE_KEY
from settings.stack_files import read_stack_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The tests' own stack files (the dev and prod stacks as first shipped): the checkout's Pulumi.<stack>.yaml are the
# user's to edit, and only tests marked `shipped_stack_files` read them (tests/conftest.py enforces it).
FIXTURE_STACKS = FIXTURES / "stacks"

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's wire marker of a secret value
SECRET_MARKER = "1b47061264138c4ac30d75fd1eb44270"


def mock_password(resource_name: str) -> str:
    """The `result` the mocks give a RandomPassword: distinct per resource, as real ones are, so rotation shows."""
    return hashlib.sha256(resource_name.encode()).hexdigest()[:48]


# What the hooks sign with at the default webhookSecretVersion 1 (the password of version 1).
MOCK_WEBHOOK_SECRET = mock_password("github-webhook-secret-v1")


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARKER


def reveal(value: Any) -> Any:
    """The value inside a secret, recursively; plain values as they are."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def without_secrets(value: Any) -> Any:
    """The value with every secret blanked out: what a plain (non-secret) input or output shows."""
    if is_secret(value):
        return None
    if isinstance(value, dict):
        return {key: without_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


@dataclass(frozen=True)
class Registered:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    custom: bool
    parent: str
    dependencies: tuple[str, ...]
    provider: str
    delete_before_replace: bool


# What a read of the EndpointSlice default/kubernetes finds under the mocks: a kind-like cluster whose API server
# listens on 6443 at two addresses of a private range (the default egress leaves such ranges out).
MOCK_API_SERVER_SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["172.18.0.2"]}, {"addresses": ["172.18.0.3"]}],
    "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Echoes inputs as outputs; gives ids, and a secret `result` for each RandomPassword as the provider would;
    reads of the API server's EndpointSlice find MOCK_API_SERVER_SLICE."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, str]] = []  # (type, id) of every resource read with `.get`

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.resource_id:  # a read (`Resource.get`): the provider returns the live object's state
            self.reads.append((args.typ, args.resource_id))
            if (args.typ, args.resource_id) == ("kubernetes:discovery.k8s.io/v1:EndpointSlice", "default/kubernetes"):
                return args.resource_id, dict(MOCK_API_SERVER_SLICE)
            return args.resource_id, {}
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = {SECRET_SIG: SECRET_MARKER, "value": mock_password(args.name)}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """Keeps what each registration asked for: parent, dependencies and options are not visible to the mocks."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request):  # type: ignore[no-untyped-def]
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=rpc.deserialize_properties(request.object),
                    custom=request.custom,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    provider=request.provider,
                    delete_before_replace=request.deleteBeforeReplace,
                )
            )
        return response


@dataclass
class StackRun:
    resources: list[Registered]
    reads: list[tuple[str, str]] = field(default_factory=list)  # (type, id) of each resource read from the cluster
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.type == type_]

    def named(self, name: str) -> Registered:
        matches = [resource for resource in self.resources if resource.name == name]
        assert len(matches) == 1, f"{len(matches)} resources named {name!r}"
        return matches[0]

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        """Every Kubernetes object the stack registers, as the manifest the provider would apply."""
        return [
            reveal(resource.inputs)
            for resource in self.resources
            if resource.type.startswith("kubernetes:") and resource.custom
        ]


def dev_config(stack: str = "dev") -> dict[str, str]:
    """The config of the tests' own `dev` (or `prod`) stack file, as Pulumi hands it over: never the checkout's."""
    return read_stack_config(fixture_project(), stack)


@cache
def fixture_project() -> Path:
    """A project (this `Pulumi.yaml` and `workflows/`) whose stack files are the tests' own (tests/fixtures/stacks),
    made once per test run: what the command-line tools read in the tests instead of the checkout's stack files."""
    root = Path(tempfile.mkdtemp(prefix="agw-fixture-project-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(PROJECT_ROOT / "workflows", root / "workflows")
    for stack_file in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, root / stack_file.name)
    return root


def _not_copied(directory: str, names: list[str]) -> set[str]:
    """Git's and the tools' own directories, and the checkout's stack files (at its top only)."""
    skipped = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"} & set(names)
    if Path(directory).resolve() == PROJECT_ROOT:
        skipped |= {name for name in names if name.startswith("Pulumi.") and name != "Pulumi.yaml"}
    return skipped


def checkout_copy(root: Path) -> Path:
    """The whole checkout copied under `root` with the tests' own stack files instead of the shipped ones: where a
    test runs a command as the docs show it (`python -m cli simulate --stack dev ...`, `./agw ...`) in a subprocess."""
    shutil.copytree(PROJECT_ROOT, root, ignore=_not_copied, dirs_exist_ok=True)
    for stack_file in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, root / stack_file.name)
    return root


def stack_config(**overrides: Any) -> dict[str, str]:
    """A small valid config with `overrides` (None removes a key), JSON-encoded as Pulumi hands it over."""
    values: dict[str, Any] = {
        "host": "argo.example.com",
        "organizations": ["acme"],
        "pipelines": [{"name": "hello", "template": "workflows/hello-world.yaml", "events": ["push"]}],
    }
    values.update(overrides)
    return {
        SECRET_MUTABLE_KEY: "true",
        **{
            f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()
            if value is not None
        },
    }


def run_stack(config: Mapping[str, str], stack: str = "dev", secret_keys: tuple[str, ...] = ()) -> StackRun:
    """Run `__main__.py` with `config` (flat `project:key` → string, as Pulumi passes it) under fresh mocks."""
    runtime_settings.ROOT.set(None)
    monitor = RecordingMonitor(RecordingMocks())
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    root = runtime_settings.get_root_resource()
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__pulumi__")))
    run = StackRun(resources=monitor.registered, reads=monitor.mocks.reads)
    for key, value in root.outputs.items():
        output = pulumi.Output.from_input(value)
        run.outputs[key] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            run.secret_outputs.add(key)
    return run


WEBHOOK_TYPE = "github:index/organizationWebhook:OrganizationWebhook"


@dataclass(frozen=True)
class RunDiff:
    """What `pulumi up` would do going from one run's registrations to another's: names by (type, name)."""

    created: frozenset[tuple[str, str]]
    deleted: frozenset[tuple[str, str]]
    updated: frozenset[tuple[str, str]]

    def of_type(self, type_: str) -> RunDiff:
        def keep(keys: frozenset[tuple[str, str]]) -> frozenset[tuple[str, str]]:
            return frozenset(key for key in keys if key[0] == type_)

        return RunDiff(keep(self.created), keep(self.deleted), keep(self.updated))

    @property
    def count(self) -> int:
        return len(self.created) + len(self.deleted) + len(self.updated)


def diff_runs(before: StackRun | None, after: StackRun) -> RunDiff:
    """Resources created, deleted, and registered with different inputs (secrets revealed) between two runs."""

    def states(run: StackRun | None) -> dict[tuple[str, str], Any]:
        return {(r.type, r.name): reveal(r.inputs) for r in run.resources} if run else {}

    old, new = states(before), states(after)
    return RunDiff(
        created=frozenset(new.keys() - old.keys()),
        deleted=frozenset(old.keys() - new.keys()),
        updated=frozenset(key for key in new.keys() & old.keys() if new[key] != old[key]),
    )


RULESET_TYPE = "github:index/organizationRuleset:OrganizationRuleset"


def github_writes(before: StackRun | None, after: StackRun) -> int:
    """GitHub API writes (a hook's or a ruleset's create, edit or delete: every `github:` resource) that `pulumi up`
    makes from `before` to `after`."""
    diff = diff_runs(before, after)
    changed = (*diff.created, *diff.deleted, *diff.updated)
    return sum(1 for type_, _ in changed if type_.startswith("github:"))


def project_with_stack(root: Path, stack: str, config: Mapping[str, Any]) -> Path:
    """A copy of this project's `Pulumi.yaml` and `workflows/` under `root`, with one stack file `Pulumi.<stack>.yaml`
    holding `config` (full `project:key` names; JSON is YAML) and the provider setting both stack files carry: what
    the offline tools read."""
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(PROJECT_ROOT / "workflows", root / "workflows", dirs_exist_ok=True)
    document = {"config": {SECRET_MUTABLE_KEY: True, **config}}
    (root / f"Pulumi.{stack}.yaml").write_text(json.dumps(document), encoding="utf-8")
    return root
