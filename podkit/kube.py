"""The few Kubernetes API calls the in-pod commands make, with the pod's own ServiceAccount. Standard library only.

Inside a pod the kubelet provides everything: the API server's address (`KUBERNETES_SERVICE_HOST` and
`KUBERNETES_SERVICE_PORT`), and under /var/run/secrets/kubernetes.io/serviceaccount the ServiceAccount's token
(re-read before each request: the kubelet rotates it), the cluster's CA (the only one trusted) and the namespace.
`KUBERNETES_SERVICE_ACCOUNT_DIR` moves that directory (the tests' fake API server). The token is never printed.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
REQUEST_TIMEOUT_SECONDS = 15.0
PAGE_SIZE = 250  # Workflows per list request (each carries its node statuses)
MAX_PAGES = 40  # 10,000 Workflows: far beyond a namespace whose runs are kept a week


class KubernetesError(RuntimeError):
    """A request the API server refused or did not answer; never carries the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Kubernetes:
    """The API server as the pod's ServiceAccount sees it."""

    server: str
    account_dir: Path

    @classmethod
    def in_cluster(cls, environ: Mapping[str, str]) -> Kubernetes:
        host = environ.get("KUBERNETES_SERVICE_HOST", "")
        port = environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise KubernetesError("KUBERNETES_SERVICE_HOST is not set: not running in a pod")
        if ":" in host:  # an IPv6 service address
            host = f"[{host}]"
        return cls(f"https://{host}:{port}", Path(environ.get("KUBERNETES_SERVICE_ACCOUNT_DIR") or SERVICE_ACCOUNT_DIR))

    def _opener(self) -> urllib.request.OpenerDirector:
        context = ssl.create_default_context(cafile=str(self.account_dir / "ca.crt"))
        return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirects())

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        token = (self.account_dir / "token").read_text(encoding="utf-8").strip()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener().open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                message = str(json.loads(error.read() or b"{}").get("message") or error.reason)
            except (ValueError, OSError):
                message = str(error.reason)
            error.close()
            what = f"{method} {path.split('?')[0]}"
            raise KubernetesError(f"{what}: HTTP {error.code} ({message[:300]})", error.code) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError) as error:
            reason = getattr(error, "reason", error)
            what = f"{method} {path.split('?')[0]}"
            raise KubernetesError(f"{what}: the API server cannot be reached: {reason}") from None

    def list_workflows(self, namespace: str, label_selector: str) -> Iterator[dict[str, Any]]:
        """Every Workflow of `namespace` carrying `label_selector`, page by page (`limit` and `continue`)."""
        token = ""
        for _ in range(MAX_PAGES):
            query = {"labelSelector": label_selector, "limit": str(PAGE_SIZE)}
            if token:
                query["continue"] = token
            path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows?{urllib.parse.urlencode(query)}"
            page = self.request("GET", path)
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return
        raise KubernetesError(f"more than {MAX_PAGES * PAGE_SIZE} Workflows in {namespace}: stopped listing")

    def config_map_path(self, namespace: str, name: str) -> str:
        return f"/api/v1/namespaces/{namespace}/configmaps/{name}"

    def get_config_map(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.request("GET", self.config_map_path(namespace, name)))

    def replace_config_map(self, config_map: Mapping[str, Any]) -> dict[str, Any]:
        """PUT with the resourceVersion read: a concurrent writer makes it fail (409) instead of being overwritten."""
        metadata = config_map["metadata"]
        return dict(self.request("PUT", self.config_map_path(metadata["namespace"], metadata["name"]), config_map))
