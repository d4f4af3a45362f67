"""Request handler of the loopback Hub server: routing, Hub-style errors, ranges and faults."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.hub import hostile_answers
from tests.hub.hostile_answers import tree_entries
from tests.hub.hubdata import Commit, Repo, etag_of, git_blob_id, is_lfs

if TYPE_CHECKING:
    from tests.hub.server import Fault, HubServer

FIXED_DATE = "2025-01-01T00:00:00.000Z"


class Reset(Exception):
    """Raised to drop the connection without a response."""


class HubHandler(BaseHTTPRequestHandler):
    """Serves one connection (HTTP/1.1 keep-alive, as httpx expects)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every keep-alive response and would distort latency measurements.
    disable_nagle_algorithm = True
    server_version = "FixtureHub/1.0"

    @property
    def hub(self) -> HubServer:
        return self.server.hub  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def handle(self) -> None:
        # The connection may have been reset on purpose (fault) or by the client.
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, method: str) -> None:
        from tests.hub.server import RequestRecord

        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        if path.startswith("/__hub__/"):
            self._admin(method, path)
            return
        auth = self.headers.get("Authorization")
        # A POST body is read before any fault answers, so a keep-alive connection stays in step.
        length = int(self.headers.get("Content-Length") or 0) if method == "POST" else 0
        self.body = self.rfile.read(length) if length else b""
        self.hub.record(
            RequestRecord(method, path, split.query, self.headers.get("Range"), auth is not None)
        )
        fault = self.hub.take_fault(method, path)
        self._active = fault
        delay = self.hub.latency + (fault.delay if fault else 0.0)
        if delay:
            time.sleep(delay)
        if fault is not None and fault.action in hostile_answers.ACTIONS:
            hostile_answers.answer(self, fault, method)
            return
        try:
            if fault is not None and (fault.status is not None or fault.action == "reset"):
                self._fault(fault, method)
                return
            self._route(method, path, query)
        except Reset:
            self._reset()

    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        if self.hub.discussions.route(self, method, path, query):  # tests/hub/discussions.py
            return
        for prefix, kind in (("/api/models", "model"), ("/api/datasets", "dataset")):
            if path == prefix:
                self._list(kind, query)
                return
            if path.startswith(prefix + "/"):
                self._info(kind, path[len(prefix) + 1 :], query)
                return
        kind, rest = (
            ("dataset", path[len("/datasets/") :])
            if path.startswith("/datasets/")
            else ("model", path[1:])
        )
        if "/resolve/" in rest:
            repo_id, _, tail = rest.partition("/resolve/")
            rev, _, filename = tail.partition("/")
            self._file(method, kind, unquote(repo_id), unquote(rev), unquote(filename))
            return
        self._error(404, "Not found", None, method)

    # ------------------------------------------------------------------ access rules

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def _check_access(self, repo: Repo, method: str, for_file: bool) -> bool:
        """Send the Hub's answer for a refused request; True when the request may go on."""
        token = self._token()
        if (
            token is not None
            and self.hub.valid_tokens is not None
            and token not in self.hub.valid_tokens
        ):
            self._error(
                401,
                "Invalid credentials in Authorization header",
                None,
                method,
                message="Invalid credentials in Authorization header",
            )
            return False
        granted = token is not None and (token, repo.kind, repo.repo_id.lower()) in self.hub.grants
        if repo.private and not granted:
            self._error(
                401 if token is None else 404, "Repository not found", "RepoNotFound", method
            )
            return False
        main = repo.commit("main")
        gated = main is not None and repo.gated_value(main)
        if for_file and gated and self.hub.enforce_gates and not granted:
            label = "models" if repo.kind == "model" else "datasets"
            text = (
                f"Access to {repo.kind} {repo.repo_id} is restricted. You must have access to "
                f"it and be authenticated to access it. Please log in."
                if token is None
                else f"Access to {repo.kind} {repo.repo_id} is restricted and you are not in the "
                f"authorized list. Visit {self.hub.url}/{label}/{repo.repo_id} to ask for access."
            )
            self._error(401 if token is None else 403, text, "GatedRepo", method, message=text)
            return False
        return True

    # ------------------------------------------------------------------ endpoints

    def _info(self, kind: str, rest: str, query: dict[str, list[str]]) -> None:
        if "/tree/" in rest:  # list_repo_tree, as snapshot_download (`hf download`) calls it
            repo_id, _, tail = rest.partition("/tree/")
            repo = self.hub.data.get(kind, unquote(repo_id))
            if repo is None or not self._check_access(repo, "GET", for_file=False):
                if repo is None:
                    self._error(404, "Repository not found", "RepoNotFound", "GET")
                return
            commit = repo.commit(unquote(tail.split("/", 1)[0]))
            if commit is None:
                self._error(404, "Invalid rev id", "RevisionNotFound", "GET")
                return
            self._json(200, tree_entries(commit), "GET")
            return
        repo_id, sep, rev = rest.partition("/revision/")
        repo = self.hub.data.get(kind, unquote(repo_id))
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound", "GET")
            return
        if not self._check_access(repo, "GET", for_file=False):
            return
        commit = repo.commit(unquote(rev) if sep else None)
        if commit is None:
            self._error(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound", "GET")
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        self._json(200, self._info_body(repo, commit, blobs), "GET")

    def _info_body(self, repo: Repo, commit: Commit, blobs: bool) -> dict[str, Any]:
        card = repo.card(commit)
        siblings: list[dict[str, Any]] = []
        for name in sorted(commit.files):
            entry: dict[str, Any] = {"rfilename": name}
            if blobs:
                data = commit.files[name]
                entry.update(size=len(data), blobId=git_blob_id(data))
                if is_lfs(name):
                    entry["lfs"] = {
                        "size": len(data),
                        "sha256": etag_of(name, data),
                        "pointerSize": 134,
                    }
            siblings.append(entry)
        tags = card.get("tags") if isinstance(card.get("tags"), list) else []
        return {
            "_id": commit.sha[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.sha,
            "lastModified": FIXED_DATE,
            "createdAt": FIXED_DATE,
            "private": repo.private,
            "gated": repo.gated_value(commit),
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [str(t) for t in tags],
            "cardData": card or None,
            "siblings": siblings,
        }

    def _list(self, kind: str, query: dict[str, list[str]]) -> None:
        author = query.get("author", [""])[0]
        cursor = int(query.get("cursor", ["0"])[0] or 0)
        token = self._token()
        search = query.get("search", [""])[0]
        tags = query.get("filter", [])
        listed = (
            self.hub.data.listing(kind, author, search, tags)
            if search or tags
            else (self.hub.data.by_author(kind, author) if author else [])
        )
        repos = [
            r
            for r in listed
            if not r.private or (token, kind, r.repo_id.lower()) in self.hub.grants
        ]
        page = repos[cursor : cursor + self.hub.page_size]
        body = []
        for repo in page:
            commit = repo.commit("main")
            assert commit is not None
            card = repo.card(commit)
            tags = card.get("tags") if isinstance(card.get("tags"), list) else []
            body.append(
                {
                    "_id": commit.sha[:24],
                    "id": repo.repo_id,
                    "private": repo.private,
                    "gated": repo.gated_value(commit),
                    "tags": [str(t) for t in tags],
                    "downloads": 0,
                    "likes": 0,
                    "createdAt": FIXED_DATE,
                }
            )
        headers = {}
        if cursor + self.hub.page_size < len(repos):
            prefix = "/api/models" if kind == "model" else "/api/datasets"
            extra = (f"&search={quote(search)}" if search else "") + "".join(
                f"&filter={quote(t)}" for t in tags
            )
            nxt = (
                f"{self.hub.url}{prefix}?author={quote(author)}{extra}"
                f"&cursor={cursor + self.hub.page_size}"
            )
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._json(200, body, "GET", headers)

    def _file(self, method: str, kind: str, repo_id: str, rev: str, filename: str) -> None:
        repo = self.hub.data.get(kind, repo_id)
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound", method)
            return
        if not self._check_access(repo, method, for_file=True):
            return
        commit = repo.commit(rev)
        if commit is None:
            self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound", method)
            return
        data = commit.files.get(filename)
        common = {"X-Repo-Commit": commit.sha}
        if data is None:
            self._error(404, "Entry not found", "EntryNotFound", method, headers=common)
            return
        headers = {
            **common,
            "ETag": f'"{etag_of(filename, data)}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        status, body = 200, data
        rng = self.headers.get("Range")
        if rng:
            span = _parse_range(rng, len(data))
            if span is None:
                self._error(
                    416,
                    "Range Not Satisfiable",
                    None,
                    method,
                    headers={"Content-Range": f"bytes */{len(data)}"},
                )
                return
            start, end = span
            status, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self._send(status, body, method, headers)

    def _admin(self, method: str, path: str) -> None:
        if path == "/__hub__/reset" and method == "POST":
            self.hub.reset_counts()
            self._json(200, {"ok": True}, method)
        elif path == "/__hub__/stats":
            self._json(200, self.hub.stats(), method)
        else:
            self._error(404, "Not found", None, method)

    # ------------------------------------------------------------------ responses

    def _fault(self, fault: Fault, method: str) -> None:
        if fault.action == "reset":
            raise Reset
        text = fault.message or f"injected {fault.status}"
        if fault.echo_auth:
            text += f" (request had Authorization: {self.headers.get('Authorization')})"
        headers = dict(fault.headers)
        if fault.error_code:
            headers["X-Error-Code"] = fault.error_code
        if fault.message:
            headers["X-Error-Message"] = fault.message
        assert fault.status is not None
        self._send(
            fault.status,
            json.dumps({"error": text}).encode(),
            method,
            {"Content-Type": "application/json", **headers},
        )

    def _error(
        self,
        status: int,
        text: str,
        code: str | None,
        method: str,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        extra = dict(headers or {})
        if code:
            extra["X-Error-Code"] = code
        if message:
            extra["X-Error-Message"] = message
        self._json(status, {"error": text}, method, extra)

    def _json(
        self, status: int, body: Any, method: str, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, sort_keys=True).encode()
        self._send(status, data, method, {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, body: bytes, method: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "HEAD":
            return
        fault = getattr(self, "_active", None)
        if fault is not None and fault.action == "truncate":
            # A clean close before Content-Length is reached: the client sees a short body.
            self.wfile.write(body[: fault.keep])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _reset(self) -> None:
        """Close with RST (SO_LINGER 0): the client sees a connection reset."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` → inclusive span, ``None`` if unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    if start >= size or start > end:
        return None
    return start, end
