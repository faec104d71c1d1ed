"""A loopback stand-in for the Hugging Face Hub's HTTP API: just what `create_repo` and
`upload_folder` call (repo creation, YAML validation, preupload, NDJSON commits), files kept in
memory, and every Authorization header seen."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HubState:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    authorizations: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    refuse_token: str | None = None  # requests with this token get 401


def _handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = self.headers.get("Authorization", "")
            state.authorizations.append(auth)
            if state.refuse_token is not None and auth == f"Bearer {state.refuse_token}":
                return self._reply(401, {"error": "Invalid credentials"})
            path = self.path.split("?")[0]
            host = f"http://{self.headers['Host']}"
            if path == "/api/repos/create":
                payload = json.loads(body)
                repo = f"{payload['organization']}/{payload['name']}"
                state.repos.setdefault(repo, {})
                return self._reply(200, {"url": f"{host}/datasets/{repo}"})
            if path == "/api/validate-yaml":
                return self._reply(200, {"errors": [], "warnings": []})
            match = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/(preupload|commit)/([^/]+)", path)
            if match and match.group(1) in state.repos:
                repo, action = match.group(1), match.group(2)
                if action == "preupload":
                    files = json.loads(body)["files"]
                    modes = [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                    ]
                    return self._reply(200, {"files": modes})
                for line in body.decode().splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        value = item["value"]
                        state.repos[repo][value["path"]] = base64.b64decode(value["content"])
                oid = "0" * 40
                return self._reply(
                    200, {"commitUrl": f"{host}/datasets/{repo}/commit/{oid}", "commitOid": oid}
                )
            state.unknown.append(f"POST {self.path}")
            return self._reply(404, {"error": f"not served here: {self.path}"})

        def do_GET(self) -> None:  # noqa: N802
            state.unknown.append(f"GET {self.path}")
            self._reply(404, {"error": f"not served here: {self.path}"})

    return Handler


@contextmanager
def fake_hub() -> Iterator[tuple[str, HubState]]:
    state = HubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
