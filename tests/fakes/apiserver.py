"""A local fake of the Kubernetes API server for the pods that write (the sweep, the re-run): HTTPS on 127.0.0.1.

It answers the way the API server does for what the in-pod commands use: Workflows (list with `labelSelector`,
`limit` and `continue`; get; create, 409 AlreadyExists for a taken name) and ConfigMaps (get; replace, 409 Conflict
on a stale `resourceVersion`), with Kubernetes' `Status` error bodies. It serves TLS with a certificate made for
the test (its CA file goes where the kubelet puts the pod's, `ca.crt`), and it authorizes like RBAC: a request
is allowed only when one of the Role's rules grants its verb on its resource (and name, for `resourceNames`) to the
bearer token, so a test proves what the identity really needs. Every request is recorded.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import itertools
import json
import re
import ssl
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_PATH = re.compile(
    r"^/(?:api/v1|apis/(?P<group>[a-z.]+)/v1alpha1)/namespaces/(?P<namespace>[a-z0-9-]+)/"
    r"(?P<resource>[a-z]+)(?:/(?P<name>[a-z0-9.-]+))?$"
)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    verb: str
    resource: str
    name: str | None


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason,
            "code": code}


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-kube-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "ca.crt", directory / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class FakeApiServer:
    """The API server for one ServiceAccount: `token` with `rules` (a Role's rules) in `namespace`.

    `account_dir` is laid out as the kubelet mounts a pod's: `token`, `ca.crt`, `namespace`."""

    def __init__(self, account_dir: Path, namespace: str, token: str, rules: Sequence[Mapping[str, Any]]) -> None:
        self.namespace = namespace
        self.token = token
        self.rules = [dict(rule) for rule in rules]
        self.workflows: dict[str, dict[str, Any]] = {}
        self.config_maps: dict[str, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self.page_size: int | None = None  # the server's own page size, below the client's limit
        self._versions = itertools.count(100)
        self._lock = threading.Lock()
        account_dir.mkdir(parents=True, exist_ok=True)
        (account_dir / "token").write_text(token)
        (account_dir / "namespace").write_text(namespace)
        cert_file, key_file = _self_signed(account_dir)
        self.account_dir = account_dir
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def environment(self) -> dict[str, str]:
        """What the kubelet gives every pod, pointed at this server."""
        return {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(self._server.server_address[1]),
            "KUBERNETES_SERVICE_ACCOUNT_DIR": str(self.account_dir),
        }

    # --- objects --------------------------------------------------------------------------------------------------

    def _stamp(self, document: dict[str, Any]) -> dict[str, Any]:
        document.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        document["metadata"]["namespace"] = self.namespace
        return document

    def add_workflow(self, workflow: Mapping[str, Any]) -> None:
        with self._lock:
            document = self._stamp(copy.deepcopy(dict(workflow)))
            self.workflows[document["metadata"]["name"]] = document

    def delete_workflow(self, name: str) -> None:
        with self._lock:
            del self.workflows[name]

    def add_config_map(self, name: str, data: Mapping[str, str]) -> None:
        with self._lock:
            self.config_maps[name] = self._stamp(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": dict(data)}
            )

    # --- RBAC -----------------------------------------------------------------------------------------------------

    def allowed(self, verb: str, group: str, resource: str, name: str | None) -> bool:
        for rule in self.rules:
            if group not in rule.get("apiGroups", []) or resource not in rule.get("resources", []):
                continue
            if verb not in rule.get("verbs", []):
                continue
            names = rule.get("resourceNames")
            if names and (name is None or name not in names):
                continue  # resourceNames never grant list, create or a collection
            return True
        return False

    # --- HTTP -----------------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        parsed = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        match = _PATH.match(parsed.path)
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if not match:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        group, resource, name = match["group"] or "", match["resource"], match["name"]
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update", "DELETE": "delete"}.get(method, "")
        self.requests.append(Seen(method, parsed.path, query, verb, resource, name))
        if match["namespace"] != self.namespace or not self.allowed(verb, group, resource, name):
            account = "system:serviceaccount:" + self.namespace + ":tested"
            return 403, _status(
                403,
                "Forbidden",
                f'{resource} "{name or ""}" is forbidden: User "{account}" cannot {verb} resource "{resource}" in '
                f'API group "{group}" in the namespace "{match["namespace"]}"',
            )
        store = {"workflows": self.workflows, "configmaps": self.config_maps}.get(resource)
        if store is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        with self._lock:
            if verb == "list":
                return 200, self._list(store, query)
            if verb == "get":
                if name not in store:
                    return 404, _status(404, "NotFound", f'{resource} "{name}" not found')
                return 200, store[name]
            if verb == "create":
                created = body["metadata"]["name"]
                if created in store:
                    return 409, _status(409, "AlreadyExists", f'{resource} "{created}" already exists')
                store[created] = self._stamp(copy.deepcopy(body))
                return 201, store[created]
            if verb == "update":
                if name not in store:
                    return 404, _status(404, "NotFound", f'{resource} "{name}" not found')
                if (body.get("metadata") or {}).get("resourceVersion") != store[name]["metadata"]["resourceVersion"]:
                    return 409, _status(
                        409, "Conflict", f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
                        "modified; please apply your changes to the latest version and try again"
                    )
                store[name] = self._stamp(copy.deepcopy(body))
                return 200, store[name]
        return 405, _status(405, "MethodNotAllowed", "method not allowed")

    def _list(self, store: Mapping[str, dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
        selector = query.get("labelSelector", "")
        items = [item for _, item in sorted(store.items()) if _selects(selector, item)]
        limit = int(query["limit"]) if "limit" in query else len(items)
        limit = min(limit, self.page_size or limit)
        start = int(query.get("continue") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "kind": "List",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "99", **({"continue": str(start + limit)} if more else {})},
            "items": page,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                headers = {key.lower(): value for key, value in self.headers.items()}
                status, document = fake._answer(self.command, self.path, headers, body)
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


def _selects(selector: str, item: Mapping[str, Any]) -> bool:
    """`key`, `key=value` and `!key` terms, comma-separated, as the API server reads them."""
    labels = (item.get("metadata") or {}).get("labels") or {}
    for term in filter(None, (part.strip() for part in selector.split(","))):
        if term.startswith("!"):
            if term[1:] in labels:
                return False
        elif "=" in term:
            key, _, value = term.partition("=")
            if labels.get(key.rstrip("=")) != value:
                return False
        elif term not in labels:
            return False
    return True
