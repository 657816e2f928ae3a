"""Refuses WorkflowTemplates that undo the containment the stack gives every workflow pod.

The controller's workflowDefaults run pods as `argo-workflow` (no rights but reporting step results), without a
ServiceAccount token in the user's containers, non-root, without privilege escalation or capabilities. A template can
override each of those, and Argo merges its workflow-level fields (`podSpecPatch`, `templateDefaults`, the pod's
`securityContext`, ...) into every pod of the run, including the program's own steps that hold the GitHub App's key.
So a template may not: run as any ServiceAccount but the workflow identity or one `workflowServiceAccounts` names,
mount a token, override the executor, patch the pod spec, join the node's namespaces, run privileged or as root, add
capabilities, mount the stack's own Secrets (outside the program's credential step) or a host path, or put anything
but scheduling and timing fields into `templateDefaults`. Each refusal names the template and field, and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from delivery.podkit_artifact import ARCHIVE as PODKIT_ARCHIVE
from delivery.podkit_artifact import CONFIG_MAP as PODKIT_CONFIG_MAP
from settings.images import PYTHON
from settings.templates import WorkflowTemplateFile

WORKFLOW_SERVICE_ACCOUNT = "argo-workflow"  # the chart's workflow ServiceAccount (settings/chart.py)
# Identities of the stack that a workflow must never run as: the webhook identities (their token submits any
# pipeline with any arguments), Argo Server's and the controller's, and the program's own steps' (the report's reads
# every run and its logs). Prefixes, so new identities are covered too.
RESERVED_ACCOUNT_PREFIXES = ("github-webhook", "github-app", "argo-workflows", "argo-github-webhooks")
# The stack's own Secrets in the workflow namespace: the App's key or token (github-app), the webhook clients'
# secrets and every ServiceAccount token (a token Secret gives its holder that identity's rights).
RESERVED_SECRET_PREFIXES = ("github-app", "github-webhook", "argo-workflow", "argo-github-webhooks")
RESERVED_SECRET_SUFFIXES = (".service-account-token",)
# The one step that may mount the App's key: the program's own podkit, from the program's ConfigMap, in the pinned
# interpreter image, minting a clone token (see workflows/secret-scan.yaml's `credentials`).
CREDENTIAL_STEP_PROGRAM = ("python3", PODKIT_ARCHIVE, "git-credentials")
# What workflow-level templateDefaults may set: scheduling and timing. Anything else (containers, volumes, security
# settings, the pod's identity) would reach every pod of the run, the program's report and credential steps included.
TEMPLATE_DEFAULTS_ALLOWED = frozenset(
    {
        "activeDeadlineSeconds",
        "affinity",
        "failFast",
        "nodeSelector",
        "parallelism",
        "priorityClassName",
        "retryStrategy",
        "schedulerName",
        "timeout",
        "tolerations",
    }
)
_CONTAINER_KEYS = ("container", "script")
_CONTAINER_LISTS = ("initContainers", "sidecars")


def reserved_account(name: str) -> bool:
    return name.startswith(RESERVED_ACCOUNT_PREFIXES)


def reserved_secret(name: str) -> bool:
    return name.startswith(RESERVED_SECRET_PREFIXES) or name.endswith(RESERVED_SECRET_SUFFIXES)


def containment_problems(template: WorkflowTemplateFile, workflow_accounts: frozenset[str] = frozenset()) -> list[str]:
    """Every field of the file that would loosen a workflow pod's containment, in words with the fix."""
    spec = template.document.get("spec") or {}
    allowed_accounts = frozenset({WORKFLOW_SERVICE_ACCOUNT, *workflow_accounts})
    problems: list[str] = []
    problems.extend(_pod_level("the workflow spec", spec, allowed_accounts))
    if spec.get("hostNetwork") is True:
        problems.append(
            "the workflow spec: hostNetwork: true puts every pod in the node's network namespace (its interfaces, "
            "services bound to localhost, no NetworkPolicy); remove it"
        )
    defaults = spec.get("templateDefaults")
    if isinstance(defaults, Mapping):
        allowed = ", ".join(sorted(TEMPLATE_DEFAULTS_ALLOWED))
        for key in sorted(set(defaults) - TEMPLATE_DEFAULTS_ALLOWED):
            problems.append(
                f"the workflow spec: templateDefaults.{key} is not allowed: templateDefaults reach every pod of the "
                "run, the program's report and credential steps (which hold the GitHub App's key) included; set it "
                f"on the templates that need it (allowed in templateDefaults: {allowed})"
            )
    for body in spec.get("templates") or []:
        if isinstance(body, Mapping):
            where = f"template {str(body.get('name'))!r}"
            problems.extend(_pod_level(where, body, allowed_accounts))
            for field, container in _containers(body):
                problems.extend(_container_problems(f"{where}: {field}", container))
    problems.extend(_secret_volume_problems(spec))
    return problems


def _pod_level(where: str, holder: Mapping[str, Any], allowed_accounts: frozenset[str]) -> Iterator[str]:
    """Fields the workflow spec and each template share: identity, token, executor, pod patch, pod security."""
    account = holder.get("serviceAccountName")
    if account is not None and account not in allowed_accounts:
        reason = (
            "a stack identity (a webhook identity's token submits any pipeline with any arguments; the server's, the "
            "controller's and the program's steps' manage or read every run)"
            if isinstance(account, str) and reserved_account(account)
            else "not an identity the stack allows for workflows"
        )
        yield (
            f"{where}: serviceAccountName {account!r} is not allowed: {reason}; leave it out (runs use "
            f"{WORKFLOW_SERVICE_ACCOUNT!r}), or, for a team's own identity (e.g. cloud access), list it in the stack "
            "config's workflowServiceAccounts"
        )
    if holder.get("automountServiceAccountToken") is True:
        yield (
            f"{where}: automountServiceAccountToken: true puts the ServiceAccount's token into every container, where "
            "the repository's code can use it against the Kubernetes API; remove it (Argo's own containers get "
            "theirs without it)"
        )
    if "executor" in holder:
        yield (
            f"{where}: executor is not allowed: Argo's init and wait containers run as the stack's workflow identity, "
            "which may only report step results; remove it"
        )
    if "podSpecPatch" in holder:
        yield (
            f"{where}: podSpecPatch is not allowed: it can change anything in the pod (host namespaces, privileged "
            "containers, volumes, the ServiceAccount), out of reach of every other check; use the template's own "
            "fields (resources, nodeSelector, tolerations, volumes, securityContext within the limits)"
        )
    context = holder.get("securityContext")
    if isinstance(context, Mapping):
        yield from (f"{where}: securityContext.{problem}" for problem in _security_context_problems(context, pod=True))
    for index, volume in enumerate(holder.get("volumes") or []):
        if isinstance(volume, Mapping) and "hostPath" in volume:
            yield (
                f"{where}: volumes[{volume.get('name', index)}] is a hostPath volume: the node's files (its "
                "container runtime socket, other pods' data) are not a workflow's; use an emptyDir, a "
                "PersistentVolumeClaim or an artifact"
            )


def _security_context_problems(context: Mapping[str, Any], pod: bool) -> Iterator[str]:
    """What makes a securityContext privileged or root, each with the fix."""
    if context.get("runAsUser") == 0:
        yield "runAsUser: 0 runs as root; run as a non-root user (USER in the image, or runAsUser: <uid> other than 0)"
    if context.get("runAsNonRoot") is False:
        yield "runAsNonRoot: false allows root; remove it (the stack sets true)"
    for key in ("seccompProfile", "appArmorProfile"):
        profile = context.get(key)
        if isinstance(profile, Mapping) and profile.get("type") == "Unconfined":
            yield f"{key}.type: Unconfined lifts the kernel's syscall filter; use RuntimeDefault (the stack's)"
    if (context.get("windowsOptions") or {}).get("hostProcess") is True:
        yield "windowsOptions.hostProcess: true runs on the node itself; remove it"
    if pod:
        return
    if context.get("privileged") is True:
        yield "privileged: true gives the container every device and capability of the node; remove it"
    if context.get("allowPrivilegeEscalation") is True:
        yield "allowPrivilegeEscalation: true lets setuid programs gain root; remove it (the stack sets false)"
    added = (context.get("capabilities") or {}).get("add")
    if added:
        yield f"capabilities.add {list(added)!r} adds kernel capabilities; remove it (the stack drops ALL)"
    if context.get("procMount") == "Unmasked":
        yield "procMount: Unmasked exposes the node's /proc; remove it"


def _containers(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in _CONTAINER_KEYS:
        if isinstance(body.get(key), Mapping):
            yield key, body[key]
    for key in _CONTAINER_LISTS:
        for index, container in enumerate(body.get(key) or []):
            if isinstance(container, Mapping):
                yield f"{key}[{container.get('name', index)}]", container
    for index, container in enumerate((body.get("containerSet") or {}).get("containers") or []):
        if isinstance(container, Mapping):
            yield f"containerSet.containers[{container.get('name', index)}]", container


def _container_problems(where: str, container: Mapping[str, Any]) -> Iterator[str]:
    context = container.get("securityContext")
    if isinstance(context, Mapping):
        yield from (f"{where}.securityContext.{problem}" for problem in _security_context_problems(context, pod=False))
    for index, entry in enumerate(container.get("env") or []):
        reference = ((entry or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
        if reserved_secret(str(reference.get("name", ""))):
            yield (
                f"{where}.env[{entry.get('name', index)}] reads the stack's own Secret {reference['name']!r} (the "
                "GitHub App's key, webhook secrets or an identity's token); use a Secret of your own"
            )
    for index, source in enumerate(container.get("envFrom") or []):
        name = str(((source or {}).get("secretRef") or {}).get("name", ""))
        if reserved_secret(name):
            yield (
                f"{where}.envFrom[{index}] reads the stack's own Secret {name!r} (the GitHub App's key, webhook "
                "secrets or an identity's token); use a Secret of your own"
            )


def _secret_names(volume: Mapping[str, Any]) -> list[str]:
    names = [str((volume.get("secret") or {}).get("secretName", ""))]
    for source in (volume.get("projected") or {}).get("sources") or []:
        names.append(str(((source or {}).get("secret") or {}).get("name", "")))
    return [name for name in names if reserved_secret(name)]


def _secret_volume_problems(spec: Mapping[str, Any]) -> Iterator[str]:
    """A volume of the stack's own Secrets may be mounted only by the program's credential step."""
    templates = [body for body in spec.get("templates") or [] if isinstance(body, Mapping)]
    scopes: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = [(spec, templates)]
    scopes.extend((body, [body]) for body in templates)  # a template's own volumes: only its containers see them
    for holder, users in scopes:
        for volume in holder.get("volumes") or []:
            if not isinstance(volume, Mapping) or not _secret_names(volume):
                continue
            for body in users:
                for field, container in _containers(body):
                    mounts = [mount for mount in container.get("volumeMounts") or [] if isinstance(mount, Mapping)]
                    visible = [*(spec.get("volumes") or []), *(body.get("volumes") or [])]
                    mounted = any(mount.get("name") == volume.get("name") for mount in mounts)
                    if mounted and not is_credential_step(container, visible):
                        secrets = ", ".join(repr(name) for name in _secret_names(volume))
                        yield (
                            f"template {str(body.get('name'))!r}: {field} mounts volume {volume.get('name')!r} of the "
                            f"stack's own Secret {secrets} (the GitHub App's key, webhook secrets or an identity's "
                            "token); only the program's credential step may (image "
                            f"{PYTHON.split('@')[0]}, command {list(CREDENTIAL_STEP_PROGRAM)!r} from the "
                            f"{PODKIT_CONFIG_MAP} ConfigMap): mint a token with that step, or use a Secret of your own"
                        )


def is_credential_step(container: Mapping[str, Any], volumes: list[Any]) -> bool:
    """The program's credential step: its own podkit from the program's ConfigMap, in the pinned Python image, with
    no arguments of the template's (what it may do is the script's, not the template's)."""
    command = [str(word) for word in container.get("command") or []]
    if container.get("image") != PYTHON or container.get("args") or len(command) != 3:
        return False
    interpreter, script, action = command
    directory, _, file_name = script.rpartition("/")
    if (interpreter, file_name, action) != CREDENTIAL_STEP_PROGRAM:
        return False
    scripts_volumes = {
        volume.get("name")
        for volume in volumes
        if isinstance(volume, Mapping) and (volume.get("configMap") or {}).get("name") == PODKIT_CONFIG_MAP
    }
    return any(
        isinstance(mount, Mapping) and mount.get("mountPath") == directory and mount.get("name") in scripts_volumes
        for mount in container.get("volumeMounts") or []
    )
