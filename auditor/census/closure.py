"""The shared upstream table: every distinct upstream repo resolved once per census run.

An audit walks its lineage through ``Resolver.resolve`` and reads each upstream card and base
``config.json``. At census scale the same few bases and datasets sit under most repos, so the
run resolves the distinct upstream closure once (``resolve_entries``, level by level like the
graph walk), ships each batch the slice it needs, and audits through a :class:`ClosureSource`
that answers from the table: no upstream request is repeated, and everything else (the subject,
files not carried) goes to the ordinary source chain, so the findings are those of the CLI.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.card import parse_card
from auditor.errors import TargetError
from auditor.files import write_atomic
from auditor.graph import Upstream, build_graph
from auditor.models import CardClaims, RepoKind, RepoSnapshot
from auditor.sources import limits
from auditor.sources.base import METADATA_FILES, Resolver

MAX_CARRIED_BYTES = 1 << 20  # larger files are read through the source chain when needed
Key = tuple[str, RepoKind]


@dataclass(frozen=True)
class Entry:
    """One upstream repo: its snapshot and small metadata files, or why it could not be had."""

    snapshot: RepoSnapshot | None
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    reason: str = "not-found"
    refs: tuple[Key, ...] = ()  # its own upstream references (models only: datasets are leaves)


def refs_of(snapshot: RepoSnapshot | None, claims: CardClaims) -> tuple[Key, ...]:
    """The upstream repos a card points at, exactly as the graph walk reads them.

    ``build_graph`` is asked for one level with a lookup that only records its calls, so this
    never drifts from what the audit itself follows.
    """
    seen: list[Key] = []

    def record(repo_id: str, kind: RepoKind) -> Upstream:
        seen.append((repo_id, kind))
        return Upstream(None, None, "recorded")

    subject = snapshot or RepoSnapshot(repo_id="census/subject", kind=RepoKind.MODEL,
                                       origin="cache", location="")  # fmt: skip
    build_graph(subject, claims, record, max_depth=1, workers=1)
    return tuple(dict.fromkeys(seen))


def fetch_entry(resolver: Resolver, key: Key) -> Entry:
    """Resolve one upstream repo through the ordinary chain and carry its metadata files."""
    repo_id, kind = key
    try:
        snap = resolver.resolve(repo_id, kind)
    except TargetError as exc:
        return Entry(snapshot=None, error=str(exc), reason=exc.reason)
    files: dict[str, bytes] = {}
    for name in METADATA_FILES:
        path = resolver.path(snap, name) if name in snap.files else None
        if path is not None and path.stat().st_size <= MAX_CARRIED_BYTES:
            files[name] = path.read_bytes()
    refs: tuple[Key, ...] = ()
    if kind == RepoKind.MODEL and "README.md" in files:
        refs = refs_of(snap, parse_card(files["README.md"].decode("utf-8", errors="replace")))
    return Entry(snapshot=snap, files=files, refs=refs)


def slice_for(table: dict[Key, Entry], roots: Iterable[Key]) -> dict[Key, Entry]:
    """The part of the table reachable from ``roots`` (what one batch's lineages can touch)."""
    out: dict[Key, Entry] = {}
    todo = list(roots)
    while todo:
        key = todo.pop()
        if key in out or key not in table:
            continue
        out[key] = table[key]
        todo.extend(table[key].refs)
    return out


def _in_time(what: str) -> None:
    """The census's per-repo time limit, checked on every lookup: past it, each further lookup
    is a could-not-look gap at once, so a long lineage walk ends instead of running on."""
    try:
        limits.check_deadline(what)
    except limits.DownloadLimit as exc:
        raise TargetError(str(exc), reason="network") from None


class ClosureSource:
    """A source answering upstream lookups from the shared table, the rest from ``fallback``.

    Every call first checks the audit's deadline (:func:`_in_time`): this is where the census's
    time limit stops an audit between its lookups, whatever source answers them.
    """

    name = "census upstream table"

    def __init__(self, table: dict[Key, Entry], fallback: Resolver) -> None:
        self.table = table
        self.fallback = fallback
        self._dir: Path | None = None

    def _entry(self, snapshot: RepoSnapshot) -> Entry | None:
        entry = self.table.get((snapshot.repo_id, snapshot.kind))
        return entry if entry is not None and entry.snapshot == snapshot else None

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """The table's snapshot (or its recorded failure); the chain for anything else."""
        _in_time(f"the lookup of {repo_id}")
        entry = self.table.get((repo_id, kind))
        if entry is None or revision is not None:
            return self.fallback.resolve(repo_id, kind, revision)
        if entry.snapshot is None:
            raise TargetError(entry.error or f"{kind.value} {repo_id!r} not found",
                              reason=entry.reason)  # fmt: skip
        return entry.snapshot

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """A carried file, written once per process under a private temporary directory."""
        _in_time(f"the read of {filename}")
        entry = self._entry(snapshot)
        if entry is None or filename not in entry.files:
            if entry is not None:  # not carried (large): resolve it through the chain
                self.fallback.resolve(snapshot.repo_id, snapshot.kind, snapshot.revision)
            return self.fallback.path(snapshot, filename)
        digest = hashlib.sha256(entry.files[filename]).hexdigest()
        path = self._root() / digest
        if not path.is_file():  # threads may race here: each writes its own temporary file
            write_atomic(path, entry.files[filename], mode=0o600, durable=False)
        return path

    def read_held(self, snapshot: RepoSnapshot, filename: str) -> bytes | None:
        """A carried file's bytes, from memory (``Resolver.read_text`` asks this before
        ``path``: a card or config read needs no temporary file); ``None`` for the rest."""
        _in_time(f"the read of {filename}")
        entry = self._entry(snapshot)
        return entry.files.get(filename) if entry is not None else None

    def read_safetensors_header(self, snapshot: RepoSnapshot, filename: str) -> Any:
        """Range reads of a weights header are the chain's business."""
        _in_time(f"the header of {filename}")
        return self.fallback.header(snapshot, filename)

    def _root(self) -> Path:
        if self._dir is None:
            self._dir = _process_dir()
        return self._dir


_PROCESS_DIR: list[Path] = []


def _process_dir() -> Path:
    """One temporary directory per worker process for carried files (content-addressed)."""
    if not _PROCESS_DIR:
        path = Path(tempfile.mkdtemp(prefix="ailiance-census-"))
        atexit.register(shutil.rmtree, path, True)
        _PROCESS_DIR.append(path)
    return _PROCESS_DIR[0]
