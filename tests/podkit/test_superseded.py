"""cancelInProgress: two deliveries for one pull request, their Workflows made as Argo makes them from the binding,
and the newer run's `cancel-superseded` step run for real (the built artifact) against a fake Kubernetes API on
127.0.0.1 with the step's Role (get, list, patch workflows)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from cli.simulate import delivery_environment, simulate_pipeline
from delivery.bindings import event_binding_manifest
from delivery.expr import evaluate
from delivery.superseded import CANCEL_RULES, CONCURRENCY_ANNOTATION
from podkit.status import status_body
from settings.config import Pipeline, parse_settings
from tests.delivery.test_triggers import payload
from tests.fakes.kubernetes import FakeKubernetes
from tests.harness import PROJECT_ROOT, stack_config
from tests.podkit.pod import run_pod

NAMESPACE = "workflows"
CANCEL_VERBS = frozenset((verb, "workflows") for verb in CANCEL_RULES[0]["verbs"])
FIRST, SECOND, THIRD = (
    "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "8a1b2c3d-cc78-11e3-81ab-4c9367dc0958",
    "9f0e1d2c-cc78-11e3-81ab-4c9367dc0958",
)


def pipeline(name: str = "scan", cancel: bool = True) -> Pipeline:
    entry = {"name": name, "template": "workflows/secret-scan.yaml", "events": ["push", "pull_request"]}
    config = stack_config(pipelines=[{**entry, "cancelInProgress": cancel}])
    return parse_settings(config, PROJECT_ROOT).pipelines[0]


def workflow(pipe: Pipeline, body: dict[str, Any], event: str, delivery: str, created: str) -> dict[str, Any]:
    """The Workflow Argo submits for this delivery: the binding's metadata expressions evaluated, as Argo does."""
    metadata = event_binding_manifest(pipe, NAMESPACE)["spec"]["submit"]["metadata"]
    env = delivery_environment(body, event, delivery, "github", NAMESPACE)
    labels = {key: evaluate(value, env) for key, value in metadata["labels"].items()}
    labels["workflows.argoproj.io/phase"] = "Running"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": evaluate(metadata["name"], env),
            "namespace": NAMESPACE,
            "creationTimestamp": created,
            "labels": labels,
            "annotations": {key: evaluate(value, env) for key, value in metadata["annotations"].items()},
        },
        "spec": {"workflowTemplateRef": {"name": pipe.name}},
        "status": {"phase": "Running"},
    }


def synchronize(head: str, number: int | None = None) -> dict[str, Any]:
    body = copy.deepcopy(payload("pull_request-synchronize"))
    body["pull_request"]["head"]["sha"] = head
    if number is not None:
        body["pull_request"]["number"] = number
    return body


def cancel_step(kubernetes: FakeKubernetes, tmp_path: Path, run: dict[str, Any], pipe: str = "scan") -> Any:
    environment = {
        "KUBERNETES_API_URL": kubernetes.url,
        "KUBERNETES_SERVICE_ACCOUNT_DIR": str(kubernetes.service_account_dir(tmp_path / "sa")),
        "PIPELINE": pipe,
        "WORKFLOW_NAME": run["metadata"]["name"],
        "WORKFLOW_NAMESPACE": NAMESPACE,
        "WORKFLOW_ANNOTATIONS": json.dumps(run["metadata"]["annotations"]),
    }
    result = run_pod("cancel-superseded", environment)
    assert result.returncode == 0, result.stderr
    return result


def store(kubernetes: FakeKubernetes, *runs: dict[str, Any]) -> None:
    for run in runs:
        kubernetes.workflows[(NAMESPACE, run["metadata"]["name"])] = copy.deepcopy(run)


def test_a_second_push_to_a_pull_request_stops_the_first_run(tmp_path: Path) -> None:
    scan = pipeline()
    older = workflow(scan, synchronize("a" * 40), "pull_request", FIRST, "2026-12-03T10:00:00Z")
    newer = workflow(scan, synchronize("b" * 40), "pull_request", SECOND, "2026-12-03T10:00:07Z")
    assert older["metadata"]["annotations"][CONCURRENCY_ANNOTATION] == "pull 186853002 2"
    assert newer["metadata"]["annotations"][CONCURRENCY_ANNOTATION] == "pull 186853002 2"
    with FakeKubernetes(token="cancel-sa-token", verbs=CANCEL_VERBS) as kubernetes:
        store(kubernetes, older, newer)
        result = cancel_step(kubernetes, tmp_path, newer)
        assert kubernetes.patches == [
            (
                NAMESPACE,
                f"scan-{FIRST}",
                {
                    "metadata": {"annotations": {"argo-github-webhooks/superseded-by": f"scan-{SECOND}"}},
                    "spec": {"shutdown": "Stop"},
                },
            )
        ]
        assert [(method, path, query) for method, path, query in kubernetes.requests] == [
            (
                "GET",
                f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflows",
                {"labelSelector": "argo-github-webhooks/pipeline=scan,workflows.argoproj.io/completed!=true", "limit": "250"},
            ),
            ("PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflows/scan-{FIRST}", {}),
        ]
        assert result.stdout == f"stopped scan-{FIRST}: superseded by scan-{SECOND} (pull 186853002 2)\n"
        stopped = kubernetes.workflows[(NAMESPACE, f"scan-{FIRST}")]
        assert kubernetes.workflows[(NAMESPACE, f"scan-{SECOND}")] == newer  # the newer run is left alone
        # Running the older run's own step afterwards stops nothing: the newer one was created after it.
        kubernetes.patches.clear()
        cancel_step(kubernetes, tmp_path, older)
        assert kubernetes.patches == []
    # The stopped run's exit handler reports it cancelled, not failed (Argo ends a stopped run Failed).
    superseded_by = stopped["metadata"]["annotations"]["argo-github-webhooks/superseded-by"]
    assert status_body("Failed", f"scan-{FIRST}", "argo/scan", None, superseded_by) == {
        "state": "error",
        "description": f"Argo Workflow scan-{FIRST} was cancelled: superseded by scan-{SECOND}",
        "context": "argo/scan",
    }


def test_only_older_unfinished_runs_of_the_same_pipeline_and_group_are_stopped(tmp_path: Path) -> None:
    scan, other = pipeline(), pipeline("lint")
    newer = workflow(scan, synchronize("b" * 40), "pull_request", SECOND, "2026-12-03T10:00:07Z")
    another_pull_request = workflow(scan, synchronize("c" * 40, 3), "pull_request", FIRST, "2026-12-03T10:00:00Z")
    push_of_the_branch = workflow(scan, payload("push-branch"), "push", THIRD, "2026-12-03T09:59:00Z")
    other_pipeline = workflow(other, synchronize("a" * 40), "pull_request", FIRST, "2026-12-03T10:00:00Z")
    same_second = workflow(
        scan, synchronize("d" * 40), "pull_request", THIRD.replace("9f", "9e"), "2026-12-03T10:00:07Z"
    )
    already_stopping = workflow(
        scan, synchronize("e" * 40), "pull_request", THIRD.replace("9f", "9d"), "2026-12-03T09:00:00Z"
    )
    already_stopping["spec"]["shutdown"] = "Stop"
    finished = workflow(scan, synchronize("f" * 40), "pull_request", THIRD.replace("9f", "9c"), "2026-12-03T09:00:00Z")
    finished["metadata"]["labels"]["workflows.argoproj.io/completed"] = "true"
    assert push_of_the_branch["metadata"]["annotations"][CONCURRENCY_ANNOTATION] == "push 186853002 refs/heads/master"
    with FakeKubernetes(token="cancel-sa-token", verbs=CANCEL_VERBS) as kubernetes:
        store(
            kubernetes,
            newer,
            another_pull_request,
            push_of_the_branch,
            other_pipeline,
            same_second,
            already_stopping,
            finished,
        )
        result = cancel_step(kubernetes, tmp_path, newer)
        assert kubernetes.patches == []
        assert result.stdout == "no older run of scan for pull 186853002 2 to cancel\n"


def test_without_the_role_nothing_is_stopped_and_the_step_still_passes(tmp_path: Path) -> None:
    scan = pipeline()
    older = workflow(scan, synchronize("a" * 40), "pull_request", FIRST, "2026-12-03T10:00:00Z")
    newer = workflow(scan, synchronize("b" * 40), "pull_request", SECOND, "2026-12-03T10:00:07Z")
    with FakeKubernetes(token="cancel-sa-token") as kubernetes:  # the report's Role: get only
        store(kubernetes, older, newer)
        result = cancel_step(kubernetes, tmp_path, newer)
        assert kubernetes.patches == []
        assert "note: older runs could not be cancelled: GET" in result.stderr
        assert "HTTP 403" in result.stderr


def test_without_cancel_in_progress_no_group_is_annotated() -> None:
    metadata = event_binding_manifest(pipeline(cancel=False), NAMESPACE)["spec"]["submit"]["metadata"]
    assert CONCURRENCY_ANNOTATION not in metadata["annotations"]


def test_the_simulator_names_the_group_whose_older_runs_are_stopped() -> None:
    body = synchronize("b" * 40)
    result = simulate_pipeline(pipeline(), delivery_environment(body, "pull_request", SECOND, "github", NAMESPACE))
    assert result.fires is True
    assert result.notes == [
        "cancelInProgress: its first step stops this pipeline's unfinished runs of pull 186853002 2 created before it"
    ]
