"""A local fake of the Kubernetes API requests podkit makes, on 127.0.0.1: GET a Workflow and a pod's log (the
report), list Workflows by label and merge-patch one (cancel-superseded).

It answers as the API server would for the identity's Role (`verbs`: by default the report's, `get` on workflows and
pods/log): 401 without the ServiceAccount's token, 403 for any verb or resource the Role does not allow, 404 for an
unknown Workflow or pod, 415 for a PATCH that is not a merge patch; honours `container`, `tailLines` and `limitBytes`
on logs and `k=v` / `k!=v` label selectors. Every request is recorded, and each patch applied (RFC 7386).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_WORKFLOW = re.compile(r"^/apis/argoproj\.io/v1alpha1/namespaces/([^/]+)/workflows/([^/]+)$")
_LOG = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")
_WORKFLOWS = re.compile(r"^/apis/argoproj\.io/v1alpha1/namespaces/([^/]+)/workflows$")
REPORT_VERBS = frozenset({("get", "workflows"), ("get", "pods/log")})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _selected(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        else:
            key, value = term.split("=", 1)
            if labels.get(key) != value:
                return False
    return True


@dataclass
class FakeKubernetes:
    token: str = "report-sa-token"
    workflows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (namespace, name) -> object
    logs: dict[tuple[str, str], str] = field(default_factory=dict)  # (namespace, pod) -> the main container's log
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (method, path, query)
    verbs: frozenset[tuple[str, str]] = REPORT_VERBS  # (verb, resource) the identity's Role allows
    patches: list[tuple[str, str, Any]] = field(default_factory=list)  # (namespace, name, merge patch) applied
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeKubernetes:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(split.query))
                fake.requests.append((self.command, split.path, query))
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else b""
                fake.sent = (self.headers.get("Content-Type", ""), sent)
                status, body, content_type = fake.answer(self.command, split.path, query, self.headers.get("Authorization", ""))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def service_account_dir(self, directory: Path) -> Path:
        """The pod's mounted ServiceAccount token, as the kubelet projects it."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "token").write_text(self.token)
        return directory

    @staticmethod
    def _status(code: int, reason: str, message: str) -> tuple[int, bytes, str]:
        body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code}
        return code, json.dumps(body).encode(), "application/json"

    sent: tuple[str, bytes] = ("", b"")  # the last request's Content-Type and body

    def _verb(self, method: str, path: str) -> tuple[str, str] | None:
        if _WORKFLOWS.match(path) and method == "GET":
            return ("list", "workflows")
        if _WORKFLOW.match(path):
            return ({"GET": "get", "PATCH": "patch"}.get(method, method.lower()), "workflows")
        if _LOG.match(path):
            return ("get" if method == "GET" else method.lower(), "pods/log")
        return None

    def answer(self, method: str, path: str, query: dict[str, str], authorization: str) -> tuple[int, bytes, str]:
        if authorization != f"Bearer {self.token}":
            return self._status(401, "Unauthorized", "Unauthorized")
        verb = self._verb(method, path)
        if verb is None or verb not in self.verbs:
            return self._status(403, "Forbidden", f"{method} {path} is forbidden for this ServiceAccount")
        listing = _WORKFLOWS.match(path)
        if listing:
            selector = query.get("labelSelector", "")
            items = [
                item
                for (namespace, _), item in sorted(self.workflows.items())
                if namespace == listing.group(1)
                and _selected(((item.get("metadata") or {}).get("labels") or {}), selector)
            ]
            return 200, json.dumps({"kind": "WorkflowList", "items": items}).encode(), "application/json"
        workflow, log = _WORKFLOW.match(path), _LOG.match(path)
        if method == "PATCH" and workflow:
            key = (workflow.group(1), workflow.group(2))
            if key not in self.workflows:
                return self._status(404, "NotFound", f'workflows.argoproj.io "{key[1]}" not found')
            content_type, sent = self.sent
            if content_type != "application/merge-patch+json":
                return self._status(415, "UnsupportedMediaType", "the body of the request was in an unknown format")
            patch = json.loads(sent)
            self.patches.append((key[0], key[1], patch))
            self.workflows[key] = merge_patch(self.workflows[key], patch)
            return 200, json.dumps(self.workflows[key]).encode(), "application/json"
        if workflow:
            found = self.workflows.get((workflow.group(1), workflow.group(2)))
            if found is None:
                return self._status(404, "NotFound", f'workflows.argoproj.io "{workflow.group(2)}" not found')
            return 200, json.dumps(found).encode(), "application/json"
        assert log is not None
        text = self.logs.get((log.group(1), log.group(2)))
        if text is None:
            return self._status(404, "NotFound", f'pods "{log.group(2)}" not found')
        if query.get("container") != "main":
            return self._status(400, "BadRequest", "container is required")
        if "tailLines" in query:
            text = "".join(text.splitlines(keepends=True)[-int(query["tailLines"]) :])
        data = text.encode()
        if "limitBytes" in query:
            data = data[: int(query["limitBytes"])]
        return 200, data, "text/plain"
