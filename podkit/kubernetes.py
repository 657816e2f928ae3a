"""The Kubernetes API with the pod's own ServiceAccount token. The report reads its own run (the Workflow and the
`main` container log of its pods; its identity may only `get` workflows and `pods/log`, components/github_app.py).
The sweep lists Workflows and reads and replaces its record, the re-run reads a Workflow and creates one
(delivery/sweep.py, delivery/rerun.py: each identity may do exactly that)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_POD_NAME_PREFIX = 253 - 10 - 1  # Argo: maxK8sResourceNameLength - k8sNamingHashLength, minus the dash


PAGE_SIZE = 250  # Workflows per list request (each carries its node statuses)
MAX_PAGES = 40  # 10,000 Workflows: far beyond a namespace whose runs are kept a week


class KubernetesProblem(RuntimeError):
    """The API could not be asked or answered with an error; the message never carries the token. `status`: the
    HTTP status of the answer, None when there was none."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(workflow: str, node_name: str, template: str, node_id: str, version: str = "v2") -> str:
    """Argo's pod name for a node (workflow/util/pod_name.go, GeneratePodName, v4.0.6)."""
    if version == "v1":
        return node_id
    if workflow == node_name:
        return workflow
    prefix = f"{workflow}-{template}" if template else workflow
    return f"{prefix[:MAX_POD_NAME_PREFIX]}-{_fnv32a(node_name.encode())}"


@dataclass(frozen=True)
class KubernetesApi:
    base_url: str
    token: str
    context: ssl.SSLContext | None
    timeout: float = 10.0

    @classmethod
    def in_cluster(cls, environ: Mapping[str, str]) -> KubernetesApi:
        """The API server the pod's environment names, with the pod's token and CA; KUBERNETES_API_URL overrides
        the address (plain http only to a loopback address: the tests' fake)."""
        directory = Path(environ.get("KUBERNETES_SERVICE_ACCOUNT_DIR") or SERVICE_ACCOUNT_DIR)
        try:
            token = (directory / "token").read_text(encoding="utf-8").strip()
        except OSError:
            raise KubernetesProblem(f"no ServiceAccount token in {directory}") from None
        url = environ.get("KUBERNETES_API_URL", "")
        if not url:
            host, port = environ.get("KUBERNETES_SERVICE_HOST", ""), environ.get("KUBERNETES_SERVICE_PORT", "443")
            if not host:
                raise KubernetesProblem("KUBERNETES_SERVICE_HOST is not set: not running in a pod")
            url = f"https://[{host}]:{port}/" if ":" in host else f"https://{host}:{port}/"
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme == "http" and parsed.hostname not in LOOPBACK:
            raise KubernetesProblem(f"{url} is plain http: the token would cross the network unencrypted")
        context = None
        if parsed.scheme == "https":
            ca = directory / "ca.crt"
            context = ssl.create_default_context(cafile=str(ca) if ca.is_file() else None)
        return cls(url if url.endswith("/") else url + "/", token, context)

    def _get(self, path: str, query: Mapping[str, Any] | None = None) -> bytes:
        return self._send("GET", path, query)

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> bytes:
        url = urllib.parse.urljoin(self.base_url, path.lstrip("/"))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            with error:
                detail = _status_message(error.read())
            raise KubernetesProblem(
                f"{method} {path}: HTTP {error.code}{f': {detail}' if detail else ''}", error.code
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise KubernetesProblem(f"{method} {path}: {getattr(error, 'reason', error)}") from None

    def call(
        self, method: str, path: str, query: Mapping[str, Any] | None = None, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A JSON request whose answer must be an object."""
        answer = json.loads(self._send(method, path, query, body) or b"null")
        if not isinstance(answer, dict):
            raise KubernetesProblem(f"{method} {path}: the answer is not an object")
        return answer

    def workflows(self, namespace: str, label_selector: str) -> list[dict[str, Any]]:
        """Every Workflow of `namespace` carrying `label_selector`, page by page (`limit` and `continue`)."""
        path = f"apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows"
        found: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_PAGES):
            query = {"labelSelector": label_selector, "limit": str(PAGE_SIZE), **({"continue": token} if token else {})}
            page = self.call("GET", path, query)
            items = page.get("items")
            if not isinstance(items, list):
                raise KubernetesProblem(f"the Workflows of {namespace} are not a list")
            found += [item for item in items if isinstance(item, dict)]
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return found
        raise KubernetesProblem(f"more than {MAX_PAGES * PAGE_SIZE} Workflows in {namespace}: stopped listing")

    def create_workflow(self, namespace: str, workflow: Mapping[str, Any]) -> dict[str, Any]:
        return self.call("POST", f"apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows", body=workflow)

    def config_map(self, namespace: str, name: str) -> dict[str, Any]:
        return self.call("GET", f"api/v1/namespaces/{namespace}/configmaps/{name}")

    def replace_config_map(self, config_map: Mapping[str, Any]) -> dict[str, Any]:
        """PUT with the resourceVersion read: a concurrent writer makes it fail (409) instead of being overwritten."""
        metadata = config_map["metadata"]
        path = f"api/v1/namespaces/{metadata['namespace']}/configmaps/{metadata['name']}"
        return self.call("PUT", path, body=config_map)

    def workflow(self, namespace: str, name: str) -> dict[str, Any]:
        return self.call("GET", f"apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}")

    def patch_workflow(self, namespace: str, name: str, patch: Mapping[str, Any]) -> None:
        """A JSON merge patch of one Workflow (what `argo stop` sends: {"spec": {"shutdown": "Stop"}})."""
        path = f"apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}"
        self._send("PATCH", path, body=patch, content_type="application/merge-patch+json")

    def log(self, namespace: str, pod: str, limit_bytes: int, tail_lines: int | None = None) -> str:
        """The `main` container's log: at most `limit_bytes` bytes, from the start, or of its last `tail_lines`."""
        query: dict[str, Any] = {"container": "main", "limitBytes": limit_bytes}
        if tail_lines is not None:
            query["tailLines"] = tail_lines
        return self._get(f"api/v1/namespaces/{namespace}/pods/{pod}/log", query).decode("utf-8", "replace")


def _status_message(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    return str(body.get("message", ""))[:200] if isinstance(body, dict) else ""


