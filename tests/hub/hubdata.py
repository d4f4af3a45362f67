"""Fixture repositories served by the loopback Hub server (tests/hub/server.py).

Repos are loaded from a directory laid out like a mirror (``<org>/<name>/...`` for models,
``datasets/<org>/<name>/...`` for datasets) or added in code. Every commit sha is derived from the
content (sha1 over the sorted file names and git blob ids), so the same files always give the
same sha, on every machine. Extra refs (branches, tags, ``refs/pr/N``) are added in code.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Files the real Hub stores with git-lfs (their ETag is the sha256, and siblings carry `lfs`).
LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".npz", ".parquet")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def git_blob_id(data: bytes) -> str:
    """The git object id of a blob, as the Hub reports it in ``blobId``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(name: str) -> bool:
    """True for files the fixture Hub treats as git-lfs objects."""
    return name.endswith(LFS_SUFFIXES)


def etag_of(name: str, data: bytes) -> str:
    """ETag the Hub sends for a file: sha256 for lfs files, the git blob id otherwise."""
    return hashlib.sha256(data).hexdigest() if is_lfs(name) else git_blob_id(data)


def commit_sha(files: dict[str, bytes]) -> str:
    """Deterministic commit sha for a set of files."""
    digest = hashlib.sha1(b"fixture-commit\0")
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + git_blob_id(files[name]).encode() + b"\n")
    return digest.hexdigest()


def front_matter(readme: bytes | None) -> dict[str, Any]:
    """The YAML front matter of a README; ``{}`` when absent or invalid (like Hub cardData)."""
    if not readme:
        return {}
    text = readme.decode("utf-8", errors="replace")
    match = re.match(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", text, re.S)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Commit:
    """One revision of a repo: its sha and its files."""

    sha: str
    files: dict[str, bytes]


@dataclass
class Repo:
    """A fixture repository with its refs and commits."""

    kind: str
    repo_id: str
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    private: bool = False
    gated: str | bool | None = None  # None: derived from the card (extra_gated_* keys)

    def listing_tags(self) -> set[str]:
        """Tags a Hub listing filter matches: the card's and the derived base_model ones."""
        commit = self.commit("main")
        if commit is None:
            return set()
        card = self.card(commit)
        tags = {str(t) for t in card.get("tags") or [] if isinstance(card.get("tags"), list)}
        bases = card.get("base_model") or []
        relation = card.get("base_model_relation") or (
            "adapter" if "adapter_config.json" in commit.files else "finetune"
        )
        for base in [bases] if isinstance(bases, str) else bases:
            tags |= {f"base_model:{base}", f"base_model:{relation}:{base}"}
        return tags

    def commit(self, revision: str | None) -> Commit | None:
        """The commit a revision names: a ref, a full sha, or a sha prefix of 7+ characters."""
        rev = revision or "main"
        if rev in self.refs:
            return self.commits[self.refs[rev]]
        if rev in self.commits:
            return self.commits[rev]
        if re.fullmatch(r"[0-9a-f]{7,39}", rev):
            hits = [c for sha, c in self.commits.items() if sha.startswith(rev)]
            if len(hits) == 1:
                return hits[0]
        return None

    def card(self, commit: Commit) -> dict[str, Any]:
        """The card data of a commit's README."""
        return front_matter(commit.files.get("README.md"))

    def gated_value(self, commit: Commit) -> str | bool:
        """``False``, ``"auto"`` or ``"manual"``, like the Hub's ``gated`` field."""
        if self.gated is not None:
            return self.gated
        card = self.card(commit)
        declared = card.get("gated")
        if declared in ("auto", "manual"):
            return str(declared)
        if declared is True or any(k.startswith("extra_gated_") for k in card):
            return "auto"
        return False


class HubData:
    """All repos the fixture Hub serves; thread-safe for reads while tests add refs."""

    def __init__(self) -> None:
        self._repos: dict[tuple[str, str], Repo] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_mirror(cls, root: Path) -> HubData:
        """Load every ``<org>/<name>`` and ``datasets/<org>/<name>`` directory under ``root``."""
        data = cls()
        for org in sorted(p for p in root.iterdir() if p.is_dir()):
            kind = "dataset" if org.name == "datasets" else "model"
            orgs = sorted(p for p in org.iterdir() if p.is_dir()) if kind == "dataset" else [org]
            for owner in orgs:
                for repo_dir in sorted(p for p in owner.iterdir() if p.is_dir()):
                    files = {
                        f.relative_to(repo_dir).as_posix(): f.read_bytes()
                        for f in sorted(repo_dir.rglob("*"))
                        if f.is_file() and ".git" not in f.relative_to(repo_dir).parts
                    }
                    data.add_repo(kind, f"{owner.name}/{repo_dir.name}", files)
        return data

    def add_repo(
        self,
        kind: str,
        repo_id: str,
        files: dict[str, bytes],
        *,
        private: bool = False,
        gated: str | bool | None = None,
    ) -> Repo:
        """Add (or replace) a repo whose ``main`` branch holds ``files``."""
        sha = commit_sha(files)
        repo = Repo(kind, repo_id, {"main": sha}, {sha: Commit(sha, dict(files))}, private, gated)
        with self._lock:
            self._repos[(kind, repo_id.lower())] = repo
        return repo

    def add_revision(
        self,
        kind: str,
        repo_id: str,
        ref: str,
        changes: dict[str, bytes | None],
        base: str = "main",
    ) -> str:
        """Create ``ref`` from ``base`` with files changed (``None`` deletes); return its sha."""
        repo = self.get(kind, repo_id)
        if repo is None:
            raise KeyError(f"{kind} {repo_id}")
        parent = repo.commit(base)
        if parent is None:
            raise KeyError(f"{kind} {repo_id}@{base}")
        files = dict(parent.files)
        for name, content in changes.items():
            if content is None:
                files.pop(name, None)
            else:
                files[name] = content
        sha = commit_sha(files)
        with self._lock:
            repo.commits.setdefault(sha, Commit(sha, files))
            repo.refs[ref] = sha
        return sha

    def add_ref(self, kind: str, repo_id: str, ref: str, sha: str) -> None:
        """Point ``ref`` (a branch, tag or ``refs/pr/N``) at an existing commit."""
        repo = self.get(kind, repo_id)
        if repo is None or sha not in repo.commits:
            raise KeyError(f"{kind} {repo_id}@{sha}")
        with self._lock:
            repo.refs[ref] = sha

    def get(self, kind: str, repo_id: str) -> Repo | None:
        """A repo by kind and id (ids are case-insensitive on the Hub)."""
        with self._lock:
            return self._repos.get((kind, repo_id.lower()))

    def listing(self, kind: str, author: str, search: str, tags: list[str]) -> list[Repo]:
        """Repos of a listing (``author``, ``search`` in the id, every tag of ``filter``), by id.

        A repo's tags for filtering are its card's ``tags`` plus those the Hub derives from
        ``base_model``: ``base_model:<id>`` and ``base_model:<relation>:<id>``.
        """
        with self._lock:
            repos = [r for (k, _), r in self._repos.items() if k == kind]
        out = []
        for repo in sorted(repos, key=lambda r: r.repo_id):
            if author and repo.repo_id.split("/")[0].lower() != author.lower():
                continue
            if search and search.lower() not in repo.repo_id.lower():
                continue
            if tags and not set(tags) <= repo.listing_tags():
                continue
            out.append(repo)
        return out

    def by_author(self, kind: str, author: str) -> list[Repo]:
        """Repos of one owner, sorted by id."""
        with self._lock:
            repos = [r for (k, _), r in self._repos.items() if k == kind]
        return sorted(
            (r for r in repos if r.repo_id.split("/")[0].lower() == author.lower()),
            key=lambda r: r.repo_id,
        )
