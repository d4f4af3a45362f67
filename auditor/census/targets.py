"""Enumerate a census: the repos named by a file, owned by Hub authors, held by a mirror, or
returned by a Hub listing (search text, tag filters such as ``base_model:adapter:<id>``).

``--from-file`` and plain ``--author`` go through the audit command's own expansion
(``auditor.targets.expand_targets``: same parsing, same cached author listing offline); the
filtered listing uses the same Hub source and its error handling. Specs come back in a
deterministic order without duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.errors import UsageError
from auditor.targets import expand_targets


def from_file_specs(path: str, offline: bool) -> list[str]:
    """The targets of a file, one per line (``#`` comments), as the audit command reads it."""
    return [t.spec for t in expand_targets([], from_file=path, offline=offline)]


def from_author(author: str, offline: bool, mirrors: list[str]) -> list[str]:
    """Every model repo of ``author`` (``ailiance-audit --author``), from the mirrors first."""
    targets = expand_targets([], author=author, mirrors=mirrors, offline=offline)
    return [t.spec for t in targets]


def from_mirror(root: Path) -> list[str]:
    """Every model repo of a mirror (``<org>/<name>`` folders; datasets are upstream only)."""
    if not root.is_dir():
        raise UsageError(f"--mirror {root}: no such directory")
    return sorted(
        f"{org.name}/{repo.name}"
        for org in root.iterdir()
        if org.is_dir() and org.name != "datasets" and not org.name.startswith(".")
        for repo in org.iterdir()
        if repo.is_dir() and not repo.name.startswith(".")
    )


def from_listing(
    search: str | None, tags: Sequence[str], authors: Sequence[str], limit: int | None,
    offline: bool,
) -> list[str]:  # fmt: skip
    """Model repos of a Hub listing: ``search`` text, every tag in ``tags``, per author."""
    from auditor.sources.hub import HubSource

    source = HubSource(offline=offline)
    if source.offline:
        raise UsageError("a Hub listing (--search, --filter) needs the network (offline is on)")
    out: list[str] = []
    owners: list[str | None] = [*authors] or [None]
    for author in owners:
        kwargs: dict[str, Any] = {
            "search": search,
            "filter": list(tags) or None,
            "author": author,
            "limit": limit,
        }
        subject = source.make_subject(f"models matching {kwargs!r}", f"{source.endpoint}/models")

        def listing(kw: dict[str, Any] = kwargs) -> list[Any]:
            return list(source.api.list_models(**kw, token=source.token_arg))

        out.extend(str(item.id) for item in source.call(listing, subject))
    return out


def enumerate_targets(
    from_file: str | None = None,
    search: str | None = None,
    tags: Sequence[str] = (),
    authors: Sequence[str] = (),
    limit: int | None = None,
    mirrors: Sequence[str] = (),
    offline: bool = False,
) -> list[str]:
    """All census subjects the options name, first occurrence kept."""
    specs: list[str] = []
    if from_file:
        specs += from_file_specs(from_file, offline)
    if search or tags:
        specs += from_listing(search, tags, authors, limit, offline)
    else:
        for author in authors:
            specs += from_author(author, offline, list(mirrors))
    if not (from_file or authors or search or tags):
        for mirror in mirrors:  # no other selection: the census is the mirrors' repos
            specs += from_mirror(Path(mirror))
    specs = list(dict.fromkeys(specs))
    if limit is not None:
        specs = specs[:limit]
    return specs
