"""Sources stage: our small on-disk cache of Hub API answers, and single-flight de-duplication.

Files come from the huggingface_hub cache (``HF_HUB_CACHE``); this cache keeps only what the
API said about a repo, so that a second audit of unchanged repos makes almost
no requests and ``--offline`` can answer at all:

- ``<root>/v1/<kind>/<org>--<name>/commit/<sha>.json``: the repo at one commit (files, sizes,
  gated flag, card data). Immutable, so valid forever.
- ``.../ref/<ref>.json``: which sha a ref (branch, tag, ``refs/pr/N``, or the default branch)
  pointed to, and when we asked. Refs move, so online use honours a maximum age.
- ``.../header/<sha>/<file>.json``: a safetensors header read with range requests.
- ``<root>/v1/<kind>/@author/<name>.json``: the last listing of an owner's repos.

Writes are atomic (temporary file + ``os.replace``) so concurrent audits never see half a file;
unreadable entries count as misses.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from auditor.files import write_atomic
from auditor.models import RepoKind

T = TypeVar("T")

CACHE_VERSION = "v1"
DEFAULT_REF = "@default"  # key for "no revision given": the repo's default branch


def default_cache_dir() -> Path:
    """``$AILIANCE_AUDIT_CACHE``, else ``$HF_HOME/ailiance-audit`` (HF_HOME as huggingface_hub
    resolves it: ``$XDG_CACHE_HOME/huggingface`` or ``~/.cache/huggingface``)."""
    explicit = os.environ.get("AILIANCE_AUDIT_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    hf_home = os.environ.get("HF_HOME")
    if not hf_home:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
        hf_home = os.path.join(xdg, "huggingface")
    return Path(hf_home).expanduser() / "ailiance-audit"


def _segment(text: str) -> str:
    """A single safe path segment for a ref or file name (no "/", no "." or ".." tricks)."""
    return quote(text, safe="").replace(".", "%2E") or "%00"


class MetaCache:
    """JSON answers of the Hub API keyed by (kind, repo id, sha) and (kind, repo id, ref)."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        self.root = Path(root)
        self.clock = clock

    def _repo_dir(self, kind: RepoKind, repo_id: str) -> Path:
        # Hub ids never contain "--" (reserved as the separator by huggingface_hub's own cache).
        return self.root / CACHE_VERSION / kind.value / _segment(repo_id.replace("/", "--"))

    # ------------------------------------------------------------------ commits and refs

    def get_commit(self, kind: RepoKind, repo_id: str, sha: str) -> dict[str, Any] | None:
        """The recorded answer for a repo at ``sha``, or ``None`` (also for an entry of the
        wrong shape: the cache directory is writable by others, so it is input like any)."""
        record = _read(self._repo_dir(kind, repo_id) / "commit" / f"{_segment(sha)}.json")
        return record if record is not None and valid_record(record) else None

    def get_ref(
        self, kind: RepoKind, repo_id: str, ref: str | None, max_age: float | None
    ) -> str | None:
        """The sha ``ref`` pointed to, if recorded less than ``max_age`` seconds ago
        (``None``: any age)."""
        entry = _read(self._ref_path(kind, repo_id, ref))
        if not entry or not isinstance(entry.get("sha"), str):
            return None
        if max_age is not None and self.clock() - float(entry.get("fetched_at", 0)) > max_age:
            return None
        return str(entry["sha"])

    def put(self, kind: RepoKind, repo_id: str, ref: str | None, record: dict[str, Any]) -> None:
        """Record the answer for a commit and, when ``ref`` is given or default, the ref."""
        sha = str(record["sha"])
        repo_dir = self._repo_dir(kind, repo_id)
        _write(repo_dir / "commit" / f"{_segment(sha)}.json", record)
        if ref != sha:
            _write(self._ref_path(kind, repo_id, ref), {"sha": sha, "fetched_at": self.clock()})

    def _ref_path(self, kind: RepoKind, repo_id: str, ref: str | None) -> Path:
        return self._repo_dir(kind, repo_id) / "ref" / f"{_segment(ref or DEFAULT_REF)}.json"

    # ------------------------------------------------------------------ headers and listings

    def get_header(
        self, kind: RepoKind, repo_id: str, sha: str, filename: str
    ) -> dict[str, Any] | None:
        """A cached safetensors header."""
        return _read(self._header_path(kind, repo_id, sha, filename))

    def put_header(
        self, kind: RepoKind, repo_id: str, sha: str, filename: str, header: dict[str, Any]
    ) -> None:
        """Cache a safetensors header (immutable at a sha)."""
        _write(self._header_path(kind, repo_id, sha, filename), header)

    def _header_path(self, kind: RepoKind, repo_id: str, sha: str, filename: str) -> Path:
        base = self._repo_dir(kind, repo_id) / "header" / _segment(sha)
        return base / f"{_segment(filename)}.json"

    def get_listing(self, kind: RepoKind, author: str) -> list[dict[str, Any]] | None:
        """The last recorded listing of ``author``'s repos."""
        entry = _read(self._listing_path(kind, author))
        repos = entry.get("repos") if entry else None
        if not isinstance(repos, list):
            return None
        return [r for r in repos if isinstance(r, dict) and isinstance(r.get("id"), str)]

    def put_listing(self, kind: RepoKind, author: str, repos: list[dict[str, Any]]) -> None:
        """Record a listing of ``author``'s repos."""
        _write(self._listing_path(kind, author), {"repos": repos, "fetched_at": self.clock()})

    def _listing_path(self, kind: RepoKind, author: str) -> Path:
        return self.root / CACHE_VERSION / kind.value / "@author" / f"{_segment(author)}.json"


def valid_record(record: dict[str, Any]) -> bool:
    """The shape :func:`auditor.sources.hub_records.api_record` writes (types, not values)."""
    files, sizes, card = record.get("files"), record.get("sizes", {}), record.get("card_data")
    return (
        isinstance(record.get("sha"), str)
        and bool(record["sha"])
        and isinstance(files, list)
        and all(isinstance(f, str) for f in files)
        and isinstance(sizes, dict)
        and (card is None or isinstance(card, dict))
        and isinstance(record.get("gated", False), bool | str)
    )


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomic write; a read-only or full cache only costs requests, never the audit."""
    try:
        text = json.dumps(data, sort_keys=True, indent=1, default=str)  # never fail an audit
        write_atomic(path, text, mode=0o600, durable=False)
    except OSError:
        return


class SingleFlight:
    """Run each keyed computation once per instance; concurrent callers wait for the first.

    Results and exceptions are both remembered, so a base shared by fifty adapters is fetched
    once per run and a failing repo is not retried fifty times.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[object, Future[Any]] = {}

    def run(self, key: object, compute: Callable[[], T]) -> T:
        """The result of ``compute()`` for ``key``, computed at most once."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._futures[key] = future
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        result: T = future.result()
        return result

    def forget(self, key: object) -> None:
        """Drop a remembered result (e.g. after a transient failure the caller wants retried)."""
        with self._lock:
            self._futures.pop(key, None)
