"""Issue 15 item 3: a template cannot undo the containment of workflow pods. Each finding of the issue is refused at
preview (parse_settings on a template written in tmp, and the whole program under mocks), naming the file, the
template and the field; the shipped templates, the program's credential step and a team's allowed identity pass."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from delivery.rerun import RERUN
from delivery.status_hooks import REPORT_SERVICE_ACCOUNT
from delivery.sweep import SWEEP
from delivery.webhook_clients import APP_SERVICE_ACCOUNT, APP_TOKEN_SECRET, SLOTS, WEBHOOK_CLIENTS_SECRET
from settings.chart import CONTROLLER_CONFIG_MAP, SERVER_SERVICE_ACCOUNT, WORKFLOW_SERVICE_ACCOUNT
from settings.config import ConfigError, parse_settings
from settings.containment import containment_problems, reserved_account, reserved_secret
from settings.images import PYTHON
from settings.templates import load_template
from tests.harness import PROJECT_ROOT, run_stack, stack_config

K = "argo-github-webhooks"
IMAGE = "alpine:3.20"
CONTROLLER_SERVICE_ACCOUNT = CONTROLLER_CONFIG_MAP.removesuffix("-configmap")  # argo-workflows-workflow-controller


def write(tmp_path: Path, spec: dict[str, Any]) -> Path:
    document = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "t"}}
    document["spec"] = {"entrypoint": spec["templates"][0]["name"], **spec}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def refused(tmp_path: Path, spec: dict[str, Any], **config: Any) -> list[str]:
    path = write(tmp_path, spec)
    with pytest.raises(ConfigError) as raised:
        parse_settings(stack_config(pipelines=[{"name": "p", "template": str(path), "events": ["push"]}], **config),
                       PROJECT_ROOT)
    prefix = f"{K}:pipelines[0] (p).template ({path}): "
    assert all(problem.startswith(prefix) for problem in raised.value.problems)
    return [problem.removeprefix(prefix) for problem in raised.value.problems]


def accepted(tmp_path: Path, spec: dict[str, Any], **config: Any) -> None:
    path = write(tmp_path, spec)
    parse_settings(stack_config(pipelines=[{"name": "p", "template": str(path), "events": ["push"]}], **config),
                   PROJECT_ROOT)


def build(**extra: Any) -> dict[str, Any]:
    return {"name": "build", "container": {"image": IMAGE, "command": ["make"], **extra}}


ACCOUNT_FIX = (
    "leave it out (runs use 'argo-workflow'), or, for a team's own identity (e.g. cloud access), list it in the "
    "stack config's workflowServiceAccounts"
)
STACK_IDENTITY = (
    "a stack identity (a webhook identity's token submits any pipeline with any arguments; the server's, the "
    "controller's and the program's steps' manage or read every run)"
)


@pytest.mark.parametrize(
    "account",
    [*(slot.service_account for slot in SLOTS), SERVER_SERVICE_ACCOUNT, CONTROLLER_SERVICE_ACCOUNT, REPORT_SERVICE_ACCOUNT],
)
def test_a_stack_identity_is_refused_at_workflow_and_template_level(tmp_path: Path, account: str) -> None:
    found = refused(tmp_path, {"serviceAccountName": account, "templates": [build(), ]})
    assert found == [
        f"the workflow spec: serviceAccountName {account!r} is not allowed: {STACK_IDENTITY}; {ACCOUNT_FIX}"
    ]
    found = refused(tmp_path, {"templates": [{**build(), "serviceAccountName": account}]})
    assert found == [
        f"template 'build': serviceAccountName {account!r} is not allowed: {STACK_IDENTITY}; {ACCOUNT_FIX}"
    ]


def test_an_identity_the_stack_allows_passes_and_others_are_refused(tmp_path: Path) -> None:
    spec = {"templates": [{**build(), "serviceAccountName": "team-a-deployer"}]}
    assert refused(tmp_path, spec) == [
        "template 'build': serviceAccountName 'team-a-deployer' is not allowed: not an identity the stack allows for "
        f"workflows; {ACCOUNT_FIX}"
    ]
    accepted(tmp_path, spec, workflowServiceAccounts=["team-a-deployer"])
    accepted(tmp_path, {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT, "templates": [build()]})


def test_workflow_service_accounts_never_name_a_stack_identity() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(
            stack_config(workflowServiceAccounts=["github-webhook-current", "argo-workflows-server", "argo-workflow",
                                                  "Team", "ok", "ok", REPORT_SERVICE_ACCOUNT]),
            PROJECT_ROOT,
        )
    identity = (
        "is one of the stack's identities (github-webhook-*: the webhook identities, whose token submits any "
        "pipeline with any arguments; argo-workflows-*: the server's and the controller's; argo-github-webhooks-*: "
        "the program's own steps'): a workflow must never run as one"
    )
    assert raised.value.problems == [
        f"{K}:workflowServiceAccounts[0]: 'github-webhook-current' {identity}",
        f"{K}:workflowServiceAccounts[1]: 'argo-workflows-server' {identity}",
        f"{K}:workflowServiceAccounts[2]: 'argo-workflow' is the workflow identity, allowed anyway: remove it",
        f"{K}:workflowServiceAccounts[3]: 'Team' is not a ServiceAccount name (DNS-1123 subdomain)",
        f"{K}:workflowServiceAccounts[5]: 'ok' is listed twice",
        f"{K}:workflowServiceAccounts[6]: {REPORT_SERVICE_ACCOUNT!r} {identity}",
    ]
    settings = parse_settings(stack_config(workflowServiceAccounts=["team-a"]), PROJECT_ROOT)
    assert settings.workflow_service_accounts == ("team-a",)
    assert parse_settings(stack_config(), PROJECT_ROOT).workflow_service_accounts == ()


def test_token_executor_pod_spec_patch_and_host_namespaces_are_refused(tmp_path: Path) -> None:
    spec = {
        "automountServiceAccountToken": True,
        "executor": {"serviceAccountName": "github-webhook-current"},
        "podSpecPatch": '{"hostNetwork": true}',
        "hostNetwork": True,
        "templates": [
            {
                **build(),
                "automountServiceAccountToken": True,
                "executor": {"serviceAccountName": WORKFLOW_SERVICE_ACCOUNT},
                "podSpecPatch": '{"shareProcessNamespace": true}',
            }
        ],
    }
    token = (
        "automountServiceAccountToken: true puts the ServiceAccount's token into every container, where the "
        "repository's code can use it against the Kubernetes API; remove it (Argo's own containers get theirs "
        "without it)"
    )
    executor = (
        "executor is not allowed: Argo's init and wait containers run as the stack's workflow identity, which may "
        "only report step results; remove it"
    )
    patch = (
        "podSpecPatch is not allowed: it can change anything in the pod (host namespaces, privileged containers, "
        "volumes, the ServiceAccount), out of reach of every other check; use the template's own fields "
        "(resources, nodeSelector, tolerations, volumes, securityContext within the limits)"
    )
    assert refused(tmp_path, spec) == [
        f"the workflow spec: {token}",
        f"the workflow spec: {executor}",
        f"the workflow spec: {patch}",
        "the workflow spec: hostNetwork: true puts every pod in the node's network namespace (its interfaces, "
        "services bound to localhost, no NetworkPolicy); remove it",
        f"template 'build': {token}",
        f"template 'build': {executor}",
        f"template 'build': {patch}",
    ]


def test_root_and_privileged_security_contexts_are_refused(tmp_path: Path) -> None:
    spec = {
        "securityContext": {"runAsUser": 0, "runAsNonRoot": False},
        "templates": [
            {
                **build(securityContext={"privileged": True, "allowPrivilegeEscalation": True,
                                         "capabilities": {"add": ["SYS_ADMIN"]}}),
                "securityContext": {"seccompProfile": {"type": "Unconfined"}},
                "sidecars": [{"name": "dind", "image": IMAGE, "securityContext": {"runAsUser": 0}}],
            }
        ],
    }
    assert refused(tmp_path, spec) == [
        "the workflow spec: securityContext.runAsUser: 0 runs as root; run as a non-root user (USER in the image, "
        "or runAsUser: <uid> other than 0)",
        "the workflow spec: securityContext.runAsNonRoot: false allows root; remove it (the stack sets true)",
        "template 'build': securityContext.seccompProfile.type: Unconfined lifts the kernel's syscall filter; use "
        "RuntimeDefault (the stack's)",
        "template 'build': container.securityContext.privileged: true gives the container every device and "
        "capability of the node; remove it",
        "template 'build': container.securityContext.allowPrivilegeEscalation: true lets setuid programs gain root; "
        "remove it (the stack sets false)",
        "template 'build': container.securityContext.capabilities.add ['SYS_ADMIN'] adds kernel capabilities; "
        "remove it (the stack drops ALL)",
        "template 'build': sidecars[dind].securityContext.runAsUser: 0 runs as root; run as a non-root user (USER "
        "in the image, or runAsUser: <uid> other than 0)",
    ]


SECRET_NOTE = (
    "(the GitHub App's key, webhook secrets or an identity's token); only the program's credential step may (image "
    f"{PYTHON.split('@')[0]}, command ['python3', 'podkit.pyz', 'git-credentials'] from the podkit ConfigMap): mint "
    "a token with that step, or use a Secret of your own"
)


@pytest.mark.parametrize(
    "secret", ["github-app", WEBHOOK_CLIENTS_SECRET, SLOTS[1].token_secret, "argo-workflow.service-account-token"]
)
def test_volumes_of_the_stacks_own_secrets_are_refused_in_a_build_container(tmp_path: Path, secret: str) -> None:
    spec = {
        "volumes": [{"name": "key", "secret": {"secretName": secret}}],
        "templates": [build(volumeMounts=[{"name": "key", "mountPath": "/key"}])],
    }
    assert refused(tmp_path, spec) == [
        f"template 'build': container mounts volume 'key' of the stack's own Secret {secret!r} {SECRET_NOTE}"
    ]


def test_stack_secrets_through_projected_volumes_env_and_env_from_are_refused(tmp_path: Path) -> None:
    spec = {
        "templates": [
            {
                **build(
                    volumeMounts=[{"name": "p", "mountPath": "/p"}],
                    env=[{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "github-app", "key": "private-key"}}}],
                    envFrom=[{"secretRef": {"name": WEBHOOK_CLIENTS_SECRET}}],
                ),
                "volumes": [{"name": "p", "projected": {"sources": [{"secret": {"name": "github-app"}}]}}],
            }
        ],
    }
    assert refused(tmp_path, spec) == [
        "template 'build': container.env[KEY] reads the stack's own Secret 'github-app' (the GitHub App's key, "
        "webhook secrets or an identity's token); use a Secret of your own",
        f"template 'build': container.envFrom[0] reads the stack's own Secret {WEBHOOK_CLIENTS_SECRET!r} (the GitHub "
        "App's key, webhook secrets or an identity's token); use a Secret of your own",
        f"template 'build': container mounts volume 'p' of the stack's own Secret 'github-app' {SECRET_NOTE}",
    ]


def test_host_path_volumes_are_refused(tmp_path: Path) -> None:
    spec = {"templates": [{**build(), "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]}]}
    assert refused(tmp_path, spec) == [
        "template 'build': volumes[docker] is a hostPath volume: the node's files (its container runtime socket, "
        "other pods' data) are not a workflow's; use an emptyDir, a PersistentVolumeClaim or an artifact"
    ]


def test_template_defaults_may_only_schedule_and_time(tmp_path: Path) -> None:
    spec = {
        "templateDefaults": {
            "timeout": "10m",
            "retryStrategy": {"limit": 1},
            "sidecars": [{"name": "x", "image": IMAGE}],
            "volumes": [{"name": "v", "emptyDir": {}}],
            "script": {"image": IMAGE, "args": ["-c", "evil"]},
        },
        "templates": [build()],
    }
    allowed = (
        "activeDeadlineSeconds, affinity, failFast, nodeSelector, parallelism, priorityClassName, retryStrategy, "
        "schedulerName, timeout, tolerations"
    )
    assert refused(tmp_path, spec) == [
        f"the workflow spec: templateDefaults.{key} is not allowed: templateDefaults reach every pod of the run, the "
        "program's report and credential steps (which hold the GitHub App's key) included; set it on the templates "
        f"that need it (allowed in templateDefaults: {allowed})"
        for key in ("script", "sidecars", "volumes")
    ]
    accepted(tmp_path, {"templateDefaults": {"timeout": "10m", "retryStrategy": {"limit": 1}}, "templates": [build()]})


def test_the_credential_step_is_the_programs_only(tmp_path: Path) -> None:
    """secret-scan's credential step may mount the App's key; the same mount in another image, with arguments of the
    template's or a script from elsewhere is refused."""
    scan = load_template(PROJECT_ROOT / "workflows" / "secret-scan.yaml")
    assert containment_problems(scan) == []
    spec = copy.deepcopy(dict(scan.document["spec"]))
    step = spec["templates"][0]["initContainers"][0]
    assert step["name"] == "credentials"
    variants = {
        "image": {**step, "image": "docker.io/library/python:3.13-alpine"},
        "args": {**step, "args": ["-c", "print(open('/var/run/secrets/github-app/private-key').read())"]},
        "script": {**step, "command": ["python3", "/tmp/podkit.pyz", "git-credentials"]},
    }
    for variant in variants.values():
        spec["templates"][0]["initContainers"][0] = variant
        assert refused(tmp_path, spec) == [
            f"template 'scan': initContainers[credentials] mounts volume 'github-app' of the stack's own Secret "
            f"'github-app' {SECRET_NOTE}"
        ]


def test_names_the_checks_rely_on_match_the_program() -> None:
    assert reserved_account(SERVER_SERVICE_ACCOUNT) and reserved_account(CONTROLLER_SERVICE_ACCOUNT)
    assert all(reserved_account(slot.service_account) and reserved_secret(slot.token_secret) for slot in SLOTS)
    assert reserved_secret(WEBHOOK_CLIENTS_SECRET) and reserved_secret("github-app")
    # The App webhook's identity (submits re-runs), the sweep's and the re-run step's.
    assert reserved_account(APP_SERVICE_ACCOUNT) and reserved_secret(APP_TOKEN_SECRET)
    assert reserved_account(SWEEP) and reserved_account(RERUN)
    assert not reserved_account(WORKFLOW_SERVICE_ACCOUNT) and not reserved_secret("team-registry")


@pytest.mark.parametrize("template", sorted(p.name for p in (PROJECT_ROOT / "workflows").glob("*.yaml")))
def test_every_shipped_template_passes(template: str) -> None:
    assert containment_problems(load_template(PROJECT_ROOT / "workflows" / template)) == []


def test_the_whole_program_refuses_before_registering_anything(tmp_path: Path) -> None:
    path = write(tmp_path, {"serviceAccountName": "github-webhook-current", "templates": [build()]})
    config = stack_config(pipelines=[{"name": "p", "template": str(path), "events": ["push"]}])
    with pytest.raises(ConfigError) as raised:
        run_stack(config)
    assert raised.value.problems == [
        f"{K}:pipelines[0] (p).template ({path}): the workflow spec: serviceAccountName 'github-webhook-current' is not "
        f"allowed: {STACK_IDENTITY}; {ACCOUNT_FIX}"
    ]


def test_loosening_stack_settings_are_deployable_with_a_warning_naming_what_they_open() -> None:
    settings = parse_settings(stack_config(podSecurity="privileged", networkPolicy={"enabled": False}), PROJECT_ROOT)
    assert settings.warnings == (
        f"{K}:podSecurity: privileged: the workflow namespace admits any pod the preview does not refuse: host "
        "paths, host ports, unsafe sysctls, Unconfined profiles set through fields the template checks do not know, "
        "and every pod another controller creates there; the preview's template checks are then the only guard "
        "(use baseline or restricted unless a template needs it)",
        f"{K}:networkPolicy.enabled: false: workflow pods may connect anywhere (the cloud metadata endpoint "
        "169.254.169.254 and its credentials, Argo Server, the Kubernetes API and every in-cluster service on any "
        "port, any host on the internet) and any pod may connect to them; manage their policies yourself",
    )
    assert parse_settings(stack_config(podSecurity="baseline"), PROJECT_ROOT).warnings == ()
