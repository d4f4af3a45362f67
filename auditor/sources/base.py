"""Sources stage: the interface every repository source implements, and the resolver chain.

A source turns a repo id into a :class:`RepoSnapshot` (pinned to a revision where it can) and
gives local paths to the files the later stages read. The resolver tries sources in order
(mirrors, local HF cache, Hub) and remembers which one answered, so file reads go back to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from auditor.errors import TargetError, UsageError
from auditor.files import read_capped
from auditor.models import RepoKind, RepoSnapshot, Target, is_repo_id

# The files the audit reads. Weights are fetched only on demand by the verify stage.
METADATA_FILES = ("README.md", "adapter_config.json", "config.json", ".ailiance-audit.yaml")


class Source(Protocol):
    """A place repositories can be read from."""

    name: str

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """Return the snapshot, ``None`` when this source does not have the repo.

        Raise :class:`TargetError` when the source has it but cannot serve it (gated, network).
        """
        ...

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Local path of ``filename`` in the snapshot (fetching it if needed), or ``None``."""
        ...


def parse_target(spec: str, revision: str | None = None) -> Target:
    """Classify a target: an existing directory, ``datasets/org/name`` or ``org/name``."""
    path = Path(spec)
    if spec.startswith((".", "/", "~")) or path.is_dir():
        resolved = path.expanduser()
        if not resolved.is_dir():
            raise UsageError(f"target {spec!r}: no such directory")
        return Target(spec=spec, path=str(resolved.resolve()), repo_id=None, revision=revision)
    kind = RepoKind.MODEL
    repo_id = spec
    for prefix, k in (("datasets/", RepoKind.DATASET), ("models/", RepoKind.MODEL)):
        if spec.startswith(prefix):
            repo_id, kind = spec[len(prefix) :], k
    if is_repo_id(repo_id) and "/" not in repo_id:
        raise UsageError(
            f"target {spec!r} is not a repo: a Hub repo is org/name (canonical models too, e.g. "
            f"openai-community/gpt2); to audit every model of an organisation use "
            f"--author {spec}"
        )
    if not is_repo_id(repo_id):
        raise UsageError(f"target {spec!r} is neither a directory nor a Hub id like org/name")
    return Target(spec=spec, repo_id=repo_id, kind=kind, revision=revision)


class Resolver:
    """Tries sources in order; the first that has a repo serves it and its files."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self._owner: dict[tuple[str, RepoKind], Source] = {}

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None = None) -> RepoSnapshot:
        """Resolve through the chain; raise :class:`TargetError` when no source has it."""
        for source in self.sources:
            snap = source.resolve(repo_id, kind, revision)
            if snap is not None:
                self._owner[(snap.repo_id, snap.kind)] = source
                return snap
        where = ", ".join(s.name for s in self.sources) or "no source"
        raise TargetError(f"{kind.value} {repo_id!r} not found (looked in: {where})")

    def register(self, snapshot: RepoSnapshot, source: Source) -> None:
        """Record that ``source`` serves ``snapshot`` (for targets resolved outside the chain)."""
        self._owner[(snapshot.repo_id, snapshot.kind)] = source

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Local path of a file of a snapshot this resolver produced.

        Asked of the source by path: a directory's listing may be partial (capped), and a file
        the audit needs is never called missing because a listing stopped early.
        """
        source = self._owner.get((snapshot.repo_id, snapshot.kind))
        return source.path(snapshot, filename) if source else None

    def header(self, snapshot: RepoSnapshot, filename: str) -> dict[str, Any] | None:
        """A safetensors header read remotely (HTTP range requests) when the source can do it.

        ``None`` means "read the file instead": local and mirror sources have no cheaper path.
        """
        source = self._owner.get((snapshot.repo_id, snapshot.kind))
        reader = getattr(source, "read_safetensors_header", None)
        if reader is None or filename not in snapshot.files:
            return None
        result = reader(snapshot, filename)
        return result if isinstance(result, dict) else None

    def read_text(self, snapshot: RepoSnapshot, filename: str, limit: int = 8 << 20) -> str | None:
        """Text of a file (decoded leniently, capped at ``limit`` bytes), or ``None``.

        A file that is there but cannot be read (mode 000, an I/O error) is a :class:`TargetError`:
        the audit of its repo is incomplete, which is never the same as the file being absent.
        A source that holds files in memory (``read_held``: the census's upstream table) gives
        them without a round trip through the disk.
        """
        source = self._owner.get((snapshot.repo_id, snapshot.kind))
        held = getattr(source, "read_held", None)
        data = held(snapshot, filename) if held is not None else None
        if isinstance(data, bytes):
            return data[:limit].decode("utf-8", errors="replace")
        path = self.path(snapshot, filename)
        if path is None:
            return None
        try:
            with path.open("rb") as fh:
                data = read_capped(fh, limit)
        except OSError as exc:
            raise TargetError(
                f"{filename}: cannot read it ({exc.strerror or exc})", reason="unreadable"
            ) from None
        return data.decode("utf-8", errors="replace")
