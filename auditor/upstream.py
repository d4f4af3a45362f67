"""Pipeline helpers: the per-run memo of upstream repos the graph walk and the verify stage
read (card text, claims, base configs), which also records what the audit could not look at,
and the hint for a model id that is a dataset. Used by ``auditor/pipeline.py`` only."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from auditor.card import parse_card
from auditor.errors import TargetError
from auditor.graph import Upstream
from auditor.models import CardClaims, RepoKind, RepoSnapshot, Target
from auditor.sources.base import Resolver

MAX_CONFIG_BYTES = 1 << 20
MEMO_CARD_CHARS = 128 << 10  # upstream cards up to this size are parsed once per process
MEMO_CARDS = 256  # ... and this many are kept: at most 32 MB of card text held
_T = TypeVar("_T")


@functools.lru_cache(maxsize=MEMO_CARDS)
def _parse_memo(text: str) -> CardClaims:
    return parse_card(text)


def parse_upstream_card(text: str) -> CardClaims:
    """``parse_card`` of an upstream card, memoised by its text across targets.

    The same few bases and datasets sit under most adapters: a run auditing many of them (the
    census's batches grouped by base, ``--author``) would parse the same base card once per
    adapter. Claims are frozen, so sharing one parse is safe; large cards are not kept.
    """
    return _parse_memo(text) if len(text) <= MEMO_CARD_CHARS else parse_card(text)


class UpstreamRepos:
    """Per-run memo of resolved upstream repos (card text and claims), safe across threads."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.texts: dict[tuple[str, RepoKind], str | None] = {}
        self.snapshots: dict[tuple[str, RepoKind], RepoSnapshot] = {}
        self.configs: dict[str, dict[str, Any] | None] = {}
        # What the audit could not look at (network, access, offline miss): it is incomplete.
        self.incomplete: list[str] = []
        self._lock = threading.Lock()

    def could_not_look(self, what: str) -> None:
        """Record that the audit could not look at something it needed."""
        with self._lock:
            self.incomplete.append(what)

    def watched(self, read: Callable[[str], _T]) -> Callable[[str], _T]:
        """``read``, recording a could-not-look failure before the caller (verify) turns it
        into a problem record: a weights file the Hub would not give leaves a gap."""

        def run(name: str) -> _T:
            try:
                return read(name)
            except TargetError as exc:
                if exc.could_not_look:
                    self.could_not_look(str(exc))
                raise

        return run

    def lookup(self, repo_id: str, kind: RepoKind) -> Upstream:
        """The graph walk's lookup: the repo's snapshot and parsed card, or why not."""
        try:
            snap = self.resolver.resolve(repo_id, kind)
            text = self.resolver.read_text(snap, "README.md")
        except TargetError as exc:  # an upstream-unknown node; could-not-look leaves a gap
            if exc.could_not_look:
                self.could_not_look(str(exc))
            return Upstream(snapshot=None, claims=None, reason=str(exc))
        except Exception as exc:  # the walk turns it into an unresolved node: still a gap
            self.could_not_look(f"{kind.value} {repo_id!r}: lookup failed ({type(exc).__name__})")
            raise
        with self._lock:
            self.texts[(repo_id, kind)] = text
            self.snapshots[(repo_id, kind)] = snap
        claims = parse_upstream_card(text) if text is not None else None
        return Upstream(snapshot=snap, claims=claims, reason=None)

    def config(self, repo_id: str) -> dict[str, Any] | None:
        """The base's ``config.json`` (read once per run: verify and compute both need it)."""
        if repo_id not in self.configs:
            self.configs[repo_id] = self._read_config(repo_id)
        return self.configs[repo_id]

    def _read_config(self, repo_id: str) -> dict[str, Any] | None:
        try:
            snap = self.snapshots.get((repo_id, RepoKind.MODEL))
            if snap is None:
                snap = self.resolver.resolve(repo_id, RepoKind.MODEL)
            text = self.resolver.read_text(snap, "config.json", limit=MAX_CONFIG_BYTES)
            data = json.loads(text) if text else None
        except TargetError as exc:
            if exc.could_not_look:  # the same text as the walk's for the same repo: kept once
                self.could_not_look(str(exc))
            return None
        except (ValueError, RecursionError):  # a hostile config is "no config"
            return None
        return data if isinstance(data, dict) else None


def dataset_hint(target: Target, resolver: Resolver) -> str:
    """A model id not found: say whether a dataset has it (``datasets/`` was left out)."""
    assert target.repo_id is not None
    try:
        resolver.resolve(target.repo_id, RepoKind.DATASET, target.revision)
    except TargetError:
        return f"if it is a dataset, write datasets/{target.repo_id}"
    return f"a dataset {target.repo_id!r} exists: to audit it, write datasets/{target.repo_id}"
