"""Card sync (docs/card-sync.md): write the fact-bearing parts of a model card from the repository's
evidence.

``sync_card(root, options, datasets)`` audits the local repository in ``root`` (the same facts
``ailiance-audit facts`` prints), then regenerates, inside HTML-comment markers, the training
hyperparameter table, the license-chain table, the upstream notices and a training-content
summary skeleton; rewrites the front-matter keys ``base_model``, ``base_model_relation``,
``library_name`` and ``datasets``; and corrects prose that restates a hyperparameter wrongly
(``restated``). Everything else in the card stays byte-identical. What the evidence cannot
establish is written as an explicit gap and listed in ``SyncResult.notes``. The result is
deterministic, so a second sync of a synced card changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.card import MAX_CARD_CHARS
from auditor.errors import UsageError
from auditor.files import write_atomic
from auditor.models import AdapterEvidence, Facts, is_repo_id
from auditor.pipeline import AuditOptions
from auditor.sources.local import inside
from auditor.sync import frontmatter, markers, sections
from auditor.sync.evidence import CARD, facts_of
from auditor.sync.restated import sync_restated

__all__ = ["SyncResult", "desired_keys", "sync_card", "write_card"]

LINEAGE_KEYS = ("base_model", "base_model_relation", "datasets")
_LIBRARY = {"mlx-lm": "mlx", "peft": "peft"}
_SAME_LIBRARY = {"mlx": {"mlx", "mlx-lm", "mlx_lm"}, "peft": {"peft"}}


@dataclass(frozen=True)
class SyncResult:
    """The card before and after sync, and what still needs a person."""

    card: Path
    old: str
    new: str
    notes: tuple[str, ...]
    incomplete: tuple[str, ...] = ()  # what could not be looked at: the new card is partial

    @property
    def changed(self) -> bool:
        """Whether sync would change the card."""
        return self.old != self.new

    def diff(self) -> str:
        """A unified diff of the card (empty when nothing changes)."""

        def lines(text: str) -> list[str]:
            return [ln if ln.endswith("\n") else ln + "\n" for ln in text.splitlines(True)]

        return "".join(
            difflib.unified_diff(lines(self.old), lines(self.new), f"a/{CARD}", f"b/{CARD}")
        )


def _as_list(value: frontmatter.Value | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def desired_keys(
    current: dict[str, frontmatter.Value | None], ev: AdapterEvidence, datasets: Sequence[str]
) -> dict[str, frontmatter.Value]:
    """Front-matter keys to write: only those whose evidence-backed value differs."""
    out: dict[str, frontmatter.Value] = {}
    library = _LIBRARY.get(ev.weights_format or ev.format or "") if ev.present else None
    have = str(current.get("library_name") or "").lower()
    if library and have not in _SAME_LIBRARY[library]:
        out["library_name"] = library
    bases = _as_list(current.get("base_model"))
    base = ev.base_model if ev.present and ev.base_model and not ev.base_model_is_path else None
    if base and is_repo_id(base) and base.lower() not in (b.lower() for b in bases):
        out["base_model"] = [base] if isinstance(current.get("base_model"), list) else base
    relation = None
    if ev.present and ev.fine_tune_type:
        relation = "finetune" if ev.fine_tune_type == "full" else "adapter"
    if relation and (bases or base) and current.get("base_model_relation") != relation:
        out["base_model_relation"] = relation
    declared = _as_list(current.get("datasets"))
    wanted = declared + [d for d in dict.fromkeys(datasets) if d not in declared]
    if wanted != declared:
        out["datasets"] = wanted
    return out


def _front_matter(
    lines: list[str], facts: Facts, datasets: Sequence[str], nl: str
) -> tuple[list[str], list[str], bool]:
    block = frontmatter.locate("".join(lines))
    fm = lines[block.start : block.stop] if block.present else []
    try:
        updates = desired_keys(frontmatter.read(fm), facts.adapter, datasets)
        if not updates:
            return lines, [], False
        new = frontmatter.rewrite(fm, updates, nl)
    except frontmatter.FrontMatterError as exc:
        return lines, [f"front matter: {exc}; its keys were not synced"], False
    if block.present:
        lines = [*lines[: block.start], *new, *lines[block.stop :]]
    else:
        lines = ["---" + nl, *new, "---" + nl, *lines]
    return lines, [], any(k in updates for k in LINEAGE_KEYS)


def read_card(root: Path) -> tuple[Path, bytes | None]:
    """Where the card of ``root`` is written, and its bytes (``None``: no card yet).

    The audit's resolver decides (``sources.local.inside``): a ``README.md`` link to a file
    inside the repo is followed, so sync writes that file; a link out of the repo, a device or
    a FIFO is refused (a usage error) rather than read, echoed in the diff or copied into the
    repo. A card longer than the audit reads (``card.MAX_CARD_CHARS``) is refused too: sync
    never rewrites what the audit did not see, and never spends more than that card's cost.
    """
    given = root / CARD
    path = inside(root, CARD)
    if path is None:
        if given.exists() or given.is_symlink():
            raise UsageError(
                f"card sync: {CARD} is not a regular file inside the repository (a link out of "
                "it, a device or a pipe); it was not read"
            )
        return given, None
    limit = MAX_CARD_CHARS * 4  # UTF-8: at most 4 bytes per character
    with path.open("rb") as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit or len(raw.decode("utf-8", errors="replace")) > MAX_CARD_CHARS:
        raise UsageError(
            f"card sync: {CARD} is longer than the {MAX_CARD_CHARS:,} characters the audit "
            "reads; it was not synced"
        )
    return path, raw


def sync_card(
    root: Path, options: AuditOptions, datasets: Sequence[str] = (), skeleton: bool = False
) -> SyncResult:
    """Sync the card of the repository in ``root``; nothing is written (see :func:`write_card`).

    ``skeleton`` adds the training-content summary template when the card has none.
    """
    path, raw = read_card(root.resolve())
    old = raw.decode("utf-8", errors="surrogateescape") if raw is not None else ""
    facts, gaps = facts_of(root, raw, options)
    lines = frontmatter.split_lines(old)
    nl = markers.newline_of(lines)
    lines, notes, lineage = _front_matter(lines, facts, datasets, nl)
    if lineage:  # the chain must come from the graph the new front matter declares
        facts, gaps = facts_of(
            root, "".join(lines).encode("utf-8", errors="surrogateescape"), options
        )
    for role in sections.ROLES:
        lines, more = sections.place(lines, role, facts, nl, skeleton)
        notes += more
    text, more = sync_restated("".join(lines), facts.adapter, sections.generated_lines(lines))
    notes += more
    if not facts.card.metadata.datasets and not datasets and facts.adapter.present:
        notes.append(
            "datasets: not declared; state them with --dataset ID (repeatable) or in "
            "the front matter (license.lineage-undeclared needs a person)"
        )
    return SyncResult(
        card=path, old=old, new=text, notes=tuple(dict.fromkeys(notes)), incomplete=gaps
    )


def write_card(result: SyncResult) -> None:
    """Write the synced card atomically (temporary file + rename), keeping the file's mode."""
    path = result.card
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    write_atomic(path, result.new.encode("utf-8", errors="surrogateescape"), mode=mode)
