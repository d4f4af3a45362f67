"""Sources stage: a local directory or git checkout of a model repo, and mirror directories.

A mirror is laid out like the Hub: ``<org>/<name>/`` for models, ``datasets/<org>/<name>/`` for
datasets. Symlinks that leave the repo directory are not followed (untrusted content).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Literal

from auditor.errors import UsageError
from auditor.models import RepoKind, RepoSnapshot

MAX_FILES = 10_000


def list_files(root: Path) -> tuple[str, ...]:
    """Sorted POSIX paths of regular files under ``root``, skipping VCS folders and escapes."""
    out: list[str] = []
    base = root.resolve()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in (".git", ".hg", ".svn"):
            continue
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
            continue
        if not real.is_relative_to(base) or not real.is_file():
            continue
        out.append(rel.as_posix())
        if len(out) >= MAX_FILES:
            break
    return tuple(out)


def git_revision(root: Path) -> str | None:
    """The checked-out commit of a git work tree, or ``None`` when ``root`` is not one."""
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) == 40 else None


def snapshot_dir(
    root: Path, repo_id: str, kind: RepoKind, origin: Literal["local", "mirror"]
) -> RepoSnapshot:
    """Snapshot of a directory as a repo."""
    revision = git_revision(root)
    return RepoSnapshot(
        repo_id=repo_id,
        kind=kind,
        origin="git" if revision and origin == "local" else origin,
        location=str(root),
        revision=revision,
        files=list_files(root),
    )


class LocalSource:
    """One directory given on the command line (a plain folder or a git clone)."""

    name = "local"

    def __init__(self, root: Path, repo_id: str | None = None, kind: RepoKind = RepoKind.MODEL):
        self.root = root.resolve()
        self.repo_id = repo_id or self.root.name
        self.kind = kind

    def snapshot(self) -> RepoSnapshot:
        """The snapshot of the directory."""
        return snapshot_dir(self.root, self.repo_id, self.kind, "local")

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """Only answers for its own repo id."""
        if repo_id == self.repo_id and kind == self.kind:
            return self.snapshot()
        return None

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Path inside the directory, refusing anything that escapes it."""
        return inside(self.root, filename)


class MirrorSource:
    """A directory tree laid out like the Hub."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.shown = root  # reports show the path as the user gave it (stable across machines)
        self.name = f"mirror {root}"

    def _dir(self, repo_id: str, kind: RepoKind) -> Path:
        prefix = "datasets/" if kind == RepoKind.DATASET else ""
        return self.root / f"{prefix}{repo_id}"

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """Snapshot of ``<root>/[datasets/]<org>/<name>`` when it exists."""
        if ".." in repo_id.split("/"):
            return None
        root = self._dir(repo_id, kind)
        if not root.is_dir():
            return None
        snap = snapshot_dir(root, repo_id, kind, "mirror")
        prefix = "datasets/" if kind == RepoKind.DATASET else ""
        return snap.model_copy(update={"location": (self.shown / f"{prefix}{repo_id}").as_posix()})

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Path of a file of a mirrored repo."""
        return inside(self._dir(snapshot.repo_id, snapshot.kind).resolve(), filename)


def inside(root: Path, filename: str) -> Path | None:
    """``root/filename`` resolved, when it is a regular file inside ``root`` (links are followed
    only inside it); the one resolver for every file read from or written to a local repo."""
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def one_state(where: str, revision: str | None) -> None:
    """Refuse a revision for a local folder or a mirror (one state, no revisions): auditing
    what is on disk instead would be a silent no-op."""
    if revision:
        raise UsageError(
            f"revision {revision!r} asked for {where}, a local folder or mirror with one state and "
            "no revisions (--revision and --baseline REF need a Hub target or a git checkout: "
            "check the revision out first)"
        )
    return None
