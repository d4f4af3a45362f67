"""Card sync: the facts document of a local repository, as it is or with a candidate card.

Sync needs the facts twice when it changes the lineage keys of the front matter (``datasets:``,
``base_model``): the chain table must come from the graph the *new* card declares (the dataset
cards it names). Rather than touch the user's directory, the pipeline reads the candidate card
through a source that serves the directory's files with ``README.md`` swapped for a temporary
copy. The repository is still audited by ``pipeline.facts_for`` exactly as the CLI audits it;
mirrors and the Hub answer for the upstream repositories as configured.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import replace
from pathlib import Path

from auditor.models import Facts, RepoKind, RepoSnapshot, Target
from auditor.pipeline import AuditOptions, facts_for
from auditor.sources.base import Source
from auditor.sources.local import LocalSource, MirrorSource

CARD = "README.md"


class CardOverlay(LocalSource):
    """A local directory whose ``README.md`` is read from another file (or is absent)."""

    def __init__(self, root: Path, card: Path | None) -> None:
        super().__init__(root, kind=RepoKind.MODEL)
        self.card = card

    def snapshot(self) -> RepoSnapshot:
        """The directory's snapshot, listing ``README.md`` exactly when the overlay has one."""
        snap = super().snapshot()
        files = [f for f in snap.files if f != CARD]
        if self.card is not None:
            files.append(CARD)
        return replace(snap, files=tuple(sorted(files)))

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """The overlay card for ``README.md``, the directory's own file otherwise."""
        if filename == CARD:
            return self.card
        return super().path(snapshot, filename)


def facts_of(
    root: Path, card: bytes | None, options: AuditOptions
) -> tuple[Facts, tuple[str, ...]]:
    """The facts of the repository in ``root`` with ``card`` as its README (None: no card), and
    what could not be looked at (a card written from them would state a partial chain)."""
    with tempfile.TemporaryDirectory(prefix="ailiance-sync-") as tmp:
        path = None
        if card is not None:
            path = Path(tmp) / CARD
            path.write_bytes(card)
        overlay = CardOverlay(root, path)
        # The overlay answers first for the subject; mirrors keep their order behind it.
        sources: list[Source] = [overlay, *(MirrorSource(Path(m)) for m in options.mirrors)]
        sources += options.extra_sources
        opts = dataclasses.replace(options, mirrors=(), extra_sources=sources)
        target = Target(spec=str(root), repo_id=overlay.repo_id, kind=RepoKind.MODEL)
        return facts_for(target, opts)
