"""Enumerate a census: the repos named by a file, owned by Hub authors, held by a mirror, or
returned by a Hub listing (search text, tag filters such as ``base_model:adapter:<id>``).

``--from-file`` and plain ``--author`` go through the audit command's own expansion
(``auditor.output.expand_targets``: same parsing, same cached author listing offline); the
filtered listing uses the same Hub source and its error handling. Specs come back in a
deterministic order without duplicates.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.errors import UsageError
from auditor.output import expand_targets


def from_file(path: str, offline: bool) -> list[str]:
    """The targets of a file, one per line (``#`` comments), as the audit command reads it."""
    args = argparse.Namespace(targets=[], from_file=path, author=None, filter=None,
                              offline=offline, revision=None, mirror=[])  # fmt: skip
    return [t.spec for t in expand_targets(args)]


def from_author(author: str, offline: bool, mirrors: list[str]) -> list[str]:
    """Every model repo of ``author`` (``ailiance-audit --author``), from the mirrors first."""
    args = argparse.Namespace(targets=[], from_file=None, author=author, filter=None,
                              offline=offline, revision=None, mirror=mirrors)  # fmt: skip
    return [t.spec for t in expand_targets(args)]


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


def enumerate_targets(args: argparse.Namespace) -> list[str]:
    """All census subjects the options name, first occurrence kept."""
    specs: list[str] = []
    offline = bool(args.offline)
    if args.from_file:
        specs += from_file(args.from_file, offline)
    if args.search or args.filter:
        specs += from_listing(args.search, args.filter, args.author, args.limit, offline)
    else:
        for author in args.author:
            specs += from_author(author, offline, list(args.mirror))
    if not (args.from_file or args.author or args.search or args.filter):
        for mirror in args.mirror:  # no other selection: the census is the mirrors' repos
            specs += from_mirror(Path(mirror))
    specs = list(dict.fromkeys(specs))
    if args.limit is not None:
        specs = specs[: args.limit]
    return specs
