"""Card sync: where a generated section goes when the card has no marked region for it yet.

The first sync adopts an existing *unmarked* section of the same role: the hyperparameter
table under a training heading (the push-v2 ``## Training`` table) and the ``License chain``
table. When that section holds nothing but the table (and at most one short rationale line, the
push-v2 shape), the whole section, heading included, becomes the marked region; otherwise only the
table is replaced and the person's heading and prose stay. A section with no recognisable table
is not adopted: the generated section is inserted before the card's ``## License`` (or
``Citation``/``Related``) heading, or at the end.

Blocks come from the card stage's own Markdown reader (``auditor.card.document``), so fenced code
and comments are skipped exactly as the audit skips them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.card.document import Block, Document, Heading, Table, parse_blocks
from auditor.card.tables import is_chain_table
from auditor.card.text import clean, split_field
from auditor.card.values import canonical, label_key

TRAINING_TITLES = frozenset(
    {
        "training",
        "training hyperparameters",
        "hyperparameters",
        "training details",
        "training configuration",
        "training config",
        "training setup",
        "training parameters",
        "training procedure",
        "fine tuning",
        "fine tuning details",
        "lora configuration",
    }
)
INSERT_BEFORE = ("license", "licence", "licensing", "license information", "citation", "related")
_MAX_RATIONALE_LINES = 2


@dataclass(frozen=True)
class Span:
    """Lines ``[start, stop)`` (0-based) of a card to replace, and what they hold."""

    start: int
    stop: int
    whole: bool  # the heading is part of the span (the section becomes generated)
    level: int  # heading level of the section
    rows: tuple[tuple[str, ...], ...] = ()  # the adopted table's rows (cells), for carry-over
    # "table", or "list": the Trainer's "- learning_rate: 2e-05" bullets (rows: one raw line each)
    dialect: str = "table"


def read_document(lines: Sequence[str], body_start: int) -> Document:
    """The Markdown blocks of the body, with 1-based line numbers of the whole file."""
    return parse_blocks([(i + 1, lines[i].rstrip("\r\n")) for i in range(body_start, len(lines))])


def table_start(table: Table) -> int:
    """0-based index of a table's first line (its header when it has one)."""
    first = table.rows[0].line if table.rows else table.line
    return first - (3 if table.header is not None else 1)


def _is_hyper_table(table: Table) -> bool:
    labels = [canonical(clean(row.cells[0])) for row in table.rows if row.cells]
    return sum(1 for name in labels if name) >= 2


def _section(doc: Document, heading: Heading, total: int) -> tuple[int, int]:
    """0-based ``[heading, stop)`` of a heading's section, trailing blank lines excluded."""
    later = [h.line for h in doc.headings if h.line > heading.line and h.level <= heading.level]
    stop = (later[0] - 1) if later else total
    return heading.line - 1, stop


def _trim(lines: Sequence[str], start: int, stop: int) -> int:
    while stop > start + 1 and not lines[stop - 1].strip():
        stop -= 1
    return stop


def _only_table(doc: Document, table: Table, start: int, stop: int) -> bool:
    """The push-v2 shape: no sub-heading, no other table, at most one short paragraph."""
    inside = range(start + 2, stop + 1)  # 1-based lines after the heading
    if any(h.line in inside for h in doc.headings):
        return False
    if any(t is not table and t.rows and t.rows[0].line in inside for t in doc.tables):
        return False
    blocks = [b for b in doc.blocks if b.lines and b.lines[0][0] in inside]
    return len(blocks) <= 1 and all(len(b.lines) <= _MAX_RATIONALE_LINES for b in blocks)


def adopt(role: str, lines: Sequence[str], body_start: int) -> Span | None:
    """The unmarked section (or table) of ``role`` to replace on a first sync, if any."""
    doc = read_document(lines, body_start)
    for table in doc.tables:
        if not table.path or not table.rows:
            continue
        heading = table.path[-1]
        title = label_key(clean(heading.title))
        if role == "training":
            fits = title in TRAINING_TITLES and _is_hyper_table(table)
        elif role == "license-chain":
            fits = is_chain_table(table)
        else:
            fits = False
        if not fits:
            continue
        rows = tuple(row.cells for row in table.rows)
        start, stop = _section(doc, heading, len(lines))
        stop = _trim(lines, start, stop)
        if _only_table(doc, table, start, stop):
            return Span(start, stop, True, heading.level, rows)
        first = table_start(table)
        return Span(first, table.rows[-1].line, False, heading.level, rows)
    found = hyper_list(doc) if role == "training" else None
    if found is None:
        return None
    first, last, level = found
    raw = tuple((lines[i].rstrip("\r\n"),) for i in range(first - 1, last))
    return Span(first - 1, last, False, level, raw, dialect="list")


def hyper_list(doc: Document) -> tuple[int, int, int] | None:
    """The first run of "- key: value" bullets under a training heading that names at least
    two known hyperparameters (the Hugging Face Trainer's card): 1-based first and last line,
    and the heading level."""
    runs: list[list[Block]] = []
    for block in filter(_hyper_bullet, doc.blocks):
        last = runs[-1][-1] if runs else None
        if last and block.path == last.path and block.lines[0][0] == last.lines[-1][0] + 1:
            runs[-1].append(block)
        else:
            runs.append([block])
    for run in runs:
        if len(run) >= 2 and sum(1 for b in run if canonical(_field(b)[0])) >= 2:
            return run[0].lines[0][0], run[-1].lines[-1][0], run[0].path[-1].level
    return None


def _field(block: Block) -> tuple[str, str]:
    return split_field(clean(block.lines[0][1])) or ("", "")


def _hyper_bullet(block: Block) -> bool:
    if block.kind != "bullet" or not block.path or len(block.lines) != 1:
        return False
    if label_key(clean(block.path[-1].title)) not in TRAINING_TITLES:
        return False
    return bool(_field(block)[0])


def insertion_point(lines: Sequence[str], body_start: int) -> tuple[int, int]:
    """Where new sections go (0-based line index) and the heading level to give them."""
    doc = read_document(lines, body_start)
    for heading in doc.headings:
        if label_key(clean(heading.title)) in INSERT_BEFORE:
            return heading.line - 1, heading.level
    levels = [h.level for h in doc.headings if h.level > 1]
    return len(lines), min(levels) if levels else 2
