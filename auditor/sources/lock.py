"""Sources stage: lock files for reproducible audits.

``--lock FILE`` writes every resolved repo (kind, id, sha) as sorted, deterministic JSON;
``--locked FILE`` audits exactly those commits and fails with ``TargetError(reason="locked")``
when a repo is not in the lock or no source can give it at the locked sha.

Both are served by one wrapper source, :class:`LockSource`, placed over the whole chain
(mirrors, then the Hub) so that the lock covers every origin::

    chain = LockSource([*mirrors, hub], lock=read_lock(path) if locked else None)
    resolver = Resolver([chain])
    ...
    write_lock(lock_path, chain.resolved)

A repo that came from a directory without a commit (a mirror that is not a git checkout) is
recorded with ``"sha": null``; under ``--locked`` such an entry accepts only an unpinned snapshot
again, which pins nothing: prefer Hub or git sources for reproducible audits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.errors import TargetError, UsageError
from auditor.models import RepoKind, RepoSnapshot
from auditor.sources.base import Source

LOCK_VERSION = 1
LockKey = tuple[RepoKind, str]


def lock_entries(snapshots: Iterable[RepoSnapshot]) -> list[dict[str, Any]]:
    """Sorted lock entries, one per (kind, repo id).

    A repo resolved at two commits in one run keeps the commit of the revision asked for
    explicitly (``ref`` set, e.g. the subject at ``refs/pr/3``), then the smallest sha, so the
    output never depends on thread timing.
    """
    chosen: dict[LockKey, RepoSnapshot] = {}
    for snap in snapshots:
        key = (snap.kind, snap.repo_id)
        if key not in chosen or _rank(snap) < _rank(chosen[key]):
            chosen[key] = snap
    entries = []
    for (kind, repo_id), snap in sorted(chosen.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        entry: dict[str, Any] = {"kind": kind.value, "id": repo_id, "sha": snap.revision}
        if snap.ref is not None:
            entry["ref"] = snap.ref
        entries.append(entry)
    return entries


def _rank(snap: RepoSnapshot) -> tuple[int, str]:
    return (0 if snap.ref is not None else 1, snap.revision or "")


def write_lock(path: Path | str, snapshots: Iterable[RepoSnapshot]) -> None:
    """Write the lock file (JSON, sorted, trailing newline; same input, same bytes)."""
    doc = {"version": LOCK_VERSION, "repos": lock_entries(snapshots)}
    Path(path).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_lock(path: Path | str) -> dict[LockKey, str | None]:
    """``{(kind, repo_id): sha}`` from a lock file; :class:`UsageError` (exit 2) when invalid."""
    where = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"lock file {where}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise UsageError(f"lock file {where}: not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("version") != LOCK_VERSION:
        raise UsageError(f"lock file {where}: expected an object with version {LOCK_VERSION}")
    repos = doc.get("repos")
    if not isinstance(repos, list):
        raise UsageError(f"lock file {where}: 'repos' must be a list")
    out: dict[LockKey, str | None] = {}
    for i, entry in enumerate(repos):
        out.update([_entry(entry, f"lock file {where}, repos[{i}]")])
    return out


def _entry(entry: object, where: str) -> tuple[LockKey, str | None]:
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: must be an object")
    try:
        kind = RepoKind(str(entry.get("kind")))
    except ValueError:
        raise UsageError(f"{where}: kind must be 'model' or 'dataset'") from None
    repo_id, sha = entry.get("id"), entry.get("sha")
    if not isinstance(repo_id, str) or not repo_id:
        raise UsageError(f"{where}: 'id' must be a repo id")
    if sha is not None and not (isinstance(sha, str) and len(sha) == 40):
        raise UsageError(f"{where}: 'sha' must be a 40-character commit sha or null")
    return (kind, repo_id), sha


class LockSource:
    """A chain of sources that records what it resolves and, with a lock, pins to it.

    Without ``lock`` it behaves like the resolver's chain (first source that has the repo).
    With ``lock`` every resolve asks each source for the locked sha and accepts only a snapshot
    at exactly that sha; the ``revision`` argument is ignored (the lock decides).
    """

    def __init__(
        self,
        sources: Sequence[Source],
        lock: Mapping[LockKey, str | None] | None = None,
        lock_name: str = "the lock file",
    ) -> None:
        self.sources = list(sources)
        self.lock = dict(lock) if lock is not None else None
        self.lock_name = lock_name
        self.name = ", ".join(s.name for s in self.sources) or "no source"
        self._owners: dict[tuple[RepoKind, str, str | None], Source] = {}
        self._resolved: list[RepoSnapshot] = []
        self._mutex = threading.Lock()

    @property
    def resolved(self) -> list[RepoSnapshot]:
        """Every snapshot resolved so far (for :func:`write_lock`)."""
        with self._mutex:
            return list(self._resolved)

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """First source's snapshot; under a lock, the one at the locked sha or TargetError."""
        if self.lock is None:
            for source in self.sources:
                snap = source.resolve(repo_id, kind, revision)
                if snap is not None:
                    return self._keep(snap, source)
            return None
        return self._resolve_locked(repo_id, kind)

    def _resolve_locked(self, repo_id: str, kind: RepoKind) -> RepoSnapshot:
        assert self.lock is not None
        if (kind, repo_id) not in self.lock:
            raise TargetError(
                f"{kind.value} {repo_id!r} is not in {self.lock_name}; re-run "
                "with --lock to record it",
                reason="locked",
            )
        sha = self.lock[(kind, repo_id)]
        offered: list[str] = []
        for source in self.sources:
            try:
                snap = source.resolve(repo_id, kind, sha)
            except TargetError as exc:
                if exc.reason != "not-found":
                    raise  # gated, network, offline...: that reason is the actionable one
                offered.append(f"{source.name}: {exc}")
                continue
            if snap is not None and snap.revision == sha:
                return self._keep(snap, source)
            if snap is not None:
                offered.append(f"{source.name} has {snap.revision or 'no pinned commit'}")
        found = "; ".join(offered) or "no source has it"
        raise TargetError(
            f"{kind.value} {repo_id!r} is locked at {sha or 'no commit'} in "
            f"{self.lock_name} but cannot be had at it ({found})",
            reason="locked",
        )

    def _keep(self, snap: RepoSnapshot, source: Source) -> RepoSnapshot:
        with self._mutex:
            self._owners[(snap.kind, snap.repo_id, snap.revision)] = source
            self._resolved.append(snap)
        return snap

    def owner(self, snapshot: RepoSnapshot) -> Source | None:
        """The source that produced ``snapshot``."""
        with self._mutex:
            return self._owners.get((snapshot.kind, snapshot.repo_id, snapshot.revision))

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Delegates to the source that produced the snapshot."""
        source = self.owner(snapshot)
        return source.path(snapshot, filename) if source is not None else None

    def read_safetensors_header(
        self, snapshot: RepoSnapshot, filename: str
    ) -> dict[str, Any] | None:
        """Delegates to the owning source when it can read headers remotely (the Hub)."""
        reader = getattr(self.owner(snapshot), "read_safetensors_header", None)
        return reader(snapshot, filename) if callable(reader) else None
