"""Card sync: render the fact-bearing sections and put each one in its place.

Roles, in card order: ``training`` (hyperparameter table), ``license-chain``, ``notices`` and
``training-summary``. For each role: an existing marked region is regenerated in place (keeping
its shape: with or without its heading); otherwise an unmarked section of the same role is
adopted (``layout.adopt``); otherwise the section is inserted before ``## License``. A role whose
markers are broken, or for which the evidence has nothing to say, is left untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from auditor.models import Facts
from auditor.sync import chain, markers, notices, summary, training, trainlist
from auditor.sync.common import Rendered
from auditor.sync.frontmatter import locate
from auditor.sync.layout import adopt, insertion_point, read_document

ROLES = ("training", "license-chain", "notices", "training-summary")
_HEADING = ("#", "##", "###", "####", "#####", "######")


def _has_summary(facts: Facts) -> bool:
    """The audit already counts a summary (template in the card, statement or summary file)."""
    return (
        facts.card.pst is not None
        or any(s.kind == "training-summary" for s in facts.card.statements)
        or bool(facts.derived.get("summary_files"))
    )


def _body_start(lines: Sequence[str]) -> int:
    block = locate("".join(lines))
    return block.stop + 1 if block.present else 0


def _heading_level(inner: Sequence[str]) -> int | None:
    first = next((ln.strip() for ln in inner if ln.strip()), "")
    hashes = first.split(" ", 1)[0]
    return len(hashes) if hashes in _HEADING else None


def _rows_of(inner: Sequence[str]) -> list[tuple[str, ...]]:
    doc = read_document([ln if ln.endswith("\n") else ln + "\n" for ln in inner], 0)
    return [row.cells for t in doc.tables for row in t.rows]


def _render(
    role: str, facts: Facts, rows: Sequence[Sequence[str]], level: int, dialect: str = "table"
) -> Rendered | None:
    if role == "training" and dialect == "list":
        return trainlist.render_list(facts, [r[0] for r in rows])
    makers: dict[str, Callable[[], Rendered | None]] = {
        "training": lambda: training.render(facts, rows),
        "license-chain": lambda: chain.render(facts, rows),
        "notices": lambda: notices.render(facts),
        "training-summary": lambda: summary.render(facts, level),
    }
    return makers[role]()


def _lines(rendered: Rendered, level: int | None) -> list[str]:
    head = [f"{'#' * level} {rendered.title}", ""] if level else []
    return [*head, *rendered.body, ""]


def place(
    lines: list[str], role: str, facts: Facts, nl: str, skeleton: bool = False
) -> tuple[list[str], list[str]]:
    """Regenerate, adopt or insert one role's section; returns the lines and notes.

    The training-summary skeleton is new text to complete, each of whose gaps the audit reports:
    it is added only when asked for (``skeleton``), so a default sync never makes an audit worse;
    a skeleton already in the card (a marked region) is kept up to date.
    """
    regions, broken = markers.find_regions(lines)
    if role in broken:
        return lines, [f"{role}: markers are broken ({broken[role]}); left as it is"]
    start = _body_start(lines)
    if role == "training-summary" and role not in regions and not skeleton:
        if _has_summary(facts):
            return lines, [
                "training-summary: the card already has or links a training-content "
                "summary; no skeleton generated"
            ]
        return lines, [
            "training-summary: the card has no public summary of training content; "
            "--summary-skeleton adds the AI Office template for you to complete"
        ]
    if role == "training-summary" and role not in regions and _has_summary(facts):
        return lines, [
            "training-summary: the card already has or links a training-content "
            "summary; no skeleton generated"
        ]
    if role in regions:
        region = regions[role]
        inner = region.inner(lines)
        level = _heading_level(inner)
        if role == "training" and trainlist.is_list(inner):
            raw = [(ln.rstrip("\r\n"),) for ln in inner if ln.strip()]
            rendered = _render(role, facts, raw, level or 2, "list")
        else:
            rendered = _render(role, facts, _rows_of(inner), level or 2)
        if rendered is None:
            return lines, [f"{role}: nothing to generate from the evidence; left as it is"]
        new = markers.block(role, _lines(rendered, level), nl)
        return markers.replace(lines, region.start, region.stop + 1, new), list(rendered.gaps)
    visible = markers.masked(lines)
    span = adopt(role, visible, start) if role in ("training", "license-chain") else None
    at, level = (span.start, span.level) if span else insertion_point(visible, start)
    if role == "license-chain" and span is None and not facts.upstream:
        return lines, []  # a chain of one repository says nothing the front matter does not
    rendered = _render(
        role, facts, span.rows if span else (), level, span.dialect if span else "table"
    )
    if rendered is None:
        return lines, []
    if span is not None:
        new = markers.block(role, _lines(rendered, level if span.whole else None), nl)
        return markers.replace(lines, span.start, span.stop, new), list(rendered.gaps)
    new = markers.block(role, _lines(rendered, level), nl)
    return markers.insert(lines, at, new, nl), list(rendered.gaps)


def generated_lines(lines: Sequence[str]) -> set[int]:
    """1-based numbers of the lines inside marked block regions."""
    regions, _ = markers.find_regions(lines)
    return {i + 1 for r in regions.values() for i in range(r.start, r.stop + 1)}
