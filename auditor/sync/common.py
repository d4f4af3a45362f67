"""Card sync: what every generated section shares (the section type, gap marker, escaping).

Generated text is read back by the audit's own card parser, so its wording is chosen with that
parser in mind ("never invent a fact", docs/card-sync.md): a gap is written as a bold label on one
line and the placeholder on the next, so the parser sees an *empty* field and the policy still
reports it; no sentence says "this repository" next to a license name (which the parser would take
as the repo's own license); "notice" is written in lower case except in the notice lines themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.formats.escape import md_code, md_text

GAP = "TO BE COMPLETED BY THE PROVIDER"
"""The placeholder for what the evidence cannot establish."""


@dataclass(frozen=True)
class Rendered:
    """A generated section: its marker role, heading title, body lines and the human gaps."""

    role: str
    title: str
    body: tuple[str, ...]
    gaps: tuple[str, ...] = ()


def gap_field(label: str, hint: str = "") -> list[str]:
    """A field a person must fill: its label, then the placeholder on the next line.

    On two lines, the card parser sees a label with no value: the field counts as missing.
    """
    tail = f" ({hint})" if hint else ""
    return [f"- **{label}:**", f"  _{GAP}_{tail}"]


def filled_field(label: str, value: str) -> list[str]:
    """A field the evidence fills: one line, so the parser reads label and value together."""
    return [f"- **{label}:** {value}"]


def number(value: float | int) -> str:
    """A number as a card shows it: ints plain, integral floats with ``.0``, others ``%g``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    return f"{value:.6g}"


def grouped(value: int) -> str:
    """An integer with thousands separators (``819,200``)."""
    return f"{value:,}"


def code(text: object) -> str:
    """Untrusted text (an id from a card) as an inert code span, safe in a table cell."""
    return md_code(text, table=True, limit=120) or "—"


def text(value: object, limit: int = 200) -> str:
    """Untrusted text as inert inline Markdown."""
    return md_text(value, limit)


def cell(value: str) -> str:
    """A table cell from generated text (pipes escaped)."""
    return value.replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GFM pipe table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def hub_link(repo_id: str, dataset: bool = False) -> str | None:
    """An autolink to a repo's Hub page, only for ids shaped like Hub ids."""
    from auditor.formats.common import HUB, hub_repo_id

    rid = hub_repo_id(repo_id)
    if rid is None:
        return None
    return f"<{HUB}/datasets/{rid}>" if dataset else f"<{HUB}/{rid}>"
