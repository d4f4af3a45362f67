"""Sources stage: a local directory or git checkout of a model repo, and mirror directories.

A mirror is laid out like the Hub: ``<org>/<name>/`` for models, ``datasets/<org>/<name>/`` for
datasets. Symlinks that leave the repo directory are not followed (untrusted content).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from auditor.errors import UsageError
from auditor.models import RepoKind, RepoSnapshot, is_repo_id
from auditor.sources.listing import list_dir, plain_file

HUB_HOSTS = ("huggingface.co", "hf.co")
MEMO_FOLDERS = 4096  # real paths of mirror repo folders kept by one source


def list_files(root: Path) -> tuple[str, ...]:
    """Sorted POSIX paths of the regular files of ``root`` (see :mod:`auditor.sources.listing`)."""
    return list_dir(root).files


def _git(root: Path, *args: str) -> str | None:
    """stdout of a git command in ``root``, or ``None`` when it fails."""
    import subprocess  # a git checkout only: a mirror's audit never starts a process

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_revision(root: Path) -> str | None:
    """The checked-out commit of a git work tree, or ``None`` when ``root`` is not one."""
    if not (root / ".git").exists():
        return None
    sha = (_git(root, "rev-parse", "HEAD") or "").strip()
    return sha if len(sha) == 40 else None


def git_modified(root: Path) -> bool:
    """Whether the work tree differs from HEAD (changed, staged or untracked-not-ignored files).

    Unknown counts as modified: the report must not claim a commit it cannot vouch for.
    """
    out = _git(root, "status", "--porcelain", "-z", "--untracked-files=normal")
    return out is None or bool(out.strip("\0"))


def remote_repo_id(root: Path) -> tuple[str, RepoKind] | None:
    """``org/name`` (and kind) of the checkout's ``origin`` when it is a Hub repo URL."""
    if not (root / ".git").exists():
        return None
    url = (_git(root, "config", "--get", "remote.origin.url") or "").strip()
    return hub_id_from_url(url)


def checkout_repo_id(repo: Path, subdir: str) -> str | None:
    """The subject id of ``subdir`` of a checkout when audited from an export of a commit: the
    Hub repo of ``origin`` for the checkout's root (as in place), else ``None`` (folder name)."""
    remote = None if subdir not in ("", ".") else remote_repo_id(repo)
    return remote[0] if remote else None


def hub_id_from_url(url: str) -> tuple[str, RepoKind] | None:
    """``https://huggingface.co/[datasets/]org/name[.git]`` or ``git@hf.co:org/name`` → id."""
    hosts = set(HUB_HOSTS)
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "").hostname
    if endpoint:
        hosts.add(endpoint)
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif ":" in url and "@" in url.split(":", 1)[0]:  # scp-like: git@hf.co:org/name
        host, path = url.split(":", 1)[0].split("@", 1)[1], url.split(":", 1)[1]
    else:
        return None
    if host.lower() not in hosts:
        return None
    path = path.strip("/").removesuffix(".git")
    kind = RepoKind.MODEL
    if path.startswith("datasets/"):
        path, kind = path[len("datasets/") :], RepoKind.DATASET
    elif path.startswith(("spaces/", "buckets/")):
        return None
    return (path, kind) if is_repo_id(path) and "/" in path else None


def snapshot_dir(
    root: Path,
    repo_id: str,
    kind: RepoKind,
    origin: Literal["local", "mirror"],
    *,
    location: str | None = None,
    real: Path | None = None,
) -> RepoSnapshot:
    """Snapshot of a directory as a repo (shown as ``location``, default ``root``; ``real``:
    ``root`` already resolved)."""
    revision = git_revision(root)
    listing = list_dir(root, real)
    return RepoSnapshot(
        repo_id=repo_id,
        kind=kind,
        origin="git" if revision and origin == "local" else origin,
        location=str(root) if location is None else location,
        revision=revision,
        files=listing.files,
        modified=bool(revision) and origin == "local" and git_modified(root),
        listing_truncated=listing.reason if listing.truncated else None,
    )


class LocalSource:
    """One directory given on the command line (a plain folder or a git clone)."""

    name = "local"

    def __init__(self, root: Path, repo_id: str | None = None, kind: RepoKind = RepoKind.MODEL):
        self.root = root.resolve()
        remote = None if repo_id else remote_repo_id(self.root)
        # The subject id: given, else the Hub repo the checkout was cloned from, else the folder.
        self.repo_id = repo_id or (remote[0] if remote else self.root.name)
        self.kind = remote[1] if remote else kind

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
        self._real: dict[tuple[str, RepoKind], Path] = {}  # repo folder -> its real path

    def _dir(self, repo_id: str, kind: RepoKind) -> Path:
        prefix = "datasets/" if kind == RepoKind.DATASET else ""
        return self.root / f"{prefix}{repo_id}"

    def _spelling(self, repo_id: str, kind: RepoKind) -> str | None:
        """The mirror's own spelling of ``repo_id``, or ``None`` when it has no such repo: the Hub
        matches repo ids without regard to case (``meta-llama/llama-3.1-8b`` is
        ``meta-llama/Llama-3.1-8B``), so a mirror does too. Only the two folder levels named are
        listed, never a tree."""
        if self._dir(repo_id, kind).is_dir():
            return repo_id
        if repo_id.count("/") != 1:
            return None
        top = self.root / "datasets" if kind == RepoKind.DATASET else self.root
        spelled = []
        for part in repo_id.split("/"):
            try:
                names = [p.name for p in top.iterdir() if p.is_dir()] if top.is_dir() else []
            except OSError:
                return None
            match = next((n for n in sorted(names) if n.lower() == part.lower()), None)
            if match is None:
                return None
            spelled.append(match)
            top = top / match
        return "/".join(spelled)

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """Snapshot of ``<root>/[datasets/]<org>/<name>`` when it exists (any letter case)."""
        if ".." in repo_id.split("/"):
            return None
        spelled = self._spelling(repo_id, kind)
        if spelled is None:
            return None
        root = self._dir(spelled, kind)
        shown = (self.shown / root.relative_to(self.root)).as_posix()
        return snapshot_dir(root, spelled, kind, "mirror", location=shown,
                            real=self._real_dir(spelled, kind))  # fmt: skip

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Path of a file of a mirrored repo (inside the real path of the repo's folder)."""
        return inside(self._real_dir(snapshot.repo_id, snapshot.kind), filename)

    def _real_dir(self, repo_id: str, kind: RepoKind) -> Path:
        """The real path of a repo's folder, resolved once per repo and source. The folder may be
        a link (anywhere: the mirror's layout is the user's); what must not escape is a link
        inside it, which the listing and ``inside`` check at every read."""
        real = self._real.get((repo_id, kind))
        if real is None:
            if len(self._real) >= MEMO_FOLDERS:
                self._real.clear()
            real = self._real[(repo_id, kind)] = self._dir(repo_id, kind).resolve()
        return real


def inside(root: Path, filename: str) -> Path | None:
    """``root/filename`` resolved, when it is a regular file inside ``root`` (links are followed
    only inside it); the one resolver for every file read from or written to a local repo.

    ``root`` is a resolved path. A file reached through plain folders is answered by ``lstat``
    alone (:func:`plain_file`); a link on the way is resolved and must stay inside ``root``.
    """
    plain = plain_file(str(root), filename)
    if plain is not None:
        return root / filename if plain else None
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
