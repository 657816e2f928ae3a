"""A local fake of the two Kubernetes API reads the report makes, on 127.0.0.1: GET a Workflow and GET a pod's log.

It answers as the API server would for the report's identity: 401 without the ServiceAccount's token, 403 for any
other verb or resource (its Role allows only `get` on workflows and pods/log), 404 for an unknown Workflow or pod,
and honours `container`, `tailLines` and `limitBytes` on logs. Every request is recorded.
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


@dataclass
class FakeKubernetes:
    token: str = "report-sa-token"
    workflows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (namespace, name) -> object
    logs: dict[tuple[str, str], str] = field(default_factory=dict)  # (namespace, pod) -> the main container's log
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (method, path, query)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeKubernetes:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(split.query))
                fake.requests.append((self.command, split.path, query))
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

    def answer(self, method: str, path: str, query: dict[str, str], authorization: str) -> tuple[int, bytes, str]:
        if authorization != f"Bearer {self.token}":
            return self._status(401, "Unauthorized", "Unauthorized")
        workflow, log = _WORKFLOW.match(path), _LOG.match(path)
        if method != "GET" or not (workflow or log):
            return self._status(403, "Forbidden", f"{method} {path} is forbidden for the report's ServiceAccount")
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
