"""A loopback HTTP server implementing the subset of the Hub API that huggingface_hub 2.4 calls.

Endpoints (paths as built by huggingface_hub: ``hf_api.model_info``, ``hf_api.list_models``,
``file_download.hf_hub_url``, ``hf_api.parse_safetensors_file_metadata``):

- ``GET /api/{models,datasets}/{id}[/revision/{rev}]`` with ``sha``, ``siblings`` (sizes, blob
  ids and lfs info when ``blobs=True``), ``gated``, ``private``, ``cardData``, ``tags``;
- ``GET /api/{models,datasets}?author=X`` paginated with a ``Link: <...>; rel="next"`` header;
- ``HEAD``/``GET /[datasets/]{id}/resolve/{rev}/{file}`` with ``X-Repo-Commit``, ``ETag``,
  ``Content-Length`` and ``Range`` (206, 416);
- discussions and pull requests (``tests/hub/discussions.py``): whoami, list, details, create,
  comment, edit comment; pushes to ``refs/pr/N``;
- errors as the Hub sends them (``X-Error-Code``: RepoNotFound, RevisionNotFound, EntryNotFound,
  GatedRepo; ``X-Error-Message``), private repos (401 anonymous, 404 with a token), gated repos
  (401 anonymous, 403 without a grant) when ``enforce_gates`` is on.

Requests are counted per ``"METHOD /path"``; faults (latency, any status, 429 with Retry-After,
connection reset, truncated body, auth echo) are injected per test with :meth:`HubServer.add_fault`.
Binds to 127.0.0.1 only. ``python -m tests.hub.server DIR`` runs it standalone (benchmarks), with
``GET /__hub__/stats`` and ``POST /__hub__/reset`` for the counters.
"""

from __future__ import annotations

import argparse
import fnmatch
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.hub.discussions import Discussions
from tests.hub.handler import HubHandler
from tests.hub.hubdata import HubData


@dataclass
class Fault:
    """A failure injected on requests whose path matches ``pattern`` (fnmatch, no query)."""

    pattern: str
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    action: str = "respond"  # respond | reset | truncate | hostile_answers.ACTIONS
    body: Any = None  # the JSON body of a "malformed-info" answer
    delay_per_byte: float = 1.0  # seconds between the bytes of a "trickle" answer
    keep: int = 0  # bytes of body sent before a truncation
    times: int | None = None  # None: every matching request
    methods: tuple[str, ...] = ("GET", "HEAD")  # add "POST" for comment calls
    echo_auth: bool = False  # put the Authorization header in the error body (token-leak test)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to the request (and is not used up)."""
        if self.times is not None and self.hits >= self.times:
            return False
        return method in self.methods and fnmatch.fnmatchcase(path, self.pattern)


@dataclass
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    range: str | None
    authorized: bool


class HubServer:
    """The loopback Hub. Use as a context manager; ``url`` is the ``HF_ENDPOINT`` to use."""

    def __init__(
        self,
        data: HubData,
        *,
        latency: float = 0.0,
        page_size: int = 50,
        enforce_gates: bool = False,
        valid_tokens: set[str] | None = None,
    ) -> None:
        self.data = data
        self.discussions = Discussions(data)  # discussions, pull requests, comments, whoami
        self.latency = latency
        self.page_size = page_size
        self.enforce_gates = enforce_gates
        self.valid_tokens = valid_tokens  # None: any token is valid
        self.grants: set[tuple[str, str, str]] = set()  # (token, kind, repo id lower)
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.log: list[RequestRecord] = []
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> HubServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
        httpd.daemon_threads = True
        httpd.hub = self  # type: ignore[attr-defined]
        httpd.request_queue_size = 128
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.05,), name="hub-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43123``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ configuration

    def add_fault(self, pattern: str, **kwargs: Any) -> Fault:
        """Inject a fault (see :class:`Fault`); returns it so tests can read ``hits``."""
        fault = Fault(pattern, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self.lock:
            self.faults.clear()

    def grant(self, token: str, kind: str, repo_id: str) -> None:
        """Give ``token`` access to a private or gated repo."""
        with self.lock:
            self.grants.add((token, kind, repo_id.lower()))

    # ------------------------------------------------------------------ counters

    def record(self, rec: RequestRecord) -> None:
        """Count a request (called by the handler)."""
        with self.lock:
            self.counts[f"{rec.method} {rec.path}"] += 1
            self.log.append(rec)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first matching fault, counted as used."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    @property
    def total(self) -> int:
        """Number of requests served since the last reset."""
        with self.lock:
            return sum(self.counts.values())

    def count(self, pattern: str = "*") -> int:
        """Requests whose ``"METHOD /path"`` matches an fnmatch pattern."""
        with self.lock:
            return sum(n for key, n in self.counts.items() if fnmatch.fnmatchcase(key, pattern))

    def reset_counts(self) -> None:
        """Forget every counted request."""
        with self.lock:
            self.counts.clear()
            self.log.clear()

    def stats(self) -> dict[str, Any]:
        """Counters as JSON-able data (``GET /__hub__/stats``)."""
        with self.lock:
            return {"total": sum(self.counts.values()), "counts": dict(sorted(self.counts.items()))}


def main(argv: list[str] | None = None) -> int:
    """Serve a mirror directory until interrupted (for benchmarks and manual runs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="mirror directory (<org>/<name>, datasets/...)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to responses")
    parser.add_argument("--port-file", type=Path, help="write the base URL here once listening")
    args = parser.parse_args(argv)
    server = HubServer(HubData.from_mirror(args.root), latency=args.latency).start()
    if args.port_file:
        args.port_file.write_text(server.url)
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
