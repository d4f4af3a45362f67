"""Sources stage: repos that other tools put in the Hugging Face cache (``hf download``,
``snapshot_download``, transformers), for offline audits.

Our own cache keeps the Hub's API answers; a cache filled by other tools has only the files, in
the standard ``HF_HUB_CACHE`` layout. :class:`HfCacheIndex` reads that layout with
huggingface_hub's own :func:`~huggingface_hub.scan_cache_dir` (once per run, on the first offline
miss) and gives a record in the shape of our API cache: the sha a ref points to, and the files
present in that snapshot. Such a listing holds only what was downloaded, which the docs say.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from auditor.models import RepoKind

_SHA = re.compile(r"^[0-9a-f]{40}$")


class HfCacheIndex:
    """Snapshots of the HF cache by (kind, repo id): refs and file lists."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._repos: dict[tuple[str, str], list[Any]] | None = None

    def record(self, repo_id: str, kind: RepoKind, revision: str | None) -> dict[str, Any] | None:
        """An API-cache-shaped record of the repo at ``revision`` (default: ``main``)."""
        revisions = self._scan().get((kind.value, repo_id.lower()), [])
        want = revision or "main"
        for rev in sorted(revisions, key=lambda r: r.commit_hash):
            if rev.commit_hash == want or want in rev.refs:
                return _record(repo_id, kind, rev)
        return None

    def _scan(self) -> dict[tuple[str, str], list[Any]]:
        with self._lock:
            if self._repos is None:
                self._repos = _scan(self.root)
            return self._repos


def _scan(root: Path) -> dict[tuple[str, str], list[Any]]:
    from huggingface_hub import scan_cache_dir

    try:
        info = scan_cache_dir(root)
    except Exception:  # CacheNotFound, unreadable folders: no cache is "not cached"
        return {}
    out: dict[tuple[str, str], list[Any]] = {}
    for repo in info.repos:
        out[(repo.repo_type, repo.repo_id.lower())] = list(repo.revisions)
    return out


def _record(repo_id: str, kind: RepoKind, rev: Any) -> dict[str, Any] | None:
    if not _SHA.fullmatch(str(rev.commit_hash)):
        return None
    base = Path(rev.snapshot_path)
    files = []
    for f in rev.files:
        try:
            files.append(Path(f.file_path).relative_to(base).as_posix())
        except ValueError:
            continue
    return {
        "repo_id": repo_id,
        "kind": kind.value,
        "sha": rev.commit_hash,
        "files": sorted(files),
        "sizes": {},
        "gated": False,
        "private": False,
        "card_data": None,
    }
