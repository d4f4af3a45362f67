"""The plan of a census run: which subjects to audit, in which batches, with which upstream.

Pure functions over small records (no I/O): skip what the output already holds, compute the next
level of the upstream closure, and cut audit batches grouped by base so that a batch needs only
its base's slice of the upstream table (and, with ``--verify load``, one base skeleton).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeVar

from auditor.census.closure import Entry, Key
from auditor.census.tasks import Scanned
from auditor.models import RepoKind

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` cut into lists of at most ``size``."""
    size = max(1, size)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def todo(scanned: Iterable[Scanned], done: set[tuple[str, str | None]]) -> list[Scanned]:
    """Subjects whose (id, sha) is not in the output yet, each once."""
    out: dict[str, Scanned] = {}
    for item in scanned:
        if (item.key, item.sha) not in done and item.key not in out:
            out[item.key] = item
    return list(out.values())


def next_level(frontier: Iterable[Key], table: dict[Key, Entry]) -> list[Key]:
    """Distinct upstream repos referenced by ``frontier`` that the table does not hold yet."""
    return sorted(dict.fromkeys(k for k in frontier if k not in table), key=_order)


def refs_of_entries(keys: Iterable[Key], table: dict[Key, Entry]) -> list[Key]:
    """The references of the given table entries (the next level of the walk)."""
    return [ref for key in keys if key in table for ref in table[key].refs]


def _order(key: Key) -> tuple[str, str]:
    return (key[1].value, key[0])


def base_of(item: Scanned) -> str:
    """The grouping key: the first model the card builds on, or "" (no base)."""
    return next((rid for rid, kind in item.refs if kind == RepoKind.MODEL), "")


def batches(items: Sequence[Scanned], size: int, *, pack: bool = True) -> list[list[Scanned]]:
    """Batches of at most ``size`` subjects, each cut from one base's group where possible.

    Groups are ordered by base, subjects by id, and small groups are packed together so a long
    tail of rare bases does not become thousands of tiny tasks. With ``pack=False`` (``--verify
    load``) a batch never mixes bases: each batch builds its base's mlx skeleton once, which
    costs more than a task.
    """
    groups: dict[str, list[Scanned]] = defaultdict(list)
    for item in items:
        groups[base_of(item)].append(item)
    out: list[list[Scanned]] = []
    current: list[Scanned] = []
    for base in sorted(groups):
        members = sorted(groups[base], key=lambda s: s.key)
        for part in chunks(members, size):
            if not pack or len(part) == size:
                out.append(part)
            elif len(current) + len(part) <= size:
                current.extend(part)
            else:
                out.append(current)
                current = list(part)
    if current:
        out.append(current)
    return out


def batch_name(batch: Sequence[Scanned]) -> str:
    """A stable partition name: the same repos at the same revisions give the same name."""
    digest = hashlib.sha1()
    for item in sorted(batch, key=lambda s: s.key):
        digest.update(f"{item.key}\0{item.sha}\n".encode())
    return f"part-{digest.hexdigest()[:20]}"
