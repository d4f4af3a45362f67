"""Sources stage: the listing of an owner's Hub repos (``--author``), recorded for offline runs."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from auditor.models import RepoKind
from auditor.sources.hub_errors import offline_refusal

if TYPE_CHECKING:
    from auditor.sources.hub import HubSource


def list_author(source: HubSource, author: str, kind: RepoKind, pattern: str | None) -> list[str]:
    """Ids of ``author``'s repos (offline: the last listing we recorded), optionally filtered."""
    repos = source.meta.get_listing(kind, author) if source.offline else None
    if source.offline and repos is None:
        raise offline_refusal(f"{kind.value}s of {author!r}", "no cached listing")
    if repos is None:
        lister = source.api.list_models if kind == RepoKind.MODEL else source.api.list_datasets
        subject = source.make_subject(f"{kind.value}s of {author!r}", f"{source.endpoint}/{author}")
        items: list[Any] = source.call(
            lambda: list(lister(author=author, token=source.token_arg)), subject
        )
        repos = [{"id": item.id, "tags": sorted(str(t) for t in item.tags or [])} for item in items]
        source.meta.put_listing(kind, author, repos)
    ids = []
    for repo in repos:
        repo_id = str(repo.get("id", ""))
        names = [repo_id, repo_id.split("/")[-1], *(str(t) for t in repo.get("tags", []))]
        if pattern is None or any(fnmatch.fnmatchcase(n, pattern) for n in names):
            ids.append(repo_id)
    return sorted(ids)
