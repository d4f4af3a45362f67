"""A card body as Markdown blocks (headings, tables, paragraphs, bullets, quotes) with line numbers.

This is not a full CommonMark parser: it recognises the block shapes that model cards use and that
the claim extractors need, and it keeps the 1-based line of every block. Fenced code is skipped
(``from mlx_lm import load`` in a quick-start snippet is not a claim), HTML comments are kept only
to notice "TRUNCATED" markers. Flattened cards (a store that replaced newlines by spaces) are split
back into pseudo-lines by :func:`unflatten`; all those pseudo-lines keep line 1, which is where the
text really is.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from auditor.card.lazyre import lazy
from auditor.records import mutable_record, record

SrcLine = tuple[int, str]
"""A physical (or pseudo) line: its 1-based line number and its text."""

_FENCE = lazy(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = lazy(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HRULE = lazy(r"^\s{0,3}(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_BULLET = lazy(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = lazy(r"^\s{0,3}>\s?(.*)$")
_DELIM = lazy(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CELL_SPLIT = lazy(r"(?<!\\)\|")


@record
class Heading:
    """An ATX heading (``## Title``)."""

    level: int
    title: str
    line: int


@record
class Row:
    """A table row; ``closed`` is False when the row lacks its closing pipe (a cut-off row)."""

    cells: tuple[str, ...]
    line: int
    closed: bool


@record
class Table:
    """A pipe table: optional header row, data rows, and the headings it sits under."""

    header: tuple[str, ...] | None
    rows: tuple[Row, ...]
    line: int
    path: tuple[Heading, ...]
    first_closed: bool = True


@record
class Block:
    """A run of text lines: a paragraph, one bullet item, or a block quote."""

    kind: Literal["para", "bullet", "quote"]
    lines: tuple[SrcLine, ...]
    path: tuple[Heading, ...]


@mutable_record
class Document:
    """Everything :func:`parse_blocks` found, in document order per kind."""

    headings: list[Heading] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    comments: list[SrcLine] = field(default_factory=list)
    code: list[tuple[SrcLine, ...]] = field(default_factory=list)  # fenced blocks, fence excluded
    open_fence_line: int | None = None
    last_line: int = 0


def split_cells(line: str) -> tuple[tuple[str, ...], bool]:
    """Split a pipe-table line into stripped cells; also say whether it ends with a pipe."""
    body = line.strip()
    closed = body.endswith("|") and len(body) > 1
    if body.startswith("|"):
        body = body[1:]
    if closed:
        body = body[:-1]
    cells = _CELL_SPLIT.split(body) if "\\" in body else body.split("|")  # no escaped pipe
    return tuple(c.strip() for c in cells), closed


def _is_delimiter(line: str) -> bool:
    """A table's header delimiter row ("|---|:--:|"): it has a "--" wherever it matches."""
    return "--" in line and bool(_DELIM.match(line))


MAX_CODE_LINES = 400
"""Lines kept per fenced code block (config blocks are short; the rest is never read)."""


class _Builder:
    """Line-by-line state machine behind :func:`parse_blocks`."""

    def __init__(self) -> None:
        self.doc = Document()
        self.path: list[Heading] = []
        self.para: list[SrcLine] = []
        self.para_kind: Literal["para", "bullet", "quote"] = "para"
        self.rows: list[tuple[SrcLine, tuple[str, ...], bool]] = []
        self.rows_first_closed = True

    def flush(self) -> None:
        if self.para:
            self.doc.blocks.append(Block(self.para_kind, tuple(self.para), tuple(self.path)))
            self.para = []
        if self.rows:
            self._flush_table()

    def _flush_table(self) -> None:
        rows, self.rows = self.rows, []
        self.rows_first_closed = rows[0][2]
        header: tuple[str, ...] | None = None
        if len(rows) >= 2 and _is_delimiter(rows[1][0][1]):
            header = rows[0][1]
            rows = rows[2:]
        data = tuple(
            Row(cells, src[0], closed) for src, cells, closed in rows if not _is_delimiter(src[1])
        )
        line = data[0].line if data else 0
        first_closed = self.rows_first_closed
        self.doc.tables.append(Table(header, data, line, tuple(self.path), first_closed))

    def heading(self, src: SrcLine, level: int, title: str) -> None:
        self.flush()
        h = Heading(level, title, src[0])
        self.doc.headings.append(h)
        while self.path and self.path[-1].level >= level:
            self.path.pop()
        self.path.append(h)

    def text(self, src: SrcLine, kind: Literal["para", "bullet", "quote"], text: str) -> None:
        if self.rows:
            self._flush_table()
        if kind == "bullet" or kind != self.para_kind:
            if self.para:
                self.doc.blocks.append(Block(self.para_kind, tuple(self.para), tuple(self.path)))
            self.para, self.para_kind = [], kind
        self.para.append((src[0], text))

    def line(self, src: SrcLine) -> None:
        text = src[1]
        stripped = text.lstrip()
        if not stripped:
            self.flush()
            return
        # Each block pattern is tried only where the line's first non-blank character can start
        # it (``\s`` and ``str.lstrip`` agree on what is blank, ``\d`` and ``isdecimal`` on digits).
        first = stripped[0]
        if first == "#" and (m := _HEADING.match(text)):
            self.heading(src, len(m.group(1)), m.group(2))
        elif first == "|" or (self.rows and "|" in text):
            if self.para:
                self.flush()
            cells, closed = split_cells(text)
            self.rows.append((src, cells, closed))
        elif first in "-*_=" and _HRULE.match(text):
            self.flush()
        elif first == ">" and (m := _QUOTE.match(text)):
            self.text(src, "quote", m.group(1))
        elif (first in "-*+•" or first.isdecimal()) and (m := _BULLET.match(text)):
            self.text(src, "bullet", m.group(1))
        elif self.para and self.para_kind == "bullet":
            self.para.append((src[0], text.strip()))  # continuation of the bullet item
        else:
            self.text(src, "para", text.strip())


def parse_blocks(lines: list[SrcLine]) -> Document:
    """Group lines into headings, tables and text blocks, skipping code fences and comments."""
    b = _Builder()
    fence: str | None = None
    code: list[SrcLine] = []
    comment: list[SrcLine] | None = None
    for src in lines:
        text = src[1]
        if fence is not None:
            if text.strip().startswith(fence):
                fence = None
                b.doc.code.append(tuple(code))
            elif len(code) < MAX_CODE_LINES:
                code.append(src)
            continue
        if comment is not None:
            comment.append(src)
            if "-->" in text:
                b.doc.comments.append((comment[0][0], " ".join(t for _, t in comment)))
                comment = None
            continue
        stripped = text.lstrip()
        if stripped.startswith(("`", "~")) and (m := _FENCE.match(text)):
            b.flush()
            fence, b.doc.open_fence_line, code = m.group(1), src[0], []
            continue
        if stripped.startswith("<!--"):
            b.flush()
            if "-->" in text:
                b.doc.comments.append(src)
            else:
                comment = [src]
            continue
        b.line(src)
    b.flush()
    if fence is None:
        b.doc.open_fence_line = None
    elif code:
        b.doc.code.append(tuple(code))
    if comment is not None:
        b.doc.comments.append((comment[0][0], " ".join(t for _, t in comment)))
    b.doc.last_line = next((n for n, t in reversed(lines) if t.strip()), 0)
    return b.doc


# --------------------------------------------------------------------------- flattened cards

# Boundaries that Markdown needs a newline for; in flattened text they follow a space.
_UNFLATTEN = (
    (lazy(r"\s+(?=#{1,6}\s)"), "\n"),  # headings
    (lazy(r"\|\s+\|"), "|\n|"),  # end of one table row, start of the next
    (lazy(r"\s+(?=[-*]\s+\*\*)"), "\n"),  # bold-label bullets: "- **License:** ..."
    (lazy(r"\s+(?=>\s)"), "\n"),  # block quotes
    (lazy(r"\s+(?=```)|(?<=```)\s+"), "\n"),  # code fences
    (lazy(r"\s+---\s+"), "\n---\n"),  # thematic breaks
)


def unflatten(text: str, line: int = 1) -> list[SrcLine]:
    """Split a flattened (newline-less) Markdown text back into pseudo-lines, all at ``line``."""
    for pattern, repl in _UNFLATTEN:
        text = pattern.sub(repl, text)
    return [(line, part) for part in text.split("\n")]
